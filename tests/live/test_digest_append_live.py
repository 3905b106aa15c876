"""The digest by IMAP APPEND into a real Dovecot INBOX: once a day, unread, intact."""

from __future__ import annotations

from datetime import datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest

from inboxguard.config import Config, parse_config
from inboxguard.delivery import DeliveryError, DeliveryReceipt, deliver, probe
from tests.delivery.digests import DAY, TEXT, digest_message, message_id
from tests.live.conftest import ENV_PASSWORD, PASSWORD, Mailbox, TlsDovecot
from tests.live.tls import CERT_NAME
from tests.mailboxes import config_dict

pytestmark = pytest.mark.live

SEEN = b"\\Seen"


def append_config(mailbox: Mailbox, tmp_path: Path, **account: Any) -> Config:
    data = config_dict(tmp_path / "unused", tmp_path)
    data["accounts"] = [
        {
            "name": "work",
            "kind": "imap",
            "host": mailbox.server.host,
            "port": mailbox.server.port,
            "security": "none",
            "username": mailbox.user,
            "password_env": ENV_PASSWORD,
            "timeout": 10,
            **account,
        }
    ]
    data["digest"] = {"delivery": "imap-append", "account": "work"}
    return parse_config(data)


def test_delivering_twice_leaves_one_unread_digest_in_inbox(
    mailbox: Mailbox, tmp_path: Path
) -> None:
    config = append_config(mailbox, tmp_path)
    first = deliver(digest_message(), config, day=DAY)
    second = deliver(digest_message(), config, day=DAY)
    assert first == DeliveryReceipt("imap-append", "work/INBOX")
    assert second == DeliveryReceipt("imap-append", "work/INBOX", already_there=True)
    ((uid, (flags, raw)),) = mailbox.messages("INBOX").items()
    assert SEEN not in flags
    message = message_from_bytes(raw.replace(b"\r\n", b"\n"), policy=default_policy)
    assert isinstance(message, EmailMessage)
    assert message["Message-ID"] == message_id()
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(preferencelist=("plain",))
    assert isinstance(text, EmailMessage) and text.get_content() == TEXT
    # The digest's Date becomes the INTERNALDATE, so clients sort it by when it was made.
    internal = mailbox.imap.fetch([uid], ["INTERNALDATE"])[uid][b"INTERNALDATE"]
    assert isinstance(internal, datetime)
    assert internal.timestamp() == datetime.fromisoformat("2026-11-21T08:00+09:00").timestamp()


def test_the_next_days_digest_is_a_new_message(mailbox: Mailbox, tmp_path: Path) -> None:
    config = append_config(mailbox, tmp_path)
    deliver(digest_message(), config, day=DAY)
    later = DAY.replace(day=22)
    deliver(digest_message(later), config, day=later)
    ids = sorted(
        str(message_from_bytes(raw, policy=default_policy)["Message-ID"])
        for _, raw in mailbox.messages("INBOX").values()
    )
    assert ids == [message_id(), message_id(later)]


def test_probe_logs_in_and_appends_nothing(mailbox: Mailbox, tmp_path: Path) -> None:
    config = append_config(mailbox, tmp_path)
    line = probe(config)
    server = mailbox.server
    assert line == f"imap-append: work/INBOX at {server.host}:{server.port} (none), login ok"
    assert mailbox.messages("INBOX") == {}


def test_a_wrong_password_is_not_retryable_and_not_repeated(
    mailbox: Mailbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong = "Not-the-password-1"
    monkeypatch.setenv(ENV_PASSWORD, wrong)
    with pytest.raises(DeliveryError) as caught:
        deliver(digest_message(), append_config(mailbox, tmp_path), day=DAY)
    error = caught.value
    assert not error.retryable
    assert "login failed" in str(error)
    assert wrong not in str(error) and PASSWORD not in str(error)
    assert mailbox.messages("INBOX") == {}


@pytest.mark.parametrize("security", ["tls", "starttls"])
def test_append_over_verified_tls_uses_the_accounts_ca_file(
    tls_dovecot: TlsDovecot, tmp_path: Path, security: str
) -> None:
    box = Mailbox(tls_dovecot, tls_dovecot.new_user())
    try:
        port = tls_dovecot.tls_port if security == "tls" else tls_dovecot.port
        config = append_config(
            box,
            tmp_path,
            host=CERT_NAME,
            port=port,
            security=security,
            ca_file=str(tls_dovecot.certificates.ca),
        )
        deliver(digest_message(), config, day=DAY)
        assert len(box.messages("INBOX")) == 1
    finally:
        box.close()


def test_an_untrusted_certificate_is_not_retryable(tls_dovecot: TlsDovecot, tmp_path: Path) -> None:
    box = Mailbox(tls_dovecot, tls_dovecot.new_user())
    try:
        config = append_config(
            box, tmp_path, host=CERT_NAME, port=tls_dovecot.tls_port, security="tls"
        )
        with pytest.raises(DeliveryError) as caught:
            deliver(digest_message(), config, day=DAY)
        assert not caught.value.retryable
        assert "could not be verified" in str(caught.value)
    finally:
        box.close()

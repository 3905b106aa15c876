"""delivery = "imap-append" into a Maildir account: INBOX new/, unread, never twice."""

from __future__ import annotations

import mailbox
from datetime import datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from inboxguard.config import Config, parse_config
from inboxguard.delivery import DeliveryError, DeliveryReceipt, deliver, probe
from tests.delivery.digests import DAY, digest_message, message_id
from tests.mailboxes import CLIENT, OWNER, Maildir, config_dict

RECEIVED = datetime(2026, 11, 20, 18, 0, tzinfo=ZoneInfo("Asia/Tokyo"))


def append_config(tmp_path: Path, root: Path) -> Config:
    data = config_dict(root, tmp_path)
    data["digest"] = {"delivery": "imap-append", "account": "work"}
    return parse_config(data)


def files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if not p.name.startswith("."))


def test_the_digest_lands_once_in_inbox_new_unread_beside_the_clients_mail(
    tmp_path: Path,
) -> None:
    tree = Maildir(tmp_path / "Mail")
    tree.add(
        "INBOX", sender=CLIENT, to=OWNER, subject="見積", date=RECEIVED, message_id="<q@c.example>"
    )
    config = append_config(tmp_path, tree.root)
    first = deliver(digest_message(), config, day=DAY, environ={})
    second = deliver(digest_message(), config, day=DAY, environ={})
    assert first == DeliveryReceipt("imap-append", "work/INBOX")
    assert second == DeliveryReceipt("imap-append", "work/INBOX", already_there=True)
    (written,) = files(tree.root / "INBOX" / "new")
    assert ":2," not in written.name  # no info part, so no S flag: unread
    assert files(tree.root / "INBOX" / "tmp") == []
    message = message_from_bytes(written.read_bytes(), policy=default_policy)
    assert isinstance(message, EmailMessage)
    assert message["Message-ID"] == message_id()
    assert len(files(tree.root / "INBOX" / "cur")) == 1  # the client's mail, untouched


def test_a_digest_the_owner_has_already_read_is_not_delivered_again(tmp_path: Path) -> None:
    tree = Maildir(tmp_path / "Mail")
    config = append_config(tmp_path, tree.root)
    deliver(digest_message(), config, day=DAY, environ={})
    (written,) = files(tree.root / "INBOX" / "new")
    # A mail client reading it moves it to cur/ and adds the S flag.
    written.rename(tree.root / "INBOX" / "cur" / f"{written.name}:2,S")
    receipt = deliver(digest_message(), config, day=DAY, environ={})
    assert receipt.already_there
    assert files(tree.root / "INBOX" / "new") == []


def test_maildirpp_puts_the_digest_in_the_root_maildir(tmp_path: Path) -> None:
    root = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True)
    config = append_config(tmp_path, root)
    deliver(digest_message(), config, day=DAY, environ={})
    (written,) = files(root / "new")
    box = mailbox.Maildir(root, factory=None, create=False)
    assert [str(m["Message-ID"]) for m in box] == [message_id()]
    assert written.read_bytes().count(b"\r\n") == 0  # maildir files are LF text
    line = probe(config, environ={})
    assert line == f"imap-append: work/INBOX (maildir {root}), writable"


def test_a_missing_inbox_maildir_is_a_clear_error_and_nothing_is_created(tmp_path: Path) -> None:
    root = tmp_path / "nowhere"
    config = append_config(tmp_path, root)
    with pytest.raises(DeliveryError) as caught:
        deliver(digest_message(), config, day=DAY, environ={})
    assert not caught.value.retryable
    assert "no INBOX maildir" in str(caught.value)
    assert not root.exists()


def test_a_digest_without_message_id_is_refused_since_it_could_land_twice(
    tmp_path: Path,
) -> None:
    tree = Maildir(tmp_path / "Mail")
    message = digest_message()
    del message["Message-ID"]
    with pytest.raises(DeliveryError, match="no Message-ID"):
        deliver(message, append_config(tmp_path, tree.root), day=DAY, environ={})

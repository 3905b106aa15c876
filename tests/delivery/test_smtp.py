"""SMTP delivery against a real aiosmtpd server: TLS verified, logins, and failures classified."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session

from inboxguard.auth.token_store import read_tokens, token_path, write_tokens
from inboxguard.config import Config, parse_config
from inboxguard.delivery import DeliveryError, DeliveryReceipt, deliver, probe
from tests.delivery.digests import DAY, HTML, TEXT, digest_message, message_id
from tests.delivery.smtp_server import (
    HOST,
    PASSWORD,
    TOKEN,
    USER,
    Handler,
    Security,
    free_port,
    running,
)
from tests.live.tls import CERT_NAME, Certificates
from tests.mailboxes import OWNER, config_dict

ENV = "INBOXGUARD_TEST_SMTP_PASSWORD"
ENVIRON = {ENV: PASSWORD}
CLIENT_ID = "1234-test.apps.googleusercontent.com"


def smtp_config(
    tmp_path: Path,
    port: int,
    security: Security,
    *,
    ca_file: Path | None = None,
    host: str = CERT_NAME,
    **digest: Any,
) -> Config:
    data = config_dict(tmp_path / "mail", tmp_path)
    settings: dict[str, Any] = {
        "delivery": "smtp",
        "smtp_host": host,
        "smtp_port": port,
        "smtp_security": security,
        "smtp_username": USER,
        "smtp_password_env": ENV,
        "smtp_timeout": 5,
    }
    if ca_file is not None:
        settings["smtp_ca_file"] = str(ca_file)
    settings.update(digest)
    data["digest"] = {k: v for k, v in settings.items() if v is not None}
    return parse_config(data)


def refusal(message: EmailMessage, config: Config, environ: dict[str, str]) -> DeliveryError:
    with pytest.raises(DeliveryError) as caught:
        deliver(message, config, day=DAY, environ=environ)
    error = caught.value
    text = str(error)
    assert "\n" not in text
    for secret in (PASSWORD, TOKEN):
        assert secret not in text and secret not in repr(error)
    # No chained traceback for the log: the cause may quote the server or the secret.
    assert error.__context__ is None or error.__suppress_context__
    return error


def parsed(content: bytes) -> EmailMessage:
    # SMTP carries CRLF; a mail store keeps LF, and so does the comparison.
    message = message_from_bytes(content.replace(b"\r\n", b"\n"), policy=default_policy)
    assert isinstance(message, EmailMessage)
    return message


@pytest.mark.parametrize("security", ["tls", "starttls"])
def test_a_password_login_over_verified_tls_delivers_the_digest_intact(
    tmp_path: Path, certificates: Certificates, security: Security
) -> None:
    handler = Handler()
    with running(handler, security, certificates) as port:
        config = smtp_config(tmp_path, port, security, ca_file=certificates.ca)
        receipt = deliver(digest_message(), config, day=DAY, environ=ENVIRON)
    assert receipt == DeliveryReceipt("smtp", f"{CERT_NAME}:{port} → {OWNER}")
    assert [(m, u) for m, u, _ in handler.logins] == [("PLAIN", USER.encode())]
    (received,) = handler.received
    assert received.mail_from == OWNER and received.rcpt_tos == [OWNER]
    message = parsed(received.content)
    assert message["From"] == f"InboxGuard <{OWNER}>"
    assert message["To"] == f"佐藤 花子 <{OWNER}>"
    assert message["Subject"] == "【InboxGuard】11月21日のダイジェスト: 期限切れ 1件"
    assert message["Message-ID"] == message_id()
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert isinstance(text, EmailMessage) and isinstance(html, EmailMessage)
    assert text.get_content() == TEXT and html.get_content() == HTML


def test_a_wrong_password_is_refused_for_good_and_the_servers_echo_is_not_repeated(
    tmp_path: Path, certificates: Certificates
) -> None:
    handler = Handler()
    with running(handler, "tls", certificates) as port:
        config = smtp_config(tmp_path, port, "tls", ca_file=certificates.ca)
        wrong = "Wrong-pass-77e1"
        error = refusal(digest_message(), config, {ENV: wrong})
    assert not error.retryable
    assert str(error) == (
        f"digest delivery: {CERT_NAME}:{port} refused the login for {USER} "
        "(check smtp_username and the password source)"
    )
    assert wrong not in str(error)  # the server put it in its 535 reply
    assert handler.received == []


def test_a_certificate_from_an_untrusted_ca_stops_before_login_and_names_smtp_ca_file(
    tmp_path: Path, certificates: Certificates
) -> None:
    handler = Handler()
    with running(handler, "tls", certificates) as port:
        config = smtp_config(tmp_path, port, "tls")  # the system's trust store only
        error = refusal(digest_message(), config, ENVIRON)
    assert not error.retryable
    assert "could not be verified with the system's trust store" in str(error)
    assert "set smtp_ca_file" in str(error)
    assert handler.logins == [] and handler.received == []


def test_a_certificate_for_another_name_stops_before_login_and_names_smtp_host(
    tmp_path: Path, certificates: Certificates
) -> None:
    handler = Handler()
    with running(handler, "starttls", certificates) as port:
        # The certificate lists only "localhost"; the same server reached by its address.
        config = smtp_config(tmp_path, port, "starttls", ca_file=certificates.ca, host=HOST)
        error = refusal(digest_message(), config, ENVIRON)
    assert not error.retryable
    assert f"is not issued for {HOST!r}" in str(error) and "set smtp_host" in str(error)
    assert handler.logins == []


def test_starttls_not_offered_stops_before_the_password_is_sent_in_clear(
    tmp_path: Path,
) -> None:
    handler = Handler()
    with running(handler, "none") as port:
        config = smtp_config(tmp_path, port, "starttls")
        error = refusal(digest_message(), config, ENVIRON)
    assert not error.retryable
    assert "does not offer STARTTLS" in str(error) and "smtp_security = 'tls'" in str(error)
    assert handler.logins == [] and handler.received == []


def test_plain_smtp_without_login_delivers_to_a_loopback_relay(tmp_path: Path) -> None:
    handler = Handler()
    with running(handler, "none") as port:
        config = smtp_config(
            tmp_path, port, "none", smtp_auth="none", smtp_username=None, smtp_password_env=None
        )
        receipt = deliver(digest_message(), config, day=DAY, environ={})
        assert probe(config, environ={}) == f"smtp: {CERT_NAME}:{port} (plain), no login"
    assert receipt.kind == "smtp"
    assert len(handler.received) == 1 and handler.logins == []


@pytest.mark.parametrize(
    ("reply", "retryable"),
    [("451 4.3.0 Mail server temporarily rejected message", True), ("554 5.7.1 Spam", False)],
)
def test_a_refused_message_is_retryable_only_for_a_4xx_reply(
    tmp_path: Path, certificates: Certificates, reply: str, retryable: bool
) -> None:
    handler = Handler(data_reply=reply)
    with running(handler, "tls", certificates) as port:
        config = smtp_config(tmp_path, port, "tls", ca_file=certificates.ca)
        error = refusal(digest_message(), config, ENVIRON)
    assert error.retryable is retryable
    assert str(error) == f"digest delivery: {CERT_NAME}:{port} answered {reply}"


def test_a_server_that_is_not_there_is_worth_retrying(tmp_path: Path) -> None:
    config = smtp_config(tmp_path, free_port(), "tls", host=HOST)
    error = refusal(digest_message(), config, ENVIRON)
    assert error.retryable
    assert f"connection to {HOST}:" in str(error) and "refused" in str(error)


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never says a word (a hung server)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind((HOST, 0))
        listener.listen()
        yield int(listener.getsockname()[1])


def test_a_server_that_never_answers_times_out_after_smtp_timeout_and_is_retryable(
    tmp_path: Path, silent_port: int
) -> None:
    config = smtp_config(tmp_path, silent_port, "none", host=HOST, smtp_timeout=0.3)
    started = time.monotonic()
    error = refusal(digest_message(), config, ENVIRON)
    assert time.monotonic() - started < 3
    assert error.retryable
    assert str(error) == f"digest delivery: no answer from {HOST}:{silent_port} within 0.3 seconds"


def test_a_missing_password_source_is_not_retryable(
    tmp_path: Path, certificates: Certificates
) -> None:
    config = smtp_config(tmp_path, free_port(), "tls", ca_file=certificates.ca)
    error = refusal(digest_message(), config, {})
    assert not error.retryable
    assert f"environment variable {ENV} is unset" in str(error)


def test_a_digest_addressed_to_anyone_but_the_owner_is_never_sent(
    tmp_path: Path, certificates: Certificates
) -> None:
    handler = Handler()
    with running(handler, "tls", certificates) as port:
        config = smtp_config(tmp_path, port, "tls", ca_file=certificates.ca)
        message = digest_message(to=f"{OWNER}, taro@client.example")
        error = refusal(message, config, ENVIRON)
    assert not error.retryable and "taro@client.example" in str(error)
    assert handler.logins == [] and handler.received == []


def test_probe_logs_in_and_sends_nothing(tmp_path: Path, certificates: Certificates) -> None:
    handler = Handler()
    with running(handler, "starttls", certificates) as port:
        config = smtp_config(tmp_path, port, "starttls", ca_file=certificates.ca)
        line = probe(config, environ=ENVIRON)
    assert line == f"smtp: {CERT_NAME}:{port} (STARTTLS), login ok"
    assert len(handler.logins) == 1 and handler.received == []


# -- XOAUTH2 --------------------------------------------------------------------------------


def oauth_config(tmp_path: Path, port: int, certificates: Certificates) -> Config:
    data = config_dict(tmp_path / "mail", tmp_path)
    data["accounts"].append(
        {
            "name": "gmail",
            "kind": "imap",
            "host": "imap.gmail.com",
            "username": "hanako.sato@gmail.com",
            "auth": "oauth2",
            "oauth_provider": "google",
            "oauth_client_id": CLIENT_ID,
        }
    )
    data["digest"] = {
        "delivery": "smtp",
        "smtp_host": CERT_NAME,
        "smtp_port": port,
        "smtp_security": "tls",
        "smtp_ca_file": str(certificates.ca),
        "smtp_auth": "oauth2",
        "smtp_oauth_account": "gmail",
        "smtp_timeout": 5,
    }
    return parse_config(data)


@pytest.fixture
def consent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A stored consent with a fresh access token: the real token source returns it as is."""
    environ = {"XDG_STATE_HOME": str(tmp_path / "state")}
    # Forgetting a refused token looks in the process environment, like the service does.
    monkeypatch.setenv("XDG_STATE_HOME", environ["XDG_STATE_HOME"])
    stored = {
        "provider": "google",
        "client_id": CLIENT_ID,
        "refresh_token": "1//refresh-token-never-used-here",
        "access_token": TOKEN,
        "expires_at": time.time() + 3600,
    }
    write_tokens("gmail", token_path("gmail", environ), stored)
    return environ


def test_xoauth2_presents_the_imap_accounts_bearer_token_and_delivers(
    tmp_path: Path, certificates: Certificates, consent: dict[str, str]
) -> None:
    handler = Handler()
    with running(handler, "tls", certificates) as port:
        config = oauth_config(tmp_path, port, certificates)
        deliver(digest_message(), config, day=DAY, environ=consent)
        assert probe(config, environ=consent) == f"smtp: {CERT_NAME}:{port} (TLS), login ok"
    assert handler.logins[0] == ("XOAUTH2", b"hanako.sato@gmail.com", TOKEN.encode())
    assert len(handler.received) == 1


def test_a_refused_token_is_forgotten_and_the_error_says_to_run_auth(
    tmp_path: Path, certificates: Certificates, consent: dict[str, str]
) -> None:
    handler = Handler(tokens=set())  # the consent was revoked at the provider
    with running(handler, "tls", certificates) as port:
        config = oauth_config(tmp_path, port, certificates)
        error = refusal(digest_message(), config, consent)
    assert not error.retryable
    assert "refused the XOAUTH2 login for hanako.sato@gmail.com" in str(error)
    assert "run `inboxguard auth gmail`" in str(error)
    assert "access_token" not in read_tokens("gmail", token_path("gmail", consent))
    assert handler.received == []


def test_the_connection_lost_after_the_data_was_accepted_is_still_delivered(
    tmp_path: Path, certificates: Certificates
) -> None:
    """QUIT failing must not report failure: a retry would send the digest twice."""

    class DropsAtQuit(Handler):
        async def handle_QUIT(self, server: SMTP, session: Session, envelope: Envelope) -> str:
            assert server.transport is not None
            server.transport.close()  # gone before the 221 goes out
            return "221 Bye"

    handler = DropsAtQuit()
    with running(handler, "tls", certificates) as port:
        config = smtp_config(tmp_path, port, "tls", ca_file=certificates.ca)
        receipt = deliver(digest_message(), config, day=DAY, environ=ENVIRON)
    assert receipt.kind == "smtp" and len(handler.received) == 1

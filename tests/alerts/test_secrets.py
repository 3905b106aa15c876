"""No token of an Apprise URL in a log line (debug ones included), an error, the store or
the digest: registered with the redactor as each URL is resolved, part by part."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

from inboxguard.alerts.url_tokens import url_secrets
from inboxguard.digest.sending import compose as compose_digest
from inboxguard.log_setup import configure_logging
from inboxguard.service.alerting import deliver, try_channels
from inboxguard.store import StateStore
from tests.alerts.conftest import (
    AT_RISK,
    CHATWORK_TOKEN,
    HOOK_TOKEN,
    NTFY_TOKEN,
    OVERDUE,
    alert_config,
    channel,
    chatwork_url,
    client_mail,
    context,
    cycle,
    ntfy_url,
)
from tests.alerts.receivers import Receiver
from tests.alerts.test_sending import closed_port
from tests.mailboxes import Maildir

TOKENS = (NTFY_TOKEN, CHATWORK_TOKEN, HOOK_TOKEN)


@pytest.fixture
def log_text() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    configure_logging(logging.DEBUG, fmt="json", stream=stream)
    yield stream
    configure_logging()


def leaks(text: str | bytes) -> list[str]:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    forms = {form for token in TOKENS for form in (token, quote(token), quote_plus(token))}
    return [form for form in forms if form in text]


def test_no_url_token_in_logs_errors_the_store_or_the_digest(
    tmp_path: Path,
    ntfy: Receiver,
    chatwork: Receiver,
    log_text: io.StringIO,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    maildir = Maildir(tmp_path / "Mail")
    store = StateStore.open(f"sqlite:///{tmp_path / 'state.db'}")
    secret_file = tmp_path / "chatwork-url"
    secret_file.write_text(chatwork_url(chatwork) + "\n", encoding="utf-8")
    monkeypatch.setenv("IG_PHONE_URL", ntfy_url(ntfy))
    monkeypatch.setenv("IG_HOOK_URL", f"json://127.0.0.1:{closed_port()}/hook/{HOOK_TOKEN}")
    channels = [
        channel("phone", "IG_PHONE_URL"),
        channel("hook", "IG_HOOK_URL"),  # down: errors, retries, a failing channel
        {"name": "chat", "url_command": f"cat {secret_file}"},
    ]
    ctx = context(alert_config(maildir, tmp_path, channels))
    client_mail(maildir)
    for now in (AT_RISK, AT_RISK + timedelta(minutes=3), OVERDUE):
        cycle(ctx, store, now)
    outcomes = deliver(ctx, store, OVERDUE + timedelta(hours=1))
    tested = try_channels(ctx)
    assert ntfy.count == 3 and chatwork.count == 3  # two events and the test message
    digest = compose_digest(ctx, store, OVERDUE + timedelta(hours=1))

    errors = [o.error or "" for o in outcomes] + [t.reason or "" for _, t in tested]
    errors += [q.last_error or "" for q in store.alerts()]
    assert any("127.0.0.1" in e for e in errors)  # the failures were recorded, in words
    log = log_text.getvalue()
    assert "ntfy POST URL" in log and "[REDACTED]" in log  # Apprise's debug lines are there
    assert leaks(log) == []
    assert leaks("\n".join(errors)) == []
    assert leaks(digest.html) == [] and leaks(digest.text) == []
    assert "hook" in digest.text  # the failing channel is listed, without its URL
    store.close()
    for path in tmp_path.glob("state.db*"):
        if path.is_file():
            assert leaks(path.read_bytes()) == [], path


@pytest.mark.parametrize(
    ("url", "secrets"),
    [
        ("ntfys://tk_AbC123secret9@ntfy.example.jp/phone", ["tk_AbC123secret9"]),
        ("slack://T0123ABCD/B0456EFGH/abcdEFGHijklMNOPqrstUVWX", ["abcdEFGHijklMNOPqrstUVWX"]),
        ("discord://123456789012345678/AbCdEf-GhIjKl_MnOp", ["AbCdEf-GhIjKl_MnOp"]),
        ("tgram://123456789:AAHdqTcvCH1vGW/987654321", ["AAHdqTcvCH1vGW"]),
        ("line://chAnnelAcc3ssT0ken+abc=/Uabcdef0123456789", ["chAnnelAcc3ssT0ken+abc="]),
        ("pover://uQiRzpo4DXghDmr9Qz@azGDORePK8gMaC0Q", ["uQiRzpo4DXghDmr9Qz", "azGDORePK8gMaC0Q"]),
        ("mailtos://hanako:app-pass-x9@smtp.gmail.com?to=hanako@example.jp", ["app-pass-x9"]),
        ("forms://api.chatwork.com/v2/rooms/1/messages?+X-ChatWorkToken=abc123def", ["abc123def"]),
    ],
)  # fmt: skip
def test_every_token_like_part_of_a_url_is_a_secret(url: str, secrets: list[str]) -> None:
    found = url_secrets(url)
    assert url in found
    for secret in secrets:
        assert secret in found


def test_ordinary_words_and_host_names_stay_readable() -> None:
    found = url_secrets("forms://api.chatwork.com/v2/rooms/1/messages?:message=body&:title=")
    for word in ("api.chatwork.com", "rooms", "messages", "body", "v2"):
        assert word not in found

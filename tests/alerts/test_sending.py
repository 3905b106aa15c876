"""Apprise for real, against servers on loopback: what each service receives, and failures."""

from __future__ import annotations

import socket
import time
from email import message_from_bytes
from email.header import decode_header, make_header
from email.message import Message

import pytest

from inboxguard.alerts import sending
from inboxguard.alerts.sending import DEADLINE, READ_TIMEOUT, send, with_priority
from inboxguard.alerts.wording import AlertMessage
from inboxguard.domain.alert_events import Urgency
from tests.alerts.conftest import CHATWORK_TOKEN, chatwork_url, ntfy_url, webhook_url
from tests.alerts.receivers import Receiver
from tests.delivery.smtp_server import Handler, running

HIGH = AlertMessage(
    "InboxGuard — 期限超過", "【期限超過】山田 太郎「見積のご依頼」\nID t7e2750", Urgency.HIGH
)
NORMAL = AlertMessage(
    "InboxGuard — 期限間近", "【期限間近】山田 太郎「見積のご依頼」", Urgency.NORMAL
)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_ntfy_gets_title_message_and_the_priority_of_the_urgency(ntfy: Receiver) -> None:
    assert send(ntfy_url(ntfy), HIGH).ok
    assert send(ntfy_url(ntfy), NORMAL).ok
    high, normal = ntfy.messages()
    assert high == {"title": HIGH.title, "message": HIGH.body, "priority": "high"}
    assert normal["priority"] == "default" and normal["message"] == NORMAL.body
    assert all(r.headers["Authorization"] == f"Bearer {ntfy.token}" for r in ntfy.requests)


def test_a_priority_the_owner_put_in_the_url_is_kept(ntfy: Receiver) -> None:
    assert with_priority("ntfy://h/t?priority=max", Urgency.HIGH) == "ntfy://h/t?priority=max"
    assert send(ntfy_url(ntfy) + "?priority=min", HIGH).ok
    assert ntfy.messages()[0]["priority"] == "min"


def test_a_service_without_a_priority_argument_keeps_its_url() -> None:
    url = "json://127.0.0.1:8080/hook"
    assert with_priority(url, Urgency.HIGH) == url


def test_a_json_webhook_hears_the_urgency_as_apprise_notify_type(webhook: Receiver) -> None:
    assert send(webhook_url(webhook), HIGH).ok
    assert send(webhook_url(webhook), NORMAL).ok
    assert [m["type"] for m in webhook.messages()] == ["warning", "info"]
    assert webhook.messages()[0]["message"] == HIGH.body


def test_chatwork_gets_post_rooms_messages_with_its_token_header_and_a_body_field(
    chatwork: Receiver,
) -> None:
    assert send(chatwork_url(chatwork), HIGH).ok
    (request,) = chatwork.requests
    assert request.method == "POST"
    assert request.path == "/v2/rooms/123/messages"
    assert request.headers["X-ChatWorkToken"] == CHATWORK_TOKEN
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    # Exactly what Chatwork's API takes: `body` (the title's fields are left out).
    assert request.form() == {"body": [HIGH.body]}


def test_chatwork_refusing_a_wrong_token_is_a_failure(chatwork: Receiver) -> None:
    wrong = chatwork_url(chatwork).replace(CHATWORK_TOKEN, "0" * 32)
    outcome = send(wrong, NORMAL)
    assert not outcome.ok and outcome.reason is not None and "401" in outcome.reason


def test_mailto_reaches_an_smtp_server_with_the_title_as_subject() -> None:
    handler = Handler()
    with running(handler, "none") as port:
        url = (
            f"mailto://127.0.0.1:{port}?from=inboxguard@example.jp&to=hanako@example.jp"
            "&mode=insecure"
        )
        assert send(url, HIGH).ok
    (received,) = handler.received
    assert received.rcpt_tos == ["hanako@example.jp"]
    mail: Message = message_from_bytes(received.content)
    assert str(make_header(decode_header(mail["Subject"]))) == HIGH.title
    text = next(p for p in mail.walk() if p.get_content_type() == "text/plain")
    payload = text.get_payload(decode=True)
    assert isinstance(payload, bytes) and "山田 太郎" in payload.decode("utf-8")


def test_a_server_that_is_down_fails_with_a_reason_that_names_no_url() -> None:
    outcome = send(f"json://127.0.0.1:{closed_port()}/hook/Zq8w3e5r7t9yU1i0", NORMAL)
    assert not outcome.ok
    assert (
        outcome.reason and "://" not in outcome.reason and "Zq8w3e5r7t9yU1i0" not in outcome.reason
    )


def test_a_server_that_never_answers_costs_at_most_the_read_timeout(webhook: Receiver) -> None:
    webhook.hang.set()
    started = time.monotonic()
    # The URL asks for a minute; a cycle waits a few seconds at most.
    outcome = send(webhook_url(webhook) + "?rto=60&cto=60", NORMAL)
    took = time.monotonic() - started
    assert not outcome.ok
    assert READ_TIMEOUT - 0.5 < took < DEADLINE + 0.5


def test_the_deadline_bounds_the_whole_call(
    webhook: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    webhook.hang.set()
    monkeypatch.setattr(sending, "READ_TIMEOUT", 30.0)
    started = time.monotonic()
    outcome = send(webhook_url(webhook), NORMAL, deadline=1.0)
    assert time.monotonic() - started < 2.0
    assert outcome == sending.SendOutcome(False, "no answer within 1s")


def test_a_url_apprise_does_not_know_fails_without_repeating_it() -> None:
    outcome = send("nosuchservice://secret-token-123456/x", NORMAL)
    assert not outcome.ok and outcome.reason is not None
    assert "secret-token-123456" not in outcome.reason and "docs/alerts.md" in outcome.reason

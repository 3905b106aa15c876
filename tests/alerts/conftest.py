"""Fixtures of the alert tests: a Maildir, loopback receivers Apprise really sends to, and
configurations whose `[[alerts]]` URLs come from the environment, as an owner's would."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from inboxguard.backends.maildir import MaildirBackend
from inboxguard.config import parse_config
from inboxguard.service.context import Context
from inboxguard.service.cycle import AccountResult, run_cycle
from inboxguard.store import StateStore
from tests.alerts.receivers import Receiver, serving
from tests.mailboxes import CLIENT, OWNER, Maildir, config_dict, maildir_account
from tests.service.test_daemon import NotifySocket

TOKYO = ZoneInfo("Asia/Tokyo")
# A Friday. The client writes at 09:05: at risk at 03:05 on Saturday, overdue at 09:05.
WROTE = datetime(2026, 11, 20, 9, 5, tzinfo=TOKYO)
AT_RISK = datetime(2026, 11, 21, 3, 10, tzinfo=TOKYO)
OVERDUE = datetime(2026, 11, 21, 9, 10, tzinfo=TOKYO)
# Never to be quoted in an alert: alerts say who and what, never what the mail said.
BODY_SENTENCE = "社外秘の見積金額は三百万円です。"
NTFY_TOKEN = "tk_8xQ2mPz4LwR7vN3kYb6"
CHATWORK_TOKEN = "0c1f5e7a9b3d2468ace13579bdf02468"
HOOK_TOKEN = "Zq8w3e5r7t9yU1i0"


@pytest.fixture
def maildir(tmp_path: Path) -> Maildir:
    return Maildir(tmp_path / "Mail")


@pytest.fixture
def ntfy() -> Iterator[Receiver]:
    with serving(Receiver("ntfy", token=NTFY_TOKEN)) as receiver:
        yield receiver


@pytest.fixture
def webhook() -> Iterator[Receiver]:
    with serving(Receiver("json")) as receiver:
        yield receiver


@pytest.fixture
def chatwork() -> Iterator[Receiver]:
    with serving(Receiver("chatwork", token=CHATWORK_TOKEN)) as receiver:
        yield receiver


def ntfy_url(receiver: Receiver, topic: str = "inboxguard") -> str:
    return f"ntfy://{NTFY_TOKEN}@127.0.0.1:{receiver.port}/{topic}"


def webhook_url(receiver: Receiver) -> str:
    return f"json://127.0.0.1:{receiver.port}/hook/{HOOK_TOKEN}"


def chatwork_url(receiver: Receiver, room: str = "123") -> str:
    # Chatwork has no Apprise plugin: form:// with its token header, the message in the
    # `body` field, and Apprise's other fields (title, version, type) left out.
    return (
        f"form://127.0.0.1:{receiver.port}/v2/rooms/{room}/messages"
        f"?+X-ChatWorkToken={CHATWORK_TOKEN}&:message=body&:title=&:version=&:type="
    )


def alert_config(
    maildir: Maildir, tmp_path: Path, channels: list[dict[str, Any]], **extra: Any
) -> dict[str, Any]:
    data = config_dict(maildir.root, tmp_path)
    data["alerts"] = channels
    data.update(extra)
    return data


def context(data: dict[str, Any]) -> Context:
    return Context.build(parse_config(data))


def channel(name: str, variable: str, **settings: Any) -> dict[str, Any]:
    return {"name": name, "url_env": variable, **settings}


def client_mail(
    maildir: Maildir,
    *,
    at: datetime = WROTE,
    subject: str = "見積のご依頼",
    key: str = "q1",
    sender: str = f"山田 太郎 <{CLIENT}>",
    body: str = f"佐藤様\n\nお見積りをお願いできますでしょうか。{BODY_SENTENCE}\n\n山田\n",
) -> str:
    mid = f"<{key}@client.example>"
    maildir.add(
        "INBOX",
        sender=sender,
        to=f"佐藤 花子 <{OWNER}>",
        subject=subject,
        date=at,
        message_id=mid,
        body=body,
    )
    return mid


def my_reply(maildir: Maildir, *, at: datetime, to_mid: str, subject: str, body: str) -> None:
    maildir.add(
        "Sent",
        sender=f"佐藤 花子 <{OWNER}>",
        to=CLIENT,
        subject=f"Re: {subject}",
        date=at,
        message_id=f"<re-{to_mid.strip('<>')}>",
        in_reply_to=to_mid,
        body=body,
    )


def cycle(ctx: Context, store: StateStore, now: datetime) -> AccountResult:
    (result,) = run_cycle(ctx, store, [MaildirBackend(maildir_account(ctx.config))], now=now)
    assert result.ok, result.error
    return result


@pytest.fixture
def notify(tmp_path: Path) -> Iterator[NotifySocket]:
    """What systemd would hear from `inboxguard run`."""
    listener = NotifySocket(tmp_path / "notify.sock")
    yield listener
    listener.close()

"""`awaiting_overdue` and `minutes_due` alerts from real cycles over a Maildir, to real
Apprise, to servers on loopback (SPEC §8b): once per channel, never for what was already
stale at a first start, and never a word of the mail body (what I asked for is body text)."""

from __future__ import annotations

import email
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from inboxguard.service.context import Context
from inboxguard.service.marking import apply_mark
from inboxguard.store import StateStore
from tests.alerts.conftest import (
    alert_config,
    channel,
    context,
    cycle,
    ntfy_url,
    webhook_url,
)
from tests.alerts.receivers import Receiver
from tests.mailboxes import CLIENT, OWNER, Maildir
from tests.service.test_client_turn_cycle import jst

FIXTURES = Path(__file__).parent.parent / "fixtures" / "invitations"
# My asking message's words: what I asked for, and a sentence that must stay in the mail.
ASKED_FOR = "修正版のロゴデータ"
SECRET = "社外秘の新ブランド名はアオゾラです。"
ASK_JA = (
    f"お世話になっております。\n{ASKED_FOR}を12月2日(水)までにいただけますと幸いです。\n{SECRET}\n"
)
ASK_EN = (
    "Hi Taro,\n\nCould you send the revised logo artwork by Dec 2?\n"
    "Codename Aozora stays internal.\n"
)
EN_WORDS = ("revised logo artwork", "Codename Aozora")


@dataclass
class World:
    """A test's Maildir, store and two receivers Apprise really sends to."""

    tmp_path: Path
    maildir: Maildir
    store: StateStore
    ntfy: Receiver
    webhook: Receiver
    monkeypatch: pytest.MonkeyPatch

    def context(self, language: str = "ja") -> Context:
        self.monkeypatch.setenv("IG_PHONE_URL", ntfy_url(self.ntfy))
        self.monkeypatch.setenv("IG_CHAT_URL", webhook_url(self.webhook))
        channels = [channel("phone", "IG_PHONE_URL"), channel("chat", "IG_CHAT_URL")]
        data = alert_config(self.maildir, self.tmp_path, channels)
        data["owner"]["language"] = language
        return context(data)

    def told(self) -> int:
        assert self.ntfy.count == self.webhook.count
        return self.ntfy.count

    def wire(self) -> str:
        return "\n".join(
            r.text() for receiver in (self.ntfy, self.webhook) for r in receiver.requests
        )


@pytest.fixture
def world(
    tmp_path: Path,
    store: StateStore,
    ntfy: Receiver,
    webhook: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> World:
    return World(tmp_path, Maildir(tmp_path / "Mail"), store, ntfy, webhook, monkeypatch)


def ask(maildir: Maildir, body: str, *, at: datetime | None = None) -> None:
    maildir.add(
        "Sent",
        sender=f"佐藤 花子 <{OWNER}>",
        to=f"山田 太郎 <{CLIENT}>",
        subject="ロゴ修正のお願い",
        date=at or jst(11, 30, 10),
        message_id="<ask@example.jp>",
        body=body,
    )


@pytest.mark.parametrize(
    ("language", "body", "head", "secret"),
    [
        ("ja", ASK_JA, "【先方の返信待ち】山田 太郎「ロゴ修正のお願い」", (ASKED_FOR, SECRET)),
        ("en", ASK_EN, "[Client reply late]", EN_WORDS),
    ],
)
def test_awaiting_overdue_is_told_once_and_without_a_word_of_my_mail(
    world: World,
    language: str,
    body: str,
    head: str,
    secret: tuple[str, ...],
) -> None:
    ctx, store, maildir = world.context(language), world.store, world.maildir
    ask(maildir, body)

    cycle(ctx, store, jst(12, 1, 9))
    cycle(ctx, store, jst(12, 2, 17, 55))
    assert world.told() == 0
    for now in (jst(12, 2, 18, 5), jst(12, 2, 18, 30), jst(12, 3, 9)):
        cycle(ctx, store, now)

    assert world.told() == 1
    (message,) = world.ntfy.messages()
    assert message["message"].splitlines()[0].startswith(head), message["message"]
    text = world.wire()
    for words in secret:
        assert words not in text


def test_an_ask_already_long_overdue_at_a_first_start_is_not_told(
    world: World,
) -> None:
    ctx, store, maildir = world.context(), world.store, world.maildir
    ask(maildir, ASK_JA, at=jst(11, 20, 10))  # asked for by Dec 2, first start on Dec 7

    cycle(ctx, store, jst(12, 7, 9))
    cycle(ctx, store, jst(12, 7, 10))

    assert world.told() == 0


def test_no_follow_up_mark_means_no_alert(
    world: World,
) -> None:
    ctx, store, maildir = world.context(), world.store, world.maildir
    ask(maildir, ASK_JA)
    cycle(ctx, store, jst(12, 1, 9))
    (thread_id,) = store.thread_ids()
    apply_mark(ctx, store, thread_id, "no-follow-up", None, now=jst(12, 1, 9, 1))

    cycle(ctx, store, jst(12, 2, 18, 5))
    cycle(ctx, store, jst(12, 3, 9))

    assert world.told() == 0


def outlook_invitation(maildir: Maildir) -> None:
    raw = (FIXTURES / "outlook_ja_request.eml").read_bytes()  # 定例打ち合わせ, Dec 3 10-11
    sent = email.utils.parsedate_to_datetime(str(email.message_from_bytes(raw)["Date"]))
    maildir.add_raw("INBOX", raw, sent)


@pytest.mark.parametrize(
    ("language", "head"), [("ja", "【議事録未送付】"), ("en", "[Minutes due]")]
)
def test_minutes_due_is_told_once_after_minutes_by_and_without_the_invitations_text(
    world: World,
    language: str,
    head: str,
) -> None:
    ctx, store, maildir = world.context(language), world.store, world.maildir
    outlook_invitation(maildir)

    for now in (jst(12, 2, 12), jst(12, 3, 11, 5), jst(12, 3, 17, 55)):
        cycle(ctx, store, now)
    assert world.told() == 0  # minutes drafted, not yet due
    for now in (jst(12, 3, 18, 5), jst(12, 3, 19), jst(12, 4, 9)):
        cycle(ctx, store, now)

    assert world.told() == 1
    (message,) = world.ntfy.messages()
    first = message["message"].splitlines()[0]
    assert first.startswith(head) and "定例打ち合わせ" in first, message["message"]
    text = world.wire()
    for words in ("来週の打ち合わせの件", "よろしくお願いいたします", "Microsoft Teams"):
        assert words not in text


def test_minutes_sent_in_time_are_not_told(
    world: World,
) -> None:
    ctx, store, maildir = world.context(), world.store, world.maildir
    outlook_invitation(maildir)
    cycle(ctx, store, jst(12, 3, 11, 5))
    maildir.add(
        "Sent",
        sender=OWNER,
        to="ichiro@other.example",
        subject="【議事録】定例打ち合わせ",
        date=jst(12, 3, 16),
        message_id="<minutes@example.jp>",
    )

    for now in (jst(12, 3, 16, 5), jst(12, 3, 18, 5), jst(12, 4, 9)):
        cycle(ctx, store, now)

    assert world.told() == 0


def test_a_meeting_days_ago_at_a_first_start_is_not_told(
    world: World,
) -> None:
    ctx, store, maildir = world.context(), world.store, world.maildir
    outlook_invitation(maildir)

    cycle(ctx, store, jst(12, 7, 18, 30))

    assert world.told() == 0
    assert maildir.drafts() == []  # nor minutes drafted days late

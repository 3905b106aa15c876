"""Builders for domain tests: tracked messages, threads, and the owner's usual settings.

Defaults describe the common case: Hanako (the owner, hanako@example.jp) and her client Taro
(taro@client.example) writing about 「見積のご依頼」 in Asia/Tokyo. A message from the owner
goes to the client and sits in Sent; any other message goes to the owner and sits in INBOX.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from inboxguard.domain.calendar import BusinessCalendar
from inboxguard.domain.identity import Identity
from inboxguard.domain.message import Address
from inboxguard.domain.reply_clock import ReplyPolicy
from inboxguard.domain.threading import Thread
from inboxguard.domain.tracked import FolderRole, Invitation, Promise, Request, TrackedMessage

TOKYO = ZoneInfo("Asia/Tokyo")
ACCOUNT = "work"
SUBJECT = "見積のご依頼"

OWNER = Address("山田 花子", "hanako@example.jp")
CLIENT = Address("佐藤 太郎", "taro@client.example")
OTHER_CLIENT = Address("鈴木 一郎", "ichiro@other.example")

IDENTITY = Identity(addresses=frozenset({OWNER.address}))
JP_CALENDAR = BusinessCalendar.from_settings(
    "Asia/Tokyo", ("mon", "tue", "wed", "thu", "fri"), "09:00-18:00", "JP"
)
CALENDAR_POLICY = ReplyPolicy(
    reply_within=timedelta(hours=24),
    business=False,
    warn_before=timedelta(hours=6),
    holding_draft_after=timedelta(hours=16),
)
BUSINESS_POLICY = ReplyPolicy(
    reply_within=timedelta(hours=24),
    business=True,
    warn_before=timedelta(hours=6),
    holding_draft_after=timedelta(hours=16),
)


def jst(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """An aware instant on the owner's wall clock."""
    return datetime(year, month, day, hour, minute, tzinfo=TOKYO)


def msg(
    at: datetime,
    *,
    sender: Address = CLIENT,
    to: Iterable[Address] | None = None,
    cc: Iterable[Address] = (),
    subject: str = SUBJECT,
    message_id: str | None = None,
    role: FolderRole | None = None,
    folder: str | None = None,
    in_reply_to: Iterable[str] = (),
    references: Iterable[str] = (),
    provider_thread_id: str | None = None,
    automated_reason: str | None = None,
    ack_only: bool = False,
    promise: Promise | None = None,
    keywords: Iterable[str] = (),
    account: str = ACCOUNT,
    request: Request | None = None,
    invitation: Invitation | None = None,
) -> TrackedMessage:
    """A TrackedMessage sent at ``at``; the Message-ID is derived from the other fields."""
    mine = sender.address == OWNER.address
    if to is None:
        to = (CLIENT,) if mine else (OWNER,)
    if role is None:
        role = FolderRole.SENT if mine else FolderRole.INCOMING
    if folder is None:
        folder = {FolderRole.SENT: "Sent", FolderRole.DRAFTS: "Drafts"}.get(role, "INBOX")
    if message_id is None:
        seed = f"{sender.address}\0{at.isoformat()}\0{subject}\0{role}"
        message_id = f"<{hashlib.sha256(seed.encode()).hexdigest()[:16]}@test.example>"
    return TrackedMessage(
        account=account,
        folder=folder,
        uid=message_id.strip("<>"),
        role=role,
        message_id=message_id,
        subject=subject,
        sender=sender,
        to=tuple(to),
        cc=tuple(cc),
        date=at,
        in_reply_to=tuple(in_reply_to),
        references=tuple(references),
        provider_thread_id=provider_thread_id,
        automated_reason=automated_reason,
        ack_only=ack_only,
        promise=promise,
        keywords=frozenset(keywords),
        request=request,
        invitation=invitation,
    )


def thread(*messages: TrackedMessage, thread_id: str = "t-test") -> Thread:
    """One thread of the given messages in date order, as build_threads would hand it out."""
    ordered = sorted(messages, key=lambda m: (m.date, m.message_id))
    return Thread(id=thread_id, account=ACCOUNT, messages=tuple(ordered))


def promise_until(day: datetime, phrase: str = "11月25日(水)までに") -> Promise:
    """A promise that runs out at ``day`` (the instant), naming that day's date."""
    return Promise(phrase=phrase, date=day.date(), due_at=day)


def asked_by(day: datetime, what: str = "ロゴのデータ") -> Request:
    """A dated ask of mine that runs out at ``day`` (the instant)."""
    return Request(
        f"{what}を{day.month}月{day.day}日までにいただけますと幸いです", what, day.date(), day
    )


def question(phrase: str = "ご都合のよい日時はございますか？") -> Request:
    """A question of mine with no date: it waits ``follow_up_after``."""
    return Request(phrase, "", None, None)

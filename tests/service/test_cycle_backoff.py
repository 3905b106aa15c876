"""A failing account is left alone until its retry time; the other accounts carry on.

The mailbox that works is a real Maildir. The failing one is a stand-in backend that refuses
at connect time, the way a throttling server or a wrong password does (the live suite sends
real throttling answers through Dovecot).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from inboxguard.backends.base import (
    FetchedHeaders,
    Folder,
    FolderChanges,
    MailBackend,
    OutgoingDraft,
)
from inboxguard.backends.maildir import MaildirBackend
from inboxguard.config import parse_config
from inboxguard.errors import BackendError, LoginFailedError, ThrottledError
from inboxguard.service.context import Context
from inboxguard.service.cycle import AccountResult, run_cycle
from inboxguard.store import StateStore
from tests.mailboxes import CLIENT, OWNER, Maildir, config_dict, maildir_account

TOKYO = ZoneInfo("Asia/Tokyo")
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=TOKYO)
MIN = timedelta(minutes=1)


class Refusing:
    """A backend whose server refuses every connection with ``error``; counts the attempts."""

    def __init__(self, account: str, error: BackendError) -> None:
        self.account = account
        self.error = error
        self.attempts = 0

    def __enter__(self) -> MailBackend:
        self.attempts += 1
        raise self.error

    def __exit__(self, *exc_info: object) -> None:
        raise AssertionError("never entered")

    def folders(self) -> Sequence[Folder]:
        raise AssertionError("not connected")

    def changes(self, folder: Folder, marker: str | None, **_: Any) -> FolderChanges:
        raise AssertionError("not connected")

    def fetch_headers(self, folder: Folder, uids: Sequence[str]) -> Iterator[FetchedHeaders]:
        raise AssertionError("not connected")

    def fetch_text(self, folder: Folder, uid: str, *, max_bytes: int) -> bytes:
        raise AssertionError("not connected")

    def fetch_texts(
        self, folder: Folder, uids: Sequence[str], *, max_bytes: int
    ) -> Iterator[tuple[str, bytes]]:
        raise AssertionError("not connected")

    def find_draft(self, message_id: str) -> str | None:
        raise AssertionError("not connected")

    def append_draft(self, draft: OutgoingDraft) -> str:
        raise AssertionError("not connected")

    def describe(self, *, now: datetime, lookback: timedelta) -> list[str]:
        raise AssertionError("not connected")


@pytest.fixture
def maildir(tmp_path: Path) -> Maildir:
    maildir = Maildir(tmp_path / "Mail")
    maildir.add(
        "INBOX",
        sender=f"山田 太郎 <{CLIENT}>",
        to=f"佐藤 花子 <{OWNER}>",
        subject="見積のご依頼",
        date=NOW - timedelta(hours=20),
        message_id="<q1@client.example>",
        body="佐藤様\n\nお見積りをお願いできますでしょうか。\n\n山田\n",
    )
    return maildir


@pytest.fixture
def ctx(tmp_path: Path, maildir: Maildir) -> Context:
    return Context.build(parse_config(config_dict(maildir.root, tmp_path)))


def both(
    ctx: Context, store: StateStore, refusing: Refusing, now: datetime
) -> tuple[AccountResult, AccountResult]:
    work = MaildirBackend(maildir_account(ctx.config))
    failing, ok = run_cycle(ctx, store, [refusing, work], now=now)
    assert ok.ok, ok.error
    return failing, ok


def attempt_minutes(ctx: Context, store: StateStore, refusing: Refusing, minutes: int) -> list[int]:
    """Run a cycle every minute; the minutes at which the refusing account was tried."""
    tried = []
    for minute in range(minutes):
        before = refusing.attempts
        both(ctx, store, refusing, NOW + minute * MIN)
        if refusing.attempts > before:
            tried.append(minute)
    return tried


def test_a_throttled_account_is_skipped_until_the_suggested_time_while_others_carry_on(
    ctx: Context, store: StateStore, maildir: Maildir
) -> None:
    throttled = Refusing(
        "m365",
        ThrottledError("m365", "NO Suggested Backoff Time: 600000 milliseconds", 10 * MIN),
    )
    failed, work = both(ctx, store, throttled, NOW)
    assert not failed.ok and failed.retry_at == NOW + 10 * MIN
    assert len(work.drafts_written) == 1

    skipped, work = both(ctx, store, throttled, NOW + 5 * MIN)
    assert throttled.attempts == 1
    assert skipped.ok and skipped.skipped and skipped.skipped_until == NOW + 10 * MIN
    assert work.drafts_written == [] and len(maildir.drafts()) == 1
    health = store.account_health("m365")
    assert health is not None
    assert health.failing_since == NOW and health.last_failure_at == NOW  # a skip is no poll
    assert health.consecutive_failures == 1 and health.next_attempt_at == NOW + 10 * MIN

    again, _ = both(ctx, store, throttled, NOW + 10 * MIN)
    assert throttled.attempts == 2 and not again.ok and not again.skipped


def test_other_failures_back_off_2_4_8_minutes(ctx: Context, store: StateStore) -> None:
    lost = Refusing("flaky", BackendError("flaky", "connection to x:993 lost"))
    assert attempt_minutes(ctx, store, lost, 31) == [0, 2, 6, 14, 30]


def test_a_refused_login_is_tried_again_after_15_then_30_minutes_never_in_a_tight_loop(
    ctx: Context, store: StateStore
) -> None:
    refused = Refusing("typo", LoginFailedError("typo", "login failed"))
    assert attempt_minutes(ctx, store, refused, 106) == [0, 15, 45, 105]
    health = store.account_health("typo")
    assert health is not None and health.consecutive_failures == 4


def test_an_account_that_works_again_is_polled_normally_and_its_failure_cleared(
    ctx: Context, store: StateStore, maildir: Maildir, tmp_path: Path
) -> None:
    data = config_dict(maildir.root, tmp_path)
    data["accounts"].append({"name": "late", "kind": "maildir", "path": str(tmp_path / "Late")})
    two = Context.build(parse_config(data))
    backends = [MaildirBackend(maildir_account(two.config, i)) for i in range(2)]
    _, late = run_cycle(two, store, backends, now=NOW)
    assert not late.ok and late.retry_at == NOW + 2 * MIN
    Maildir(tmp_path / "Late")  # the mail sync tool creates the tree
    _, skipped = run_cycle(two, store, backends, now=NOW + MIN)
    assert skipped.skipped
    _, late = run_cycle(two, store, backends, now=NOW + 2 * MIN)
    assert late.ok and not late.skipped and late.retry_at is None
    health = store.account_health("late")
    assert health is not None
    assert health.failing_since is None and health.next_attempt_at is None
    assert health.consecutive_failures == 0 and health.last_success_at == NOW + 2 * MIN

"""The service's poll reassesses only the threads new mail touches, and the result is the
whole window's assessment, whatever the mail."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from inboxguard.backends.maildir import MaildirBackend
from inboxguard.domain.assessment import ThreadAssessment
from inboxguard.domain.assessment import assess as domain_assess
from inboxguard.service import cycle as cycle_module
from inboxguard.service.assessing import EvaluationCache, assess_account
from inboxguard.service.context import Context
from inboxguard.service.cycle import AccountResult, run_cycle
from inboxguard.service.marking import apply_mark
from inboxguard.store import StateStore
from tests.mailboxes import OWNER, Maildir, maildir_account

TOKYO = ZoneInfo("Asia/Tokyo")
START = datetime(2026, 11, 16, 9, 0, tzinfo=TOKYO)
CLIENTS = [f"client{n}@client{n % 3}.example" for n in range(6)]


class Mailbox:
    """Mail as people write it: new requests, replies, follow-ups without headers, a
    parent that arrives after its reply, Outlook's Thread-Index without References."""

    def __init__(self, maildir: Maildir, seed: int) -> None:
        self.maildir = maildir
        self.rng = random.Random(seed)  # noqa: S311 -- mail shapes, not secrets
        self.sent: list[tuple[str, str, str]] = []  # (message id, client, subject)
        self.late_parents: list[tuple[str, str, str]] = []
        self.count = 0

    def _mid(self) -> str:
        self.count += 1
        return f"<m{self.count}@example>"

    def add_some(self, now: datetime) -> None:
        for _ in range(self.rng.randint(1, 4)):
            self._one(now - timedelta(minutes=self.rng.randint(1, 90)))

    def _one(self, when: datetime) -> None:
        rng = self.rng
        kind = rng.choice(["new", "new", "reply", "reply", "headerless", "late", "outlook"])
        if not self.sent or kind == "new":
            client, subject = rng.choice(CLIENTS), f"ご相談 {rng.randint(1, 8)}"
            mid = self._mid()
            self.maildir.add(
                "INBOX", sender=client, to=OWNER, subject=subject, date=when, message_id=mid
            )
            self.sent.append((mid, client, subject))
            return
        parent, client, subject = rng.choice(self.sent)
        mid = self._mid()
        if kind == "reply":  # me answering, or the client writing again in the thread
            mine = rng.random() < 0.6
            self.maildir.add(
                "Sent" if mine else "INBOX",
                sender=OWNER if mine else client,
                to=client if mine else OWNER,
                subject=f"Re: {subject}",
                date=when,
                message_id=mid,
                in_reply_to=parent,
            )
        elif kind == "headerless":  # joins the latest of its subject and party by subject
            self.maildir.add(
                "INBOX",
                sender=client,
                to=OWNER,
                subject=f"RE: {subject}",
                date=when,
                message_id=mid,
            )
        elif kind == "late":  # a reply naming a parent we get only later
            missing = self._mid()
            self.maildir.add(
                "INBOX",
                sender=client,
                to=OWNER,
                subject=f"Re: {subject}",
                date=when,
                message_id=mid,
                in_reply_to=missing,
            )
            self.late_parents.append((missing, client, subject))
        else:
            self.maildir.add(
                "INBOX",
                sender=client,
                to=OWNER,
                subject=f"Re: {subject}",
                date=when,
                message_id=mid,
                extra={"Thread-Index": "AQHZ" + "A" * 28 + "=="},
            )
        self.sent.append((mid, client, subject))
        if self.late_parents and rng.random() < 0.3:
            missing, client, subject = self.late_parents.pop(0)
            self.maildir.add(
                "Sent",
                sender=OWNER,
                to=client,
                subject=f"資料送付 {missing}",  # a subject of its own: joined by its id alone
                date=when - timedelta(minutes=5),
                message_id=missing,
            )


def poll(ctx: Context, store: StateStore, cache: EvaluationCache, now: datetime) -> AccountResult:
    backend = MaildirBackend(maildir_account(ctx.config))
    (result,) = run_cycle(ctx, store, [backend], now=now, cache=cache)
    assert result.ok, result.error
    return result


def carried(cache: EvaluationCache, ctx: Context, now: datetime) -> list[ThreadAssessment]:
    return cache.views[ctx.config.accounts[0].name].all_assessed(now)


def whole(ctx: Context, store: StateStore, now: datetime) -> list[ThreadAssessment]:
    return assess_account(ctx, store, ctx.config.accounts[0].name, now)


@pytest.mark.parametrize("seed", range(6))
def test_the_carried_assessment_is_the_whole_windows_after_every_poll(
    ctx: Context, store: StateStore, maildir: Maildir, seed: int
) -> None:
    mailbox = Mailbox(maildir, seed)
    cache = EvaluationCache()
    now = START
    for _ in range(25):
        mailbox.add_some(now)
        poll(ctx, store, cache, now)
        assert carried(cache, ctx, now) == whole(ctx, store, now)
        now += timedelta(minutes=mailbox.rng.choice([2, 30, 240, 600]))


@pytest.fixture
def assessed_counts(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many threads each cycle assessed (the domain's assess, counted, not replaced)."""
    counts: list[int] = []
    real = domain_assess

    def counting(
        snapshot: Any, rules: Any, now: datetime, threads: Sequence[Any], **kwargs: Any
    ) -> Any:
        counts.append(len(threads))
        return real(snapshot, rules, now, threads, **kwargs)

    monkeypatch.setattr(cycle_module, "assess", counting)
    return counts


def test_new_mail_reassesses_only_the_thread_it_joins(
    ctx: Context,
    store: StateStore,
    maildir: Maildir,
    assessed_counts: list[int],
) -> None:
    for n in range(40):  # forty answered threads: nothing due, nothing changing
        ask, answer = f"<q{n}@example>", f"<a{n}@example>"
        day = START - timedelta(days=2, minutes=n)
        client = CLIENTS[n % len(CLIENTS)]
        maildir.add("INBOX", sender=client, to=OWNER, subject=f"件 {n}", date=day, message_id=ask)
        maildir.add(
            "Sent",
            sender=OWNER,
            to=client,
            subject=f"Re: 件 {n}",
            date=day + timedelta(hours=1),
            message_id=answer,
            in_reply_to=ask,
        )
    cache = EvaluationCache()
    poll(ctx, store, cache, START)
    maildir.add(
        "INBOX",
        sender=CLIENTS[3],
        to=OWNER,
        subject="Re: 件 3",
        date=START + timedelta(minutes=1),
        message_id="<f3@example>",
        in_reply_to="<a3@example>",
    )
    result = poll(ctx, store, cache, START + timedelta(minutes=2))
    assert assessed_counts == [40, 1]
    assert result.states["waiting"] == 1
    assert carried(cache, ctx, START + timedelta(minutes=2)) == whole(
        ctx, store, START + timedelta(minutes=2)
    )


def test_a_mark_or_a_vanished_message_makes_the_next_poll_assess_the_whole_window(
    ctx: Context,
    store: StateStore,
    maildir: Maildir,
    tmp_path: Path,
    assessed_counts: list[int],
) -> None:
    mailbox = Mailbox(maildir, 99)
    for _ in range(5):
        mailbox.add_some(START)
    cache = EvaluationCache()
    poll(ctx, store, cache, START)
    threads = len(carried(cache, ctx, START))
    now = START + timedelta(minutes=2)
    thread_id = carried(cache, ctx, START)[0].thread.id
    apply_mark(ctx, store, thread_id, "no-reply", None, now=now)
    poll(ctx, store, cache, now + timedelta(minutes=1))
    maildir.written[0].unlink()
    poll(ctx, store, cache, now + timedelta(minutes=2))
    assert assessed_counts[1] >= threads - 1  # the whole window each time
    assert assessed_counts[2] >= threads - 1
    assert carried(cache, ctx, now + timedelta(minutes=2)) == whole(
        ctx, store, now + timedelta(minutes=2)
    )

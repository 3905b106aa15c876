"""A fresh process's unchanged poll assesses nothing when the store's record of the last
cycle still holds, and assesses the whole window whenever anything that record saw moved."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from inboxguard.backends.maildir import MaildirBackend
from inboxguard.config import parse_config
from inboxguard.service.assessing import EvaluationCache
from inboxguard.service.context import Context
from inboxguard.service.cycle import AccountResult, run_cycle
from inboxguard.service.marking import apply_mark
from inboxguard.service.sync import sync_account
from inboxguard.store import StateStore
from tests.mailboxes import CLIENT, OWNER, Maildir, config_dict, maildir_account

TOKYO = ZoneInfo("Asia/Tokyo")
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=TOKYO)


def fresh_poll(ctx: Context, store: StateStore, now: datetime) -> AccountResult:
    """`run --once` in a new process: an empty cache that keeps no view."""
    backend = MaildirBackend(maildir_account(ctx.config))
    (result,) = run_cycle(ctx, store, [backend], now=now, cache=EvaluationCache(keep_views=False))
    assert result.ok, result.error
    return result


def ask(maildir: Maildir, age: timedelta, mid: str) -> None:
    maildir.add(
        "INBOX", sender=CLIENT, to=OWNER, subject="見積のご依頼", date=NOW - age, message_id=mid
    )


def test_an_unchanged_fresh_poll_assesses_nothing_until_the_next_change(
    ctx: Context, store: StateStore, maildir: Maildir
) -> None:
    ask(maildir, timedelta(hours=10), "<q1@client.example>")  # holding draft due in 6 h
    assert fresh_poll(ctx, store, NOW).evaluated
    assert not fresh_poll(ctx, store, NOW + timedelta(minutes=2)).evaluated
    assert not fresh_poll(ctx, store, NOW + timedelta(hours=5, minutes=59)).evaluated
    crossing = fresh_poll(ctx, store, NOW + timedelta(hours=6))
    assert crossing.evaluated and len(crossing.drafts_written) == 1
    assert fresh_poll(ctx, store, NOW + timedelta(hours=6, minutes=2)).evaluated  # Drafts changed
    assert not fresh_poll(ctx, store, NOW + timedelta(hours=6, minutes=4)).evaluated
    assert len(maildir.drafts()) == 1


def test_mail_a_crashed_cycle_stored_but_never_assessed_is_assessed_next(
    ctx: Context, store: StateStore, maildir: Maildir
) -> None:
    ask(maildir, timedelta(hours=1), "<q1@client.example>")
    fresh_poll(ctx, store, NOW)
    ask(maildir, timedelta(hours=20), "<q2@client.example>")  # owed a holding draft now
    sync_account(ctx, store, MaildirBackend(maildir_account(ctx.config)), now=NOW)  # then killed
    result = fresh_poll(ctx, store, NOW + timedelta(minutes=2))
    assert result.evaluated and result.new_messages == 0
    assert len(result.drafts_written) == 1


def test_a_mark_or_another_configuration_ends_the_record(
    ctx: Context, store: StateStore, maildir: Maildir, tmp_path: Path
) -> None:
    ask(maildir, timedelta(hours=1), "<q1@client.example>")
    fresh_poll(ctx, store, NOW)
    thread = store.thread_ids()[0]
    apply_mark(ctx, store, thread, "no-reply", None, now=NOW + timedelta(minutes=1))
    marked = fresh_poll(ctx, store, NOW + timedelta(minutes=2))
    assert marked.evaluated and marked.states["no_reply_needed"] == 1
    assert not fresh_poll(ctx, store, NOW + timedelta(minutes=4)).evaluated
    data = config_dict(maildir.root, tmp_path, reply_within="48h")
    other = Context.build(parse_config(data))
    assert fresh_poll(other, store, NOW + timedelta(minutes=6)).evaluated


def test_status_and_cacheless_cycles_always_assess(
    ctx: Context, store: StateStore, maildir: Maildir
) -> None:
    ask(maildir, timedelta(hours=1), "<q1@client.example>")
    fresh_poll(ctx, store, NOW)
    backend = MaildirBackend(maildir_account(ctx.config))
    (status,) = run_cycle(ctx, store, [backend], now=NOW + timedelta(minutes=1), write_drafts=False)
    (plain,) = run_cycle(ctx, store, [backend], now=NOW + timedelta(minutes=2))
    assert status.evaluated and status.states["waiting"] == 1
    assert plain.evaluated

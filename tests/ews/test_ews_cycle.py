"""The EWS backend in the real service cycle, against a stateful fake Exchange 2016.

exchangelib and InboxGuard run unmodified; the fake answers over HTTP with responses shaped
like Microsoft's documented ones and records every operation it is asked for.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from email.parser import BytesParser
from email.policy import default as default_policy
from pathlib import Path

from inboxguard.backends.ews import EwsBackend, forget_connections
from inboxguard.service.context import Context
from inboxguard.service.cycle import AccountResult, run_cycle
from inboxguard.store import StateStore
from tests.ews.conftest import client_mail, ews_account, ews_config
from tests.ews.fake_ews import FakeEws, Item
from tests.mailboxes import CLIENT, OWNER, build_message

# What a read-only poll and a draft save may ask for: nothing that changes a message.
READS = {"ConvertId", "GetFolder", "SyncFolderItems", "GetItem", "FindItem"}
DRAFT_WRITE = ("CreateItem", "SaveOnly:drafts")


def sent_reply(fake: FakeEws, sent: datetime) -> Item:
    message = build_message(
        sender=OWNER,
        to=CLIENT,
        subject="Re: 見積のご依頼",
        date=sent,
        message_id="<a1@example.jp>",
        in_reply_to="<q1@client.example>",
    )
    return fake.mailbox.add("sentitems", message.as_bytes(), received=sent, is_read=True)


def cycle(ctx: Context, store: StateStore, now: datetime) -> AccountResult:
    (result,) = run_cycle(ctx, store, [EwsBackend(ews_account(ctx.config))], now=now)
    return result


def ok_cycle(ctx: Context, store: StateStore, now: datetime) -> AccountResult:
    result = cycle(ctx, store, now)
    assert result.ok, result.error
    return result


def test_client_mail_20h_old_gets_one_draft_in_drafts_and_never_a_second_even_after_restart(
    fake: FakeEws, tmp_path: Path, store: StateStore, now: datetime
) -> None:
    ctx = Context.build(ews_config(fake, tmp_path))
    client_mail(fake, now - timedelta(hours=20))
    result = ok_cycle(ctx, store, now)
    assert len(result.drafts_written) == 1
    (draft,) = fake.mailbox.in_folder("drafts")
    assert draft.is_draft and draft.is_read  # PidTagMessageFlags: read | unsent
    assert draft.message_id == result.drafts_written[0].message_id
    assert draft.message_id.startswith("<ig-") and draft.message_id.endswith("@inboxguard.invalid>")
    assert result.drafts_written[0].location == draft.id
    parsed = BytesParser(policy=default_policy).parsebytes(draft.raw)
    assert parsed["In-Reply-To"] == "<q1@client.example>"
    assert b"\n" not in draft.raw.replace(b"\r\n", b"")  # MIME content is CRLF throughout

    assert ok_cycle(ctx, store, now + timedelta(minutes=2)).drafts_written == []
    forget_connections()  # a restart: new process, new exchangelib account, same store
    assert ok_cycle(ctx, store, now + timedelta(minutes=4)).drafts_written == []
    assert len(fake.mailbox.in_folder("drafts")) == 1
    assert fake.writes == [DRAFT_WRITE]


def test_a_reply_in_sent_items_answers_the_thread_and_no_draft_is_written(
    fake: FakeEws, tmp_path: Path, store: StateStore, now: datetime
) -> None:
    ctx = Context.build(ews_config(fake, tmp_path))
    client_mail(fake, now - timedelta(hours=20))
    sent_reply(fake, now - timedelta(hours=2))
    result = ok_cycle(ctx, store, now)
    assert result.states == {"answered": 1}
    assert result.drafts_written == []
    assert fake.writes == []


def test_a_client_mail_answered_later_moves_from_waiting_to_answered(
    fake: FakeEws, tmp_path: Path, store: StateStore, now: datetime
) -> None:
    ctx = Context.build(ews_config(fake, tmp_path))
    client_mail(fake, now - timedelta(hours=3))
    assert ok_cycle(ctx, store, now).states == {"waiting": 1}
    sent_reply(fake, now + timedelta(minutes=1))
    later = ok_cycle(ctx, store, now + timedelta(minutes=2))
    assert later.new_messages == 1  # only the reply was read
    assert later.states == {"answered": 1}


def test_an_unchanged_poll_is_one_sync_per_folder_and_no_get_item(
    fake: FakeEws, tmp_path: Path, store: StateStore, now: datetime
) -> None:
    ctx = Context.build(ews_config(fake, tmp_path))
    client_mail(fake, now - timedelta(hours=20))
    ok_cycle(ctx, store, now)  # writes the draft
    ok_cycle(ctx, store, now + timedelta(minutes=2))  # reads its own draft back from Drafts
    fake.reset_counts()
    result = ok_cycle(ctx, store, now + timedelta(minutes=4))
    assert result.new_messages == 0 and result.drafts_written == []
    assert fake.operations == ["SyncFolderItems"] * 3  # Inbox, Sent Items, Drafts


def test_an_expired_sync_state_rereads_the_window_and_writes_no_duplicate_draft(
    fake: FakeEws, tmp_path: Path, store: StateStore, now: datetime
) -> None:
    ctx = Context.build(ews_config(fake, tmp_path))
    client_mail(fake, now - timedelta(hours=20))
    assert len(ok_cycle(ctx, store, now).drafts_written) == 1
    fake.mailbox.expire_sync_states()  # ErrorInvalidSyncStateData from now on
    fake.reset_counts()
    result = ok_cycle(ctx, store, now + timedelta(minutes=2))
    assert result.drafts_written == []
    assert result.states in ({"at_risk": 1}, {"waiting": 1})
    # Each folder: the refused state, then a sync from scratch.
    assert fake.count("SyncFolderItems") == 6
    assert len(fake.mailbox.in_folder("drafts")) == 1
    assert fake.writes == [DRAFT_WRITE]
    fake.reset_counts()
    ok_cycle(ctx, store, now + timedelta(minutes=4))
    assert fake.operations == ["SyncFolderItems"] * 3  # settled on the new states


def test_server_busy_parks_the_account_for_the_servers_backoff_without_retrying(
    fake: FakeEws, tmp_path: Path, store: StateStore, now: datetime
) -> None:
    ctx = Context.build(ews_config(fake, tmp_path))
    client_mail(fake, now - timedelta(hours=20))
    ok_cycle(ctx, store, now)
    client_mail(fake, now, mid="<q2@client.example>")
    fake.busy(times=5, backoff_ms=297_749)
    fake.reset_counts()
    result = cycle(ctx, store, now + timedelta(minutes=2))
    assert not result.ok and "throttl" in (result.error or "")
    assert result.retry_at == now + timedelta(minutes=2) + timedelta(milliseconds=297_749)
    assert len(fake.operations) == 1  # one refused request; exchangelib did not retry
    health = store.account_health("work")
    assert health is not None and health.next_attempt_at == result.retry_at
    fake.reset_counts()
    skipped = cycle(ctx, store, now + timedelta(minutes=4))
    assert skipped.skipped and fake.operations == []  # left alone until the retry time
    fake.busy(times=0, backoff_ms=0)
    after = ok_cycle(ctx, store, now + timedelta(minutes=8))
    assert after.new_messages == 1  # the new mail; our draft read back from Drafts is no news


def test_a_message_without_internet_message_id_is_tracked_and_drafted_once(
    fake: FakeEws, tmp_path: Path, store: StateStore, now: datetime
) -> None:
    ctx = Context.build(ews_config(fake, tmp_path))
    client_mail(fake, now - timedelta(hours=20), mid=None)
    result = ok_cycle(ctx, store, now)
    assert len(result.drafts_written) == 1
    assert ok_cycle(ctx, store, now + timedelta(minutes=2)).drafts_written == []
    forget_connections()
    assert ok_cycle(ctx, store, now + timedelta(minutes=4)).drafts_written == []
    assert len(fake.mailbox.in_folder("drafts")) == 1


def test_mail_older_than_the_look_back_window_is_never_fetched(
    fake: FakeEws, tmp_path: Path, store: StateStore, now: datetime
) -> None:
    ctx = Context.build(ews_config(fake, tmp_path))
    old = client_mail(fake, now - timedelta(days=45), mid="<old@client.example>")
    client_mail(fake, now - timedelta(hours=1))
    result = ok_cycle(ctx, store, now)
    assert result.new_messages == 1
    assert not any(old.id.encode() in r for r in fake.requests if b"GetItem" in r)


def test_a_deleted_message_vanishes_and_an_owner_category_marks_no_reply_needed(
    fake: FakeEws, tmp_path: Path, store: StateStore, now: datetime
) -> None:
    ctx = Context.build(ews_config(fake, tmp_path))
    first = client_mail(fake, now - timedelta(hours=3))
    second = client_mail(fake, now - timedelta(hours=2), mid="<q9@client.example>")
    assert ok_cycle(ctx, store, now).states == {"waiting": 2}  # two threads
    fake.mailbox.delete(second)
    fake.mailbox.update(first, categories=["NoReplyNeeded"])
    result = ok_cycle(ctx, store, now + timedelta(minutes=2))
    assert result.states == {"no_reply_needed": 1}
    assert store.known_uids("work", "Inbox") == {first.id}


def test_cycles_write_nothing_but_drafts_and_change_no_message(
    fake: FakeEws, tmp_path: Path, store: StateStore, now: datetime
) -> None:
    ctx = Context.build(ews_config(fake, tmp_path))
    mail = client_mail(fake, now - timedelta(hours=20))  # unread
    sent_reply(fake, now - timedelta(hours=30))  # an older reply: the new mail still waits
    client_mail(fake, now - timedelta(hours=17), mid="<q3@client.example>")
    for minutes in (0, 2, 4):
        ok_cycle(ctx, store, now + timedelta(minutes=minutes))
    fake.mailbox.expire_sync_states()
    ok_cycle(ctx, store, now + timedelta(minutes=6))
    assert set(fake.operations) - READS == {"CreateItem"}
    assert fake.writes and set(fake.writes) == {DRAFT_WRITE}
    assert not mail.is_read and mail.version == 0  # never marked read, never updated
    assert {i.folder for i in fake.mailbox.items.values()} == {"inbox", "sentitems", "drafts"}


def test_a_refused_password_fails_the_cycle_and_is_retried_only_after_a_pause(
    fake: FakeEws, tmp_path: Path, store: StateStore, now: datetime
) -> None:
    fake.password = "changed-on-the-server"
    ctx = Context.build(ews_config(fake, tmp_path))
    (result,) = run_cycle(ctx, store, [EwsBackend(ews_account(ctx.config))], now=now)
    assert result.retry_at is not None and result.retry_at - now >= timedelta(minutes=15)
    assert "changed-on-the-server" not in (result.error or "")

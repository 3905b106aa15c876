"""One cycle over a real Maildir: drafts written once, never twice, threaded right."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import delete
from structlog.testing import capture_logs

from inboxguard.backends.base import FetchedHeaders, Folder
from inboxguard.backends.maildir import MaildirBackend
from inboxguard.config import MaildirAccount, parse_config
from inboxguard.domain.reply_clock import ThreadState
from inboxguard.service.assessing import EvaluationCache, assess_account
from inboxguard.service.context import Context
from inboxguard.service.cycle import AccountResult, run_cycle
from inboxguard.service.text_facts import INCIDENT_HORIZON
from inboxguard.store import StateStore
from inboxguard.store import schema as store_schema
from tests.mailboxes import CLIENT, OWNER, Maildir, config_dict, maildir_account

TOKYO = ZoneInfo("Asia/Tokyo")
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=TOKYO)


def cycle(ctx: Context, store: StateStore, now: datetime = NOW) -> AccountResult:
    backend = MaildirBackend(maildir_account(ctx.config))
    (result,) = run_cycle(ctx, store, [backend], now=now)
    assert result.ok, result.error
    return result


def client_mail(maildir: Maildir, age: timedelta, mid: str = "<q1@client.example>") -> Path:
    return maildir.add(
        "INBOX",
        sender=f"山田 太郎 <{CLIENT}>",
        to=f"佐藤 花子 <{OWNER}>",
        subject="見積のご依頼",
        date=NOW - age,
        message_id=mid,
        body="佐藤様\n\nお見積りをお願いできますでしょうか。\n\n山田\n",
    )


def test_holding_draft_is_written_once_after_holding_draft_after(
    ctx: Context, store: StateStore, maildir: Maildir
) -> None:
    client_mail(maildir, timedelta(hours=17))
    assert len(cycle(ctx, store).drafts_written) == 1
    assert len(cycle(ctx, store).drafts_written) == 0
    assert len(maildir.drafts()) == 1


def test_no_holding_draft_before_holding_draft_after(
    ctx: Context, store: StateStore, maildir: Maildir
) -> None:
    client_mail(maildir, timedelta(hours=15, minutes=59))
    assert cycle(ctx, store).drafts_written == []
    assert maildir.drafts() == []


def test_restart_with_a_new_store_handle_writes_no_second_draft(
    ctx: Context, tmp_path: Path, maildir: Maildir
) -> None:
    client_mail(maildir, timedelta(hours=20))
    for _ in range(3):
        store = StateStore.open(f"sqlite:///{tmp_path / 'state.db'}")
        cycle(ctx, store)
        store.close()
    assert len(maildir.drafts()) == 1


def test_a_draft_the_owner_deleted_is_never_written_again(
    ctx: Context, store: StateStore, maildir: Maildir
) -> None:
    client_mail(maildir, timedelta(hours=20))
    cycle(ctx, store)
    (draft,) = maildir.drafts()
    draft.unlink()
    assert cycle(ctx, store, NOW + timedelta(hours=1)).drafts_written == []
    assert maildir.drafts() == []


def test_crash_between_append_and_record_finds_the_draft_instead_of_appending(
    ctx: Context, store: StateStore, maildir: Maildir
) -> None:
    client_mail(maildir, timedelta(hours=20))
    cycle(ctx, store)
    with store.engine.begin() as connection:  # the record is lost, the draft is on disk
        connection.execute(delete(store_schema.drafts))
    result = cycle(ctx, store)
    assert result.drafts_written == [] and len(result.drafts_found) == 1  # recorded again…
    assert len(maildir.drafts()) == 1  # …but not appended again


def test_owner_drafting_a_reply_already_gets_no_holding_draft(
    ctx: Context, store: StateStore, maildir: Maildir
) -> None:
    client_mail(maildir, timedelta(hours=20))
    maildir.add(
        "Drafts",
        sender=f"佐藤 花子 <{OWNER}>",
        to=CLIENT,
        subject="Re: 見積のご依頼",
        date=NOW - timedelta(hours=1),
        message_id="<my-draft@example.jp>",
        in_reply_to="<q1@client.example>",
        flags="DS",
    )
    assert cycle(ctx, store).drafts_written == []
    assert len(maildir.drafts()) == 1


def test_reply_found_in_sent_answers_the_thread_and_stops_drafts(
    ctx: Context, store: StateStore, maildir: Maildir
) -> None:
    client_mail(maildir, timedelta(hours=20))
    maildir.add(
        "Sent",
        sender=OWNER,
        to=CLIENT,
        subject="Re: 見積のご依頼",
        date=NOW - timedelta(hours=2),
        message_id="<a1@example.jp>",
        in_reply_to="<q1@client.example>",
    )
    result = cycle(ctx, store)
    assert result.drafts_written == []
    assert result.states == {"answered": 1}


def test_draft_is_a_threaded_reply_with_the_draft_flag(
    ctx: Context, store: StateStore, maildir: Maildir
) -> None:
    client_mail(maildir, timedelta(hours=20))
    cycle(ctx, store)
    (path,) = maildir.drafts()
    assert path.name.endswith(":2,DS")
    draft = BytesParser(policy=default_policy).parsebytes(path.read_bytes())
    assert draft["In-Reply-To"] == "<q1@client.example>"
    assert "<q1@client.example>" in draft["References"]
    assert draft["Subject"] == "Re: 見積のご依頼"
    assert draft["To"].addresses[0].addr_spec == CLIENT
    assert draft["From"].addresses[0].addr_spec == OWNER
    body = draft.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    assert "山田 太郎様" in text
    assert (
        "11月25日(水)までに回答いたします" in text
    )  # Fri + 2 business days: Mon 11/23 is a holiday
    assert "> お見積りをお願いできますでしょうか。" in text


def test_folder_recreated_with_new_identity_keeps_threads_and_writes_no_second_draft(
    ctx: Context, store: StateStore, maildir: Maildir, tmp_path: Path
) -> None:
    original = client_mail(maildir, timedelta(hours=20))
    cycle(ctx, store)
    before = {v.thread.id for v in assess_account(ctx, store, "work", NOW)}
    raw = original.read_bytes()
    inbox = maildir.root / "INBOX"
    inbox.rename(tmp_path / "old-inbox")  # a sync tool recreating the folder (new inode)
    Maildir(maildir.root, folders=("INBOX",)).add_raw("INBOX", raw, NOW - timedelta(hours=20))
    result = cycle(ctx, store, NOW + timedelta(minutes=5))
    after = {v.thread.id for v in assess_account(ctx, store, "work", NOW)}
    assert result.drafts_written == []
    assert before == after
    assert len(maildir.drafts()) == 1


class CountingMaildir(MaildirBackend):
    """The real backend, counting header reads to prove an unchanged poll reads nothing."""

    def __init__(self, config: MaildirAccount) -> None:
        super().__init__(config)
        self.header_reads = 0

    def fetch_headers(self, folder: Folder, uids: Sequence[str]) -> Iterator[FetchedHeaders]:
        self.header_reads += len(uids)
        return super().fetch_headers(folder, uids)


def test_unchanged_maildir_costs_no_message_reads(
    ctx: Context, store: StateStore, maildir: Maildir
) -> None:
    client_mail(maildir, timedelta(hours=2))
    backend = CountingMaildir(maildir_account(ctx.config))
    run_cycle(ctx, store, [backend], now=NOW)
    assert backend.header_reads == 1
    run_cycle(ctx, store, [backend], now=NOW + timedelta(minutes=2))
    assert backend.header_reads == 1


def _attachment_mail(size: int) -> bytes:
    message = EmailMessage()
    message["From"] = CLIENT
    message["To"] = OWNER
    message["Subject"] = "大きな添付"
    message["Date"] = "Fri, 20 Nov 2026 01:00:00 +0900"
    message["Message-ID"] = "<big@client.example>"
    message.set_content("資料を添付します。ご確認ください。")
    message.add_attachment(
        b"\0" * size, maintype="application", subtype="octet-stream", filename="a.bin"
    )
    return message.as_bytes()


def test_broken_and_hostile_messages_are_processed_and_drafted_once(
    ctx: Context, store: StateStore, maildir: Maildir
) -> None:
    received = NOW - timedelta(hours=20)
    headers = f"From: {CLIENT}\nTo: {OWNER}\n".encode()
    maildir.add_raw(
        "INBOX",
        headers + b"Subject: no id\nDate: Fri, 20 Nov 2026 00:00:00 +0900\n\nhi?\n",
        received,
    )
    maildir.add_raw(
        "INBOX", headers + b"Subject: no date\nMessage-ID: <nodate@c>\n\nquestion?\n", received
    )
    future_mail = (
        b"Subject: future\nDate: Fri, 1 Jan 2038 00:00:00 +0900\nMessage-ID: <f@c>\n\nq?\n"
    )
    maildir.add_raw("INBOX", headers + future_mail, received)
    no_address = f"From: Nobody\nTo: {OWNER}\nSubject: no address\nMessage-ID: <na@c>\n\nq\n"
    maildir.add_raw("INBOX", no_address.encode(), received)
    bad_bytes = (
        b"Subject: \xff\xfe\x81 bad bytes\nMessage-ID: <bad@c>\n"
        b"Content-Type: text/plain; charset=bogus\n\n\xff\xfe\x00\x81?\n"
    )
    maildir.add_raw("INBOX", headers + bad_bytes, received)
    maildir.add_raw("INBOX", _attachment_mail(20 * 1024 * 1024), received)
    with capture_logs() as logs:
        first = cycle(ctx, store)
    assert first.new_messages == 6
    assert any(entry["log_level"] == "warning" for entry in logs)
    views = assess_account(ctx, store, "work", NOW)
    subjects = {v.thread.subject for v in views}
    assert {"no id", "no date", "future", "大きな添付"} <= subjects
    future = next(v for v in views if v.thread.subject == "future")
    assert future.status.clock_started_at == received  # a Date in the future: delivery time counts
    drafted = len(maildir.drafts())
    assert drafted == len(first.drafts_written) >= 4
    assert cycle(ctx, store, NOW + timedelta(minutes=2)).drafts_written == []
    assert len(maildir.drafts()) == drafted


def test_one_broken_account_does_not_stop_the_others(
    ctx: Context, store: StateStore, maildir: Maildir, tmp_path: Path
) -> None:
    client_mail(maildir, timedelta(hours=20))
    data = config_dict(maildir.root, tmp_path)
    data["accounts"].insert(
        0, {"name": "gone", "kind": "maildir", "path": str(tmp_path / "nowhere")}
    )
    two = Context.build(parse_config(data))
    backends = [MaildirBackend(maildir_account(two.config, i)) for i in range(2)]
    gone, work = run_cycle(two, store, backends, now=NOW)
    assert not gone.ok and "does not exist" in (gone.error or "")
    assert work.ok and len(work.drafts_written) == 1
    (health,) = [h for h in store.health() if h.account == "gone"]
    assert health.failing_since == NOW


def test_state_at_an_earlier_now_ignores_later_messages(
    ctx: Context, store: StateStore, maildir: Maildir
) -> None:
    client_mail(maildir, timedelta(hours=17))
    cycle(ctx, store)
    (view,) = assess_account(ctx, store, "work", NOW)
    assert view.status.state is ThreadState.WAITING  # 7h left, warn_before is 6h
    assert assess_account(ctx, store, "work", NOW - timedelta(hours=18)) == []


def test_messages_that_left_the_window_are_forgotten(
    ctx: Context, store: StateStore, maildir: Maildir
) -> None:
    client_mail(maildir, timedelta(hours=2))
    cycle(ctx, store)
    assert len(store.messages("work")) == 1
    later = NOW + ctx.lookback + timedelta(days=8)
    backend = MaildirBackend(maildir_account(ctx.config))
    # Pruning goes by the wall clock (a what-if far ahead forgets nothing): it is later.
    run_cycle(ctx, store, [backend], now=later, wall_clock=lambda: later)
    assert store.messages("work") == []


def test_a_run_far_ahead_of_the_wall_clock_forgets_nothing(
    ctx: Context, store: StateStore, maildir: Maildir
) -> None:
    client_mail(maildir, timedelta(hours=2))
    cycle(ctx, store)
    backend = MaildirBackend(maildir_account(ctx.config))
    run_cycle(ctx, store, [backend], now=NOW + timedelta(days=3650), wall_clock=lambda: NOW)
    assert len(store.messages("work")) == 1


def test_prune_keeps_the_messages_of_a_thread_that_holds_a_draft(
    ctx: Context, store: StateStore, maildir: Maildir
) -> None:
    old = NOW - ctx.lookback - timedelta(days=10)
    client_mail(maildir, NOW - old)
    (written,) = cycle(ctx, store, old + timedelta(hours=17)).drafts_written
    backend = MaildirBackend(maildir_account(ctx.config))
    run_cycle(ctx, store, [backend], now=NOW, wall_clock=lambda: NOW)
    # Past the window, but the ledger names its thread: its messages stay with it.
    assert [m.message_id for m in store.messages("work") if m.role.value == "incoming"] == [
        "<q1@client.example>"
    ]
    assert [d.message_id for d in store.drafts()] == [written.message_id]


class TextCountingMaildir(MaildirBackend):
    """The real backend, recording which messages' texts were read."""

    def __init__(self, config: MaildirAccount) -> None:
        super().__init__(config)
        self.texts_read: list[str] = []

    def fetch_texts(
        self, folder: Folder, uids: Sequence[str], *, max_bytes: int
    ) -> Iterator[tuple[str, bytes]]:
        self.texts_read.extend(uids)
        return super().fetch_texts(folder, uids, max_bytes=max_bytes)


def _five_message_thread(maildir: Maildir, age: timedelta) -> None:
    """client, me, client, me (with a promise), client ("thanks"): one thread."""
    parent = None
    for step in range(5):
        mine = step % 2 == 1
        maildir.add(
            "Sent" if mine else "INBOX",
            sender=OWNER if mine else CLIENT,
            to=CLIENT if mine else OWNER,
            subject="Re: 見積" if step else "見積",
            date=NOW - age - timedelta(hours=10 - step),
            message_id=f"<s{step}@x>",
            in_reply_to=parent,
            body="11月25日(水)までに回答いたします。\n"
            if step == 3
            else "ありがとうございます。\n",
        )
        parent = f"<s{step}@x>"


def test_only_texts_that_decide_a_state_are_read(
    ctx: Context, store: StateStore, maildir: Maildir
) -> None:
    # Older than the incident horizon: only the thread's state needs text.
    _five_message_thread(maildir, INCIDENT_HORIZON + timedelta(days=1))
    backend = TextCountingMaildir(maildir_account(ctx.config))
    run_cycle(ctx, store, [backend], now=NOW)
    # My latest message (its promise) and the counterpart's mail after it (an acknowledgement).
    assert len(backend.texts_read) == 2
    (view,) = assess_account(ctx, store, "work", NOW)
    assert view.status.state is ThreadState.PROMISED
    run_cycle(ctx, store, [backend], now=NOW + timedelta(minutes=2))
    assert len(backend.texts_read) == 2  # read once, remembered


def test_recent_mail_is_read_once_for_incident_facts(
    ctx: Context, store: StateStore, maildir: Maildir
) -> None:
    _five_message_thread(maildir, timedelta(0))
    backend = TextCountingMaildir(maildir_account(ctx.config))
    run_cycle(ctx, store, [backend], now=NOW)
    # The client's three (incident scores) and my latest (its promise). My earlier reply
    # would only be read for its report stages, and the thread holds no incident.
    assert len(backend.texts_read) == 4
    facts = {m.message_id: m.incident for m in store.messages("work")}
    assert all(facts[f"<s{step}@x>"] is not None for step in (0, 2, 4))
    run_cycle(ctx, store, [backend], now=NOW + timedelta(minutes=2))
    assert len(backend.texts_read) == 4


def test_with_a_cache_an_unchanged_poll_evaluates_only_when_a_clock_crosses_a_line(
    ctx: Context, store: StateStore, maildir: Maildir
) -> None:
    client_mail(maildir, timedelta(hours=10))  # holding draft due 6 h from NOW
    cache = EvaluationCache()

    def poll(now: datetime) -> AccountResult:
        (result,) = run_cycle(
            ctx, store, [MaildirBackend(maildir_account(ctx.config))], now=now, cache=cache
        )
        assert result.ok, result.error
        return result

    assert poll(NOW).evaluated
    assert not poll(NOW + timedelta(hours=1)).evaluated
    assert not poll(NOW + timedelta(hours=5, minutes=59)).evaluated
    crossing = poll(NOW + timedelta(hours=6))
    assert crossing.evaluated and len(crossing.drafts_written) == 1
    assert poll(NOW + timedelta(hours=6, minutes=2)).evaluated  # our own draft arrived in Drafts
    assert not poll(NOW + timedelta(hours=6, minutes=4)).evaluated

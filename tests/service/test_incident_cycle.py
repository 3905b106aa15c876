"""Incidents through a real Maildir: the report skeletons are written once each, in order."""

from __future__ import annotations

from datetime import datetime, timedelta
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy

import pytest

from inboxguard.backends.maildir import MaildirBackend
from inboxguard.domain.incident_protocol import IncidentState
from inboxguard.service.assessing import EvaluationCache, assess_account
from inboxguard.service.context import Context
from inboxguard.service.cycle import run_cycle
from inboxguard.service.marking import MarkError, apply_mark
from inboxguard.service.status_view import status_json
from inboxguard.store import StateStore
from tests.mailboxes import CLIENT, OWNER, Maildir, maildir_account
from tests.service.test_cycle import NOW, cycle

REPORTED = NOW - timedelta(hours=1)


def outage(maildir: Maildir) -> None:
    maildir.add(
        "INBOX",
        sender=f"山田 太郎 <{CLIENT}>",
        to=f"佐藤 花子 <{OWNER}>",
        subject="【至急】本番サイトの障害について",
        date=REPORTED,
        message_id="<outage@client.example>",
        body="佐藤様\n\n本番サイトにログインできません。至急ご確認ください。\n\n山田\n",
    )


def billing_question(maildir: Maildir) -> None:
    """An ordinary client mail: no incident unless the owner says so."""
    maildir.add(
        "INBOX",
        sender=f"山田 太郎 <{CLIENT}>",
        to=f"佐藤 花子 <{OWNER}>",
        subject="請求書の件",
        date=REPORTED,
        message_id="<bill@client.example>",
        body="金額が先月と違うようです。\n",
    )


def my_reply(maildir: Maildir, at: datetime, body: str, mid: str) -> None:
    maildir.add(
        "Sent",
        sender=f"佐藤 花子 <{OWNER}>",
        to=f"山田 太郎 <{CLIENT}>",
        subject="Re: 【至急】本番サイトの障害について",
        date=at,
        message_id=mid,
        in_reply_to="<outage@client.example>",
        body=body,
    )


def draft_messages(maildir: Maildir) -> list[EmailMessage]:
    return [BytesParser(policy=default_policy).parsebytes(p.read_bytes()) for p in maildir.drafts()]


def test_an_incident_gets_a_first_report_draft_instead_of_a_holding_reply(
    ctx: Context, store: StateStore, maildir: Maildir
) -> None:
    outage(maildir)
    (written,) = cycle(ctx, store).drafts_written
    assert written.purpose == "first_report"
    # Hours later, past holding_draft_after: still no holding reply, no second report.
    assert cycle(ctx, store, NOW + timedelta(hours=18)).drafts_written == []
    (draft,) = draft_messages(maildir)
    assert draft["X-InboxGuard-Purpose"] == "first_report"
    assert draft["In-Reply-To"] == "<outage@client.example>"
    assert str(draft["Subject"]) == "Re: 【至急】本番サイトの障害について"
    body = draft.get_body().get_content()  # type: ignore[union-attr]
    for heading in ("発生事象（事実）", "影響範囲", "現在の対応", "次回のご報告予定"):
        assert heading in body
    # The next report (the root cause) is due 72 h after the report came in.
    assert "11月23日(月) 11:00までに" in body
    assert "> 本番サイトにログインできません。" in body


def test_each_report_sent_brings_the_next_skeleton_and_the_last_closes(
    ctx: Context, store: StateStore, maildir: Maildir
) -> None:
    outage(maildir)
    cycle(ctx, store)
    my_reply(maildir, NOW + timedelta(hours=2), "確認いたします。原因を調査中です。\n", "<r1@x>")
    (second,) = cycle(ctx, store, NOW + timedelta(hours=3)).drafts_written
    assert second.purpose == "root_cause"
    my_reply(maildir, NOW + timedelta(hours=30), "原因は証明書の期限切れでした。\n", "<r2@x>")
    (third,) = cycle(ctx, store, NOW + timedelta(hours=31)).drafts_written
    assert third.purpose == "remediation"
    my_reply(maildir, NOW + timedelta(hours=60), "再発防止策として監視を追加しました。\n", "<r3@x>")
    assert cycle(ctx, store, NOW + timedelta(hours=61)).drafts_written == []
    (view,) = assess_account(ctx, store, "work", NOW + timedelta(hours=61))
    assert view.incident is not None and view.incident.state is IncidentState.CLOSED
    purposes = sorted(str(d["X-InboxGuard-Purpose"]) for d in draft_messages(maildir))
    assert purposes == ["first_report", "remediation", "root_cause"]


def test_a_deleted_report_draft_is_never_written_again(
    ctx: Context, store: StateStore, maildir: Maildir
) -> None:
    outage(maildir)
    cycle(ctx, store)
    for path in maildir.drafts():
        path.unlink()
    assert cycle(ctx, store, NOW + timedelta(minutes=5)).drafts_written == []


def test_status_json_carries_the_incident_and_marks_drive_it(
    ctx: Context, store: StateStore, maildir: Maildir
) -> None:
    outage(maildir)
    cycle(ctx, store)
    (view,) = assess_account(ctx, store, "work", NOW)
    (thread,) = status_json([view], now=NOW, calendar=ctx.calendar)["threads"]
    assert thread["incident"] == {
        "opened_at": "2026-11-20T11:00:00+09:00",
        "opened_by": "score",
        "state": "open",
        "keywords": ["failure:ログイン=4", "outage:障害=6", "impact:本番=2.25", "urgency:至急=1.5"],
        "stages": [
            {"name": "first_report", "due_at": "2026-11-21T11:00:00+09:00", "done_at": None},
            {"name": "root_cause", "due_at": "2026-11-23T11:00:00+09:00", "done_at": None},
            {"name": "remediation", "due_at": "2026-11-27T11:00:00+09:00", "done_at": None},
        ],
    }
    thread_id = view.thread.id
    later = NOW + timedelta(hours=1)
    done = apply_mark(ctx, store, thread_id, "stage-done", "first_report", now=later)
    assert done.written
    again = apply_mark(ctx, store, thread_id, "stage-done", "first_report", now=later)
    assert not again.written and "already done" in again.message
    (written,) = cycle(ctx, store, later + timedelta(minutes=1)).drafts_written
    assert written.purpose == "root_cause"
    assert apply_mark(
        ctx, store, thread_id, "dismiss", None, now=later + timedelta(hours=1)
    ).written
    (view,) = assess_account(ctx, store, "work", later + timedelta(hours=2))
    assert view.incident is not None and view.incident.state is IncidentState.DISMISSED
    with pytest.raises(MarkError, match="no open incident"):
        apply_mark(ctx, store, thread_id, "dismiss", None, now=later + timedelta(hours=2))
    # Dismissed stays dismissed: the same message never re-opens it.
    assert cycle(ctx, store, later + timedelta(hours=3)).drafts_written == []


def test_an_ordinary_thread_is_opened_by_the_owners_mark(
    ctx: Context, store: StateStore, maildir: Maildir
) -> None:
    billing_question(maildir)
    cycle(ctx, store)
    (view,) = assess_account(ctx, store, "work", NOW)
    assert view.incident is None
    assert apply_mark(ctx, store, view.thread.id, "incident", None, now=NOW).written
    (written,) = cycle(ctx, store, NOW + timedelta(minutes=1)).drafts_written
    assert written.purpose == "first_report"
    # My reply is read for its report stages now that the thread holds an incident.
    maildir.add(
        "Sent",
        sender=f"佐藤 花子 <{OWNER}>",
        to=f"山田 太郎 <{CLIENT}>",
        subject="Re: 請求書の件",
        date=NOW + timedelta(hours=2),
        message_id="<bill-re@example.jp>",
        in_reply_to="<bill@client.example>",
        body="ご迷惑をおかけしております。原因は単価の設定誤りでした。\n",
    )
    (written,) = cycle(ctx, store, NOW + timedelta(hours=3)).drafts_written
    assert written.purpose == "remediation"


def test_a_running_service_acts_on_a_mark_made_from_another_process(
    ctx: Context, store: StateStore, maildir: Maildir
) -> None:
    billing_question(maildir)
    cache = EvaluationCache()
    backend = MaildirBackend(maildir_account(ctx.config))
    run_cycle(ctx, store, [backend], now=NOW, cache=cache)
    (idle,) = run_cycle(ctx, store, [backend], now=NOW + timedelta(minutes=1), cache=cache)
    assert not idle.evaluated
    (view,) = assess_account(ctx, store, "work", NOW)
    apply_mark(ctx, store, view.thread.id, "incident", None, now=NOW + timedelta(minutes=2))
    (after,) = run_cycle(ctx, store, [backend], now=NOW + timedelta(minutes=3), cache=cache)
    assert after.evaluated
    assert [d.purpose for d in after.drafts_written] == ["first_report"]

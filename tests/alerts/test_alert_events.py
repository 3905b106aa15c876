"""The alert events as pure domain code: what is true at `now`, once, keyed by its instant."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from inboxguard.config import parse_config
from inboxguard.domain.alert_events import (
    AlertKind,
    Urgency,
    digest_failed_event,
    health_events,
    live_subjects,
    next_alert_change,
    thread_events,
)
from inboxguard.domain.assessment import AssessmentRules, ThreadAssessment, assess_thread
from inboxguard.domain.tracked import IncidentFacts, TrackedMessage
from inboxguard.service.context import Context
from tests.domain.factories import CLIENT, OWNER, jst, msg, promise_until, thread
from tests.mailboxes import config_dict

WROTE = jst(2026, 11, 20, 9, 5)  # a Friday: at risk at 03:05 on Saturday, overdue 09:05


@pytest.fixture(scope="module")
def ctx(tmp_path_factory: pytest.TempPathFactory) -> Context:
    root = tmp_path_factory.mktemp("events")
    data = config_dict(Path(root), Path(root))
    data["owner"]["addresses"] = [OWNER.address]
    return Context.build(parse_config(data))


def assessed(ctx: Context, *messages: TrackedMessage, now: datetime) -> list[ThreadAssessment]:
    rules: AssessmentRules = ctx.assessment
    a = assess_thread(thread(*messages), rules, now)
    return [a] if a is not None else []


def kinds(ctx: Context, *messages: TrackedMessage, now: datetime) -> list[AlertKind]:
    events = thread_events(assessed(ctx, *messages, now=now), now=now, calendar=ctx.calendar)
    return [e.kind for e in events]


def outage(at: datetime) -> TrackedMessage:
    return replace(
        msg(at, subject="本番サイトの障害"),
        incident=IncidentFacts(score=10.0, keywords=("障害",)),
    )


def test_a_thread_raises_at_risk_from_its_warn_line_and_overdue_from_its_due_time(
    ctx: Context,
) -> None:
    question = msg(WROTE)
    assert kinds(ctx, question, now=jst(2026, 11, 21, 3, 4)) == []
    assert kinds(ctx, question, now=jst(2026, 11, 21, 3, 5)) == [AlertKind.AT_RISK]
    assert kinds(ctx, question, now=jst(2026, 11, 21, 9, 5)) == [AlertKind.OVERDUE]


def test_the_key_names_the_clock_so_the_same_fact_is_the_same_event_at_every_poll(
    ctx: Context,
) -> None:
    question = msg(WROTE)
    early, late = jst(2026, 11, 21, 3, 10), jst(2026, 11, 21, 8, 50)
    first = thread_events(assessed(ctx, question, now=early), now=early, calendar=ctx.calendar)
    again = thread_events(assessed(ctx, question, now=late), now=late, calendar=ctx.calendar)
    assert [e.key for e in first] == [e.key for e in again]
    assert first[0].key == "at_risk:work:t-test:2026-11-20T00:05:00+00:00"


def test_a_new_question_after_my_answer_is_a_new_event(ctx: Context) -> None:
    first = msg(WROTE)
    answer = msg(jst(2026, 11, 20, 12), sender=OWNER, subject="Re: 見積のご依頼")
    second = msg(jst(2026, 11, 20, 15), subject="Re: 見積のご依頼")
    now = jst(2026, 11, 21, 9, 30)
    events = thread_events(
        assessed(ctx, first, answer, second, now=now), now=now, calendar=ctx.calendar
    )
    assert [e.kind for e in events] == [AlertKind.AT_RISK]
    assert events[0].key.endswith("2026-11-20T06:00:00+00:00")  # the second clock's start


def test_an_answered_thread_raises_nothing_even_if_it_was_at_risk_before(ctx: Context) -> None:
    answer = msg(jst(2026, 11, 21, 4), sender=OWNER, subject="Re: 見積のご依頼")
    assert kinds(ctx, msg(WROTE), answer, now=jst(2026, 11, 21, 5)) == []


def test_a_backlog_thread_raises_nothing(ctx: Context) -> None:
    # Due Saturday 09:05; past the 48h late limit on Monday 09:05 it is backlog.
    assert kinds(ctx, msg(WROTE), now=jst(2026, 11, 23, 9, 6)) == []


def test_urgency_is_the_escalation_table(ctx: Context) -> None:
    question = msg(WROTE)
    (at_risk,) = thread_events(
        assessed(ctx, question, now=jst(2026, 11, 21, 4)), now=jst(2026, 11, 21, 4),
        calendar=ctx.calendar,
    )  # fmt: skip
    (overdue,) = thread_events(
        assessed(ctx, question, now=jst(2026, 11, 21, 10)), now=jst(2026, 11, 21, 10),
        calendar=ctx.calendar,
    )  # fmt: skip
    assert at_risk.urgency is Urgency.NORMAL and overdue.urgency is Urgency.HIGH


def test_an_incident_raises_its_opening_its_report_due_within_6h_and_late(ctx: Context) -> None:
    opened = jst(2026, 11, 20, 10)
    report = outage(opened)
    assert AlertKind.INCIDENT_OPENED in kinds(ctx, report, now=opened + timedelta(minutes=5))
    assert AlertKind.REPORT_DUE not in kinds(ctx, report, now=opened + timedelta(hours=17))
    due_soon = kinds(ctx, report, now=opened + timedelta(hours=18, minutes=1))
    assert AlertKind.REPORT_DUE in due_soon
    late = kinds(ctx, report, now=opened + timedelta(hours=24, minutes=1))
    assert AlertKind.REPORT_LATE in late and AlertKind.INCIDENT_OPENED not in late


def test_a_report_sent_ends_its_stage_and_the_next_stage_counts(ctx: Context) -> None:
    opened = jst(2026, 11, 20, 10)
    first_report = msg(opened + timedelta(hours=2), sender=OWNER, subject="Re: 本番サイトの障害")
    now = opened + timedelta(hours=72, minutes=1)
    events = thread_events(
        assessed(ctx, outage(opened), first_report, now=now), now=now, calendar=ctx.calendar
    )
    late = [e for e in events if e.kind is AlertKind.REPORT_LATE]
    assert [e.facts.stage for e in late] == ["root_cause"]
    assert late[0].urgency is Urgency.HIGH


def test_a_promise_raises_tomorrow_from_the_working_day_before_today_and_broken(
    ctx: Context,
) -> None:
    question = msg(jst(2026, 11, 20, 9))
    due = jst(2026, 11, 25, 18)  # Wednesday, end of the business day
    holding = msg(
        jst(2026, 11, 20, 11), sender=OWNER, subject="Re: 見積のご依頼", promise=promise_until(due)
    )
    assert kinds(ctx, question, holding, now=jst(2026, 11, 24, 8, 59)) == []
    assert kinds(ctx, question, holding, now=jst(2026, 11, 24, 9)) == [AlertKind.PROMISE_TOMORROW]
    assert kinds(ctx, question, holding, now=jst(2026, 11, 25, 9)) == [AlertKind.PROMISE_TODAY]
    assert kinds(ctx, question, holding, now=jst(2026, 11, 25, 18, 1)) == [AlertKind.PROMISE_BROKEN]


def test_live_subjects_keep_an_unanswered_clock_and_drop_an_answered_one(ctx: Context) -> None:
    question = msg(WROTE)
    now = jst(2026, 11, 21, 4)
    (event,) = thread_events(assessed(ctx, question, now=now), now=now, calendar=ctx.calendar)
    assert event.about in live_subjects(assessed(ctx, question, now=jst(2026, 11, 21, 10)))
    answer = msg(jst(2026, 11, 21, 5), sender=OWNER, subject="Re: 見積のご依頼")
    later = jst(2026, 11, 21, 7)
    assert event.about not in live_subjects(assessed(ctx, question, answer, now=later))


def test_next_alert_change_includes_the_six_hours_before_a_report(ctx: Context) -> None:
    opened = jst(2026, 11, 20, 10)
    first_report = msg(opened + timedelta(hours=1), sender=OWNER, subject="Re: 本番サイトの障害")
    now = opened + timedelta(hours=2)
    threads = assessed(ctx, outage(opened), first_report, now=now)
    change = next_alert_change(threads, now=now, calendar=ctx.calendar)
    assert change == opened + timedelta(hours=66)  # the root cause is due at 72h, minus 6h


@dataclass(frozen=True)
class Health:
    account: str
    failing_since: datetime | None
    last_error: str | None = None


def test_an_account_failing_for_more_than_an_hour_then_its_recovery() -> None:
    since = jst(2026, 11, 20, 9)
    failing = [Health("work", since, "login refused")]
    assert health_events(failing, now=since + timedelta(minutes=59)) == []
    (event,) = health_events(failing, now=since + timedelta(minutes=61))
    assert event.kind is AlertKind.ACCOUNT_FAILING and event.urgency is Urgency.HIGH
    assert event.key == "account_failing:work:2026-11-20T00:00:00+00:00"
    told = [("work", since)]
    assert health_events(failing, now=since + timedelta(hours=2), alerted=told) == [event]
    (back,) = health_events([Health("work", None)], now=since + timedelta(hours=3), alerted=told)
    assert back.kind is AlertKind.ACCOUNT_RECOVERED
    assert back.key == "account_recovered:work:2026-11-20T00:00:00+00:00"


def test_an_account_being_assessed_counts_as_recovered_before_the_store_says_so() -> None:
    since = jst(2026, 11, 20, 9)
    events = health_events(
        [Health("work", since)], now=since + timedelta(hours=2), alerted=[("work", since)],
        healthy={"work"},
    )  # fmt: skip
    assert [e.kind for e in events] == [AlertKind.ACCOUNT_RECOVERED]


def test_a_digest_failure_is_one_event_a_day() -> None:
    day = jst(2026, 11, 20).date()
    assert digest_failed_event(day, "SMTP refused").key == "digest_failed:2026-11-20"
    assert digest_failed_event(day, "other").key == digest_failed_event(day, "x").key


def test_events_carry_no_mail_body(ctx: Context) -> None:
    events = thread_events(
        assessed(ctx, msg(WROTE), now=jst(2026, 11, 21, 4)), now=jst(2026, 11, 21, 4),
        calendar=ctx.calendar,
    )  # fmt: skip
    facts = events[0].facts
    assert facts.subject == "見積のご依頼" and facts.who == CLIENT.name
    assert facts.thread_id == "t-test" and facts.account == "work"

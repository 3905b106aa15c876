"""What clients owe me (SPEC §5 ``awaiting`` / ``awaiting_overdue``): my latest message asks
them for something, by a date or as a question, and nothing came from them since."""

from __future__ import annotations

from datetime import datetime, timedelta

from inboxguard.domain.durations import Allowance
from inboxguard.domain.reasons import ReasonCode
from inboxguard.domain.reply_clock import ReplyPolicy, ThreadState, ThreadStatus, evaluate_thread
from inboxguard.domain.threading import Thread
from inboxguard.domain.tracked import CalendarMethod, Invitation, Occurrence
from tests.domain.factories import (
    CALENDAR_POLICY,
    CLIENT,
    IDENTITY,
    JP_CALENDAR,
    OWNER,
    asked_by,
    jst,
    msg,
    promise_until,
    question,
    thread,
)

# Thursday 2026-11-12 10:00: I ask for the logo by Monday 16th (due at 18:00 that day).
ASKED = jst(2026, 11, 12, 10)
DATE_ASKED = jst(2026, 11, 16, 18)


def evaluate(
    t: Thread,
    now: datetime,
    *,
    policy: ReplyPolicy = CALENDAR_POLICY,
    no_follow_up_until: datetime | None = None,
) -> ThreadStatus | None:
    return evaluate_thread(
        t,
        now=now,
        identity=IDENTITY,
        policy=policy,
        calendar=JP_CALENDAR,
        no_follow_up_until=no_follow_up_until,
    )


def test_a_dated_ask_is_awaiting_until_the_end_of_that_day_then_overdue() -> None:
    t = thread(msg(ASKED, sender=OWNER, request=asked_by(DATE_ASKED)))

    before = evaluate(t, jst(2026, 11, 16, 17, 59))
    after = evaluate(t, jst(2026, 11, 16, 18))

    assert before is not None and after is not None
    assert before.state is ThreadState.AWAITING
    assert before.reason.code is ReasonCode.AWAITING
    assert before.awaiting is not None and before.awaiting.until == DATE_ASKED
    assert before.next_change_at == DATE_ASKED
    assert after.state is ThreadState.AWAITING_OVERDUE
    assert after.awaiting is not None and after.awaiting.overdue


def test_a_thread_i_started_with_an_ask_is_tracked_without_any_mail_from_them() -> None:
    status = evaluate(thread(msg(ASKED, sender=OWNER, request=asked_by(DATE_ASKED))), ASKED)

    assert status is not None and status.state is ThreadState.AWAITING
    assert status.counterpart == CLIENT.address


def test_anything_the_client_writes_ends_it_even_a_thank_you() -> None:
    t = thread(
        msg(ASKED, sender=OWNER, request=asked_by(DATE_ASKED)),
        msg(jst(2026, 11, 13, 9), ack_only=True),
    )

    status = evaluate(t, jst(2026, 11, 17, 9))

    assert status is not None
    assert status.awaiting is None
    assert status.state is ThreadState.NO_REPLY_NEEDED


def test_an_out_of_office_reply_does_not_end_it() -> None:
    t = thread(
        msg(ASKED, sender=OWNER, request=asked_by(DATE_ASKED)),
        msg(jst(2026, 11, 12, 10, 1), automated_reason="auto-submitted: auto-replied"),
    )

    status = evaluate(t, jst(2026, 11, 17, 9))

    assert status is not None and status.state is ThreadState.AWAITING_OVERDUE


def test_their_answer_starts_my_clock_instead() -> None:
    t = thread(
        msg(ASKED, sender=OWNER, request=asked_by(DATE_ASKED)),
        msg(jst(2026, 11, 13, 9)),
    )

    status = evaluate(t, jst(2026, 11, 13, 12))

    assert status is not None
    assert status.state is ThreadState.WAITING
    assert status.awaiting is None


def test_a_question_without_a_date_waits_follow_up_after_in_business_days() -> None:
    # Thursday 10:00 + 3 business days = Tuesday 17th, end of business hours.
    t = thread(msg(ASKED, sender=OWNER, request=question()))

    status = evaluate(t, jst(2026, 11, 17, 17))
    late = evaluate(t, jst(2026, 11, 17, 18))

    assert status is not None and status.state is ThreadState.AWAITING
    assert status.reason.code is ReasonCode.AWAITING_QUESTION
    assert status.awaiting is not None and status.awaiting.until == jst(2026, 11, 17, 18)
    assert late is not None and late.state is ThreadState.AWAITING_OVERDUE


def test_a_question_without_a_date_can_be_given_a_duration_or_not_followed_up() -> None:
    t = thread(msg(ASKED, sender=OWNER, request=question()))
    hours = ReplyPolicy(
        reply_within=timedelta(hours=24),
        business=False,
        warn_before=timedelta(hours=6),
        holding_draft_after=timedelta(hours=16),
        follow_up_after=Allowance(duration=timedelta(hours=48)),
    )
    off = ReplyPolicy(
        reply_within=timedelta(hours=24),
        business=False,
        warn_before=timedelta(hours=6),
        holding_draft_after=timedelta(hours=16),
        follow_up_after=None,
    )

    timed = evaluate(t, ASKED, policy=hours)

    assert timed is not None and timed.awaiting is not None
    assert timed.awaiting.until == ASKED + timedelta(hours=48)
    assert evaluate(t, ASKED, policy=off) is None  # nothing owed either way: not tracked


def test_a_dated_ask_is_followed_up_even_when_questions_are_not() -> None:
    off = ReplyPolicy(
        reply_within=timedelta(hours=24),
        business=False,
        warn_before=timedelta(hours=6),
        holding_draft_after=timedelta(hours=16),
        follow_up_after=None,
    )
    t = thread(msg(ASKED, sender=OWNER, request=asked_by(DATE_ASKED)))

    status = evaluate(t, jst(2026, 11, 17, 9), policy=off)

    assert status is not None and status.state is ThreadState.AWAITING_OVERDUE


def test_no_follow_up_mark_stops_it_but_a_new_ask_after_the_mark_counts() -> None:
    t = thread(msg(ASKED, sender=OWNER, request=asked_by(DATE_ASKED)))
    marked = jst(2026, 11, 13, 9)

    assert evaluate(t, jst(2026, 11, 17, 9), no_follow_up_until=marked) is None

    later = thread(
        msg(ASKED, sender=OWNER, request=asked_by(DATE_ASKED)),
        msg(jst(2026, 11, 14, 9), sender=OWNER, request=asked_by(jst(2026, 11, 18, 18))),
    )
    status = evaluate(later, jst(2026, 11, 19, 9), no_follow_up_until=marked)
    assert status is not None and status.state is ThreadState.AWAITING_OVERDUE


def test_my_promise_outranks_what_i_asked_for_but_both_are_kept() -> None:
    both = msg(
        ASKED,
        sender=OWNER,
        promise=promise_until(jst(2026, 11, 20, 18)),
        request=asked_by(DATE_ASKED),
    )

    status = evaluate(thread(both), jst(2026, 11, 17, 9))

    assert status is not None
    assert status.state is ThreadState.PROMISED
    assert status.awaiting is not None and status.awaiting.overdue


def test_a_clients_invitation_starts_no_clock() -> None:
    sitting = Occurrence(jst(2026, 11, 20, 14), jst(2026, 11, 20, 15))
    invitation = Invitation(
        uid="abc@google.com",
        sequence=0,
        method=CalendarMethod.REQUEST,
        cancelled=False,
        summary="定例打ち合わせ",
        organizer=CLIENT.address,
        attendees=(CLIENT.address, OWNER.address),
        occurrences=(sitting,),
    )
    t = thread(msg(ASKED, subject="招待: 定例打ち合わせ", invitation=invitation))

    status = evaluate(t, jst(2026, 11, 14, 9))

    assert status is not None
    assert status.state is ThreadState.NO_REPLY_NEEDED
    assert status.reason.code is ReasonCode.CALENDAR
    assert status.clock_started_at is None


def test_my_invitation_is_no_ask_even_when_its_text_ends_with_a_question() -> None:
    invitation = Invitation(
        uid="x@example.jp",
        sequence=0,
        method=CalendarMethod.REQUEST,
        cancelled=False,
        summary="打ち合わせ",
        organizer=OWNER.address,
        attendees=(CLIENT.address,),
        occurrences=(),
    )
    t = thread(msg(ASKED, sender=OWNER, request=question(), invitation=invitation))

    assert evaluate(t, jst(2026, 11, 30, 9)) is None

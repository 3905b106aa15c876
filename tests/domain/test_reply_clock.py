"""The reply clock and thread states of SPEC §5, each evaluated at a frozen ``now``."""

from __future__ import annotations

from datetime import datetime, timedelta

from inboxguard.domain.identity import Identity, SenderMatcher
from inboxguard.domain.reasons import ReasonCode
from inboxguard.domain.reply_clock import (
    NO_REPLY_KEYWORD,
    Episode,
    ReplyPolicy,
    ThreadState,
    ThreadStatus,
    evaluate_thread,
    thread_counterpart,
)
from inboxguard.domain.threading import Thread
from inboxguard.domain.tracked import FolderRole
from tests.domain.factories import (
    BUSINESS_POLICY,
    CALENDAR_POLICY,
    CLIENT,
    IDENTITY,
    JP_CALENDAR,
    OTHER_CLIENT,
    OWNER,
    jst,
    msg,
    promise_until,
    thread,
)

# Monday 2026-11-16 10:00 JST: the client asks; a 24h calendar clock is due Tuesday 10:00.
ASKED = jst(2026, 11, 16, 10)
DUE = jst(2026, 11, 17, 10)
REPLIED = jst(2026, 11, 16, 15)


def evaluate(
    t: Thread,
    now: datetime,
    *,
    identity: Identity = IDENTITY,
    policy: ReplyPolicy = CALENDAR_POLICY,
    no_reply_until: datetime | None = None,
) -> ThreadStatus:
    status = evaluate_thread(
        t,
        now=now,
        identity=identity,
        policy=policy,
        calendar=JP_CALENDAR,
        no_reply_until=no_reply_until,
    )
    assert status is not None
    return status


# -- a running clock -------------------------------------------------------------------


def test_waiting_while_more_than_warn_before_is_left() -> None:
    status = evaluate(thread(msg(ASKED)), jst(2026, 11, 16, 20))

    assert status.state is ThreadState.WAITING
    assert status.clock_started_at == ASKED
    assert status.due_at == DUE
    assert status.counterpart == CLIENT.address
    assert status.answered_at is None


def test_at_risk_once_less_than_warn_before_is_left() -> None:
    status = evaluate(thread(msg(ASKED)), jst(2026, 11, 17, 5))

    assert status.state is ThreadState.AT_RISK
    assert status.due_at == DUE


def test_overdue_once_the_due_time_has_passed() -> None:
    status = evaluate(thread(msg(ASKED)), jst(2026, 11, 17, 11))

    assert status.state is ThreadState.OVERDUE
    assert status.due_at == DUE


def test_clock_starts_at_the_earliest_counterpart_message_and_a_later_one_does_not_move_it() -> (
    None
):
    first = msg(ASKED)
    nudge = msg(jst(2026, 11, 16, 14), subject="Re: 見積のご依頼")

    status = evaluate(thread(first, nudge), jst(2026, 11, 17, 11))

    assert status.clock_started_at == ASKED
    assert status.clock_message == first
    assert status.due_at == DUE
    assert status.state is ThreadState.OVERDUE


# -- answers ---------------------------------------------------------------------------


def test_my_reply_after_clock_start_answers_the_thread() -> None:
    status = evaluate(thread(msg(ASKED), msg(REPLIED, sender=OWNER)), jst(2026, 11, 16, 16))

    assert status.state is ThreadState.ANSWERED
    assert status.answered_at == REPLIED
    assert status.clock_started_at == ASKED
    assert status.due_at is None
    assert status.episodes == (Episode(ASKED, REPLIED, ASKED + timedelta(hours=24)),)
    assert not status.needs_holding_draft


def test_client_writing_again_after_my_reply_starts_a_new_clock_from_that_message() -> None:
    again = jst(2026, 11, 17, 9)
    t = thread(msg(ASKED), msg(REPLIED, sender=OWNER), msg(again))

    status = evaluate(t, jst(2026, 11, 17, 12))

    assert status.state is ThreadState.WAITING
    assert status.clock_started_at == again
    assert status.due_at == jst(2026, 11, 18, 9)
    assert status.episodes == (
        Episode(ASKED, REPLIED, ASKED + timedelta(hours=24)),
        Episode(again, None, jst(2026, 11, 18, 9)),
    )


def test_messages_dated_after_now_do_not_exist_yet() -> None:
    t = thread(msg(ASKED), msg(REPLIED, sender=OWNER))

    before_reply = evaluate(t, jst(2026, 11, 16, 14))
    after_reply = evaluate(t, jst(2026, 11, 16, 16))

    assert before_reply.state is ThreadState.WAITING
    assert before_reply.answered_at is None
    assert after_reply.state is ThreadState.ANSWERED


def test_a_draft_reply_in_drafts_never_counts_as_an_answer() -> None:
    draft = msg(jst(2026, 11, 16, 12), sender=OWNER, role=FolderRole.DRAFTS)
    t = thread(msg(ASKED), draft)

    assert evaluate(t, jst(2026, 11, 16, 13)).state is ThreadState.WAITING
    assert evaluate(t, jst(2026, 11, 17, 11)).state is ThreadState.OVERDUE


# -- promises --------------------------------------------------------------------------

PROMISE_DUE = jst(2026, 11, 20, 18)  # Friday, end of the business day


def test_promised_while_my_latest_reply_names_a_date_still_ahead() -> None:
    reply = msg(REPLIED, sender=OWNER, promise=promise_until(PROMISE_DUE))

    status = evaluate(thread(msg(ASKED), reply), jst(2026, 11, 18, 10))

    assert status.state is ThreadState.PROMISED
    assert status.promise == reply.promise
    assert status.answered_at == REPLIED


def test_promise_overdue_once_the_promised_date_passes_with_nothing_later_from_me() -> None:
    reply = msg(REPLIED, sender=OWNER, promise=promise_until(PROMISE_DUE))

    status = evaluate(thread(msg(ASKED), reply), jst(2026, 11, 20, 18, 1))

    assert status.state is ThreadState.PROMISE_OVERDUE


def test_a_later_message_from_me_without_a_promise_clears_the_promise() -> None:
    reply = msg(REPLIED, sender=OWNER, promise=promise_until(PROMISE_DUE))
    delivered = msg(jst(2026, 11, 19, 10), sender=OWNER, subject="Re: 見積のご依頼")

    status = evaluate(thread(msg(ASKED), reply, delivered), jst(2026, 11, 21, 10))

    assert status.state is ThreadState.ANSWERED
    assert status.promise is None


def test_overdue_clock_outranks_a_broken_promise() -> None:
    reply = msg(REPLIED, sender=OWNER, promise=promise_until(jst(2026, 11, 18, 18)))
    question = msg(jst(2026, 11, 17, 9), subject="Re: 見積のご依頼")  # due Wednesday 09:00

    status = evaluate(thread(msg(ASKED), reply, question), jst(2026, 11, 19, 10))

    assert status.state is ThreadState.OVERDUE
    assert status.promise == reply.promise


def test_broken_promise_outranks_a_clock_that_is_still_running() -> None:
    reply = msg(REPLIED, sender=OWNER, promise=promise_until(jst(2026, 11, 18, 18)))
    question = msg(jst(2026, 11, 18, 17), subject="Re: 見積のご依頼")  # due Thursday 17:00

    status = evaluate(thread(msg(ASKED), reply, question), jst(2026, 11, 18, 19))

    assert status.state is ThreadState.PROMISE_OVERDUE


# -- no reply needed -------------------------------------------------------------------


def test_acknowledgement_only_message_starts_no_clock() -> None:
    ack = msg(jst(2026, 11, 16, 16), subject="Re: 見積のご依頼", ack_only=True)

    status = evaluate(thread(msg(ASKED), msg(REPLIED, sender=OWNER), ack), jst(2026, 11, 18))

    assert status.state is ThreadState.NO_REPLY_NEEDED
    assert status.due_at is None
    assert status.reason.code is ReasonCode.ACKNOWLEDGEMENT_ONLY


def test_no_reply_needed_keyword_starts_no_clock() -> None:
    flagged = msg(ASKED, keywords={NO_REPLY_KEYWORD})

    status = evaluate(thread(flagged), jst(2026, 11, 18))

    assert status.state is ThreadState.NO_REPLY_NEEDED
    assert status.reason.code is ReasonCode.MARKED_NO_REPLY


def test_marking_the_thread_covers_counterpart_messages_up_to_the_mark() -> None:
    status = evaluate(thread(msg(ASKED)), jst(2026, 11, 18), no_reply_until=jst(2026, 11, 16, 12))

    assert status.state is ThreadState.NO_REPLY_NEEDED
    assert status.reason.code is ReasonCode.MARKED_NO_REPLY


def test_a_new_question_after_the_mark_starts_a_clock_again() -> None:
    question = msg(jst(2026, 11, 17, 9), subject="Re: 見積のご依頼")
    t = thread(msg(ASKED), question)

    status = evaluate(t, jst(2026, 11, 17, 12), no_reply_until=jst(2026, 11, 16, 12))

    assert status.state is ThreadState.WAITING
    assert status.clock_started_at == question.date


def test_an_acknowledgement_after_the_mark_still_needs_no_reply() -> None:
    ack = msg(jst(2026, 11, 17, 9), subject="Re: 見積のご依頼", ack_only=True)

    status = evaluate(
        thread(msg(ASKED), ack), jst(2026, 11, 18), no_reply_until=jst(2026, 11, 16, 12)
    )

    assert status.state is ThreadState.NO_REPLY_NEEDED


# -- threads nobody owes an answer in --------------------------------------------------


def test_a_thread_of_only_automated_mail_has_no_status() -> None:
    notice = msg(ASKED, automated_reason="Auto-Submitted: auto-generated")

    status = evaluate_thread(
        thread(notice), now=DUE, identity=IDENTITY, policy=CALENDAR_POLICY, calendar=JP_CALENDAR
    )

    assert status is None


def test_a_thread_of_only_my_mail_without_a_promise_has_no_status() -> None:
    t = thread(msg(ASKED, sender=OWNER), msg(REPLIED, sender=OWNER))

    status = evaluate_thread(
        t, now=DUE, identity=IDENTITY, policy=CALENDAR_POLICY, calendar=JP_CALENDAR
    )

    assert status is None


def test_cc_only_mail_starts_no_clock_unless_cc_counts() -> None:
    cc_only = msg(ASKED, to=(OTHER_CLIENT,), cc=(OWNER,))
    now = jst(2026, 11, 16, 20)

    ignored = evaluate_thread(
        thread(cc_only), now=now, identity=IDENTITY, policy=CALENDAR_POLICY, calendar=JP_CALENDAR
    )
    counted = evaluate(
        thread(cc_only), now, identity=Identity(addresses=IDENTITY.addresses, cc_counts=True)
    )

    assert ignored is None
    assert counted.state is ThreadState.WAITING


def test_mail_from_an_ignored_sender_starts_no_clock() -> None:
    identity = Identity(addresses=IDENTITY.addresses, ignore=SenderMatcher.of(["client.example"]))

    status = evaluate_thread(
        thread(msg(ASKED)),
        now=jst(2026, 11, 16, 20),
        identity=identity,
        policy=CALENDAR_POLICY,
        calendar=JP_CALENDAR,
    )

    assert status is None


def test_thread_counterpart_is_the_latest_counterpart_sender() -> None:
    t = thread(msg(ASKED), msg(REPLIED, sender=OWNER), msg(DUE, sender=OTHER_CLIENT))

    assert thread_counterpart(t, IDENTITY) == OTHER_CLIENT.address


# -- holding drafts --------------------------------------------------------------------


def test_holding_draft_is_needed_from_exactly_holding_draft_after_of_clock_time() -> None:
    t = thread(msg(ASKED))

    just_before = evaluate(t, ASKED + timedelta(hours=15, minutes=59))
    on_time = evaluate(t, ASKED + timedelta(hours=16))

    assert not just_before.needs_holding_draft
    assert on_time.needs_holding_draft
    assert on_time.state is ThreadState.WAITING


# -- business time ---------------------------------------------------------------------

# Friday 17:00; Monday 2026-11-23 is 勤労感謝の日. 1h Fri + 9h Tue + 9h Wed + 5h Thu = 24h.
FRIDAY_EVENING = jst(2026, 11, 20, 17)
BUSINESS_DUE = jst(2026, 11, 26, 14)


def test_business_clock_skips_the_weekend_and_the_holiday() -> None:
    status = evaluate(thread(msg(FRIDAY_EVENING)), jst(2026, 11, 24, 10), policy=BUSINESS_POLICY)

    assert status.due_at == BUSINESS_DUE
    assert status.state is ThreadState.WAITING


def test_business_clock_measures_the_time_left_in_business_hours() -> None:
    t = thread(msg(FRIDAY_EVENING))

    # Wednesday 16:00: 2h today + 5h Thursday left; 17:30: 0.5h + 5h, though 20.5h of wall time.
    assert evaluate(t, jst(2026, 11, 25, 16), policy=BUSINESS_POLICY).state is ThreadState.WAITING
    assert evaluate(t, jst(2026, 11, 25, 17, 30), policy=BUSINESS_POLICY).state is (
        ThreadState.AT_RISK
    )


def test_business_holding_draft_counts_only_business_hours() -> None:
    t = thread(msg(FRIDAY_EVENING))

    # 1h Friday + 9h Tuesday + 6h Wednesday = 16h at Wednesday 15:00.
    before = evaluate(t, jst(2026, 11, 25, 14, 59), policy=BUSINESS_POLICY)
    on_time = evaluate(t, jst(2026, 11, 25, 15), policy=BUSINESS_POLICY)

    assert not before.needs_holding_draft
    assert on_time.needs_holding_draft


# -- ordering --------------------------------------------------------------------------


def test_urgency_orders_states_most_urgent_first() -> None:
    assert sorted(ThreadState, key=lambda s: s.urgency) == [
        ThreadState.OVERDUE,
        ThreadState.PROMISE_OVERDUE,
        ThreadState.AT_RISK,
        ThreadState.MINUTES_DUE,
        ThreadState.WAITING,
        ThreadState.AWAITING_OVERDUE,
        ThreadState.PROMISED,
        ThreadState.AWAITING,
        ThreadState.NO_REPLY_NEEDED,
        ThreadState.ANSWERED,
    ]

"""The reply clock and the thread states of SPEC §5, evaluated at an instant ``now``.

A thread is walked in date order. A counterpart message starts a clock when none is running;
my next message stops it (an *episode*, kept for the response-time statistics). A later
counterpart message does not move a running clock. Acknowledgement-only messages, messages
the owner marked (or flagged ``$NoReplyNeeded``) start no clock: they are listed for review.
Messages dated after ``now`` do not exist yet, so asking "what happens tomorrow at 9" works.

The instants at which the state would change with no new mail (the holding draft's time,
the start of "at risk", the due time, a promise's end, a message dated ahead) are computed
here, from the same values the comparisons use, so that a caller that waits until
``next_change_at`` can never miss a crossing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from inboxguard.domain.calendar import BusinessCalendar
from inboxguard.domain.durations import Allowance
from inboxguard.domain.identity import Identity
from inboxguard.domain.reasons import Reason, ReasonCode
from inboxguard.domain.threading import Thread
from inboxguard.domain.tracked import FolderRole, Promise, Request, TrackedMessage

NO_REPLY_KEYWORD = "$NoReplyNeeded"


class ThreadState(StrEnum):
    WAITING = "waiting"
    AT_RISK = "at_risk"
    OVERDUE = "overdue"
    ANSWERED = "answered"
    PROMISED = "promised"
    PROMISE_OVERDUE = "promise_overdue"
    NO_REPLY_NEEDED = "no_reply_needed"
    AWAITING = "awaiting"  # the client's ball: I asked them for something, not yet due
    AWAITING_OVERDUE = "awaiting_overdue"  # what I asked for by a date has not come
    MINUTES_DUE = "minutes_due"  # a meeting ended today and its attendees got nothing

    @property
    def urgency(self) -> int:
        """Sort key, most urgent first (the status table and the digest use it)."""
        return _URGENCY[self]

    @property
    def needs_attention(self) -> bool:
        return self in _ATTENTION


_URGENCY = {
    ThreadState.OVERDUE: 0,
    ThreadState.PROMISE_OVERDUE: 1,
    ThreadState.AT_RISK: 2,
    ThreadState.MINUTES_DUE: 3,
    ThreadState.WAITING: 4,
    ThreadState.AWAITING_OVERDUE: 5,
    ThreadState.PROMISED: 6,
    ThreadState.AWAITING: 7,
    ThreadState.NO_REPLY_NEEDED: 8,
    ThreadState.ANSWERED: 9,
}
# ``awaiting`` is the client's ball: listed apart ("waiting on clients"), nothing to do yet.
_ATTENTION = {
    ThreadState.OVERDUE,
    ThreadState.PROMISE_OVERDUE,
    ThreadState.AT_RISK,
    ThreadState.MINUTES_DUE,
    ThreadState.WAITING,
    ThreadState.AWAITING_OVERDUE,
    ThreadState.PROMISED,
    ThreadState.NO_REPLY_NEEDED,
}


DEFAULT_FOLLOW_UP = Allowance(business_days=3)


@dataclass(frozen=True, slots=True)
class ReplyPolicy:
    reply_within: timedelta
    business: bool
    warn_before: timedelta
    holding_draft_after: timedelta
    # Past due by more than this, a thread is backlog: no holding reply is owed any more.
    holding_late_limit: timedelta = timedelta(hours=48)
    # How long a question without a date waits for an answer (None: not followed up).
    follow_up_after: Allowance | None = DEFAULT_FOLLOW_UP


@dataclass(frozen=True, slots=True)
class Episode:
    """One counterpart message awaiting me, when it was due, and when (if) I answered."""

    started_at: datetime
    answered_at: datetime | None
    due_at: datetime


@dataclass(frozen=True, slots=True)
class Awaiting:
    """My latest message asked the counterpart for something (相手ボール) and nothing came
    from them since: until when, and whether that time has passed."""

    message: TrackedMessage  # my message that asks
    request: Request
    until: datetime  # the date asked for (end of that business day), or follow_up_after
    overdue: bool


@dataclass(frozen=True, slots=True)
class ThreadStatus:
    state: ThreadState
    counterpart: str | None
    clock_started_at: datetime | None
    due_at: datetime | None
    answered_at: datetime | None
    promise: Promise | None
    episodes: tuple[Episode, ...]
    needs_holding_draft: bool
    clock_message: TrackedMessage | None
    reason: Reason
    # The first instant after ``now`` at which this thread's state or duty changes with no
    # new mail or mark (None: nothing ever will).
    next_change_at: datetime | None = None
    # Overdue by more than the holding reply's late limit: still overdue, but listed apart
    # (it can no longer be saved by a holding reply).
    backlog: bool = False
    # What I asked them for, when nothing came from them since (whatever the state: a
    # promise of mine outranks it in the state, but the follow-up is still owed).
    awaiting: Awaiting | None = None


def thread_counterpart(thread: Thread, identity: Identity) -> str | None:
    """The client side of the thread: the latest counterpart sender, else the other party."""
    for message in reversed(thread.messages):
        if identity.is_counterpart(message):
            return message.sender.address
    for message in thread.messages:
        party = identity.other_party(message)
        if party:
            return party
    return None


def evaluate_thread(
    thread: Thread,
    *,
    now: datetime,
    identity: Identity,
    policy: ReplyPolicy,
    calendar: BusinessCalendar,
    no_reply_until: datetime | None = None,
    no_follow_up_until: datetime | None = None,
) -> ThreadStatus | None:
    """The thread's state at ``now``; None for threads nobody owes an answer in.

    ``no_reply_until``: the owner marked the thread no-reply at that instant; counterpart
    messages up to then start no clock (a new question after the mark does).
    ``no_follow_up_until``: the owner marked it no-follow-up then; what I asked for up to
    then is not chased (a new ask after the mark is).
    """
    live = [m for m in thread.messages if m.role != FolderRole.DRAFTS and m.date <= now]

    def due(start: datetime) -> datetime:
        return calendar.add(start, policy.reply_within, business=policy.business)

    walk = _walk(live, identity, no_reply_until, due)
    clock_message, quiet, episodes = walk.clock_message, walk.quiet, walk.episodes
    last_mine, saw_counterpart = walk.last_mine, walk.saw_counterpart

    promise = last_mine.promise if last_mine is not None else None
    awaiting = _awaiting(
        live,
        walk,
        now=now,
        identity=identity,
        policy=policy,
        calendar=calendar,
        no_follow_up=no_follow_up_until,
    )
    if not saw_counterpart and promise is None and awaiting is None:
        return None

    last_answer = episodes[-1] if episodes else None
    clock_started_at = last_answer.started_at if last_answer else None
    due_at: datetime | None = None
    needs_holding_draft = False
    backlog = False
    promise_broken = promise is not None and now > promise.due_at
    # Mail dated ahead of ``now`` (a what-if in the past, a sender's clock ahead) arrives
    # then: the state may change at that instant.
    ahead = [m.date for m in thread.messages if m.role != FolderRole.DRAFTS and m.date > now]
    crossings: list[datetime] = [min(ahead)] if ahead else []
    if promise is not None:
        crossings.append(promise.due_at)
    if awaiting is not None:
        crossings.append(awaiting.until)

    if clock_message is not None:
        clock_started_at = clock_message.date
        due_at = due(clock_started_at)
        holding_at = calendar.add(
            clock_started_at, policy.holding_draft_after, business=policy.business
        )
        at_risk_at = calendar.add(
            clock_started_at,
            max(policy.reply_within - policy.warn_before, timedelta(0)),
            business=policy.business,
        )
        backlog_at = due_at + policy.holding_late_limit  # calendar time: "48h late" is real
        crossings += [holding_at, at_risk_at, due_at, backlog_at]
        needs_holding_draft = holding_at <= now < backlog_at
        backlog = now >= backlog_at
        episodes.append(Episode(clock_started_at, None, due_at))
        if now >= due_at:
            state, reason = ThreadState.OVERDUE, Reason.of(ReasonCode.OVERDUE)
        elif promise is not None and promise_broken:
            state = ThreadState.PROMISE_OVERDUE
            reason = Reason.of(ReasonCode.PROMISE_BROKEN, date=promise.date.isoformat())
        # Time left is clock time: a business clock due Monday 12:00 has 4h left on Friday
        # 17:00, not a weekend's worth, and the owner must hear it before leaving.
        elif now >= at_risk_at:
            state, reason = ThreadState.AT_RISK, Reason.of(ReasonCode.AT_RISK)
        else:
            state, reason = ThreadState.WAITING, Reason.of(ReasonCode.CLOCK_RUNNING)
    else:
        state, reason = _state_without_clock(
            promise, awaiting, quiet, now=now, calendar=calendar, no_reply_until=no_reply_until
        )

    return ThreadStatus(
        state=state,
        counterpart=thread_counterpart(thread, identity),
        clock_started_at=clock_started_at,
        due_at=due_at,
        answered_at=last_answer.answered_at if last_answer else None,
        promise=promise,
        episodes=tuple(episodes),
        needs_holding_draft=needs_holding_draft,
        clock_message=clock_message,
        reason=reason,
        next_change_at=min((t for t in crossings if t > now), default=None),
        backlog=backlog,
        awaiting=awaiting,
    )


def _state_without_clock(
    promise: Promise | None,
    awaiting: Awaiting | None,
    quiet: list[TrackedMessage],
    *,
    now: datetime,
    calendar: BusinessCalendar,
    no_reply_until: datetime | None,
) -> tuple[ThreadState, Reason]:
    """No clock runs: my promise first (my obligation), then what I asked them for, then
    messages that need no reply, else answered."""
    if promise is not None:
        params = {"date": promise.date.isoformat(), "phrase": promise.phrase}
        if now > promise.due_at:
            return ThreadState.PROMISE_OVERDUE, Reason.of(ReasonCode.PROMISE_OVERDUE, **params)
        return ThreadState.PROMISED, Reason.of(ReasonCode.PROMISED, **params)
    if awaiting is not None:
        return _awaiting_state(awaiting, calendar)
    if quiet:
        marked = no_reply_until is not None or any(NO_REPLY_KEYWORD in m.keywords for m in quiet)
        if marked:
            code = ReasonCode.MARKED_NO_REPLY
        elif all(m.invitation is not None for m in quiet):
            code = ReasonCode.CALENDAR
        else:
            code = ReasonCode.ACKNOWLEDGEMENT_ONLY
        return ThreadState.NO_REPLY_NEEDED, Reason.of(code)
    return ThreadState.ANSWERED, Reason.of(ReasonCode.ANSWERED)


def _awaiting(
    live: list[TrackedMessage],
    walk: _Walk,
    *,
    now: datetime,
    identity: Identity,
    policy: ReplyPolicy,
    calendar: BusinessCalendar,
    no_follow_up: datetime | None,
) -> Awaiting | None:
    """What my latest message asks them for, if nothing from them came after it.

    Anything the client writes afterwards (even 「承知しました」) ends it; an automated reply
    (out of office) does not. A question without a date waits ``follow_up_after``.
    """
    mine = walk.last_mine
    if mine is None or mine.request is None or mine.invitation is not None:
        return None
    if no_follow_up is not None and mine.date <= no_follow_up:
        return None
    after = live[live.index(mine) + 1 :]
    if any(m.automated_reason is None and not identity.is_me(m.sender) for m in after):
        return None  # they wrote (my own later mail would have been ``last_mine``)
    request = mine.request
    until = request.due_at
    if until is None:
        if policy.follow_up_after is None:
            return None
        until = calendar.allowance_end(mine.date, policy.follow_up_after, business=policy.business)
    return Awaiting(message=mine, request=request, until=until, overdue=now >= until)


def _awaiting_state(awaiting: Awaiting, calendar: BusinessCalendar) -> tuple[ThreadState, Reason]:
    day = calendar.local(awaiting.until).date().isoformat()
    params = {"date": day, "phrase": awaiting.request.phrase}
    if awaiting.overdue:
        return ThreadState.AWAITING_OVERDUE, Reason.of(ReasonCode.AWAITING_OVERDUE, **params)
    code = (
        ReasonCode.AWAITING if awaiting.request.due_at is not None else ReasonCode.AWAITING_QUESTION
    )
    return ThreadState.AWAITING, Reason.of(code, **params)


@dataclass(slots=True)
class _Walk:
    clock_message: TrackedMessage | None = None
    quiet: list[TrackedMessage] = field(default_factory=list)
    episodes: list[Episode] = field(default_factory=list)
    last_mine: TrackedMessage | None = None
    saw_counterpart: bool = False


def _walk(
    live: list[TrackedMessage],
    identity: Identity,
    no_reply_until: datetime | None,
    due: Callable[[datetime], datetime],
) -> _Walk:
    """One pass in date order: clocks start and stop, quiet messages are collected."""
    walk = _Walk()
    for message in live:
        if identity.is_mine(message):
            if walk.clock_message is not None:
                start = walk.clock_message.date
                walk.episodes.append(Episode(start, message.date, due(start)))
                walk.clock_message = None
            walk.last_mine = message
            walk.quiet = []
        elif identity.is_counterpart(message):
            walk.saw_counterpart = True
            if walk.clock_message is not None:
                continue  # a later message does not move a running clock
            needs_no_reply = (
                message.ack_only
                # An invitation, an update, a cancellation or a calendar answer is not mail
                # waiting for a reply: the calendar handles it.
                or message.invitation is not None
                or NO_REPLY_KEYWORD in message.keywords
                or (no_reply_until is not None and message.date <= no_reply_until)
            )
            if needs_no_reply:
                walk.quiet.append(message)
            else:
                walk.clock_message = message
    return walk

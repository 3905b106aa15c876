"""What is worth telling the owner now, as events: pure, from assessments and health at ``now``.

An event is a fact that is true at ``now`` and became true recently: a thread at risk, one
overdue, an incident opened, a report due within six hours or late, a promise due tomorrow,
today or broken, an account failing for more than an hour and its recovery, a digest that
could not be sent. Its **key** names the fact and the instant it counts from
(``at_risk:work:<thread>:<clock start>``), so "each event once per channel" is a unique
row in the store's outbox, however many cycles, restarts or processes see the fact again.
A thread's next clock (a new question after the answer) is a new key, hence a new event.

What was true long ago raises nothing (a first start on a full mailbox must not ring the
phone for last week), and a backlog thread (overdue past the holding reply's late limit)
raises nothing at all: it can no longer be saved in time.

Events carry facts, never words (the wording is ``inboxguard.alerts.wording``) and never a
mail body: who, the subject, the deadline, the thread id for ``inboxguard mark``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Protocol

from inboxguard.domain.assessment import ThreadAssessment
from inboxguard.domain.calendar import BusinessCalendar
from inboxguard.domain.reply_clock import ThreadState


class AlertKind(StrEnum):
    AT_RISK = "at_risk"
    OVERDUE = "overdue"
    INCIDENT_OPENED = "incident_opened"
    REPORT_DUE = "report_due"
    REPORT_LATE = "report_late"
    PROMISE_TOMORROW = "promise_tomorrow"
    PROMISE_TODAY = "promise_today"
    PROMISE_BROKEN = "promise_broken"
    ACCOUNT_FAILING = "account_failing"
    ACCOUNT_RECOVERED = "account_recovered"
    DIGEST_FAILED = "digest_failed"
    AWAITING_OVERDUE = "awaiting_overdue"  # what I asked a client for by a date has not come
    MINUTES_DUE = "minutes_due"  # a meeting ended and its attendees got nothing by minutes_by


class Urgency(StrEnum):
    NORMAL = "normal"
    HIGH = "high"

    @property
    def rank(self) -> int:
        return 1 if self is Urgency.HIGH else 0

    def at_least(self, other: Urgency) -> bool:
        return self.rank >= other.rank


# The escalation table. High: something is already broken, or the protocol's clock has
# started on an incident; it may wake the owner. An account failing for an hour is high
# because while it fails nothing else can warn about that mailbox.
URGENCY: Mapping[AlertKind, Urgency] = {
    AlertKind.AT_RISK: Urgency.NORMAL,
    AlertKind.OVERDUE: Urgency.HIGH,
    AlertKind.INCIDENT_OPENED: Urgency.HIGH,
    AlertKind.REPORT_DUE: Urgency.NORMAL,
    AlertKind.REPORT_LATE: Urgency.HIGH,
    AlertKind.PROMISE_TOMORROW: Urgency.NORMAL,
    AlertKind.PROMISE_TODAY: Urgency.NORMAL,
    AlertKind.PROMISE_BROKEN: Urgency.HIGH,
    AlertKind.ACCOUNT_FAILING: Urgency.HIGH,
    AlertKind.ACCOUNT_RECOVERED: Urgency.NORMAL,
    AlertKind.DIGEST_FAILED: Urgency.NORMAL,
    AlertKind.AWAITING_OVERDUE: Urgency.NORMAL,
    AlertKind.MINUTES_DUE: Urgency.NORMAL,
}

REPORT_DUE_SOON = timedelta(hours=6)
FAILING_LONG = timedelta(hours=1)
# Older facts raise nothing: a first start, or a channel added today, hears only of what
# still has a chance of being saved.
FRESH = timedelta(hours=48)
INCIDENT_FRESH = timedelta(hours=24)  # after that, its late first report speaks for it


@dataclass(frozen=True, slots=True)
class AlertFacts:
    """What the wording needs to say an event. Never a mail body."""

    account: str | None = None
    thread_id: str | None = None
    who: str | None = None  # the client's name, else the counterpart's name or address
    subject: str | None = None
    due_at: datetime | None = None  # the deadline the alert counts to
    stage: str | None = None  # an incident report's stage
    promise_date: date | None = None
    since: datetime | None = None  # an account failing since
    holding_draft: bool = False  # a holding reply for this clock waits in Drafts
    detail: str | None = None  # a failure's one-line reason (InboxGuard's own words)
    day: date | None = None  # the digest's day


@dataclass(frozen=True, slots=True)
class AlertEvent:
    key: str
    kind: AlertKind
    facts: AlertFacts
    # What the event is about (a clock, an incident stage, a promise): while a pending
    # event's subject is no longer live (the thread was answered), it is not sent.
    about: str | None = None
    urgency: Urgency = field(default=Urgency.NORMAL)

    @classmethod
    def of(
        cls, kind: AlertKind, key: str, facts: AlertFacts, about: str | None = None
    ) -> AlertEvent:
        return cls(key=key, kind=kind, facts=facts, about=about, urgency=URGENCY[kind])


class HealthLike(Protocol):
    """An account's poll health as the store keeps it (``AccountHealth``)."""

    @property
    def account(self) -> str: ...

    @property
    def failing_since(self) -> datetime | None: ...

    @property
    def last_error(self) -> str | None: ...


def stamp(moment: datetime) -> str:
    """An instant as it appears in a key: UTC ISO 8601, whatever zone it came in."""
    return moment.astimezone(UTC).isoformat()


# -- threads -----------------------------------------------------------------------------


def thread_events(
    assessments: Iterable[ThreadAssessment], *, now: datetime, calendar: BusinessCalendar
) -> list[AlertEvent]:
    """Every thread event true at ``now`` and recent enough to matter."""
    return [event for a in assessments if not a.backlog for event in _thread(a, now, calendar)]


def _thread(a: ThreadAssessment, now: datetime, calendar: BusinessCalendar) -> Iterator[AlertEvent]:
    status, account, thread = a.status, a.thread.account, a.thread.id
    base = AlertFacts(account=account, thread_id=thread, who=who(a), subject=a.thread.subject)
    clock, due = status.clock_started_at, status.due_at
    if status.clock_message is not None and clock is not None and due is not None:
        anchor = f"{account}:{thread}:{stamp(clock)}"
        facts = replace(base, due_at=due, holding_draft=a.holding_draft_waiting)
        if status.state is ThreadState.AT_RISK:
            yield AlertEvent.of(AlertKind.AT_RISK, f"at_risk:{anchor}", facts, f"reply:{anchor}")
        elif status.state is ThreadState.OVERDUE and now - due <= FRESH:
            yield AlertEvent.of(AlertKind.OVERDUE, f"overdue:{anchor}", facts, f"reply:{anchor}")
    incident = a.open_incident
    if incident is not None:
        opened = f"{account}:{thread}:{stamp(incident.opened_at)}"
        stage = incident.next_stage
        if now - incident.opened_at <= INCIDENT_FRESH:
            first = incident.stages[0]
            facts = replace(base, due_at=first.due_at, stage=first.name.value)
            yield AlertEvent.of(
                AlertKind.INCIDENT_OPENED, f"incident_opened:{opened}", facts, f"incident:{opened}"
            )
        if stage is not None:
            about = f"report:{opened}:{stage.name.value}"
            facts = replace(base, due_at=stage.due_at, stage=stage.name.value)
            if stage.due_at <= now:
                key = f"report_late:{opened}:{stage.name.value}"
                yield AlertEvent.of(AlertKind.REPORT_LATE, key, facts, about)
            elif stage.due_at - now <= REPORT_DUE_SOON:
                key = f"report_due:{opened}:{stage.name.value}"
                yield AlertEvent.of(AlertKind.REPORT_DUE, key, facts, about)
    promise = status.promise
    if promise is not None:
        anchor = f"{account}:{thread}:{promise.date.isoformat()}"
        facts = replace(base, due_at=promise.due_at, promise_date=promise.date)
        about = f"promise:{anchor}"
        if status.state is ThreadState.PROMISE_OVERDUE and now - promise.due_at <= FRESH:
            yield AlertEvent.of(AlertKind.PROMISE_BROKEN, f"promise_broken:{anchor}", facts, about)
        elif status.state is ThreadState.PROMISED:
            today = calendar.local(now).date()
            if promise.date == today and now >= _workday_start(calendar, promise.date):
                yield AlertEvent.of(
                    AlertKind.PROMISE_TODAY, f"promise_today:{anchor}", facts, about
                )
            elif promise.date == today + timedelta(days=1) and now >= _workday_start(
                calendar, today
            ):
                yield AlertEvent.of(
                    AlertKind.PROMISE_TOMORROW, f"promise_tomorrow:{anchor}", facts, about
                )

    yield from _their_turn(a, base, now)


def _their_turn(a: ThreadAssessment, base: AlertFacts, now: datetime) -> Iterator[AlertEvent]:
    """What the owner waits for from clients: an answer asked for by a date, minutes."""
    status, account, thread = a.status, a.thread.account, a.thread.id
    awaiting = status.awaiting
    if awaiting is not None and awaiting.overdue and status.clock_message is None:
        anchor = f"{account}:{thread}:{stamp(awaiting.message.date)}"
        if now - awaiting.until <= FRESH:
            facts = replace(base, due_at=awaiting.until)
            yield AlertEvent.of(
                AlertKind.AWAITING_OVERDUE,
                f"awaiting_overdue:{anchor}",
                facts,
                f"awaiting:{anchor}",
            )
    meeting = a.meeting
    if meeting is not None and meeting.due(now) and now - meeting.due_at <= FRESH:
        anchor = f"{account}:{meeting.uid}:{stamp(meeting.occurrence.start)}"
        facts = replace(base, due_at=meeting.due_at, subject=meeting.summary or a.thread.subject)
        yield AlertEvent.of(
            AlertKind.MINUTES_DUE, f"minutes_due:{anchor}", facts, f"minutes:{anchor}"
        )


def _workday_start(calendar: BusinessCalendar, day: date) -> datetime:
    # "Due tomorrow" is said when the owner's working day begins, not at midnight.
    return datetime.combine(day, calendar.day_start, tzinfo=calendar.tz)


def who(a: ThreadAssessment) -> str:
    """The client's name from the rules, else the name the counterpart writes under, else
    their address (raw: the wording neutralises it)."""
    if a.client is not None:
        return a.client.name
    address = a.status.counterpart or ""
    for message in reversed(a.thread.messages):
        if message.sender.address == address and message.sender.name:
            return message.sender.name
    return address


def live_subjects(assessments: Iterable[ThreadAssessment]) -> frozenset[str]:
    """What still needs the owner, in the ``about`` terms of the events: a pending event
    whose subject is not among these (the thread was answered, the report sent, the promise
    kept) is not sent any more."""
    live: set[str] = set()
    for a in assessments:
        status, account, thread = a.status, a.thread.account, a.thread.id
        if status.clock_message is not None and status.clock_started_at is not None:
            live.add(f"reply:{account}:{thread}:{stamp(status.clock_started_at)}")
        incident = a.open_incident
        if incident is not None:
            opened = f"{account}:{thread}:{stamp(incident.opened_at)}"
            live.add(f"incident:{opened}")
            live.update(f"report:{opened}:{s.name.value}" for s in incident.stages if not s.done_at)
        promise = status.promise
        if promise is not None and status.state in (
            ThreadState.PROMISED,
            ThreadState.PROMISE_OVERDUE,
        ):
            live.add(f"promise:{account}:{thread}:{promise.date.isoformat()}")
        awaiting = status.awaiting
        if awaiting is not None and status.clock_message is None:
            live.add(f"awaiting:{account}:{thread}:{stamp(awaiting.message.date)}")
        meeting = a.meeting
        if meeting is not None and meeting.sent_at is None:
            live.add(f"minutes:{account}:{meeting.uid}:{stamp(meeting.occurrence.start)}")
    return frozenset(live)


def next_alert_change(
    assessments: Iterable[ThreadAssessment], *, now: datetime, calendar: BusinessCalendar
) -> datetime | None:
    """The first instant after ``now`` at which, with no new mail, a new event may arise
    (for a caller that otherwise waits for mail or a state change)."""
    instants: list[datetime] = []
    for a in assessments:
        if a.next_change_at is not None:
            instants.append(a.next_change_at)
        incident = a.open_incident
        stage = incident.next_stage if incident is not None else None
        if stage is not None:
            instants += [stage.due_at - REPORT_DUE_SOON, stage.due_at]
        if a.meeting is not None and a.meeting.sent_at is None:
            instants.append(max(a.meeting.due_at, a.meeting.occurrence.end))
        promise = a.status.promise
        if promise is not None and a.status.state is ThreadState.PROMISED:
            eve = promise.date - timedelta(days=1)
            instants += [_workday_start(calendar, eve), _workday_start(calendar, promise.date)]
    return min((t for t in instants if t > now), default=None)


# -- accounts and the digest -------------------------------------------------------------


def health_events(
    health: Iterable[HealthLike],
    *,
    now: datetime,
    alerted: Collection[tuple[str, datetime]] = (),
    healthy: Collection[str] = (),
) -> list[AlertEvent]:
    """Accounts failing for more than an hour, and the recovery of each failure that was
    alerted (``alerted``: (account, failing since) of failures told and not yet recovered).
    ``healthy``: accounts known to be well now although the store has not recorded it yet
    (the cycle assessing them is running)."""
    events: list[AlertEvent] = []
    failing_now: dict[str, datetime] = {}
    for item in health:
        since = item.failing_since
        if since is None or item.account in healthy:
            continue
        failing_now[item.account] = since
        if now - since > FAILING_LONG:
            anchor = f"{item.account}:{stamp(since)}"
            facts = AlertFacts(account=item.account, since=since, detail=item.last_error)
            events.append(
                AlertEvent.of(AlertKind.ACCOUNT_FAILING, f"account_failing:{anchor}", facts, None)
            )
    for account, since in alerted:
        if failing_now.get(account) == since:
            continue  # still the same failure
        anchor = f"{account}:{stamp(since)}"
        facts = AlertFacts(account=account, since=since)
        events.append(
            AlertEvent.of(AlertKind.ACCOUNT_RECOVERED, f"account_recovered:{anchor}", facts)
        )
    return events


def digest_failed_event(day: date, error: str) -> AlertEvent:
    """Today's digest could not be delivered (once a day, however often it is retried)."""
    facts = AlertFacts(day=day, detail=error)
    return AlertEvent.of(AlertKind.DIGEST_FAILED, f"digest_failed:{day.isoformat()}", facts)


def most_urgent_first(events: Sequence[AlertEvent]) -> list[AlertEvent]:
    """High before normal, then by the nearest deadline (undated last), stable otherwise."""
    far = datetime.max.replace(tzinfo=UTC)
    return sorted(events, key=lambda e: (-e.urgency.rank, e.facts.due_at or far))

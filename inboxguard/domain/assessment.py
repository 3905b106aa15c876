"""One read-only assessment of an account at ``now``: the only place a state is derived.

A snapshot of the store (messages of the window, marks, the draft ledger) goes in; one
``ThreadAssessment`` per thread comes out: its state and why, its incident, the drafts it
is owed, its response episodes with their due times, and the next instant anything about
it changes. The cycle, `status`, the digest, `mark` and `explain` all read these, so they
can never disagree about a thread, and none of them needs to write to find out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta

from inboxguard.domain.calendar import BusinessCalendar
from inboxguard.domain.clients import ClientDirectory, ClientRule
from inboxguard.domain.drafts import DraftPurpose, DraftRecord
from inboxguard.domain.durations import Allowance
from inboxguard.domain.duties import DraftDuty, DraftSettings, owed_drafts
from inboxguard.domain.identity import Identity
from inboxguard.domain.incident_adjustments import (
    NO_ADJUSTMENTS,
    Adjustments,
    owner_adjustments,
)
from inboxguard.domain.incident_protocol import Incident, evaluate_incident, incident_marks
from inboxguard.domain.marks import Mark, MarkAction
from inboxguard.domain.meetings import Meeting, list_addresses, or_list
from inboxguard.domain.minutes import (
    WatchedSitting,
    meetings_by_thread,
    minutes_duty,
    watched_sitting,
)
from inboxguard.domain.reasons import Reason, ReasonCode
from inboxguard.domain.reply_clock import (
    DEFAULT_FOLLOW_UP,
    Episode,
    ReplyPolicy,
    ThreadState,
    ThreadStatus,
    evaluate_thread,
    thread_counterpart,
)
from inboxguard.domain.snapshot import AccountSnapshot
from inboxguard.domain.threading import Thread, build_threads
from inboxguard.domain.tracked import FolderRole, Occurrence, TrackedMessage

DEFAULT_MINUTES_REPLY = Allowance(business_days=2)


@dataclass(frozen=True, slots=True)
class SlaRules:
    """The reply rule of the configuration (``[sla]``) as the clock needs it."""

    reply_within: timedelta
    business: bool
    warn_before: timedelta
    holding_draft_after: timedelta
    holding_late_limit: timedelta = timedelta(hours=48)
    follow_up_after: Allowance | None = DEFAULT_FOLLOW_UP
    minutes_by: time | None = None  # None: the end of business hours
    # The objection date the minutes name (None: the minutes name none).
    minutes_reply_within: Allowance | None = DEFAULT_MINUTES_REPLY


def _no_machine(address: str) -> bool:
    return False


@dataclass(frozen=True, slots=True)
class AssessmentRules:
    """Everything assessing needs besides the snapshot and ``now``."""

    identity: Identity
    calendar: BusinessCalendar
    clients: ClientDirectory
    sla: SlaRules
    incident_threshold: float
    drafting: DraftSettings
    # Addresses no person reads (no-reply, calendar systems): never an attendee of minutes.
    is_machine: Callable[[str], bool] = _no_machine

    def policy_for(self, client: ClientRule | None) -> ReplyPolicy:
        sla = self.sla
        reply_within = client.reply_within if client and client.reply_within else sla.reply_within
        # A client's shorter rule pulls the holding draft forward in proportion.
        holding_after = min(
            sla.holding_draft_after, reply_within * (sla.holding_draft_after / sla.reply_within)
        )
        return ReplyPolicy(
            reply_within=reply_within,
            business=sla.business,
            warn_before=min(sla.warn_before, reply_within),
            holding_draft_after=holding_after,
            holding_late_limit=sla.holding_late_limit,
            follow_up_after=sla.follow_up_after,
        )


# Sorts after every state's own urgency (ThreadState.urgency runs 0-6).
BACKLOG_URGENCY = 10


@dataclass(frozen=True, slots=True)
class MinutesWatch:
    """A meeting of this thread that sat (or sits) on the local day of ``now`` or the day
    before, and where its minutes stand."""

    uid: str
    summary: str
    occurrence: Occurrence
    attendees: tuple[str, ...]  # the counterparts: not me, not automated or list addresses
    due_at: datetime  # ``minutes_by`` on the meeting's day
    sent_at: datetime | None  # my first mail to an attendee since it ended

    def due(self, now: datetime) -> bool:
        """Past ``minutes_by`` with nothing sent, on the meeting's own day (SPEC §5)."""
        return self.sent_at is None and self.due_at <= now and self.occurrence.end <= now


@dataclass(frozen=True, slots=True)
class ThreadAssessment:
    thread: Thread
    status: ThreadStatus
    client: ClientRule | None
    drafts: tuple[DraftRecord, ...]  # the ledger's rows for this thread, as of ``now``
    incident: Incident | None
    duties: tuple[DraftDuty, ...]  # drafts owed now and not in the ledger
    next_change_at: datetime | None  # with no new mail or mark, nothing changes before
    meeting: MinutesWatch | None = None

    @property
    def episodes(self) -> tuple[Episode, ...]:
        return self.status.episodes

    @property
    def live_messages(self) -> int:
        return sum(1 for m in self.thread.messages if m.role is not FolderRole.DRAFTS)

    @property
    def needs_attention(self) -> bool:
        return self.status.state.needs_attention or self.open_incident is not None

    @property
    def open_incident(self) -> Incident | None:
        return self.incident if self.incident is not None and self.incident.is_open else None

    @property
    def backlog(self) -> bool:
        """Overdue past the holding reply's late limit, with no incident open: kept apart
        from what can still be saved (SPEC §5)."""
        return self.status.backlog and self.open_incident is None

    @property
    def holding_draft_waiting(self) -> bool:
        """A holding reply for the clock running now sits in Drafts (or was written)."""
        start = self.status.clock_started_at
        return self.status.clock_message is not None and any(
            d.purpose is DraftPurpose.HOLDING and d.clock_started_at == start for d in self.drafts
        )

    @property
    def report_drafted(self) -> bool:
        """A report draft was written for the incident open now."""
        incident = self.open_incident
        return incident is not None and any(
            d.purpose.is_report and d.clock_started_at == incident.opened_at for d in self.drafts
        )

    def sort_key(self, now: datetime | None = None) -> tuple[int, datetime, str]:
        """Most urgent first: by state, then the nearest deadline. An open incident ranks
        with overdue threads once a report is late, with at-risk ones before that."""
        due = self.status.due_at or (self.status.promise.due_at if self.status.promise else None)
        anchor = due or self.thread.messages[-1].date
        urgency = self.status.state.urgency
        if self.backlog:
            urgency = BACKLOG_URGENCY  # after everything that can still be saved
        incident = self.open_incident
        stage = incident.next_stage if incident is not None else None
        if stage is not None:
            late = now is not None and stage.due_at <= now
            urgency = min(urgency, 0 if late else 2)
            anchor = min(anchor, stage.due_at)
        return (urgency, anchor, self.thread.id)


def threads_of(snapshot: AccountSnapshot, rules: AssessmentRules) -> list[Thread]:
    return build_threads(
        snapshot.account, snapshot.messages, other_party=rules.identity.other_party
    )


def assess(
    snapshot: AccountSnapshot,
    rules: AssessmentRules,
    now: datetime,
    threads: Sequence[Thread] | None = None,
    *,
    mail: Sequence[TrackedMessage] | None = None,
) -> list[ThreadAssessment]:
    """Every tracked thread of the snapshot's account at ``now``, most urgent first.

    ``threads``: the snapshot's messages already threaded (the cycle threads them once to
    know which texts to read); None threads them here. ``mail``: every message of the
    account's window, when ``threads`` are only some of it (a poll reassessing the threads
    new mail touched): minutes sent in another thread and list addresses are read there.
    """
    if threads is None:
        threads = threads_of(snapshot, rules)
    marks: dict[str, list[Mark]] = defaultdict(list)
    for mark in snapshot.marks:
        if mark.at <= now:
            marks[mark.thread_id].append(mark)
    drafts: dict[str, list[DraftRecord]] = defaultdict(list)
    for draft in snapshot.drafts:
        if draft.created_at <= now:
            drafts[draft.thread_id].append(draft)
    # Every row, whatever its time: a claim is a claim even seen from a what-if in the past.
    ledger = frozenset(d.message_id for d in snapshot.drafts)
    meetings = meetings_by_thread(
        threads, [m for m in snapshot.marks if m.at <= now], identity=rules.identity
    )
    mail = [
        m
        for m in (mail if mail is not None else [m for t in threads for m in t.messages])
        if m.role is not FolderRole.DRAFTS
    ]
    # The owner's dismiss / incident marks so far re-weigh detection in every thread.
    adjustments = owner_adjustments(m for m in snapshot.marks if m.at <= now)
    # Lists are known from the mail they deliver: never an attendee to minute for.
    lists = list_addresses(mail, rules.identity.is_me)
    if lists:
        rules = replace(rules, is_machine=or_list(rules.is_machine, lists))
    assessed = [
        assessment
        for thread in threads
        if (
            assessment := assess_thread(
                thread,
                rules,
                now,
                marks=marks.get(thread.id, ()),
                drafts=drafts.get(thread.id, ()),
                ledger=ledger,
                meetings=meetings.get(thread.id, ()),
                mail=mail,
                adjustments=adjustments,
            )
        )
        is not None
    ]
    assessed.sort(key=lambda a: a.sort_key(now))
    return assessed


def assess_thread(
    thread: Thread,
    rules: AssessmentRules,
    now: datetime,
    *,
    marks: Sequence[Mark] = (),
    drafts: Sequence[DraftRecord] = (),
    ledger: frozenset[str] = frozenset(),
    meetings: Sequence[Meeting] = (),
    mail: Sequence[TrackedMessage] = (),
    adjustments: Adjustments = NO_ADJUSTMENTS,
) -> ThreadAssessment | None:
    """One thread at ``now`` (None: nobody owes an answer in it). ``marks`` and ``drafts``
    are the thread's own, up to ``now``; ``ledger`` every Message-ID the ledger holds;
    ``meetings`` those filed under this thread, ``mail`` the account's (minutes sent to a
    meeting's attendees may go in any thread)."""
    client = rules.clients.lookup(thread_counterpart(thread, rules.identity))
    watch = (
        watched_sitting(
            meetings,
            mail,
            now=now,
            calendar=rules.calendar,
            identity=rules.identity,
            is_machine=rules.is_machine,
            minutes_by=rules.sla.minutes_by,
        )
        if meetings
        else None
    )
    status = evaluate_thread(
        thread,
        now=now,
        identity=rules.identity,
        policy=rules.policy_for(client),
        calendar=rules.calendar,
        no_reply_until=no_reply_until(marks),
        no_follow_up_until=no_follow_up_until(marks),
    )
    if status is None and watch is None:
        return None
    meeting = _minutes_watch(watch) if watch is not None else None
    status = _with_meeting(status, meeting, thread, rules, now)
    incident = evaluate_incident(
        thread,
        now=now,
        identity=rules.identity,
        threshold=rules.incident_threshold,
        marks=incident_marks(marks),
        adjustments=adjustments,
    )
    duties = owed_drafts(
        thread,
        status,
        incident,
        client=client,
        # A client rule's language, else the one the client writes in (read when composing).
        language=client.language if client is not None and client.language else None,
        ledger=ledger | {d.message_id for d in drafts},
        identity=rules.identity,
        calendar=rules.calendar,
        settings=rules.drafting,
        now=now,
    )
    if watch is not None:
        minutes = minutes_duty(
            thread,
            watch,
            names=_names(thread),
            client=client,
            language=client.language if client is not None and client.language else None,
            ledger=ledger | {d.message_id for d in drafts},
            identity=rules.identity,
            calendar=rules.calendar,
            reply_within=rules.sla.minutes_reply_within,
            now=now,
        )
        duties = (*duties, minutes) if minutes is not None else duties
    crossings = [status.next_change_at] if status.next_change_at is not None else []
    # The next sitting to end is when this thread's minutes next change (it is watched from
    # its own day on): a service that waits for the next change must wake then.
    ends = [o.end for m in meetings if not m.cancelled for o in m.occurrences if o.end > now]
    if ends:
        crossings.append(min(ends))
    if meeting is not None and meeting.sent_at is None:
        last = rules.calendar.local(meeting.occurrence.end).date() + timedelta(days=2)
        crossings += [
            meeting.occurrence.end,
            meeting.due_at,
            datetime.combine(last, time(0), tzinfo=rules.calendar.tz),
        ]
    if incident is not None and incident.is_open:
        crossings += [s.due_at for s in incident.stages if s.done_at is None]
    return ThreadAssessment(
        thread=thread,
        status=status,
        client=client,
        drafts=tuple(drafts),
        incident=incident,
        duties=duties,
        next_change_at=min((t for t in crossings if t > now), default=None),
        meeting=meeting,
    )


def _minutes_watch(watch: WatchedSitting) -> MinutesWatch:
    return MinutesWatch(
        uid=watch.sitting.meeting.uid,
        summary=watch.sitting.meeting.summary,
        occurrence=watch.sitting.occurrence,
        attendees=watch.attendees,
        due_at=watch.due_at,
        sent_at=watch.sent.date if watch.sent is not None else None,
    )


def _with_meeting(
    status: ThreadStatus | None,
    meeting: MinutesWatch | None,
    thread: Thread,
    rules: AssessmentRules,
    now: datetime,
) -> ThreadStatus:
    """The thread's status with its meeting: ``minutes_due`` outranks the calmer states;
    a thread that is only a meeting (my invitation, nothing else) gets a status of its own."""
    if status is None:
        if meeting is None:
            raise ValueError("a thread with neither a status nor a meeting has no assessment")
        status = ThreadStatus(
            state=ThreadState.NO_REPLY_NEEDED,
            counterpart=meeting.attendees[0] if meeting.attendees else None,
            clock_started_at=None,
            due_at=None,
            answered_at=None,
            promise=None,
            episodes=(),
            needs_holding_draft=False,
            clock_message=None,
            reason=Reason.of(ReasonCode.CALENDAR),
        )
    if (
        meeting is not None
        and meeting.due(now)
        and status.state.urgency > ThreadState.MINUTES_DUE.urgency
    ):
        reason = Reason.of(ReasonCode.MINUTES_DUE, summary=meeting.summary or thread.subject)
        status = replace(status, state=ThreadState.MINUTES_DUE, reason=reason)
    return status


def _names(thread: Thread) -> dict[str, str]:
    """Display names by lower-case address, as the thread's mail writes them."""
    names: dict[str, str] = {}
    for message in thread.messages:
        for address in (message.sender, *message.to, *message.cc):
            if address.name and address.address:
                names.setdefault(address.address.lower(), address.name)
    return names


def no_reply_until(marks: Iterable[Mark]) -> datetime | None:
    """The instant of the latest `no-reply` mark, unless a later `reopen` undid it."""
    return _marked_until(marks, MarkAction.NO_REPLY)


def no_follow_up_until(marks: Iterable[Mark]) -> datetime | None:
    """The instant of the latest `no-follow-up` mark, unless a later `reopen` undid it."""
    return _marked_until(marks, MarkAction.NO_FOLLOW_UP)


def _marked_until(marks: Iterable[Mark], action: MarkAction) -> datetime | None:
    until: datetime | None = None
    for mark in sorted(marks, key=lambda m: m.at):
        if mark.action is action:
            until = mark.at
        elif mark.action is MarkAction.REOPEN:
            until = None
    return until


def next_change_at(assessments: Iterable[ThreadAssessment]) -> datetime | None:
    """The earliest instant at which any of the threads changes with no new mail."""
    return min((a.next_change_at for a in assessments if a.next_change_at), default=None)

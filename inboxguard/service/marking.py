"""The owner's marks on a thread (`inboxguard mark`): checked against the thread's state.

A mark is a fact with a time, stored and replayed at every evaluation. Marks that would
mean nothing (dismissing an incident that is not open, completing a stage that is done)
are refused or reported before anything is written, so the store holds only marks that
changed something.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from inboxguard.domain.calendar import BusinessCalendar
from inboxguard.domain.incident_protocol import Incident, Stage
from inboxguard.domain.marks import Mark, MarkAction
from inboxguard.domain.reply_clock import ThreadState
from inboxguard.domain.tracked import Occurrence
from inboxguard.errors import InboxGuardError, UnknownThreadError
from inboxguard.service.assessing import assess_all, find_thread
from inboxguard.service.context import Context
from inboxguard.store import StateStore

ACTIONS = tuple(a.value for a in MarkAction)


class MarkError(InboxGuardError):
    """A mark that does not fit the thread's state; nothing was written."""

    exit_code = 2


@dataclass(frozen=True, slots=True)
class MarkOutcome:
    written: bool
    message: str


def apply_mark(
    ctx: Context,
    store: StateStore,
    thread_id: str,
    action: MarkAction | str,
    stage: str | None,
    *,
    now: datetime,
    occurrence: Occurrence | None = None,
) -> MarkOutcome:
    """Record ``action`` on the thread at ``now`` (``occurrence``: with `meeting`, when it
    sits), or say why it would change nothing."""
    try:
        action = MarkAction(action)
    except ValueError:
        raise MarkError(f"unknown action {action!r} (one of {', '.join(ACTIONS)})") from None
    if (action is MarkAction.STAGE_DONE) != (stage is not None):
        raise MarkError(
            "stage-done needs a STAGE (first_report, root_cause, remediation)"
            if stage is None
            else f"{action} takes no STAGE"
        )
    if (action is MarkAction.MEETING) != (occurrence is not None):
        raise MarkError(
            "meeting needs START [END] (e.g. `mark THREAD meeting 2026-12-04T14:00 15:00`)"
            if occurrence is None
            else f"{action} takes no START"
        )
    thread_id = resolve_thread_id(store, thread_id)
    account = store.thread_account(thread_id)
    if account is None:
        raise UnknownThreadError(thread_id)
    if action is MarkAction.NO_FOLLOW_UP:
        assessment = find_thread(ctx, store, account, thread_id, now)
        if assessment is None or assessment.status.awaiting is None:
            return MarkOutcome(
                written=False,
                message=f"{thread_id}: nothing asked of them is awaited; nothing changed",
            )
    if action.is_incident_action:
        assessment = find_thread(ctx, store, account, thread_id, now)
        # None: the thread's mail left the look-back window, so nothing is open.
        incident = assessment.incident if assessment is not None else None
        refusal = _incident_refusal(incident, action, stage, ctx)
        if refusal is not None:
            return MarkOutcome(written=False, message=f"{thread_id}: {refusal}")
    store.add_mark(
        Mark(
            account=account,
            thread_id=thread_id,
            action=action,
            stage=stage,
            at=now,
            occurrence=occurrence,
        )
    )
    label = f"{action} {stage}" if stage else action.value
    if occurrence is not None:
        start = ctx.calendar.local(occurrence.start)
        end = ctx.calendar.local(occurrence.end)
        label += f" {start.isoformat(timespec='minutes')}-{end:%H:%M}"
    return MarkOutcome(written=True, message=f"{thread_id}: marked {label}")


# A meeting marked by hand is one sitting; more than this is not a meeting, it is a typo.
MAX_MEETING = timedelta(hours=12)
DEFAULT_MEETING = timedelta(hours=1)


def parse_meeting(
    start: str, end: str | None, *, now: datetime, calendar: BusinessCalendar
) -> Occurrence:
    """`mark THREAD meeting START [END]`: ISO 8601 date and time (``2026-12-04T14:00``,
    ``"2026-12-04 14:00"``, an offset optional: the owner's zone without one) or a time
    alone (``14:00``: today); END a time on START's day or a full date and time, one hour
    after START when left out."""
    begins = _moment(start, day=calendar.local(now).date(), calendar=calendar, what="START")
    ends = (
        _moment(end, day=calendar.local(begins).date(), calendar=calendar, what="END")
        if end is not None
        else begins + DEFAULT_MEETING
    )
    if ends <= begins:
        raise MarkError(f"END {end!r} is not after START {start!r}")
    if ends - begins > MAX_MEETING:
        raise MarkError(f"a meeting of more than {MAX_MEETING.seconds // 3600} hours: check END")
    if abs(begins - now) > timedelta(days=200):
        raise MarkError(f"START {start!r} is more than 200 days from now")
    return Occurrence(begins, ends)


def _moment(text: str, *, day: date, calendar: BusinessCalendar, what: str) -> datetime:
    value = text.strip()
    try:
        if len(value) <= 5 and ":" in value:
            moment = datetime.combine(day, time.fromisoformat(value.zfill(5)))
        else:
            moment = datetime.fromisoformat(value)
    except ValueError:
        raise MarkError(
            f"{what} {text!r} is not a date and time (e.g. 2026-12-04T14:00, or 14:00 for today)"
        ) from None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=calendar.tz)
    return moment


class AmbiguousThreadError(InboxGuardError):
    """A short id that more than one thread starts with; nothing was written."""

    exit_code = 2

    def __init__(self, prefix: str, candidates: Sequence[str]) -> None:
        shown = ", ".join(candidates[:8]) + (" …" if len(candidates) > 8 else "")
        super().__init__(
            f"thread id {prefix!r} is ambiguous: {len(candidates)} threads start with it "
            f"({shown}); give more characters"
        )


MIN_PREFIX = 4  # shorter than this matches too much to be meant


def resolve_thread_id(store: StateStore, given: str) -> str:
    """The full thread id for ``given``: itself, or the one stored id it is a prefix of
    (`status` shows short ids, like git's abbreviated hashes)."""
    if store.thread_account(given) is not None or len(given) < MIN_PREFIX:
        return given
    candidates = store.thread_ids(given)
    if len(candidates) > 1:
        raise AmbiguousThreadError(given, candidates)
    return candidates[0] if candidates else given


@dataclass(frozen=True, slots=True)
class BulkOutcome:
    marked: tuple[str, ...]
    message: str


def mark_overdue_no_reply(
    ctx: Context,
    store: StateStore,
    *,
    now: datetime,
    before: date | None = None,
    backlog_only: bool = False,
) -> BulkOutcome:
    """`mark --backlog no-reply` / `mark --overdue-before DATE no-reply`: every overdue
    thread in the backlog, or due before the start of ``before`` in the owner's zone."""
    limit = (
        datetime.combine(before, time(0), tzinfo=ctx.calendar.tz) if before is not None else None
    )
    chosen = [
        a
        for a in assess_all(ctx, store, now)
        if a.status.state is ThreadState.OVERDUE
        and a.open_incident is None
        and (not backlog_only or a.backlog)
        and (limit is None or (a.status.due_at is not None and a.status.due_at < limit))
    ]
    for assessment in chosen:
        store.add_mark(
            Mark(
                account=assessment.thread.account,
                thread_id=assessment.thread.id,
                action=MarkAction.NO_REPLY,
                stage=None,
                at=now,
            )
        )
    which = "in the backlog" if backlog_only else f"overdue before {before}"
    return BulkOutcome(
        tuple(a.thread.id for a in chosen),
        f"marked {len(chosen)} thread(s) {which} no-reply"
        + ("" if chosen else " (none matched; nothing written)"),
    )


def _incident_refusal(
    incident: Incident | None, action: MarkAction, stage: str | None, ctx: Context
) -> str | None:
    """Why the mark changes nothing (a message, exit 0), or None; raises when it is wrong."""
    is_open = incident is not None and incident.is_open
    if action is MarkAction.INCIDENT:
        if incident is not None and is_open:
            opened = ctx.calendar.local(incident.opened_at).isoformat(timespec="minutes")
            return f"an incident is already open (since {opened}); nothing changed"
        return None
    if not is_open or incident is None:
        verb = "dismiss" if action is MarkAction.DISMISS else "update"
        raise MarkError(
            f"the thread has no open incident to {verb} (open one with `mark THREAD incident`)"
        )
    if action is MarkAction.STAGE_DONE:
        try:
            name = Stage(stage or "")
        except ValueError:
            raise MarkError(
                f"unknown stage {stage!r} (first_report, root_cause, remediation)"
            ) from None
        done_at = incident.stage(name).done_at
        if done_at is not None:
            done = ctx.calendar.local(done_at).isoformat(timespec="minutes")
            return f"{name.value} is already done (at {done}); nothing changed"
    return None

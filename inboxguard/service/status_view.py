"""`status` as data (the JSON of SPEC §10) and as a rich table for a person."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from rich import box
from rich.table import Table
from rich.text import Text

from inboxguard.domain.assessment import ThreadAssessment
from inboxguard.domain.calendar import BusinessCalendar
from inboxguard.domain.display import shown
from inboxguard.domain.drafts import DraftPurpose
from inboxguard.domain.durations import format_duration
from inboxguard.domain.incident_protocol import Incident
from inboxguard.domain.reply_clock import ThreadState
from inboxguard.drafting.dates import format_due
from inboxguard.store import AccountHealth, ChannelHealth

_STATE_STYLE = {
    ThreadState.OVERDUE: "bold red",
    ThreadState.PROMISE_OVERDUE: "bold red",
    ThreadState.AT_RISK: "yellow",
    ThreadState.WAITING: "cyan",
    ThreadState.PROMISED: "magenta",
    ThreadState.NO_REPLY_NEEDED: "dim",
    ThreadState.ANSWERED: "green",
    ThreadState.AWAITING: "blue",
    ThreadState.AWAITING_OVERDUE: "bold blue",
    ThreadState.MINUTES_DUE: "yellow",
}


def _iso(value: datetime | None, calendar: BusinessCalendar) -> str | None:
    return calendar.local(value).isoformat(timespec="seconds") if value is not None else None


def thread_json(view: ThreadAssessment, calendar: BusinessCalendar) -> dict[str, Any]:
    status = view.status
    return {
        "id": view.thread.id,
        "account": view.thread.account,
        "subject": view.thread.subject,
        "counterpart": status.counterpart,
        "client": view.client.name if view.client else None,
        "state": status.state.value,
        "clock_started_at": _iso(status.clock_started_at, calendar),
        "due_at": _iso(status.due_at, calendar),
        "answered_at": _iso(status.answered_at, calendar),
        "promised_date": status.promise.date.isoformat() if status.promise else None,
        "drafts": [
            {
                "purpose": d.purpose.value,
                "message_id": d.message_id,
                "created_at": _iso(d.created_at, calendar),
            }
            for d in view.drafts
        ],
        "incident": incident_json(view.incident, calendar),
        "messages": view.live_messages,
        # Overdue past the holding reply's late limit: still "overdue", listed apart.
        "backlog": view.backlog,
        "awaiting_until": _iso(status.awaiting.until, calendar) if status.awaiting else None,
        "awaiting": awaiting_json(view, calendar),
        "meeting": meeting_json(view, calendar),
    }


def awaiting_json(view: ThreadAssessment, calendar: BusinessCalendar) -> dict[str, Any] | None:
    awaiting = view.status.awaiting
    if awaiting is None:
        return None
    return {
        "asked_at": _iso(awaiting.message.date, calendar),
        "until": _iso(awaiting.until, calendar),
        "phrase": awaiting.request.phrase,
        "what": awaiting.request.what,
        "dated": awaiting.request.due_at is not None,
        "overdue": awaiting.overdue,
    }


def meeting_json(view: ThreadAssessment, calendar: BusinessCalendar) -> dict[str, Any] | None:
    meeting = view.meeting
    if meeting is None:
        return None
    return {
        "summary": meeting.summary,
        "start": _iso(meeting.occurrence.start, calendar),
        "end": _iso(meeting.occurrence.end, calendar),
        "attendees": list(meeting.attendees),
        "minutes_due_at": _iso(meeting.due_at, calendar),
        "minutes_sent_at": _iso(meeting.sent_at, calendar),
    }


def incident_json(incident: Incident | None, calendar: BusinessCalendar) -> dict[str, Any] | None:
    """SPEC §10's incident object; a closed or dismissed incident is shown as such."""
    if incident is None:
        return None
    return {
        "opened_at": _iso(incident.opened_at, calendar),
        "opened_by": incident.opened_by.value,
        "state": incident.state.value,
        "keywords": list(incident.keywords),
        "stages": [
            {
                "name": stage.name.value,
                "due_at": _iso(stage.due_at, calendar),
                "done_at": _iso(stage.done_at, calendar),
            }
            for stage in incident.stages
        ],
    }


def status_json(
    views: Sequence[ThreadAssessment],
    *,
    now: datetime,
    calendar: BusinessCalendar,
    health: Sequence[AccountHealth] = (),
    channels: Sequence[ChannelHealth] = (),
    polled_by: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """``polled_by``: the worker (host:pid) holding each account's live lease."""
    workers = polled_by or {}
    return {
        "now": calendar.local(now).isoformat(timespec="seconds"),
        "threads": [thread_json(v, calendar) for v in views],
        "accounts": [
            {**health_json(item, calendar), "polled_by": workers.get(item.account)}
            for item in health
        ],
        "alert_channels": [channel_json(item, calendar) for item in channels],
    }


def time_left(view: ThreadAssessment, now: datetime) -> str:
    status = view.status
    target = status.due_at
    if target is None and status.promise is not None:
        target = status.promise.due_at
    if target is None and view.meeting is not None and status.state is ThreadState.MINUTES_DUE:
        target = view.meeting.due_at
    if target is None and status.awaiting is not None:
        target = status.awaiting.until
    return _until(target, now)


def _until(target: datetime | None, now: datetime) -> str:
    if target is None:
        return ""
    # Minutes are the precision a person plans with; seconds only add noise.
    seconds = int((target - now).total_seconds())
    rounded = timedelta(minutes=abs(seconds) // 60)
    if seconds < 0:
        return f"{format_duration(rounded)} late"
    return format_duration(rounded)


# Below this many columns the table drops the due time, the incident and drafts columns
# and folds them into the thread's cell: state, time left, who, subject, id (80 columns:
# tmux, a laptop terminal).
WIDE = 120
_SHORT_STATE = {
    ThreadState.OVERDUE: "overdue",
    ThreadState.PROMISE_OVERDUE: "promise late",
    ThreadState.AT_RISK: "at risk",
    ThreadState.WAITING: "waiting",
    ThreadState.PROMISED: "promised",
    ThreadState.NO_REPLY_NEEDED: "no reply",
    ThreadState.ANSWERED: "answered",
    ThreadState.AWAITING: "their turn",
    ThreadState.AWAITING_OVERDUE: "their turn, late",
    ThreadState.MINUTES_DUE: "minutes due",
}
MIN_ID_LENGTH = 7


def short_ids(ids: Iterable[str], minimum: int = MIN_ID_LENGTH) -> dict[str, str]:
    """Each id's shortest prefix, at least ``minimum`` long, that no other id shares (one
    length for all, like git's abbreviated hashes, so a column of them lines up)."""
    unique = sorted(set(ids))
    length = minimum
    longest = max((len(i) for i in unique), default=minimum)
    while length < longest and len({i[:length] for i in unique}) < len(unique):
        length += 1
    return {i: i[:length] for i in unique}


def status_table(
    views: Sequence[ThreadAssessment],
    *,
    now: datetime,
    calendar: BusinessCalendar,
    language: str,
    width: int = WIDE,
    ids: Mapping[str, str] | None = None,
) -> Table:
    """The threads as a table for a terminal ``width`` columns wide. ``ids``: the short id
    shown for each thread id (default: the full id)."""
    shown_id = ids or {}
    title = f"InboxGuard — {format_due(calendar.local(now), language)}"
    if width >= WIDE:
        return _wide_table(views, now=now, calendar=calendar, language=language, ids=shown_id)
    table = Table(
        title=title,
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        expand=True,
    )
    table.add_column("state", no_wrap=True, min_width=8)
    table.add_column("left", no_wrap=True, justify="right", min_width=6)
    table.add_column("who", ratio=2, overflow="fold")
    table.add_column("subject", ratio=3, overflow="fold")
    table.add_column("id", style="dim", no_wrap=True)
    for view in views:
        status = view.status
        subject = Text(shown(view.thread.subject))
        notes = _notes(view, now)
        if notes.plain:
            subject.append("\n")
            subject.append_text(notes)
        table.add_row(
            Text(_SHORT_STATE[status.state], style=_STATE_STYLE[status.state]),
            time_left(view, now),
            Text(_who(view)),
            subject,
            shown_id.get(view.thread.id, view.thread.id),
        )
    return table


def _wide_table(
    views: Sequence[ThreadAssessment],
    *,
    now: datetime,
    calendar: BusinessCalendar,
    language: str,
    ids: Mapping[str, str],
) -> Table:
    table = Table(
        title=f"InboxGuard — {format_due(calendar.local(now), language)}", title_justify="left"
    )
    table.add_column("state", no_wrap=True)
    table.add_column("due", no_wrap=True)
    table.add_column("left", no_wrap=True, justify="right")
    table.add_column("client / counterpart", overflow="fold")
    table.add_column("subject", overflow="fold", ratio=1)
    table.add_column("incident: next report", no_wrap=True)
    table.add_column("drafts", justify="right")
    table.add_column("id", style="dim", no_wrap=True)
    for view in views:
        status = view.status
        due = status.due_at or (status.promise.due_at if status.promise else None)
        table.add_row(
            Text(status.state.value, style=_STATE_STYLE[status.state]),
            format_due(calendar.local(due), language) if due else "",
            time_left(view, now),
            Text(_who(view)),
            Text(shown(view.thread.subject)),
            incident_cell(view, now),
            str(len(view.drafts)) if view.drafts else "",
            ids.get(view.thread.id, view.thread.id),
        )
    return table


def _who(view: ThreadAssessment) -> str:
    """The client's name from the rules, else the name the counterpart writes under, else
    their address: a name fits a narrow column where an address breaks in two. Strangers'
    text is neutralised and cut to fit (SPEC §9); `--json` keeps it raw for machines."""
    if view.client is not None:
        return shown(view.client.name)
    address = view.status.counterpart or ""
    for message in reversed(view.thread.messages):
        if message.sender.address == address and message.sender.name:
            return shown(message.sender.name)
    return shown(address)


def _notes(view: ThreadAssessment, now: datetime) -> Text:
    """What the wide table has columns for: the next incident report and the drafts."""
    notes = Text()
    incident = incident_cell(view, now)
    if incident.plain:
        notes.append("report: ", style="dim")
        notes.append_text(incident)
    if view.drafts:
        if notes.plain:
            notes.append("  ")
        notes.append(f"drafts: {len(view.drafts)}", style="dim")
    return notes


def first_run_lines(
    account: str, read: int, assessed: Sequence[ThreadAssessment], *, listed: int = 10
) -> list[str]:
    """What a cycle would do for ``account`` (`run --once --dry-run`, `check`)."""
    tracked = [a for a in assessed if a.needs_attention]
    duties = [d for a in assessed for d in a.duties]
    purposes = [d.purpose for d in duties]
    holding = purposes.count(DraftPurpose.HOLDING)
    reports = sum(1 for p in purposes if p.is_report)
    others = ""
    if follow_ups := purposes.count(DraftPurpose.FOLLOW_UP):
        others += f", {follow_ups} follow-up draft(s)"
    if minutes := purposes.count(DraftPurpose.MINUTES):
        others += f", {minutes} minutes draft(s)"
    backlog = sum(1 for a in assessed if a.backlog)
    lines = [
        f"{account}: {read} message(s) read; {len(tracked)} thread(s) need attention; "
        f"would write {holding} holding draft(s) and {reports} incident "
        f"report draft(s){others}; {backlog} backlog thread(s) left alone (overdue past the "
        "late limit: no holding draft)"
    ]
    by_thread = {a.thread.id: a for a in assessed}
    for duty in duties[:listed]:
        subject = shown(by_thread[duty.thread_id].thread.subject)
        lines.append(f"  would write {duty.purpose.value}: {duty.thread_id} {subject}")
    if len(duties) > listed:
        lines.append(f"  … and {len(duties) - listed} more")
    return lines


def backlog_line(backlog: Sequence[ThreadAssessment], *, late_limit: timedelta) -> str:
    """The one line that stands for the backlog in the default view."""
    return (
        f"+ {len(backlog)} older unanswered thread(s), overdue by more than "
        f"{format_duration(late_limit)}: no holding reply is written for them. "
        "`inboxguard status --all` lists them; "
        "`inboxguard mark --backlog no-reply` clears them."
    )


def incident_cell(view: ThreadAssessment, now: datetime) -> Text:
    """``root_cause 2d 3h`` for an open incident's next report; the end state otherwise."""
    incident = view.incident
    if incident is None:
        return Text("")
    stage = incident.next_stage
    if stage is None:
        return Text(incident.state.value, style="dim")
    late = stage.due_at <= now
    return Text(
        f"{stage.name.value} {_until(stage.due_at, now)}", style="bold red" if late else "yellow"
    )


def health_lines(
    health: Sequence[AccountHealth],
    calendar: BusinessCalendar,
    language: str,
    accounts: Sequence[str] | None = None,
) -> list[tuple[str, bool]]:
    """One line per account: its last successful poll and its last failure; (line, failing).

    ``accounts``: the configured names, in order (an account never polled says so); None
    lists every account the store knows.
    """
    by_name = {item.account: item for item in health}
    names = list(accounts) if accounts is not None else sorted(by_name)

    def when(moment: datetime | None) -> str:
        return format_due(calendar.local(moment), language) if moment is not None else "never"

    lines = []
    for name in names:
        item = by_name.get(name)
        if item is None:
            lines.append((f"account {name}: not polled yet", False))
            continue
        line = f"account {name}: last successful poll {when(item.last_success_at)}"
        if item.last_failure_at is not None:
            line += f"; last failure {when(item.last_failure_at)}: {item.last_error}"
        failing = item.failing_since is not None
        if failing:
            line += f"; FAILING since {when(item.failing_since)}"
            if item.next_attempt_at is not None:
                line += f" (next attempt {when(item.next_attempt_at)})"
        lines.append((line, failing))
    return lines


def health_json(item: AccountHealth, calendar: BusinessCalendar) -> dict[str, Any]:
    return {
        "account": item.account,
        "last_success_at": _iso(item.last_success_at, calendar),
        "last_failure_at": _iso(item.last_failure_at, calendar),
        "failing_since": _iso(item.failing_since, calendar),
        "last_error": item.last_error,
        "next_attempt_at": _iso(item.next_attempt_at, calendar),
    }


def channel_lines(
    channels: Sequence[ChannelHealth],
    calendar: BusinessCalendar,
    language: str,
    configured: Sequence[str],
) -> list[str]:
    """One line per configured alert channel that is failing (a healthy one says nothing:
    `alert --test` is how to see it work)."""
    by_name = {item.channel: item for item in channels}

    def when(moment: datetime | None) -> str:
        return format_due(calendar.local(moment), language) if moment is not None else "never"

    lines = []
    for name in configured:
        item = by_name.get(name)
        if item is None or item.failing_since is None:
            continue
        line = f"alert channel {name}: FAILING since {when(item.failing_since)}: {item.last_error}"
        if item.next_attempt_at is not None:
            line += f" (next attempt {when(item.next_attempt_at)})"
        lines.append(line)
    return lines


def channel_json(item: ChannelHealth, calendar: BusinessCalendar) -> dict[str, Any]:
    return {
        "channel": item.channel,
        "last_success_at": _iso(item.last_success_at, calendar),
        "last_failure_at": _iso(item.last_failure_at, calendar),
        "failing_since": _iso(item.failing_since, calendar),
        "last_error": item.last_error,
        "next_attempt_at": _iso(item.next_attempt_at, calendar),
    }

"""`status` as data (the JSON of SPEC §10) and as a rich table for a person."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from rich.table import Table
from rich.text import Text

from inboxguard.domain.assessment import ThreadAssessment
from inboxguard.domain.calendar import BusinessCalendar
from inboxguard.domain.durations import format_duration
from inboxguard.domain.incident_protocol import Incident
from inboxguard.domain.reply_clock import ThreadState
from inboxguard.drafting.dates import format_due
from inboxguard.store import AccountHealth

_STATE_STYLE = {
    ThreadState.OVERDUE: "bold red",
    ThreadState.PROMISE_OVERDUE: "bold red",
    ThreadState.AT_RISK: "yellow",
    ThreadState.WAITING: "cyan",
    ThreadState.PROMISED: "magenta",
    ThreadState.NO_REPLY_NEEDED: "dim",
    ThreadState.ANSWERED: "green",
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
) -> dict[str, Any]:
    return {
        "now": calendar.local(now).isoformat(timespec="seconds"),
        "threads": [thread_json(v, calendar) for v in views],
        "accounts": [health_json(item, calendar) for item in health],
    }


def time_left(view: ThreadAssessment, now: datetime) -> str:
    status = view.status
    target = status.due_at
    if target is None and status.promise is not None:
        target = status.promise.due_at
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


def status_table(
    views: Sequence[ThreadAssessment], *, now: datetime, calendar: BusinessCalendar, language: str
) -> Table:
    table = Table(
        title=f"InboxGuard — {format_due(calendar.local(now), language)}", title_justify="left"
    )
    table.add_column("state", no_wrap=True)
    table.add_column("due", no_wrap=True)
    table.add_column("left", no_wrap=True, justify="right")
    table.add_column("client / counterpart")
    table.add_column("subject", overflow="fold")
    table.add_column("incident: next report", no_wrap=True)
    table.add_column("drafts", justify="right")
    table.add_column("id", style="dim", no_wrap=True)
    for view in views:
        status = view.status
        due = status.due_at or (status.promise.due_at if status.promise else None)
        who = view.client.name if view.client else (status.counterpart or "")
        table.add_row(
            Text(status.state.value, style=_STATE_STYLE[status.state]),
            format_due(calendar.local(due), language) if due else "",
            time_left(view, now),
            Text(who),
            Text(view.thread.subject),
            incident_cell(view, now),
            str(len(view.drafts)) if view.drafts else "",
            view.thread.id,
        )
    return table


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

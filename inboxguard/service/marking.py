"""The owner's marks on a thread (`inboxguard mark`): checked against the thread's state.

A mark is a fact with a time, stored and replayed at every evaluation. Marks that would
mean nothing (dismissing an incident that is not open, completing a stage that is done)
are refused or reported before anything is written, so the store holds only marks that
changed something.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from inboxguard.domain.incident_protocol import Incident, Stage, evaluate_incident
from inboxguard.errors import InboxGuardError, UnknownThreadError
from inboxguard.service.context import Context
from inboxguard.service.evaluation import account_threads, incident_marks
from inboxguard.store import Mark, StateStore

ACTIONS = ("no-reply", "reopen", "incident", "dismiss", "stage-done")


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
    action: str,
    stage: str | None,
    *,
    now: datetime,
) -> MarkOutcome:
    if action not in ACTIONS:
        raise MarkError(f"unknown action {action!r} (one of {', '.join(ACTIONS)})")
    if (action == "stage-done") != (stage is not None):
        raise MarkError(
            "stage-done needs a STAGE (first_report, root_cause, remediation)"
            if stage is None
            else f"{action} takes no STAGE"
        )
    account = store.thread_account(thread_id)
    if account is None:
        raise UnknownThreadError(thread_id)
    if action in ("incident", "dismiss", "stage-done"):
        incident = _current_incident(ctx, store, account, thread_id, now)
        refusal = _incident_refusal(incident, action, stage, ctx)
        if refusal is not None:
            return MarkOutcome(written=False, message=f"{thread_id}: {refusal}")
    store.add_mark(Mark(account=account, thread_id=thread_id, action=action, stage=stage, at=now))
    label = f"{action} {stage}" if stage else action
    return MarkOutcome(written=True, message=f"{thread_id}: marked {label}")


def _current_incident(
    ctx: Context, store: StateStore, account: str, thread_id: str, now: datetime
) -> Incident | None:
    thread = next((t for t in account_threads(ctx, store, account, now) if t.id == thread_id), None)
    if thread is None:
        return None  # the thread's mail left the look-back window: nothing is open
    marks = [m for m in store.marks(account) if m.thread_id == thread_id and m.at <= now]
    return evaluate_incident(
        thread,
        now=now,
        identity=ctx.identity,
        threshold=ctx.rules.incident.threshold,
        marks=incident_marks(marks),
    )


def _incident_refusal(
    incident: Incident | None, action: str, stage: str | None, ctx: Context
) -> str | None:
    """Why the mark changes nothing (a message, exit 0), or None; raises when it is wrong."""
    is_open = incident is not None and incident.is_open
    if action == "incident":
        if incident is not None and is_open:
            opened = ctx.calendar.local(incident.opened_at).isoformat(timespec="minutes")
            return f"an incident is already open (since {opened}); nothing changed"
        return None
    if not is_open or incident is None:
        raise MarkError(
            f"the thread has no open incident to {'dismiss' if action == 'dismiss' else 'update'}"
            " (open one with `mark THREAD incident`)"
        )
    if action == "stage-done":
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

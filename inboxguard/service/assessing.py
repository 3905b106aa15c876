"""Evaluating one account's stored messages at ``now``: threads, states, incidents, drafts.

Used by the cycle (to decide which drafts to write) and by `status` (to show them), so the
two can never disagree about a thread.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from inboxguard.domain.clients import ClientRule
from inboxguard.domain.incident_protocol import Incident, IncidentMark, evaluate_incident
from inboxguard.domain.reply_clock import ThreadStatus, evaluate_thread, thread_counterpart
from inboxguard.domain.threading import Thread, build_threads
from inboxguard.domain.tracked import FolderRole
from inboxguard.service.context import Context
from inboxguard.store import DraftRecord, Mark, StateStore


@dataclass(frozen=True, slots=True)
class ThreadView:
    thread: Thread
    status: ThreadStatus
    client: ClientRule | None
    drafts: tuple[DraftRecord, ...]
    incident: Incident | None = None

    @property
    def live_messages(self) -> int:
        return sum(1 for m in self.thread.messages if m.role is not FolderRole.DRAFTS)

    @property
    def needs_attention(self) -> bool:
        return self.status.state.needs_attention or self.open_incident is not None

    @property
    def open_incident(self) -> Incident | None:
        return self.incident if self.incident is not None and self.incident.is_open else None

    def sort_key(self, now: datetime | None = None) -> tuple[int, datetime, str]:
        """Most urgent first: by state, then the nearest deadline. An open incident ranks
        with overdue threads once a report is late, with at-risk ones before that."""
        due = self.status.due_at or (self.status.promise.due_at if self.status.promise else None)
        anchor = due or self.thread.messages[-1].date
        urgency = self.status.state.urgency
        incident = self.open_incident
        stage = incident.next_stage if incident is not None else None
        if stage is not None:
            late = now is not None and stage.due_at <= now
            urgency = min(urgency, 0 if late else 2)
            anchor = min(anchor, stage.due_at)
        return (urgency, anchor, self.thread.id)


def no_reply_until(marks: Sequence[Mark]) -> datetime | None:
    """The instant of the latest `no-reply` mark, unless a later `reopen` undid it."""
    until: datetime | None = None
    for mark in sorted(marks, key=lambda m: m.at):
        if mark.action == "no-reply":
            until = mark.at
        elif mark.action == "reopen":
            until = None
    return until


def account_threads(ctx: Context, store: StateStore, account: str, now: datetime) -> list[Thread]:
    messages = store.messages(account, since=now - ctx.lookback)
    return build_threads(
        account,
        messages,
        other_party=ctx.identity.other_party,
    )


def evaluate_account(
    ctx: Context,
    store: StateStore,
    account: str,
    now: datetime,
    threads: Sequence[Thread] | None = None,
) -> list[ThreadView]:
    """Every tracked thread of the account with its state at ``now``, most urgent first."""
    if threads is None:
        threads = account_threads(ctx, store, account, now)
    marks: dict[str, list[Mark]] = defaultdict(list)
    threshold = ctx.rules.incident.threshold
    for mark in store.marks(account):
        if mark.at <= now:
            marks[mark.thread_id].append(mark)
    drafts: dict[str, list[DraftRecord]] = defaultdict(list)
    for draft in store.drafts(account):
        if draft.created_at <= now:
            drafts[draft.thread_id].append(draft)

    views = []
    for thread in threads:
        client = ctx.rules.clients.lookup(thread_counterpart(thread, ctx.identity))
        status = evaluate_thread(
            thread,
            now=now,
            identity=ctx.identity,
            policy=ctx.policy_for(client),
            calendar=ctx.calendar,
            no_reply_until=no_reply_until(marks.get(thread.id, ())),
        )
        if status is None:
            continue
        incident = evaluate_incident(
            thread,
            now=now,
            identity=ctx.identity,
            threshold=threshold,
            marks=incident_marks(marks.get(thread.id, ())),
        )
        views.append(ThreadView(thread, status, client, tuple(drafts.get(thread.id, ())), incident))
    views.sort(key=lambda view: view.sort_key(now))
    return views


def incident_marks(marks: Sequence[Mark]) -> list[IncidentMark]:
    return [
        IncidentMark(action=m.action, at=m.at, stage=m.stage)
        for m in marks
        if m.action in INCIDENT_ACTIONS
    ]


INCIDENT_ACTIONS = frozenset({"incident", "dismiss", "stage-done"})


def next_change_at(ctx: Context, views: Sequence[ThreadView], now: datetime) -> datetime | None:
    """The earliest instant after ``now`` at which some thread's state or duty changes.

    With no new mail, nothing can change before then: a running clock crosses its holding
    draft time, its warn_before mark and its due time; a promise passes its day. So until
    then, an unchanged poll need not evaluate again.
    """
    instants: list[datetime] = []
    for view in views:
        status = view.status
        policy = ctx.policy_for(view.client)
        if status.clock_message is not None and status.clock_started_at is not None:
            start = status.clock_started_at
            instants.append(
                ctx.calendar.add(start, policy.holding_draft_after, business=policy.business)
            )
            if policy.reply_within > policy.warn_before:
                at_risk = policy.reply_within - policy.warn_before
                instants.append(ctx.calendar.add(start, at_risk, business=policy.business))
            if status.due_at is not None:
                instants.append(status.due_at)
        if status.promise is not None:
            instants.append(status.promise.due_at)
        incident = view.open_incident
        if incident is not None:
            instants.extend(s.due_at for s in incident.stages if s.done_at is None)
    return min((t for t in instants if t > now), default=None)


@dataclass(slots=True)
class EvaluationCache:
    """Per account, until when the last evaluation holds (for a long-running service).

    It holds while no mail changed, no clock crosses a line, and the owner made no mark
    (``mark`` runs in another process and only the store tells).
    """

    valid_until: dict[str, datetime | None] = field(default_factory=dict)
    marks_seen: dict[str, int] = field(default_factory=dict)

    def still_valid(self, account: str, now: datetime, last_mark: int = 0) -> bool:
        if account not in self.valid_until or self.marks_seen.get(account) != last_mark:
            return False
        until = self.valid_until[account]
        return until is None or now < until

    def remember(self, account: str, until: datetime | None, last_mark: int = 0) -> None:
        self.valid_until[account] = until
        self.marks_seen[account] = last_mark

    def forget(self, account: str) -> None:
        self.valid_until.pop(account, None)
        self.marks_seen.pop(account, None)

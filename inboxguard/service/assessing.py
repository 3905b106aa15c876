"""The store's snapshot assessed at ``now``, for one account or all of them.

Read-only: this is how `status`, the digest, `mark` and the cycle learn the state of a
thread, and none of them writes to learn it (SPEC §12: a what-if never writes the store).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from inboxguard.domain.assessment import ThreadAssessment, assess
from inboxguard.service.context import Context
from inboxguard.store import StateStore


def assess_account(
    ctx: Context, store: StateStore, account: str, now: datetime
) -> list[ThreadAssessment]:
    """Every tracked thread of ``account`` at ``now``, most urgent first."""
    return assess(store.snapshot(account, now - ctx.lookback), ctx.assessment, now)


def assess_all(ctx: Context, store: StateStore, now: datetime) -> list[ThreadAssessment]:
    """Every configured account's threads at ``now``, most urgent first."""
    assessed = [
        a for account in ctx.config.accounts for a in assess_account(ctx, store, account.name, now)
    ]
    assessed.sort(key=lambda a: a.sort_key(now))
    return assessed


def find_thread(
    ctx: Context, store: StateStore, account: str, thread_id: str, now: datetime
) -> ThreadAssessment | None:
    """One thread's assessment (None: not tracked in the window at ``now``)."""
    return next(
        (a for a in assess_account(ctx, store, account, now) if a.thread.id == thread_id), None
    )


@dataclass(slots=True)
class EvaluationCache:
    """Per account, until when the last assessment holds (for a long-running service).

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

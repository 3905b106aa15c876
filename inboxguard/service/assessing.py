"""The store's snapshot assessed at ``now``, for one account or all of them.

Read-only: this is how `status`, the digest, `mark` and the cycle learn the state of a
thread, and none of them writes to learn it (SPEC §12: a what-if never writes the store).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from inboxguard.domain.assessment import ThreadAssessment, assess
from inboxguard.service.context import Context
from inboxguard.service.incremental import AccountView
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
    """Per account, the last assessment thread by thread (for a long-running service): a
    poll with nothing new costs nothing more until a thread's next change, and a poll with
    new mail reassesses only the threads it touches (``incremental``).

    A view is taken out for a cycle and put back only when the cycle completed, so a cycle
    that failed half-way (mail stored, not assessed) leaves the next one a full assessment.
    The owner's marks come from another process (``mark``): a new one ends the view too.
    """

    views: dict[str, AccountView] = field(default_factory=dict)
    # False for a process that exits after one cycle (`run --once`): it builds no view to
    # keep, and only the store's record of the last cycle can spare it an assessment.
    keep_views: bool = True

    def take(self, account: str, last_mark: int) -> AccountView | None:
        view = self.views.pop(account, None)
        if view is None or view.marks_seen != last_mark:
            return None
        return view

    def remember(self, view: AccountView) -> None:
        self.views[view.account] = view

    def forget(self, account: str) -> None:
        self.views.pop(account, None)

"""The draft ledger's vocabulary: why a draft is written, and how far its writing got.

A draft is claimed in the store (``CLAIMED``) before it is appended, and settled after:
``WRITTEN`` when we appended it, ``FOUND`` when a search of Drafts by its Message-ID found
it already there (an earlier process appended it and died before settling). A claim still
``CLAIMED`` at the next cycle is settled by that search, never by a blind second APPEND.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class DraftPurpose(StrEnum):
    HOLDING = "holding"
    FIRST_REPORT = "first_report"
    ROOT_CAUSE = "root_cause"
    REMEDIATION = "remediation"
    FOLLOW_UP = "follow_up"  # 催促: what I asked the client for is overdue
    MINUTES = "minutes"  # 議事録 skeleton after a meeting

    @property
    def is_report(self) -> bool:
        return self in _REPORTS


_REPORTS = frozenset({DraftPurpose.FIRST_REPORT, DraftPurpose.ROOT_CAUSE, DraftPurpose.REMEDIATION})


class DraftStatus(StrEnum):
    CLAIMED = "claimed"
    WRITTEN = "written"
    FOUND = "found"


@dataclass(frozen=True, slots=True)
class DraftRecord:
    """One row of the ledger: unique per (account, thread, anchor, purpose), and so per
    deterministic Message-ID. ``clock_started_at`` is the anchor: the clock start of a
    holding reply, the opening of the incident for a report."""

    message_id: str
    account: str
    thread_id: str
    purpose: DraftPurpose
    clock_started_at: datetime
    created_at: datetime
    folder: str
    location: str | None = None
    status: DraftStatus = DraftStatus.WRITTEN

    @property
    def settled(self) -> bool:
        return self.status is not DraftStatus.CLAIMED

"""What assessing one account needs from the store, read in one go (``store.snapshot``).

The store reads; the domain assesses. Nothing in a snapshot is written back by assessing
it, so `status`, the digest, `mark` and `explain` can assess without touching the store.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from inboxguard.domain.drafts import DraftRecord
from inboxguard.domain.marks import Mark
from inboxguard.domain.tracked import TrackedMessage


@dataclass(frozen=True, slots=True)
class AccountSnapshot:
    account: str
    messages: Sequence[TrackedMessage]  # the look-back window, in date order
    marks: Sequence[Mark]  # in time order
    drafts: Sequence[DraftRecord]  # the ledger, settled and claimed, in creation order

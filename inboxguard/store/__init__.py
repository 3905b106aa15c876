"""The state store: SQLAlchemy Core over SQLite (default) or PostgreSQL. No message bodies.

``StateStore`` is the one object callers hold; the modules beside it are its aggregates
(``messages``, ``ledger``, ``marks``, ``episodes``, ``digests``, ``health``, ``alerts``),
its plumbing (``engine``, ``codec``, ``locks``) and its schema (``schema``, ``migrations``).
"""

from inboxguard.domain.drafts import DraftPurpose, DraftRecord, DraftStatus
from inboxguard.domain.marks import Mark, MarkAction
from inboxguard.errors import AccountBusyError, StoreError, StoreReadOnlyError, StoreVersionError
from inboxguard.store.state_store import (
    AccountHealth,
    ChannelHealth,
    CycleRecord,
    DigestRecord,
    EpisodeRow,
    Lease,
    QueuedAlert,
    StateStore,
)

__all__ = [
    "AccountBusyError",
    "AccountHealth",
    "ChannelHealth",
    "CycleRecord",
    "DigestRecord",
    "DraftPurpose",
    "DraftRecord",
    "DraftStatus",
    "EpisodeRow",
    "Lease",
    "Mark",
    "MarkAction",
    "QueuedAlert",
    "StateStore",
    "StoreError",
    "StoreReadOnlyError",
    "StoreVersionError",
]

"""The state store: SQLAlchemy Core over SQLite (default) or PostgreSQL. No message bodies."""

from inboxguard.store.state_store import (
    AccountHealth,
    DigestRecord,
    DraftRecord,
    EpisodeRow,
    Mark,
    StateStore,
)

__all__ = ["AccountHealth", "DigestRecord", "DraftRecord", "EpisodeRow", "Mark", "StateStore"]

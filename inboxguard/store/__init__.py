"""The state store: SQLAlchemy Core over SQLite (default) or PostgreSQL. No message bodies."""

from inboxguard.store.state_store import AccountHealth, DraftRecord, Mark, StateStore

__all__ = ["AccountHealth", "DraftRecord", "Mark", "StateStore"]

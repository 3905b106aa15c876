"""Digests sent: one row per day and recipient, so a digest goes out once and a failed
delivery is retried with backoff."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, select

from inboxguard.store import schema
from inboxguard.store.engine import dialect_insert

_g = schema.digests


@dataclass(frozen=True, slots=True)
class DigestRecord:
    day: date
    recipient: str
    message_id: str
    sent_at: datetime | None
    delivered_to: str | None
    attempts: int
    last_error: str | None
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None


def digest(c: Connection, day: date, recipient: str) -> DigestRecord | None:
    row = c.execute(select(_g).where(_g.c.day == day, _g.c.recipient == recipient)).one_or_none()
    return DigestRecord(**row._mapping) if row is not None else None


def record_attempt(
    c: Connection,
    day: date,
    recipient: str,
    message_id: str,
    *,
    at: datetime,
    delivered_to: str | None,
    error: str | None,
    next_attempt_at: datetime | None,
) -> None:
    """One delivery attempt: sent (``delivered_to``) or failed (``error``, retry time).
    A failure after a success leaves the success's time and place as they were."""
    values: dict[str, Any] = {
        "message_id": message_id,
        "last_attempt_at": at,
        "last_error": error,
        "next_attempt_at": next_attempt_at if error is not None else None,
    }
    if error is None:
        values |= {"sent_at": at, "delivered_to": delivered_to}
    statement = dialect_insert(c, _g).values(day=day, recipient=recipient, attempts=1, **values)
    c.execute(
        statement.on_conflict_do_update(
            index_elements=[_g.c.day, _g.c.recipient],
            set_=values | {"attempts": _g.c.attempts + 1},
        )
    )

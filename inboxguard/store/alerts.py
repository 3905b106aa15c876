"""The alert outbox and each alert channel's health.

One row per (channel, event key): enqueuing is an insert that does nothing when the row is
there, so an event reaches a channel once however many cycles, processes or restarts see
it. A row waits (quiet hours, the channel backing off, a crash before it was sent) until
it is sent, or dropped because what it said stopped being true before it could be sent.
Rows are marked sent only after the service accepted the message: a process killed in
between sends that message again at its next start rather than losing it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, and_, delete, or_, select, update

from inboxguard.domain.alert_events import AlertEvent, AlertKind
from inboxguard.store import schema
from inboxguard.store.codec import decode_alert_facts, encode_alert_facts
from inboxguard.store.engine import IN_CHUNK, chunks, dialect_insert
from inboxguard.store.health import record_streak

_o = schema.alert_outbox
_h = schema.alert_channels


@dataclass(frozen=True, slots=True)
class QueuedAlert:
    """An event as queued for one channel, with its delivery record."""

    channel: str
    event: AlertEvent
    created_at: datetime
    sent_at: datetime | None = None
    dropped_at: datetime | None = None
    attempts: int = 0
    last_attempt_at: datetime | None = None
    next_attempt_at: datetime | None = None
    last_error: str | None = None

    @property
    def key(self) -> str:
        return self.event.key


@dataclass(frozen=True, slots=True)
class ChannelHealth:
    channel: str
    last_success_at: datetime | None
    last_failure_at: datetime | None
    failing_since: datetime | None
    last_error: str | None
    consecutive_failures: int = 0
    next_attempt_at: datetime | None = None  # set after a failure: leave the channel till then


def enqueue(c: Connection, items: Iterable[tuple[str, AlertEvent]], *, at: datetime) -> int:
    """Queue each (channel, event) not queued before; returns how many were new."""
    added = 0
    for channel, event in items:
        statement = (
            dialect_insert(c, _o)
            .values(
                channel=channel,
                key=event.key,
                kind=event.kind,
                urgency=event.urgency,
                account=event.facts.account,
                about=event.about,
                facts_json=encode_alert_facts(event.facts),
                created_at=at,
                attempts=0,
            )
            .on_conflict_do_nothing()
        )
        added += c.execute(statement).rowcount
    return added


def stale(c: Connection, account: str, live: Collection[str]) -> list[tuple[str, str]]:
    """(channel, key) of the unsent rows of ``account`` about something no longer in
    ``live``. Rows about nothing in particular (an account's failure) are never stale."""
    rows = c.execute(
        select(_o.c.channel, _o.c.key, _o.c.about).where(
            _o.c.account == account,
            _o.c.about.is_not(None),
            _o.c.sent_at.is_(None),
            _o.c.dropped_at.is_(None),
        )
    ).all()
    return [(row.channel, row.key) for row in rows if row.about not in live]


def drop(c: Connection, rows: Sequence[tuple[str, str]], *, at: datetime) -> int:
    """Drop these (channel, key) rows if still unsent; returns how many were."""
    dropped = 0
    for batch in chunks(rows, IN_CHUNK):
        unsent = and_(_pairs(batch), _o.c.sent_at.is_(None), _o.c.dropped_at.is_(None))
        dropped += int(c.execute(update(_o).where(unsent).values(dropped_at=at)).rowcount or 0)
    return dropped


def pending(c: Connection, channel: str) -> list[QueuedAlert]:
    """The channel's rows neither sent nor dropped, oldest first."""
    query = (
        select(_o)
        .where(_o.c.channel == channel, _o.c.sent_at.is_(None), _o.c.dropped_at.is_(None))
        .order_by(_o.c.created_at, _o.c.key)
    )
    return [_queued(row) for row in c.execute(query)]


def of_kinds(c: Connection, kinds: Collection[AlertKind], *, since: datetime) -> list[QueuedAlert]:
    """Every row of these kinds queued since ``since``, whatever became of it."""
    query = (
        select(_o)
        .where(_o.c.kind.in_([k.value for k in kinds]), _o.c.created_at >= since)
        .order_by(_o.c.created_at, _o.c.channel, _o.c.key)
    )
    return [_queued(row) for row in c.execute(query)]


def every(c: Connection, channel: str | None = None) -> list[QueuedAlert]:
    query = select(_o).order_by(_o.c.created_at, _o.c.channel, _o.c.key)
    if channel is not None:
        query = query.where(_o.c.channel == channel)
    return [_queued(row) for row in c.execute(query)]


def record_delivery(
    c: Connection,
    channel: str,
    keys: Sequence[str],
    *,
    at: datetime,
    error: str | None,
    next_attempt_at: datetime | None,
) -> None:
    """One attempt at sending ``keys`` to ``channel``: sent (``error`` None) or failed
    (with when to try again); the channel's health follows in the same transaction."""
    changes: dict[str, Any] = {
        "attempts": _o.c.attempts + 1,
        "last_attempt_at": at,
        "last_error": error,
        "next_attempt_at": next_attempt_at if error is not None else None,
    }
    if error is None:
        changes["sent_at"] = at
    for batch in chunks(keys, IN_CHUNK):
        c.execute(update(_o).where(_o.c.channel == channel, _o.c.key.in_(batch)).values(**changes))
    record_channel(c, channel, at=at, error=error, next_attempt_at=next_attempt_at)


def record_channel(
    c: Connection,
    channel: str,
    *,
    at: datetime,
    error: str | None,
    next_attempt_at: datetime | None,
) -> None:
    """As ``health.record_poll`` for accounts: a success clears the streak, a failure
    counts one more in a row and keeps when the streak began."""
    record_streak(c, _h, "channel", channel, at=at, error=error, next_attempt_at=next_attempt_at)


def channel_health(c: Connection, channel: str) -> ChannelHealth | None:
    row = c.execute(select(_h).where(_h.c.channel == channel)).one_or_none()
    return ChannelHealth(**row._mapping) if row is not None else None


def channels(c: Connection) -> list[ChannelHealth]:
    return [ChannelHealth(**row._mapping) for row in c.execute(select(_h).order_by(_h.c.channel))]


def prune(c: Connection, *, before: datetime) -> int:
    """Forget rows settled (sent or dropped) and queued before ``before``: long after
    anything they said could be true again, so no event comes back."""
    settled = or_(_o.c.sent_at.is_not(None), _o.c.dropped_at.is_not(None))
    result = c.execute(delete(_o).where(_o.c.created_at < before, settled))
    return int(result.rowcount or 0)


def _pairs(batch: Sequence[tuple[str, str]]) -> Any:
    return or_(*(and_(_o.c.channel == channel, _o.c.key == key) for channel, key in batch))


def _queued(row: Row[Any]) -> QueuedAlert:
    m = row._mapping
    event = AlertEvent(
        key=m["key"],
        kind=m["kind"],
        facts=decode_alert_facts(m["facts_json"]),
        about=m["about"],
        urgency=m["urgency"],
    )
    return QueuedAlert(
        channel=m["channel"],
        event=event,
        created_at=m["created_at"],
        sent_at=m["sent_at"],
        dropped_at=m["dropped_at"],
        attempts=m["attempts"],
        last_attempt_at=m["last_attempt_at"],
        next_attempt_at=m["next_attempt_at"],
        last_error=m["last_error"],
    )

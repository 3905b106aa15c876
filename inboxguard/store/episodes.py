"""Response episodes, for the statistics: when a counterpart's mail started a clock and
when (if) it was answered."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, or_, select

from inboxguard.store import schema
from inboxguard.store.engine import CHUNK, chunks, dialect_insert

_r = schema.responses


@dataclass(frozen=True, slots=True)
class EpisodeRow:
    account: str
    thread_id: str
    started_at: datetime
    answered_at: datetime | None
    due_at: datetime | None
    counterpart: str | None
    client: str | None


_CHANGING = ("answered_at", "due_at", "counterpart", "client")


def save(c: Connection, rows: Iterable[EpisodeRow]) -> None:
    """Insert new episodes and update changed ones; an unchanged one costs no write.

    Every cycle re-derives every episode and almost all are unchanged: the update's WHERE
    leaves those rows untouched. Written in chunks, so a first scan holds no list of them.
    """
    statement = dialect_insert(c, _r)
    upsert = statement.on_conflict_do_update(
        index_elements=[_r.c.account, _r.c.thread_id, _r.c.started_at],
        set_={name: statement.excluded[name] for name in _CHANGING},
        where=or_(*(_r.c[name].is_distinct_from(statement.excluded[name]) for name in _CHANGING)),
    )
    for batch in chunks(rows, CHUNK):
        c.execute(upsert, [_values(row) for row in batch])


def since(c: Connection, started: datetime) -> list[EpisodeRow]:
    # The whole key: PostgreSQL returns ties in any order, and the statistics must not.
    order = (_r.c.started_at, _r.c.account, _r.c.thread_id)
    rows = c.execute(select(_r).where(_r.c.started_at >= started).order_by(*order))
    return [EpisodeRow(**row._mapping) for row in rows]


def prune(c: Connection, account: str, *, before: datetime) -> None:
    c.execute(delete(_r).where(_r.c.account == account, _r.c.started_at < before))


def _values(row: EpisodeRow) -> dict[str, object]:
    return {
        "account": row.account,
        "thread_id": row.thread_id,
        "started_at": row.started_at,
        "answered_at": row.answered_at,
        "due_at": row.due_at,
        "counterpart": row.counterpart,
        "client": row.client,
    }

"""The owner's marks (`inboxguard mark`): facts with a time, only ever added."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, func, insert, select

from inboxguard.domain.marks import Mark
from inboxguard.store import codec, schema

_m = schema.marks


def add(c: Connection, mark: Mark) -> None:
    c.execute(
        insert(_m).values(
            account=mark.account,
            thread_id=mark.thread_id,
            action=mark.action,
            stage=mark.stage,
            at=mark.at,
            detail_json=codec.encode_mark_detail(mark.occurrence, mark.signals),
        )
    )


def last_id(c: Connection, account: str) -> int:
    """Grows with every mark: a long-running process notices marks made by `mark`."""
    value = c.execute(select(func.max(_m.c.id)).where(_m.c.account == account)).scalar()
    return int(value or 0)


def marks(c: Connection, account: str) -> list[Mark]:
    """In time order (ties in the order they were made)."""
    rows = c.execute(select(_m).where(_m.c.account == account).order_by(_m.c.at, _m.c.id))
    return [_mark(r) for r in rows]


def _mark(row: Row[Any]) -> Mark:
    occurrence, signals = codec.decode_mark_detail(row.detail_json)
    return Mark(row.account, row.thread_id, row.action, row.stage, row.at, occurrence, signals)

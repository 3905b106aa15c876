"""The owner's marks (`inboxguard mark`): facts with a time, only ever added."""

from __future__ import annotations

from sqlalchemy import Connection, func, insert, select

from inboxguard.domain.marks import Mark
from inboxguard.store import schema

_m = schema.marks


def add(c: Connection, mark: Mark) -> None:
    c.execute(
        insert(_m).values(
            account=mark.account,
            thread_id=mark.thread_id,
            action=mark.action,
            stage=mark.stage,
            at=mark.at,
        )
    )


def last_id(c: Connection, account: str) -> int:
    """Grows with every mark: a long-running process notices marks made by `mark`."""
    value = c.execute(select(func.max(_m.c.id)).where(_m.c.account == account)).scalar()
    return int(value or 0)


def marks(c: Connection, account: str) -> list[Mark]:
    """In time order (ties in the order they were made)."""
    rows = c.execute(select(_m).where(_m.c.account == account).order_by(_m.c.at, _m.c.id))
    return [Mark(r.account, r.thread_id, r.action, r.stage, r.at) for r in rows]

"""Account leases: one worker per account at a time across processes sharing a store, and
each account's last cycle record.

A lease is a row (account → holder, until when). Taking one is atomic on both dialects
without a lock of its own: an INSERT … ON CONFLICT DO NOTHING for a new row, else an
UPDATE that only matches when the row is ours or has expired, each judged by its row
count. Of two processes racing, the database serialises the two writes of the row and
the second one's condition no longer holds: exactly one wins. A killed worker's lease
simply expires. Leases run on the wall clock; ``now`` is passed in to be testable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, case, delete, or_, select, update

from inboxguard.store import schema
from inboxguard.store.engine import IN_CHUNK, chunks, dialect_insert

_l = schema.account_leases
_c = schema.account_cycles


@dataclass(frozen=True, slots=True)
class Lease:
    account: str
    holder: str
    acquired_at: datetime  # when this holder took it (a renewal keeps it)
    expires_at: datetime

    def expired(self, now: datetime) -> bool:
        return self.expires_at <= now


@dataclass(frozen=True, slots=True)
class CycleRecord:
    """What an account's last assessment left for the next process."""

    account: str
    next_change_at: datetime | None  # None: nothing changes by the clock alone
    assessed_at: datetime
    fingerprint: str | None  # what it saw, opaque to the store


def acquire(c: Connection, account: str, holder: str, ttl: timedelta, now: datetime) -> bool:
    if ttl <= timedelta(0):
        raise ValueError("a lease lasts a positive time")
    expires = now + ttl
    insert_new = (
        dialect_insert(c, _l)
        .values(account=account, holder=holder, acquired_at=now, expires_at=expires)
        .on_conflict_do_nothing(index_elements=[_l.c.account])
    )
    if c.execute(insert_new).rowcount == 1:
        return True
    # Ours: renewed (acquired_at kept). Expired: taken over (acquired now). PostgreSQL
    # checks this WHERE again on the row a concurrent winner just wrote.
    renew_or_take = (
        update(_l)
        .where(_l.c.account == account, or_(_l.c.holder == holder, _l.c.expires_at <= now))
        .values(
            holder=holder,
            expires_at=expires,
            acquired_at=case((_l.c.holder == holder, _l.c.acquired_at), else_=now),
        )
    )
    return c.execute(renew_or_take).rowcount == 1


def release(c: Connection, account: str, holder: str) -> None:
    """Give the lease up; nothing when it is not ours (any longer)."""
    c.execute(delete(_l).where(_l.c.account == account, _l.c.holder == holder))


def leases(c: Connection, now: datetime) -> list[Lease]:
    """Every lease, expired ones included: live ones first, each group by account."""
    rows = [_lease(row) for row in c.execute(select(_l).order_by(_l.c.account))]
    return sorted(rows, key=lambda lease: lease.expired(now))


def due_accounts(
    c: Connection, accounts: Sequence[str], holder: str, now: datetime, limit: int
) -> list[str]:
    """Up to ``limit`` of ``accounts`` (in their order) that nobody else holds a live
    lease on. On PostgreSQL the lease rows read are locked (FOR UPDATE SKIP LOCKED) for the
    transaction: a row another worker is taking right now is skipped, not waited for, and
    its account is not offered."""
    if limit <= 0 or not accounts:
        return []
    taken: set[str] = set()
    seen: set[str] = set()
    for batch in chunks(dict.fromkeys(accounts), IN_CHUNK):
        query = select(_l.c.account, _l.c.holder, _l.c.expires_at).where(_l.c.account.in_(batch))
        if c.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        for row in c.execute(query):
            seen.add(row.account)
            if row.holder != holder and row.expires_at > now:
                taken.add(row.account)
        if c.dialect.name == "postgresql":
            # A row skipped as locked is being written by another worker: not free.
            locked = set(batch) - seen
            if locked:
                taken.update(
                    c.execute(select(_l.c.account).where(_l.c.account.in_(locked))).scalars()
                )
    free = [a for a in dict.fromkeys(accounts) if a not in taken]
    return free[:limit]


def _lease(row: Row[Any]) -> Lease:
    return Lease(row.account, row.holder, row.acquired_at, row.expires_at)


def record_cycle(
    c: Connection,
    account: str,
    *,
    next_change_at: datetime | None,
    assessed_at: datetime,
    fingerprint: str | None,
) -> None:
    statement = dialect_insert(c, _c).values(
        account=account,
        next_change_at=next_change_at,
        assessed_at=assessed_at,
        fingerprint=fingerprint,
    )
    c.execute(
        statement.on_conflict_do_update(
            index_elements=[_c.c.account],
            set_={
                "next_change_at": statement.excluded.next_change_at,
                "assessed_at": statement.excluded.assessed_at,
                "fingerprint": statement.excluded.fingerprint,
            },
        )
    )


def last_cycle(c: Connection, account: str) -> CycleRecord | None:
    row = c.execute(select(_c).where(_c.c.account == account)).one_or_none()
    if row is None:
        return None
    return CycleRecord(row.account, row.next_change_at, row.assessed_at, row.fingerprint)

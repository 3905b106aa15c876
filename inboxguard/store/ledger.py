"""The draft ledger: a draft is never written twice, not after a crash and not when two
processes run at once.

A draft is claimed before it is appended: an insert that only one caller can win, keyed
by its Message-ID and by its identity (account, thread, purpose, anchor). The winner
appends and settles the row (WRITTEN, or FOUND when a search of Drafts found it already
there). A row left CLAIMED by a process that died in between is settled by a search at
the next cycle (``unsettled``), never by a blind second append.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import Connection, Row, select, update

from inboxguard.domain.drafts import DraftRecord, DraftStatus
from inboxguard.store import schema
from inboxguard.store.engine import dialect_insert

_d = schema.drafts


def claim(c: Connection, record: DraftRecord) -> DraftRecord | None:
    """The record as claimed if this call inserted it; None if any row for the draft
    (by Message-ID or by identity) was there already, claimed or settled, by anyone."""
    claimed = replace(record, status=DraftStatus.CLAIMED)
    return claimed if _insert(c, claimed) else None


def record(c: Connection, record: DraftRecord) -> None:
    """Insert a settled record as it is; nothing if the draft is in the ledger already."""
    _insert(c, record)


def settle(c: Connection, message_id: str, *, status: DraftStatus, location: str | None) -> bool:
    """Mark a claimed draft WRITTEN or FOUND; False when no row has that Message-ID."""
    if status is DraftStatus.CLAIMED:
        raise ValueError("a draft is settled as written or found, not claimed")
    result = c.execute(
        update(_d).where(_d.c.message_id == message_id).values(status=status, location=location)
    )
    return bool(result.rowcount)


def unsettled(c: Connection, account: str) -> list[DraftRecord]:
    query = select(_d).where(_d.c.account == account, _d.c.status == DraftStatus.CLAIMED)
    return [_record(row) for row in c.execute(query.order_by(_d.c.created_at, _d.c.message_id))]


def draft(c: Connection, message_id: str) -> DraftRecord | None:
    row = c.execute(select(_d).where(_d.c.message_id == message_id)).one_or_none()
    return _record(row) if row is not None else None


def drafts(c: Connection, account: str | None = None) -> list[DraftRecord]:
    """Every row, settled or claimed, in creation order."""
    query = select(_d).order_by(_d.c.created_at, _d.c.message_id)
    if account is not None:
        query = query.where(_d.c.account == account)
    return [_record(row) for row in c.execute(query)]


def _insert(c: Connection, record: DraftRecord) -> bool:
    # No conflict target: a clash on the Message-ID and one on the identity key both
    # mean the draft is someone else's.
    statement = (
        dialect_insert(c, _d)
        .values(
            message_id=record.message_id,
            account=record.account,
            thread_id=record.thread_id,
            purpose=record.purpose,
            clock_started_at=record.clock_started_at,
            created_at=record.created_at,
            folder=record.folder,
            location=record.location,
            status=record.status,
        )
        .on_conflict_do_nothing()
    )
    return c.execute(statement).rowcount == 1


def _record(row: Row[Any]) -> DraftRecord:
    return DraftRecord(**row._mapping)

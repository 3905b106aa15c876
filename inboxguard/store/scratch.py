"""A scratch copy: a writable store in memory holding what another store holds.

A what-if ("what happens on Tuesday?") reads the mailboxes as a cycle would, and a cycle
writes what it read; into a scratch copy, so the real store is never touched.
"""

from __future__ import annotations

from sqlalchemy import Connection, insert, select

from inboxguard.store import schema
from inboxguard.store.engine import CHUNK, chunks


def copy_rows(source: Connection, target: Connection) -> None:
    """Every row of every current table but ``meta`` (the target is migrated already)."""
    for table in schema.metadata.sorted_tables:
        if table is schema.meta:
            continue
        rows = (dict(row._mapping) for row in source.execute(select(table)))
        for batch in chunks(rows, CHUNK):
            target.execute(insert(table), batch)

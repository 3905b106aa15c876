"""Schema versions and the steps between them.

Version N's step brings a store at N-1 to N inside one transaction. A new version appends a
step; steps are never edited once released, so every old store walks the same path.
A store newer than this code is refused rather than guessed at.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, insert, inspect, select, update

from inboxguard.errors import InboxGuardError
from inboxguard.store import schema

Step = Callable[[Connection], None]


def _v1_initial(connection: Connection) -> None:
    schema.metadata.create_all(connection)


STEPS: tuple[Step, ...] = (_v1_initial,)
CURRENT_VERSION = len(STEPS)


class StoreVersionError(InboxGuardError):
    exit_code = 2


def stored_version(connection: Connection) -> int:
    if not inspect(connection).has_table("meta"):
        return 0
    row = connection.execute(
        select(schema.meta.c.value).where(schema.meta.c.key == "schema_version")
    ).scalar_one_or_none()
    return int(row) if row is not None else 0


def migrate(connection: Connection) -> int:
    """Bring the schema to CURRENT_VERSION; returns the version it started from."""
    start = stored_version(connection)
    if start > CURRENT_VERSION:
        raise StoreVersionError(
            f"the state store has schema version {start}, newer than this InboxGuard "
            f"({CURRENT_VERSION}); upgrade InboxGuard or point state.url elsewhere"
        )
    for version in range(start + 1, CURRENT_VERSION + 1):
        STEPS[version - 1](connection)
        _set_version(connection, version)
    return start


def _set_version(connection: Connection, version: int) -> None:
    table = schema.meta
    exists = connection.execute(
        select(table.c.key).where(table.c.key == "schema_version")
    ).scalar_one_or_none()
    if exists is None:
        connection.execute(insert(table).values(key="schema_version", value=str(version)))
    else:
        connection.execute(
            update(table).where(table.c.key == "schema_version").values(value=str(version))
        )

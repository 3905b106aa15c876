"""Schema versions and the steps between them.

Version N's step brings a store at N-1 to N inside one transaction. A new version appends a
step; steps are never edited once released, so every old store walks the same path.
A store newer than this code is refused rather than guessed at.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Column, Connection, Table, insert, inspect, select, text, update
from sqlalchemy.schema import CreateColumn

from inboxguard.errors import InboxGuardError
from inboxguard.store import schema

Step = Callable[[Connection], None]


def _v1_initial(connection: Connection) -> None:
    schema.metadata.create_all(connection)


def _v2_account_backoff(connection: Connection) -> None:
    """account_health gains consecutive_failures and next_attempt_at.

    A store created by this code's v1 step already has them (v1 creates the current
    tables), so only missing columns are added.
    """
    table = schema.account_health
    _add_missing_columns(connection, table, (table.c.consecutive_failures, table.c.next_attempt_at))


def _add_missing_columns(
    connection: Connection, table: Table, columns: Sequence[Column[Any]]
) -> None:
    present = {c["name"] for c in inspect(connection).get_columns(table.name)}
    for column in columns:
        if column.name not in present:
            ddl = CreateColumn(column).compile(dialect=connection.dialect)
            connection.execute(text(f"ALTER TABLE {table.name} ADD COLUMN {ddl}"))


def _v3_text_read(connection: Connection) -> None:
    """messages gains text_read: texts are now read only where they decide a state."""
    _add_missing_columns(connection, schema.messages, (schema.messages.c.text_read,))


def _v4_incident_facts(connection: Connection) -> None:
    """messages gains the incident facts of its text; NULL until read (recent mail is
    read again once, for its incident score and report stages)."""
    t = schema.messages
    columns = (t.c.incident_score, t.c.incident_keywords_json, t.c.report_stages)
    _add_missing_columns(connection, t, columns)


def _v5_digests(connection: Connection) -> None:
    """digests: what was sent on which day, so a digest is never sent twice."""
    schema.digests.create(connection, checkfirst=True)


STEPS: tuple[Step, ...] = (
    _v1_initial,
    _v2_account_backoff,
    _v3_text_read,
    _v4_incident_facts,
    _v5_digests,
)
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

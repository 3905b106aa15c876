"""Fixtures every test package shares: the state store, on SQLite and on a real PostgreSQL.

``store`` (and ``backend``, for a test that needs the store's URL or a second store) is
parametrized ``sqlite`` / ``postgresql``: every test that takes it runs against both. The
PostgreSQL is tests/live/postgres_server.py's, one per session, started when a test first
asks for it; each test gets its own database. Without PostgreSQL installed those runs skip
with a one-line hint, and under CI=true they fail instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql
from sqlalchemy import MetaData, create_engine, select

from inboxguard.store import StateStore
from tests.live.postgres_server import PostgresServer, postgres_bin, running

BACKENDS = ("sqlite", "postgresql")


def _unavailable(message: str) -> None:
    """Skip on a developer's machine; in CI a missing server is a failure, never a skip."""
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


# What a database's schema is, in one row: its tables, columns, indexes, triggers,
# functions and version. A test that changed any of it leaves a database not reused.
_SCHEMA = """
SELECT md5(coalesce(string_agg(c.relname || '.' || a.attname || ':' || a.atttypid
                               || ':' || a.attnotnull || ':'
                               || coalesce(pg_get_expr(d.adbin, d.adrelid), ''),
                               ',' ORDER BY c.relname, a.attnum), '')),
       (SELECT count(*) FROM pg_class k JOIN pg_namespace n ON n.oid = k.relnamespace
         WHERE n.nspname = 'public'),
       (SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal),
       (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE n.nspname = 'public'),
       (SELECT value FROM meta WHERE key = 'schema_version'),
       (SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()) - 1
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public' AND c.relkind = 'r'
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
"""


@dataclass
class PostgresSession:
    """The session's server and the template every test's database is cloned from.

    Cloning costs tens of milliseconds (hundreds on a busy machine), so a database a test
    is done with is emptied and handed to the next test instead, unless the test changed
    its schema (a trigger, a dropped column, another version) or left a connection open.
    """

    server: PostgresServer
    template: str  # a database migrated to the current version
    shape: tuple[Any, ...] = ()
    free: list[str] = field(default_factory=list)

    def fresh(self, *, migrated: bool = True) -> str:
        """A database of its own for a test: migrated (an emptied one, or a clone of the
        template), or empty, without tables."""
        if migrated and self.free:
            return self.free.pop()
        return self.server.create_database(template=self.template if migrated else "template0")

    def done(self, database: str) -> None:
        """The test is over: keep the database for another if it is as the template was."""
        with self.server.admin(database) as connection:
            try:
                shape = tuple(connection.execute(_SCHEMA.encode()).fetchone() or ())
            except psycopg.Error:  # no meta table: not a store at the current version
                return
            if shape != self.shape:
                return
            # DELETE, not TRUNCATE: a few rows go faster than new files for every table.
            emptying = [
                sql.SQL("DELETE FROM {}").format(sql.Identifier(name))
                for (name,) in connection.execute(
                    b"SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                    b" AND tablename <> 'meta'"
                )
            ] + [
                sql.SQL("ALTER SEQUENCE {} RESTART").format(sql.Identifier(name))
                for (name,) in connection.execute(
                    b"SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'"
                )
            ]
            connection.execute(sql.SQL("; ").join(emptying))
        self.free.append(database)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresSession]:
    if postgres_bin() is None:
        _unavailable("PostgreSQL store tests need PostgreSQL: sudo apt-get install postgresql")
    with running() as server:
        template = server.create_database(name="inboxguard_template")
        StateStore.open(server.url(template)).close()
        session = PostgresSession(server, template)
        with server.admin(template) as connection:
            session.shape = tuple(connection.execute(_SCHEMA.encode()).fetchone() or ())
        yield session


@dataclass
class Backend:
    """Where a test's stores live: an SQLite directory, or the session's PostgreSQL."""

    name: str
    tmp_path: Path
    postgres: PostgresSession | None = None
    databases: list[str] = field(default_factory=list)

    def url(self, label: str = "state", *, migrated: bool = True) -> str:
        """A new, empty store's URL (``label``: its file's name on SQLite). ``migrated``:
        on PostgreSQL, a database at the current version (opening it then migrates
        nothing, as opening a new SQLite file would create it), else one without tables."""
        if self.postgres is None:
            return f"sqlite:///{self.tmp_path / f'{label}.db'}"
        name = self.postgres.fresh(migrated=migrated)
        self.databases.append(name)
        return self.postgres.server.url(name)

    def open(self, label: str = "state", **options: Any) -> StateStore:
        return StateStore.open(self.url(label), **options)

    @property
    def server(self) -> PostgresServer:
        assert self.postgres is not None, "a PostgreSQL test only"
        return self.postgres.server


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "sqlite":
        yield Backend("sqlite", tmp_path)
        return
    session: PostgresSession = request.getfixturevalue("postgres")
    backend = Backend("postgresql", tmp_path, session)
    yield backend
    for database in backend.databases:
        session.done(database)


@pytest.fixture
def store(backend: Backend) -> Iterator[StateStore]:
    """A fresh state store: an SQLite file in the test's directory, or a database of its own."""
    store = backend.open()
    yield store
    store.close()


def contents(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table at ``url``, sorted: a dialect-neutral "SQL dump" to compare
    before and after (the engine is the test's own, not the store's)."""
    engine = create_engine(url)
    try:
        tables = MetaData()
        tables.reflect(engine)
        with engine.connect() as connection:
            return {
                name: sorted((tuple(row) for row in connection.execute(select(table))), key=repr)
                for name, table in sorted(tables.tables.items())
            }
    finally:
        engine.dispose()

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

import pytest
from sqlalchemy import MetaData, create_engine, select

from inboxguard.store import StateStore
from tests.live.postgres_server import PostgresServer, postgres_bin, running

BACKENDS = ("sqlite", "postgresql")


def _unavailable(message: str) -> None:
    """Skip on a developer's machine; in CI a missing server is a failure, never a skip."""
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@dataclass
class PostgresSession:
    """The session's server and the template every test's database is cloned from."""

    server: PostgresServer
    template: str  # a database migrated to the current version

    def fresh(self, *, migrated: bool = True) -> str:
        """A new database's name: a clone of the migrated template, or empty."""
        return self.server.create_database(template=self.template if migrated else "template0")


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresSession]:
    if postgres_bin() is None:
        _unavailable("PostgreSQL store tests need PostgreSQL: sudo apt-get install postgresql")
    with running() as server:
        template = server.create_database(name="inboxguard_template")
        StateStore.open(server.url(template)).close()
        yield PostgresSession(server, template)


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
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    if request.param == "postgresql":
        return Backend("postgresql", tmp_path, request.getfixturevalue("postgres"))
    return Backend("sqlite", tmp_path)


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

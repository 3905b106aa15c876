"""Where a store lives and how it is connected to: the SQLite file or the PostgreSQL URL,
connection settings, transactions, the dialect's INSERT … ON CONFLICT, and turning every
database error into one line that names the store and leaks no data.

SQLite and PostgreSQL only: both speak ON CONFLICT, which every upsert here relies on.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from itertools import islice
from pathlib import Path
from typing import Any, TypeVar

from psycopg.abc import Buffer
from psycopg.types.string import StrDumperUnknown
from sqlalchemy import URL, Connection, Engine, Table, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    OperationalError,
    SQLAlchemyError,
    StatementError,
)
from sqlalchemy.pool import StaticPool

from inboxguard.errors import (
    ConfigError,
    StoreCommitUnknownError,
    StoreConflictError,
    StoreConnectionError,
    StoreError,
    StoreUnreachableError,
)

# How long SQLite waits for another process's write before "database is locked": ordinary
# contention (a cycle and `inboxguard mark`) waits; a stuck process fails in one line.
BUSY_TIMEOUT_MS = 5000

CONNECT_TIMEOUT = 10  # seconds to reach a PostgreSQL server

CHUNK = 2000  # rows per executemany: bounded memory, few round trips
IN_CHUNK = 500  # values per IN (…): well under every database's limit on parameters

_WRITE = "inboxguard_write"  # execution option: this transaction will write

_DIALECTS = ("sqlite", "postgresql")


@dataclass(frozen=True, slots=True)
class StoreLocation:
    """A parsed ``state.url``. ``name`` is how every message names the store: the file
    path, or the URL with its password hidden."""

    url: URL
    name: str
    path: Path | None  # the SQLite file; None in memory or on a server

    @property
    def dialect(self) -> str:
        return self.url.get_backend_name()

    @property
    def memory(self) -> bool:
        return self.dialect == "sqlite" and self.path is None

    def beside(self, suffix: str) -> Path | None:
        """A path next to the SQLite file (``state.db.lock``); None when there is no file."""
        return self.path.with_name(self.path.name + suffix) if self.path is not None else None


def locate(url: str) -> StoreLocation:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError("state.url", "not a database URL") from None
    backend = parsed.get_backend_name()
    if backend not in _DIALECTS:
        raise ConfigError("state.url", f"{backend} is not supported (sqlite or postgresql)")
    if backend == "sqlite":
        if parsed.database in (None, "", ":memory:"):
            return StoreLocation(parsed.set(database=None), "in-memory store", None)
        path = Path(parsed.database or "").expanduser()
        return StoreLocation(parsed.set(database=str(path)), str(path), path)
    return StoreLocation(parsed, parsed.render_as_string(hide_password=True), None)


def prepare_sqlite_file(path: Path) -> None:
    """Create the database file 0600 (and its directory 0700) before SQLite touches it."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    os.close(fd)
    path.chmod(0o600)


def create_store_engine(location: StoreLocation, *, read_only: bool) -> Engine:
    options: dict[str, Any] = {}
    if location.memory:
        # One connection for every thread: each new connection would be a new, empty store.
        options = {"poolclass": StaticPool, "connect_args": {"check_same_thread": False}}
    elif location.dialect == "postgresql":
        # pre_ping: a pooled connection a restarted server (or a cut) left dead is
        # replaced before use, not failed on. connect_timeout: an unreachable host fails
        # in seconds, not in the kernel's minutes.
        options = {"pool_pre_ping": True, "connect_args": {"connect_timeout": CONNECT_TIMEOUT}}
    try:
        # hide_parameters: an error's text never carries the values (subjects, addresses).
        # preserve_rowcount: an INSERT … ON CONFLICT DO NOTHING tells whether it inserted
        # by its row count (a claim won or not), which psycopg's cursor otherwise loses.
        engine = create_engine(
            location.url,
            hide_parameters=True,
            execution_options={"preserve_rowcount": True},
            **options,
        )
    except (ArgumentError, ImportError) as exc:
        raise ConfigError("state.url", f"cannot use this database: {_first_line(exc)}") from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", partial(_sqlite_connect, read_only=read_only))
        event.listen(engine, "begin", _sqlite_begin)
    else:
        event.listen(engine, "connect", partial(_postgresql_connect, read_only=read_only))
    return engine


def _sqlite_connect(dbapi_connection: Any, _record: Any, *, read_only: bool) -> None:
    # The driver's own transaction handling skips BEGIN before SELECT and DDL (reads are
    # then not one snapshot, migrations not atomic): SQLAlchemy emits BEGIN instead.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_MS)}")  # first: the others may wait
    if read_only:
        # Defence in depth under the facade's refusal. Not mode=ro, which leaves -wal and
        # -shm files behind; a query_only connection removes them on close.
        cursor.execute("PRAGMA query_only=ON")
    else:
        # WAL is set once, by the migration (see ``journal_mode``), not here: two
        # connections switching a new file at once fail at once, without a busy wait.
        cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def journal_mode(engine: Engine, *, wal: bool = False) -> str:
    """The SQLite file's journal mode; ``wal``: switch it to WAL first (it stays so, in
    the file). Outside any transaction, where SQLite allows the switch."""
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("PRAGMA journal_mode=WAL" if wal else "PRAGMA journal_mode")
        row = cursor.fetchone()
        cursor.close()
        return str(row[0]) if row else ""
    finally:
        raw.close()


def _sqlite_begin(connection: Connection) -> None:
    # A writing transaction takes the write lock at BEGIN: one that read first and then
    # wrote could fail at once with "database is locked" instead of waiting its turn.
    write = connection.get_execution_options().get(_WRITE, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


class _NulFreeText(StrDumperUnknown):
    """Text as psycopg sends it, with NUL replaced by U+FFFD: PostgreSQL's text cannot hold
    NUL, and a hostile header (a subject, an address, a Message-ID) must not make its
    message, or the folder's whole batch, impossible to store. Applied to every value, the
    same way, so a Message-ID and the In-Reply-To naming it still match."""

    def dump(self, obj: str) -> Buffer | None:
        return super().dump(obj.replace("\x00", "\ufffd") if "\x00" in obj else obj)


def _postgresql_connect(dbapi_connection: Any, _record: Any, *, read_only: bool) -> None:
    dbapi_connection.adapters.register_dumper(str, _NulFreeText)
    if read_only:
        cursor = dbapi_connection.cursor()
        cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        cursor.close()
        dbapi_connection.commit()  # a SET inside a transaction rolled back would be undone


class CommitUnknown(Exception):
    """The database failed while committing: whether the transaction was written is
    unknown. Carries the database's error."""

    def __init__(self, error: SQLAlchemyError) -> None:
        super().__init__(str(error))
        self.error = error


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as connection:
        connection.execution_options(**{_WRITE: True})
        transaction = connection.begin()
        try:
            yield connection
        except BaseException:
            if transaction.is_active:
                transaction.rollback()
            raise
        try:
            transaction.commit()
        except SQLAlchemyError as exc:
            raise CommitUnknown(exc) from exc


@contextmanager
def read_transaction(engine: Engine, *, snapshot: bool = False) -> Iterator[Connection]:
    """One read transaction. ``snapshot``: every statement sees the same moment (SQLite's
    transactions always do; PostgreSQL needs REPEATABLE READ for it)."""
    with engine.connect() as connection:
        if snapshot and engine.dialect.name == "postgresql":
            connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            yield connection


def dialect_insert(connection: Connection, table: Table) -> sqlite.Insert | postgresql.Insert:
    """INSERT with ON CONFLICT for this connection's dialect (``locate`` admits no other)."""
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


T = TypeVar("T")


def chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


# SQLSTATEs after which running the same transaction again can succeed: the server
# rolled it back whole to keep concurrent ones consistent.
_CONFLICTS = {"40001": "serialization failure", "40P01": "deadlock"}


@contextmanager
def translated_errors(store: str, *, secret: str | None = None) -> Iterator[None]:
    """Database and file errors leave as one-line ``StoreError``s naming ``store``: a lost
    connection as ``StoreConnectionError``, one lost while committing as
    ``StoreCommitUnknownError``, a serialization failure or deadlock as
    ``StoreConflictError``. ``secret`` (the URL's password) never appears in the message,
    whatever the driver said.

    ``from None``: the original's text holds the SQL (and, on PostgreSQL, DETAIL lines with
    row values); it must not reach a traceback or a log.
    """
    try:
        yield
    except CommitUnknown as unknown:
        what = _scrub(describe(unknown.error), secret)
        raise StoreCommitUnknownError(
            store, f"{what}; lost while committing, so it may or may not have been written"
        ) from None
    except (SQLAlchemyError, OSError) as exc:
        what = _scrub(describe(exc), secret)
        kind = classify(exc)
        if kind == "connection":
            raise StoreConnectionError(
                store, f"{what}; the server is unreachable or restarting"
            ) from None
        if kind in _CONFLICTS.values():
            raise StoreConflictError(store, f"{what} ({kind}); try again") from None
        raise StoreError(store, what) from None


def classify(exc: BaseException) -> str | None:
    """ "connection" when the connection was lost (or never made), the name of a conflict
    (``_CONFLICTS``), or None for every other error."""
    if isinstance(exc, CommitUnknown):
        return None
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return "connection"
        state = getattr(exc.orig, "sqlstate", None)
        if state in _CONFLICTS:
            return _CONFLICTS[state]
        if isinstance(state, str) and state[:2] in ("08", "57"):  # connection, shutdown
            return "connection"
        # libpq's own failures (refused, timed out, closed unexpectedly) carry no SQLSTATE.
        if (
            isinstance(exc, OperationalError)
            and state is None
            and type(exc.orig).__module__.startswith("psycopg")
        ):
            return "connection"
    return None


def _scrub(message: str, secret: str | None) -> str:
    return message.replace(secret, "***") if secret else message


_WRONG_URL = (
    "password authentication failed",
    "authentication failed",
    "does not exist",
    "no pg_hba.conf entry",
    "password is required",
    "no password supplied",
    "permission denied for database",
)


def reach(engine: Engine, location: StoreLocation) -> None:
    """Connect once to a server store, so that a wrong ``state.url`` (no such host, port,
    role or database; the login refused) is one ``StoreUnreachableError`` at open, told
    apart from a failure later on. Disposes of the engine when it fails."""
    if location.dialect == "sqlite":
        return
    try:
        engine.connect().close()
    except SQLAlchemyError as exc:
        engine.dispose()
        what = _scrub(describe(exc), location.url.password)
        # The login refused or no such role or database: the URL is wrong, and retrying
        # cannot help (exit 2, which systemd does not restart). A refused or timed out
        # connection may be a server still starting at boot: a runtime failure (exit 1)
        # that the service's restart, or the next cron run, tries again. libpq gives no
        # SQLSTATE before the session exists, so its words decide.
        if any(words in what.lower() for words in _WRONG_URL):
            raise StoreUnreachableError(
                location.name, f"cannot connect: {what}; check state.url"
            ) from None
        raise StoreConnectionError(
            location.name, f"cannot connect: {what}; is the server running? (tried again later)"
        ) from None


# What to do, for the errors where it is clear. Matched on the lower-cased first line.
_HINTS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("database is locked", "database table is locked"), "another process holds it; try again"),
    (
        (
            "readonly database",
            "read-only",
            "permission denied",
            "operation not permitted",
            "unable to open database",
        ),
        "the file or its directory is not writable",
    ),
    (("disk is full", "no space left"), "the disk is full; free some space"),
    (
        ("not a database", "malformed"),
        "move the file away (a new one is started) or check state.url",
    ),
)

# A server's words mean something else: "permission denied" is a missing privilege of the
# role, not a file's mode.
_SERVER_HINTS: tuple[tuple[tuple[str, ...], str], ...] = (
    (
        ("permission denied", "must be owner"),
        "the role in state.url lacks a privilege on the database (see docs/state.md)",
    ),
    (("read-only transaction",), "the server is read-only (a standby?)"),
    (("no space left", "disk full"), "the server's disk is full"),
    (("too many connections", "remaining connection slots"), "the server has no free connection"),
)

_BACKGROUND = re.compile(r"\s*\(Background on this error at: [^)]*\)\s*$")


def describe(exc: BaseException) -> str:
    """What happened, in one line from the first line of the driver's message, with what
    to do where it is clear. Never the statement or its parameters."""
    hints = _HINTS
    if isinstance(exc, StatementError):
        # The driver's (or a bind processor's) own message, never the wrapper's SQL.
        what = _first_line(exc.orig) if exc.orig is not None else type(exc).__name__
        if type(exc.orig).__module__.startswith("psycopg"):
            hints = _SERVER_HINTS
    elif isinstance(exc, OSError):
        what = exc.strerror or type(exc).__name__
        if exc.filename is not None:
            what = f"{exc.filename}: {what}"
    else:
        what = _BACKGROUND.sub("", _first_line(exc))
    what = what or type(exc).__name__
    lowered = what.lower()
    for needles, hint in hints:
        if any(needle in lowered for needle in needles):
            return f"{what}; {hint}"
    return what


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0].strip() if text else type(exc).__name__

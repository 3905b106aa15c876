"""Schema versions and the frozen steps between them.

Step N brings a store at N-1 to N. A step is never edited once released, and imports
nothing from ``schema.py``: it carries its own copy of what it creates, so a store created
today walks the same path as one created by the first release (a fresh store is v1 plus
every step). A new version appends a step and changes ``schema.py`` to match.

Steps add only what is missing. Releases up to 0.1.0 ran DDL outside the migration's
transaction (the sqlite3 driver's legacy mode), so a store of theirs may hold a column
of the next version without the version number that says so.

The whole run is one transaction, serialised between processes (a lock file beside an
SQLite store; a transaction advisory lock on PostgreSQL), and the version is read again
once the lock is held: of two processes opening a new store at once, one creates it and
the other finds it current.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    Engine,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    inspect,
    select,
    text,
    true,
)
from sqlalchemy.schema import CreateColumn

from inboxguard.errors import StoreVersionError
from inboxguard.store.engine import (
    StoreLocation,
    dialect_insert,
    journal_mode,
    read_transaction,
    write_transaction,
)
from inboxguard.store.locks import file_lock

__all__ = ["CURRENT_VERSION", "STEPS", "StoreVersionError", "migrate", "stored_version"]

Step = Callable[[Connection], None]

# -- v1: the first release's tables, as it created them ---------------------------------

_V1 = MetaData()

_META = Table(
    "meta",
    _V1,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

_v1_messages = Table(
    "messages",
    _V1,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account", String(200), nullable=False),
    Column("folder", String(500), nullable=False),
    Column("uid", String(200), nullable=False),
    Column("role", String(16), nullable=False),
    Column("message_id", String(998), nullable=False),
    Column("thread_id", String(32)),
    Column("subject", Text, nullable=False),
    Column("sender_name", Text, nullable=False),
    Column("sender_address", String(320), nullable=False),
    Column("to_json", Text, nullable=False),
    Column("cc_json", Text, nullable=False),
    Column("in_reply_to_json", Text, nullable=False),
    Column("references_json", Text, nullable=False),
    Column("date", DateTime, nullable=False),
    Column("provider_thread_id", String(200)),
    Column("automated_reason", Text),
    Column("ack_only", Boolean, nullable=False),
    Column("promise_phrase", Text),
    Column("promise_date", Date),
    Column("promise_due_at", DateTime),
    Column("keywords_json", Text, nullable=False),
    Column("seen_at", DateTime, nullable=False),
    UniqueConstraint("account", "folder", "uid", name="uq_messages_location"),
)
Index("ix_messages_account_message_id", _v1_messages.c.account, _v1_messages.c.message_id)
Index("ix_messages_thread", _v1_messages.c.thread_id)

Table(
    "folders",
    _V1,
    Column("account", String(200), primary_key=True),
    Column("folder", String(500), primary_key=True),
    Column("marker_json", Text, nullable=False),
    Column("updated_at", DateTime, nullable=False),
)

_v1_drafts = Table(
    "drafts",
    _V1,
    Column("message_id", String(998), primary_key=True),
    Column("account", String(200), nullable=False),
    Column("thread_id", String(32), nullable=False),
    Column("purpose", String(32), nullable=False),
    Column("clock_started_at", DateTime, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("folder", String(500), nullable=False),
    Column("location", String(500)),
)
Index("ix_drafts_thread", _v1_drafts.c.thread_id)

_v1_marks = Table(
    "marks",
    _V1,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account", String(200), nullable=False),
    Column("thread_id", String(32), nullable=False),
    Column("action", String(32), nullable=False),
    Column("stage", String(32)),
    Column("at", DateTime, nullable=False),
)
Index("ix_marks_thread", _v1_marks.c.thread_id)

Table(
    "responses",
    _V1,
    Column("account", String(200), primary_key=True),
    Column("thread_id", String(32), primary_key=True),
    Column("started_at", DateTime, primary_key=True),
    Column("answered_at", DateTime),
    Column("due_at", DateTime),
    Column("counterpart", String(320)),
    Column("client", Text),
)

Table(
    "account_health",
    _V1,
    Column("account", String(200), primary_key=True),
    Column("last_success_at", DateTime),
    Column("last_failure_at", DateTime),
    Column("failing_since", DateTime),
    Column("last_error", Text),
)


def _v1_initial(connection: Connection) -> None:
    _V1.create_all(connection, checkfirst=True)


# -- v2 to v5: columns and a table added by later releases -------------------------------

# Each a partial table: the columns that step adds, for ALTER TABLE … ADD COLUMN.
_V2_ACCOUNT_HEALTH = Table(
    "account_health",
    MetaData(),
    Column("consecutive_failures", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", DateTime),
)


def _v2_account_backoff(connection: Connection) -> None:
    """account_health: failures in a row and when to try again."""
    _add_missing_columns(connection, _V2_ACCOUNT_HEALTH)


_V3_MESSAGES = Table(
    "messages",
    MetaData(),
    # Rows of older stores were decided from their texts: they count as read.
    Column("text_read", Boolean, nullable=False, server_default=true()),
)


def _v3_text_read(connection: Connection) -> None:
    """messages: whether the text was read (texts are now read only where they decide)."""
    _add_missing_columns(connection, _V3_MESSAGES)


_V4_MESSAGES = Table(
    "messages",
    MetaData(),
    Column("incident_score", Float),
    Column("incident_keywords_json", Text),
    Column("report_stages", String(64)),
)


def _v4_incident_facts(connection: Connection) -> None:
    """messages: the incident facts of the text, NULL until read (recent mail is read
    again once, for its incident score and report stages)."""
    _add_missing_columns(connection, _V4_MESSAGES)


_V5_DIGESTS = Table(
    "digests",
    MetaData(),
    Column("day", Date, primary_key=True),
    Column("recipient", String(320), primary_key=True),
    Column("message_id", String(998), nullable=False),
    Column("sent_at", DateTime),
    Column("delivered_to", Text),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", Text),
    Column("last_attempt_at", DateTime),
    Column("next_attempt_at", DateTime),
)


def _v5_digests(connection: Connection) -> None:
    """digests: what was sent on which day, so a digest is never sent twice."""
    _V5_DIGESTS.create(connection, checkfirst=True)


# -- v6: the draft ledger ------------------------------------------------------------------

_V6_DRAFTS = Table(
    "drafts",
    MetaData(),
    # Every row of an older store is a draft that was appended: written.
    Column("status", String(16), nullable=False, server_default="written"),
)

# Older rows that share a draft's identity under different Message-IDs (written by a
# release that derived the id differently): the first one stays, and still blocks a new
# claim for that identity, so no draft is written again.
_V6_DUPLICATES = text(
    "DELETE FROM drafts WHERE EXISTS ("
    " SELECT 1 FROM drafts AS earlier"
    " WHERE earlier.account = drafts.account AND earlier.thread_id = drafts.thread_id"
    " AND earlier.purpose = drafts.purpose"
    " AND earlier.clock_started_at = drafts.clock_started_at"
    " AND (earlier.created_at < drafts.created_at"
    " OR (earlier.created_at = drafts.created_at AND earlier.message_id < drafts.message_id)))"
)

_V6_CLAIM_KEY = text(
    "CREATE UNIQUE INDEX IF NOT EXISTS uq_drafts_claim"
    " ON drafts (account, thread_id, purpose, clock_started_at)"
)


def _v6_draft_ledger(connection: Connection) -> None:
    """drafts: a status (claimed before the append, settled after) and a unique key per
    draft identity, so a claim is an insert that only one process can win."""
    _add_missing_columns(connection, _V6_DRAFTS)
    connection.execute(_V6_DUPLICATES)
    connection.execute(_V6_CLAIM_KEY)


# -- v7: the alert outbox and the alert channels' health ----------------------------------

_V7 = MetaData()

_v7_alert_outbox = Table(
    "alert_outbox",
    _V7,
    Column("channel", String(200), primary_key=True),
    Column("key", String(600), primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("urgency", String(16), nullable=False),
    Column("account", String(200)),
    Column("about", String(600)),
    Column("facts_json", Text, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("sent_at", DateTime),
    Column("dropped_at", DateTime),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_attempt_at", DateTime),
    Column("next_attempt_at", DateTime),
    Column("last_error", Text),
)
Index("ix_alert_outbox_pending", _v7_alert_outbox.c.channel, _v7_alert_outbox.c.sent_at)
Index("ix_alert_outbox_account", _v7_alert_outbox.c.account, _v7_alert_outbox.c.sent_at)

Table(
    "alert_channels",
    _V7,
    Column("channel", String(200), primary_key=True),
    Column("last_success_at", DateTime),
    Column("last_failure_at", DateTime),
    Column("failing_since", DateTime),
    Column("last_error", Text),
    Column("consecutive_failures", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", DateTime),
)


def _v7_alerts(connection: Connection) -> None:
    """alert_outbox: each alert event once per channel; alert_channels: their backoff."""
    _V7.create_all(connection, checkfirst=True)


# -- v8: requests and invitations, marks' detail, account leases and cycle records ---------

_V8_MESSAGES = Table(
    "messages",
    MetaData(),
    # What my message asked for, and by when (phrase NULL: no request, or text not read).
    Column("request_phrase", Text),
    Column("request_what", Text),
    Column("request_date", Date),
    Column("request_due_at", DateTime),
    # The message's calendar part as JSON (store/codec.py), NULL without one.
    Column("invitation_json", Text),
)

_V8_MARKS = Table(
    "marks",
    MetaData(),
    Column("detail_json", Text),  # a meeting's sitting, an incident's signals
)

_V8 = MetaData()

Table(
    "account_leases",
    _V8,
    Column("account", String(200), primary_key=True),
    Column("holder", String(200), nullable=False),
    Column("acquired_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False),
)

Table(
    "account_cycles",
    _V8,
    Column("account", String(200), primary_key=True),
    Column("next_change_at", DateTime),
    Column("assessed_at", DateTime, nullable=False),
    Column("fingerprint", Text),
)


def _v8_requests_invitations_leases(connection: Connection) -> None:
    """messages: a request's and an invitation's columns; marks: their detail;
    account_leases: one worker per account across processes; account_cycles: when an
    account's assessment next changes, so a fresh process need not reload the window."""
    _add_missing_columns(connection, _V8_MESSAGES)
    _add_missing_columns(connection, _V8_MARKS)
    _V8.create_all(connection, checkfirst=True)


STEPS: tuple[Step, ...] = (
    _v1_initial,
    _v2_account_backoff,
    _v3_text_read,
    _v4_incident_facts,
    _v5_digests,
    _v6_draft_ledger,
    _v7_alerts,
    _v8_requests_invitations_leases,
)
CURRENT_VERSION = len(STEPS)


def _add_missing_columns(connection: Connection, additions: Table) -> None:
    present = {c["name"] for c in inspect(connection).get_columns(additions.name)}
    table = connection.dialect.identifier_preparer.format_table(additions)
    for column in additions.columns:
        if column.name not in present:
            ddl = CreateColumn(column).compile(dialect=connection.dialect)
            connection.execute(text(f"ALTER TABLE {table} ADD COLUMN {ddl}"))


# -- the runner ----------------------------------------------------------------------------

# Any fixed 64-bit number shared by every InboxGuard: the lock all migrations take.
_PG_MIGRATION_KEY = int.from_bytes(
    hashlib.sha256(b"inboxguard.store.migrations").digest()[:8], "big", signed=True
)


def stored_version(connection: Connection) -> int:
    if not inspect(connection).has_table("meta"):
        return 0
    value = connection.execute(
        select(_META.c.value).where(_META.c.key == "schema_version")
    ).scalar_one_or_none()
    return int(value) if value is not None else 0


def is_empty(connection: Connection) -> bool:
    """No table at all: a store never written (a new install)."""
    return not inspect(connection).get_table_names()


def migrate(engine: Engine, location: StoreLocation) -> int:
    """Bring the store to CURRENT_VERSION (an SQLite file in WAL mode); returns the
    version it started from. A current store is only read: no lock, no write."""
    with read_transaction(engine) as connection:
        start = stored_version(connection)
    _refuse_newer(start, location.name)
    file = location.path is not None
    if start == CURRENT_VERSION and (not file or journal_mode(engine) == "wal"):
        return start
    with _serialised(location.beside(".lock")):
        if file:
            journal_mode(engine, wal=True)
        return _run_steps(engine, location)


def _run_steps(engine: Engine, location: StoreLocation) -> int:
    with write_transaction(engine) as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_KEY}
            )
        start = stored_version(connection)
        _refuse_newer(start, location.name)
        for version in range(start + 1, CURRENT_VERSION + 1):
            STEPS[version - 1](connection)
        if start < CURRENT_VERSION:
            _set_version(connection, CURRENT_VERSION)
    return start


def require_current(connection: Connection, store: str) -> None:
    """For a read-only open, which may not migrate: the store must be at this version."""
    version = stored_version(connection)
    _refuse_newer(version, store)
    if version < CURRENT_VERSION:
        raise StoreVersionError(
            store,
            f"schema version {version} is older than this InboxGuard ({CURRENT_VERSION}); "
            "run `inboxguard run --once` once (without INBOXGUARD_NOW) to upgrade it",
        )


def _refuse_newer(version: int, store: str) -> None:
    if version > CURRENT_VERSION:
        raise StoreVersionError(
            store,
            f"schema version {version} is newer than this InboxGuard ({CURRENT_VERSION}); "
            "upgrade InboxGuard or point state.url at another store",
        )


@contextmanager
def _serialised(lock_path: Path | None) -> Iterator[None]:
    # PostgreSQL and in-memory stores need no file: the advisory lock, or one process.
    with file_lock(lock_path) if lock_path is not None else nullcontext():
        yield


def _set_version(connection: Connection, version: int) -> None:
    statement = dialect_insert(connection, _META).values(key="schema_version", value=str(version))
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=[_META.c.key], set_={"value": statement.excluded.value}
        )
    )

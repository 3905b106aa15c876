"""``StateStore``: the one object callers hold. Each method is one transaction over the
aggregate modules (``messages``, ``ledger``, ``marks``, ``episodes``, ``digests``,
``health``, ``alerts``), and the only place transactions begin, so that every database
error leaves it as a one-line ``StoreError`` and a read-only store refuses every write in
one place.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import date, datetime, timedelta
from typing import Any, ParamSpec, TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.engine import make_url

from inboxguard.domain.alert_events import AlertEvent, AlertKind
from inboxguard.domain.drafts import DraftRecord, DraftStatus
from inboxguard.domain.marks import Mark
from inboxguard.domain.snapshot import AccountSnapshot
from inboxguard.domain.threading import Thread
from inboxguard.domain.tracked import TextFacts, TrackedMessage
from inboxguard.errors import (
    StoreCommitUnknownError,
    StoreConflictError,
    StoreConnectionError,
    StoreError,
    StoreReadOnlyError,
)
from inboxguard.store import alerts as alert_rows
from inboxguard.store import digests as digest_rows
from inboxguard.store import episodes as episode_rows
from inboxguard.store import health as health_rows
from inboxguard.store import leases as lease_rows
from inboxguard.store import ledger, scratch
from inboxguard.store import marks as mark_rows
from inboxguard.store import messages as message_rows
from inboxguard.store.alerts import ChannelHealth, QueuedAlert
from inboxguard.store.digests import DigestRecord
from inboxguard.store.engine import (
    StoreLocation,
    create_store_engine,
    locate,
    prepare_sqlite_file,
    reach,
    read_transaction,
    translated_errors,
    write_transaction,
)
from inboxguard.store.episodes import EpisodeRow
from inboxguard.store.health import AccountHealth
from inboxguard.store.leases import CycleRecord, Lease
from inboxguard.store.locks import (
    AdvisoryCycleLocks,
    CycleLocks,
    FileCycleLocks,
    LocalCycleLocks,
    Release,
    hold,
)
from inboxguard.store.migrations import is_empty, migrate, require_current

__all__ = [
    "AccountHealth",
    "ChannelHealth",
    "CycleRecord",
    "DigestRecord",
    "DraftRecord",
    "EpisodeRow",
    "Lease",
    "Mark",
    "QueuedAlert",
    "StateStore",
]


P = ParamSpec("P")
R = TypeVar("R")


def _retried(method: Callable[P, R]) -> Callable[P, R]:
    """Run a facade method (one transaction, or a read and then a write) once more after
    a failure that rolled it back whole: a connection lost before the commit (a server
    restarted, a connection cut; the pool's pre-ping reconnects), a serialization failure
    or a deadlock. Not after a connection lost while committing: that transaction may be
    written, and doing it again could do it twice. A second failure is the caller's."""

    @functools.wraps(method)
    def once_more(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except StoreCommitUnknownError:
            raise
        except (StoreConnectionError, StoreConflictError):
            return method(*args, **kwargs)

    return once_more


class StateStore:
    def __init__(
        self, engine: Engine, *, location: StoreLocation | None = None, read_only: bool = False
    ) -> None:
        self.engine = engine
        self.location = location or locate(engine.url.render_as_string(hide_password=False))
        self.read_only = read_only
        # A store in memory is one connection (see engine.py): its transactions take turns.
        self._serial: AbstractContextManager[Any] = (
            threading.RLock() if self.location.memory else nullcontext()
        )
        self._locks = _NamedLocks(_cycle_locks(self.location, engine, read_only), self.name)

    @property
    def name(self) -> str:
        """How messages name this store: its file, or its URL without the password."""
        return self.location.name

    @classmethod
    def open(cls, url: str, *, read_only: bool = False) -> StateStore:
        """Open the store at ``url``, creating and migrating it as needed.

        ``read_only`` (a what-if): nothing is written, not even a migration or a new file.
        A store not created yet reads as an empty one; a store of an older version is
        refused, since upgrading it would be a write.
        """
        location = locate(url)
        if read_only:
            return cls._open_read_only(location)
        with translated_errors(location.name, secret=location.url.password):
            if location.path is not None:
                prepare_sqlite_file(location.path)
            engine = create_store_engine(location, read_only=False)
            reach(engine, location)
            try:
                migrate(engine, location)
            except BaseException:
                engine.dispose()
                raise
        return cls(engine, location=location)

    @classmethod
    def _open_read_only(cls, location: StoreLocation) -> StateStore:
        if location.path is not None and not location.path.exists():
            return cls._empty(location)
        engine = create_store_engine(location, read_only=True)
        reach(engine, location)
        try:
            with (
                translated_errors(location.name, secret=location.url.password),
                read_transaction(engine) as connection,
            ):
                empty = is_empty(connection)
                if not empty:
                    require_current(connection, location.name)
        except BaseException:
            engine.dispose()
            raise
        if empty:
            engine.dispose()
            return cls._empty(location)
        return cls(engine, location=location, read_only=True)

    @classmethod
    def _empty(cls, location: StoreLocation) -> StateStore:
        """An empty store at the current version, in memory, read-only like the one asked
        for; errors still name the store that was asked for."""
        memory = StoreLocation(make_url("sqlite://"), location.name, None)
        engine = create_store_engine(memory, read_only=False)
        with translated_errors(location.name):
            migrate(engine, memory)
            raw = engine.raw_connection()  # the only one (a static pool)
            try:
                raw.cursor().execute("PRAGMA query_only=ON")
            finally:
                raw.close()
        return cls(engine, location=memory, read_only=True)

    @_retried
    def scratch_copy(self) -> StateStore:
        """A writable copy of this store in memory (for a what-if: a cycle may sync the
        mailboxes into it and this store stays as it was). Read as of one moment."""
        memory = StoreLocation(make_url("sqlite://"), f"{self.name} (scratch copy)", None)
        engine = create_store_engine(memory, read_only=False)
        with translated_errors(self.name):
            migrate(engine, memory)
            with self._reading(snapshot=True) as source, write_transaction(engine) as target:
                scratch.copy_rows(source, target)
        return StateStore(engine, location=memory)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def _reading(self, *, snapshot: bool = False) -> Iterator[Connection]:
        with (
            translated_errors(self.name, secret=self.location.url.password),
            self._serial,
            read_transaction(self.engine, snapshot=snapshot) as connection,
        ):
            yield connection

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        if self.read_only:
            raise StoreReadOnlyError(self.name)
        with (
            translated_errors(self.name, secret=self.location.url.password),
            self._serial,
            write_transaction(self.engine) as c,
        ):
            yield c

    # -- the cycle's lock -----------------------------------------------------------------

    def account_lock(self, account: str, *, wait: float) -> AbstractContextManager[None]:
        """Hold ``account``'s cycle lock across processes for the block: waits up to
        ``wait`` seconds, then ``AccountBusyError``. A dead holder's lock is free."""
        return hold(self._locks, account, wait=wait)

    # -- account leases (several processes, one store) ---------------------------------------
    # The wall clock, never a what-if's ``now``: a lease is about processes running now.

    @_retried
    def acquire_lease(self, account: str, holder: str, ttl: timedelta, now: datetime) -> bool:
        """True if ``holder`` holds ``account``'s lease until ``now + ttl``: taken new,
        renewed, or taken over because it had expired. False: another holder's, live.
        Of several processes asking at once, exactly one gets it."""
        with self._writing() as c:
            return lease_rows.acquire(c, account, holder, ttl, now)

    @_retried
    def release_lease(self, account: str, holder: str) -> None:
        """Give ``account``'s lease up (nothing when ``holder`` does not hold it)."""
        with self._writing() as c:
            lease_rows.release(c, account, holder)

    @_retried
    def leases(self, now: datetime) -> list[Lease]:
        """Every lease, expired ones included (``Lease.expired(now)``): live ones first."""
        with self._reading() as c:
            return lease_rows.leases(c, now)

    @_retried
    def due_accounts(
        self, accounts: Sequence[str], holder: str, now: datetime, limit: int
    ) -> list[str]:
        """Up to ``limit`` of ``accounts``, in order, that no other holder has a live lease
        on (a hint for picking work: ``acquire_lease`` decides)."""
        with self._writing() as c:  # FOR UPDATE on PostgreSQL: a write transaction
            return lease_rows.due_accounts(c, accounts, holder, now, limit)

    @_retried
    def record_cycle(
        self,
        account: str,
        *,
        next_change_at: datetime | None,
        assessed_at: datetime,
        fingerprint: str | None,
    ) -> None:
        """What ``account``'s assessment found: when it next changes by the clock alone
        (None: never) and a fingerprint of what it saw."""
        with self._writing() as c:
            lease_rows.record_cycle(
                c,
                account,
                next_change_at=next_change_at,
                assessed_at=assessed_at,
                fingerprint=fingerprint,
            )

    @_retried
    def last_cycle(self, account: str) -> CycleRecord | None:
        with self._reading() as c:
            return lease_rows.last_cycle(c, account)

    # -- folders and messages ---------------------------------------------------------------

    @_retried
    def folder_marker(self, account: str, folder: str) -> str | None:
        """The folder's sync marker as its backend encoded it (None: never synced)."""
        with self._reading() as c:
            return message_rows.folder_marker(c, account, folder)

    @_retried
    def folder_markers(self, account: str) -> dict[str, str]:
        with self._reading() as c:
            return message_rows.folder_markers(c, account)

    @_retried
    def known_uids(self, account: str, folder: str) -> set[str]:
        with self._reading() as c:
            return message_rows.known_uids(c, account, folder)

    @_retried
    def apply_folder_sync(
        self,
        account: str,
        folder: str,
        *,
        marker: str | None,
        added: Sequence[TrackedMessage],
        removed: Iterable[str] = (),
        replace_all: bool = False,
        at: datetime,
    ) -> None:
        """Record one folder's new messages and its new marker in one transaction.

        A crash before commit leaves the old marker, so the next cycle reads the same
        messages again. ``marker`` None: an intermediate batch, the marker does not move.
        """
        with self._writing() as c:
            message_rows.apply_folder_sync(
                c,
                account,
                folder,
                marker=marker,
                added=added,
                removed=removed,
                replace_all=replace_all,
                at=at,
            )

    @_retried
    def update_keywords(
        self, account: str, folder: str, updates: Mapping[str, frozenset[str]]
    ) -> int:
        """Store keywords that differ from what is stored; returns how many messages changed."""
        if not updates:
            return 0
        with self._writing() as c:
            return message_rows.update_keywords(c, account, folder, updates)

    @_retried
    def apply_text_facts(self, account: str, facts: Sequence[TextFacts]) -> None:
        """Record what the texts said; the messages then count as read."""
        if not facts:
            return
        with self._writing() as c:
            message_rows.apply_text_facts(c, account, facts)

    @_retried
    def messages(self, account: str, since: datetime | None = None) -> list[TrackedMessage]:
        with self._reading() as c:
            return message_rows.load(c, account, since)

    @_retried
    def prune(
        self,
        account: str,
        *,
        messages_before: datetime,
        episodes_before: datetime,
        keep_threads: Collection[str] = (),
    ) -> int:
        """Forget messages that left the look-back window, and old statistics; returns how
        many messages went. Every message of a thread in ``keep_threads`` (open, or holding
        an incident), with a ledger row or with a mark stays."""
        with self._writing() as c:
            removed = message_rows.prune(
                c, account, before=messages_before, keep_threads=keep_threads
            )
            episode_rows.prune(c, account, before=episodes_before)
        return removed

    @_retried
    def assign_threads(self, account: str, threads: Iterable[Thread]) -> None:
        """Persist each message's thread id where it changed (every row on a first scan)."""
        with self._writing() as c:
            message_rows.assign_threads(c, account, threads)

    @_retried
    def thread_account(self, thread_id: str) -> str | None:
        with self._reading() as c:
            return message_rows.thread_account(c, thread_id)

    @_retried
    def thread_ids(self, prefix: str = "") -> list[str]:
        """Every stored thread id starting with ``prefix`` (all of them without one)."""
        with self._reading() as c:
            return message_rows.thread_ids(c, prefix)

    @_retried
    def snapshot(self, account: str, since: datetime) -> AccountSnapshot:
        """What assessing ``account`` needs, read as of one moment."""
        with self._reading(snapshot=True) as c:
            return AccountSnapshot(
                account=account,
                messages=message_rows.load(c, account, since),
                marks=mark_rows.marks(c, account),
                drafts=ledger.drafts(c, account),
            )

    # -- the draft ledger -------------------------------------------------------------------

    @_retried
    def claim_draft(self, record: DraftRecord) -> DraftRecord | None:
        """Claim a draft before appending it: the claimed record if this call won it, None
        if the ledger had it already (claimed or settled, by this process or another)."""
        with self._writing() as c:
            return ledger.claim(c, record)

    @_retried
    def settle_draft(self, message_id: str, *, status: DraftStatus, location: str | None) -> None:
        """The claimed draft was appended (WRITTEN) or found in Drafts (FOUND)."""
        with self._writing() as c:
            if not ledger.settle(c, message_id, status=status, location=location):
                raise StoreError(self.name, f"no draft {message_id!r} in the ledger to settle")

    @_retried
    def unsettled_drafts(self, account: str) -> list[DraftRecord]:
        """Claims not settled: their process may have appended them and died."""
        with self._reading() as c:
            return ledger.unsettled(c, account)

    @_retried
    def draft(self, message_id: str) -> DraftRecord | None:
        with self._reading() as c:
            return ledger.draft(c, message_id)

    @_retried
    def record_draft(self, record: DraftRecord) -> None:
        """Insert a settled record; nothing if the draft is in the ledger already."""
        with self._writing() as c:
            ledger.record(c, record)

    @_retried
    def drafts(self, account: str | None = None) -> list[DraftRecord]:
        with self._reading() as c:
            return ledger.drafts(c, account)

    # -- marks ------------------------------------------------------------------------------

    @_retried
    def add_mark(self, mark: Mark) -> None:
        with self._writing() as c:
            mark_rows.add(c, mark)

    @_retried
    def last_mark_id(self, account: str) -> int:
        """Grows with every mark: a long-running process notices marks made by `mark`."""
        with self._reading() as c:
            return mark_rows.last_id(c, account)

    @_retried
    def marks(self, account: str) -> list[Mark]:
        with self._reading() as c:
            return mark_rows.marks(c, account)

    # -- response episodes (statistics) -----------------------------------------------------

    @_retried
    def save_episodes(self, account: str, rows: Iterable[EpisodeRow]) -> None:
        """Insert new episodes and update changed ones; unchanged ones cost no write."""
        with self._writing() as c:
            episode_rows.save(c, rows)

    @_retried
    def episodes(self, since: datetime) -> list[EpisodeRow]:
        with self._reading() as c:
            return episode_rows.since(c, since)

    # -- digests ----------------------------------------------------------------------------

    @_retried
    def digest(self, day: date, recipient: str) -> DigestRecord | None:
        with self._reading() as c:
            return digest_rows.digest(c, day, recipient)

    @_retried
    def record_digest(
        self,
        day: date,
        recipient: str,
        message_id: str,
        *,
        at: datetime,
        delivered_to: str | None = None,
        error: str | None = None,
        next_attempt_at: datetime | None = None,
    ) -> DigestRecord:
        """One delivery attempt: sent (``delivered_to``) or failed (``error``, retry time)."""
        with self._writing() as c:
            digest_rows.record_attempt(
                c,
                day,
                recipient,
                message_id,
                at=at,
                delivered_to=delivered_to,
                error=error,
                next_attempt_at=next_attempt_at,
            )
            record = digest_rows.digest(c, day, recipient)
        if record is None:  # written in the transaction above
            raise StoreError(self.name, "lost a digest record it just wrote")
        return record

    # -- account health ---------------------------------------------------------------------

    @_retried
    def record_poll(
        self,
        account: str,
        *,
        at: datetime,
        error: str | None,
        next_attempt_at: datetime | None = None,
    ) -> None:
        """Record a cycle's outcome; a failure counts one more in a row and sets when to
        retry, a success clears the failure streak and the retry time."""
        with self._writing() as c:
            health_rows.record_poll(c, account, at=at, error=error, next_attempt_at=next_attempt_at)

    @_retried
    def account_health(self, account: str) -> AccountHealth | None:
        with self._reading() as c:
            return health_rows.account_health(c, account)

    @_retried
    def health(self) -> list[AccountHealth]:
        with self._reading() as c:
            return health_rows.health(c)

    # -- the alert outbox -------------------------------------------------------------------

    @_retried
    def enqueue_alerts(self, items: Iterable[tuple[str, AlertEvent]], *, at: datetime) -> int:
        """Queue each (channel, event) not queued before; how many were new. Nothing to
        queue costs no write."""
        items = list(items)
        if not items:
            return 0
        with self._writing() as c:
            return alert_rows.enqueue(c, items, at=at)

    @_retried
    def drop_resolved_alerts(self, account: str, live: Collection[str], *, at: datetime) -> int:
        """Unsent alerts of ``account`` about something no longer live are not sent; how
        many. Read first: a cycle with nothing to drop (nearly every one) writes nothing."""
        with self._reading() as c:
            stale = alert_rows.stale(c, account, live)
        if not stale:
            return 0
        with self._writing() as c:
            return alert_rows.drop(c, stale, at=at)

    @_retried
    def pending_alerts(self, channel: str) -> list[QueuedAlert]:
        with self._reading() as c:
            return alert_rows.pending(c, channel)

    @_retried
    def alerts(self, channel: str | None = None) -> list[QueuedAlert]:
        """Every queued alert (of one channel), sent, dropped or waiting."""
        with self._reading() as c:
            return alert_rows.every(c, channel)

    @_retried
    def alerts_of_kinds(
        self, kinds: Collection[AlertKind], *, since: datetime
    ) -> list[QueuedAlert]:
        with self._reading() as c:
            return alert_rows.of_kinds(c, kinds, since=since)

    @_retried
    def record_alert_delivery(
        self,
        channel: str,
        keys: Sequence[str],
        *,
        at: datetime,
        error: str | None,
        next_attempt_at: datetime | None = None,
    ) -> None:
        """One attempt at sending ``keys`` to ``channel``, and the channel's health."""
        with self._writing() as c:
            alert_rows.record_delivery(
                c, channel, keys, at=at, error=error, next_attempt_at=next_attempt_at
            )

    @_retried
    def alert_channel(self, channel: str) -> ChannelHealth | None:
        with self._reading() as c:
            return alert_rows.channel_health(c, channel)

    @_retried
    def alert_channels(self) -> list[ChannelHealth]:
        with self._reading() as c:
            return alert_rows.channels(c)

    @_retried
    def prune_alerts(self, *, before: datetime) -> int:
        with self._writing() as c:
            return alert_rows.prune(c, before=before)


def _cycle_locks(location: StoreLocation, engine: Engine, read_only: bool) -> CycleLocks:
    # A read-only process writes nothing, not even lock files: it excludes only itself.
    if read_only or location.memory:
        return LocalCycleLocks()
    directory = location.beside(".locks")
    if directory is not None:
        return FileCycleLocks(directory)
    return AdvisoryCycleLocks(engine)


class _NamedLocks:
    """A lock that cannot be taken (an unwritable lock directory, a lost connection) fails
    like the database: a one-line ``StoreError`` naming the store."""

    def __init__(self, locks: CycleLocks, store: str) -> None:
        self.locks = locks
        self.store = store

    def try_acquire(self, account: str) -> Release | None:
        with translated_errors(self.store):
            release = self.locks.try_acquire(account)
        if release is None:
            return None

        def translated_release() -> None:
            with translated_errors(self.store):
                release()

        return translated_release

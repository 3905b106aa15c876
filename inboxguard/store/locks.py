"""Locks between processes: one account's cycle at a time, one migration at a time.

A cycle lock is taken without blocking and polled, so a busy account costs its waiter
at most ``wait`` seconds and then a one-line skip. Each kind of store brings its own lock
(``CycleLocks``): ``flock`` on a file beside an SQLite store, which the kernel releases
when the holder dies however it dies; a session advisory lock on PostgreSQL, released
when the holder's connection ends; a plain lock within the process for a store in memory.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from sqlalchemy import Engine, text

from inboxguard.errors import AccountBusyError

POLL_SECONDS = 0.1

Release = Callable[[], None]


class CycleLocks(Protocol):
    def try_acquire(self, account: str) -> Release | None:
        """Take the account's lock if it is free (never waiting): how to release it, or
        None when another holder has it."""


class FileCycleLocks:
    """One ``flock``ed file per account in a private directory beside the database.

    Files are named by a hash: an account name may hold any character (``/``, NUL).
    They are never removed: unlinking a lock file lets two processes lock two files.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path(self, account: str) -> Path:
        digest = hashlib.sha256(account.encode("utf-8", "surrogatepass")).hexdigest()
        return self.directory / f"{digest[:32]}.lock"

    def try_acquire(self, account: str) -> Release | None:
        self.directory.mkdir(mode=0o700, exist_ok=True)
        fd = os.open(self.path(account), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        except BaseException:
            os.close(fd)
            raise
        return lambda: os.close(fd)  # closing the descriptor releases the lock


class LocalCycleLocks:
    """For a store only this process can see (in memory, or opened read-only)."""

    def __init__(self) -> None:
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def try_acquire(self, account: str) -> Release | None:
        with self._guard:
            lock = self._locks.setdefault(account, threading.Lock())
        return lock.release if lock.acquire(blocking=False) else None


class AdvisoryCycleLocks:
    """PostgreSQL session advisory locks, one key per account, each held on a connection
    of its own for the length of the cycle."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @staticmethod
    def key(account: str) -> int:
        digest = hashlib.sha256(b"inboxguard.cycle\0" + account.encode("utf-8")).digest()
        return int.from_bytes(digest[:8], "big", signed=True)

    def try_acquire(self, account: str) -> Release | None:
        key = self.key(account)
        connection = self.engine.connect()
        try:
            got = connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
            connection.commit()  # the lock is the session's; the transaction may end
        except BaseException:
            connection.close()
            raise
        if not got:
            connection.close()
            return None

        def release() -> None:
            try:
                connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                connection.commit()
            finally:
                connection.close()

        return release


@contextmanager
def hold(
    locks: CycleLocks,
    account: str,
    *,
    wait: float,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[None]:
    """Hold ``account``'s cycle lock for the block; ``AccountBusyError`` after ``wait``."""
    deadline = clock() + wait
    while (release := locks.try_acquire(account)) is None:
        left = deadline - clock()
        if left <= 0:
            raise AccountBusyError(account)
        sleep(min(POLL_SECONDS, left))
    try:
        yield
    finally:
        release()


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """An exclusive ``flock`` on ``path`` (created 0600), waiting as long as it takes: for
    work that is short and must not be skipped, such as a migration."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)

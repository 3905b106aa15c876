"""Several `inboxguard run` workers sharing one store (SPEC §12): which of them polls which
account.

A worker holds an account under a lease in the store, by the wall clock (never a what-if's
INBOXGUARD_NOW), lasting a few poll intervals and renewed at every poll and between the
batches of a long one: the account stays with its worker from poll to poll (one login per
round, its connection kept), and a worker killed with SIGKILL gives its accounts up when
their leases expire. A clean stop releases them at once.

Workers share the accounts out: each one keeps a heartbeat lease of its own (named
``worker:<host>:<pid>``, which no account name can be), so every worker knows how many are
alive, and one holding more than its share gives the surplus up after polling it. The
account's cycle lock (``store.account_lock``) still keeps two cycles of one account apart
whatever the leases say, and the draft ledger's unique claim keeps a draft from being
written twice even then.
"""

from __future__ import annotations

import math
import os
import socket
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

import structlog

from inboxguard.errors import InboxGuardError
from inboxguard.store import StateStore
from inboxguard.store.leases import Lease

log = structlog.get_logger(__name__)

WORKER_PREFIX = "worker:"  # account names are [A-Za-z0-9_.-]+: never this
LEASE_POLLS = 3  # a lease outlives this many poll intervals without a renewal
SHOWN = 6  # account names on a `status` line before a count
WallClock = Callable[[], datetime]


def worker_name() -> str:
    """This process, as `status` names it: host:pid."""
    return f"{socket.gethostname()}:{os.getpid()}"


def is_worker(name: str) -> bool:
    return name.startswith(WORKER_PREFIX)


class WorkerLeases:
    """The leases one worker holds, and its share of the accounts."""

    def __init__(
        self,
        store: StateStore,
        poll_interval: timedelta,
        *,
        holder: str | None = None,
        clock: WallClock = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self.holder = holder or worker_name()
        self.ttl = poll_interval * LEASE_POLLS
        self._clock = clock
        self._lock = threading.Lock()
        self._held: set[str] = set()

    def heartbeat(self) -> None:
        """Say this worker is alive (its share of the accounts counts it)."""
        self.store.acquire_lease(self._beat_name, self.holder, self.ttl, self._clock())

    def take(self, account: str) -> bool:
        """Hold (or renew) ``account``'s lease; False: another live worker holds it."""
        taken = self.store.acquire_lease(account, self.holder, self.ttl, self._clock())
        with self._lock:
            (self._held.add if taken else self._held.discard)(account)
        return taken

    def renewer(self, account: str) -> Callable[[], None]:
        """Renews ``account``'s lease when a third of it has gone (called between the
        batches of a long cycle)."""
        renewed = [self._clock()]

        def renew() -> None:
            now = self._clock()
            if now - renewed[0] >= self.ttl / 3:
                self.store.acquire_lease(account, self.holder, self.ttl, now)
                renewed[0] = now

        return renew

    def over_share(self, accounts: Sequence[str]) -> bool:
        """This worker holds more than its share of ``accounts`` among the live workers."""
        now = self._clock()
        live = {
            lease.holder
            for lease in self.store.leases(now)
            if is_worker(lease.account) and not lease.expired(now)
        }
        workers = len(live | {self.holder})
        with self._lock:
            held = len(self._held)
        return held > math.ceil(len(accounts) / workers)

    def give_up(self, account: str) -> None:
        with self._lock:
            self._held.discard(account)
        self.store.release_lease(account, self.holder)

    def release_all(self) -> None:
        """A clean stop: every account goes to the other workers now, not at expiry."""
        with self._lock:
            held, self._held = sorted(self._held), set()
        for name in (*held, self._beat_name):
            try:
                self.store.release_lease(name, self.holder)
            except InboxGuardError as exc:  # they expire anyway
                log.warning("lease not released", account=name, error=str(exc))

    @property
    def held(self) -> frozenset[str]:
        with self._lock:
            return frozenset(self._held)

    @property
    def _beat_name(self) -> str:
        return f"{WORKER_PREFIX}{self.holder}"


def worker_lines(leases: Sequence[Lease], accounts: Sequence[str], now: datetime) -> list[str]:
    """`status`: which worker (host:pid) polls which of ``accounts``, one line a worker;
    nothing when no live lease is held (no service running, or one that stopped)."""
    by_holder: dict[str, list[str]] = {}
    wanted = set(accounts)
    for lease in leases:
        if lease.account in wanted and not lease.expired(now):
            by_holder.setdefault(lease.holder, []).append(lease.account)
    lines = []
    for holder in sorted(by_holder):
        held = sorted(by_holder[holder])
        shown = ", ".join(held[:SHOWN]) + (
            f", … ({len(held)} accounts)" if len(held) > SHOWN else ""
        )
        lines.append(f"polled by {holder}: {shown}")
    idle = sorted(wanted - {a for held in by_holder.values() for a in held})
    if by_holder and idle:
        shown = ", ".join(idle[:SHOWN]) + (
            f", … ({len(idle)} accounts)" if len(idle) > SHOWN else ""
        )
        lines.append(f"held by no worker now: {shown}")
    return lines

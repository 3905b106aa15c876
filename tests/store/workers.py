"""What the store tests run in other processes (spawned: a module-level function each).

Each reports through a queue; none decides a test's outcome itself.
"""

from __future__ import annotations

from typing import Any

from inboxguard.store import StateStore
from inboxguard.store.migrations import stored_version
from tests.store.helpers import draft


def open_each(paths: list[str], barrier: Any, results: Any) -> None:
    """Open each (new) store the moment the other process does: (path, version or error).
    A path is an SQLite file, or a whole URL."""
    for path in paths:
        barrier.wait()
        try:
            store = StateStore.open(_url(path))
            with store.engine.connect() as connection:
                results.put((path, stored_version(connection)))
            store.close()
        except Exception as exc:  # reported to the test, which fails on it
            results.put((path, f"{type(exc).__name__}: {exc}"))


def claim_all(path: str, count: int, rounds: int, barrier: Any, results: Any) -> None:
    """Claim drafts 0..count-1 of each round, starting each round when the other process
    does (several rounds: one process's start-up lag cannot hide the race every time).
    Reports the numbers this process won."""
    store = StateStore.open(_url(path))
    won: list[int] = []
    for r in range(rounds):
        ids = range(r * count, (r + 1) * count)
        barrier.wait()
        won += [n for n in ids if store.claim_draft(draft(n)) is not None]
    store.close()
    results.put(won)


def hold_account(path: str, account: str, held: Any, release: Any) -> None:
    """Hold ``account``'s cycle lock until ``release`` is set (or this process is killed)."""
    store = StateStore.open(_url(path))
    with store.account_lock(account, wait=0):
        held.set()
        release.wait(60)
    store.close()


def _url(path: str) -> str:
    return path if "://" in path else f"sqlite:///{path}"

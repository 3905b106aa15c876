"""The per-account cycle lock: one holder across processes, a bounded wait, and a dead
holder's lock free at once."""

from __future__ import annotations

import multiprocessing
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from inboxguard.errors import AccountBusyError
from inboxguard.store import StateStore
from inboxguard.store.locks import FileCycleLocks, LocalCycleLocks, hold
from tests.conftest import Backend
from tests.store import workers


@pytest.fixture
def path(tmp_path: Path) -> Path:
    path = tmp_path / "state.db"
    StateStore.open(f"sqlite:///{path}").close()
    return path


@pytest.fixture
def url(backend: Backend) -> str:
    """A store's URL: its cycle locks are lock files (SQLite) or advisory locks (PostgreSQL)."""
    url = backend.url()
    StateStore.open(url).close()
    return url


class Holder:
    """Another process holding an account's lock until released (or killed)."""

    def __init__(self, path: Path | str, account: str) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.held = ctx.Event()
        self.release = ctx.Event()
        self.process: Any = ctx.Process(
            target=workers.hold_account, args=(str(path), account, self.held, self.release)
        )
        self.process.start()
        assert self.held.wait(60), "the holder never took the lock"

    def stop(self, *, kill: bool = False) -> None:
        if kill:
            self.process.kill()
        else:
            self.release.set()
        self.process.join(30)


@pytest.fixture
def holder(url: str) -> Iterator[Holder]:
    holder = Holder(url, "work")
    yield holder
    holder.stop(kill=True)


def test_a_second_process_waits_then_is_told_the_account_is_busy(url: str, holder: Holder) -> None:
    store = StateStore.open(url)
    started = time.monotonic()
    with pytest.raises(AccountBusyError) as caught, store.account_lock("work", wait=0.3):
        pass
    assert time.monotonic() - started >= 0.3
    assert str(caught.value) == "account 'work': another cycle is running; skipped"
    assert caught.value.exit_code == 1
    store.close()


def test_another_account_is_not_held_by_that_lock(url: str, holder: Holder) -> None:
    store = StateStore.open(url)
    with store.account_lock("private", wait=0):
        pass
    store.close()


def test_the_lock_is_free_once_the_holder_releases_it(url: str, holder: Holder) -> None:
    holder.stop()
    store = StateStore.open(url)
    with store.account_lock("work", wait=0):
        pass
    store.close()


def test_the_lock_is_free_once_the_holder_is_killed(url: str, holder: Holder) -> None:
    holder.stop(kill=True)
    assert holder.process.exitcode == -9
    store = StateStore.open(url)
    with store.account_lock("work", wait=0):
        pass
    store.close()


def test_a_second_holder_in_the_same_process_is_refused_too(url: str) -> None:
    first = StateStore.open(url)
    second = StateStore.open(url)
    with first.account_lock("work", wait=0):
        with pytest.raises(AccountBusyError), second.account_lock("work", wait=0):
            pass
        with pytest.raises(AccountBusyError), first.account_lock("work", wait=0):
            pass
    with second.account_lock("work", wait=0):
        pass
    first.close()
    second.close()


def test_lock_files_sit_in_a_private_directory_named_by_a_hash_of_the_account(
    path: Path,
) -> None:
    store = StateStore.open(f"sqlite:///{path}")
    odd = "../名前/with\nnewline\0and nul"
    with store.account_lock(odd, wait=0):
        pass
    directory = path.with_name("state.db.locks")
    assert directory.stat().st_mode & 0o777 == 0o700
    (lock_file,) = directory.iterdir()
    assert lock_file == FileCycleLocks(directory).path(odd)
    assert lock_file.name.endswith(".lock") and len(lock_file.name) == 37
    store.close()


def test_an_in_memory_store_locks_within_the_process() -> None:
    store = StateStore.open("sqlite://")
    outcome: list[str] = []
    with store.account_lock("work", wait=0):

        def other() -> None:
            try:
                with store.account_lock("work", wait=0):
                    outcome.append("got it")
            except AccountBusyError:
                outcome.append("busy")

        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
    assert outcome == ["busy"]
    with store.account_lock("work", wait=0):
        pass
    store.close()


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_a_waiter_polls_every_tenth_of_a_second_until_its_wait_is_over() -> None:
    locks = LocalCycleLocks()
    release = locks.try_acquire("work")
    assert release is not None
    fake = FakeTime()
    with (
        pytest.raises(AccountBusyError),
        hold(locks, "work", wait=0.35, clock=fake.clock, sleep=fake.sleep),
    ):
        pass
    assert fake.sleeps == pytest.approx([0.1, 0.1, 0.1, 0.05])


def test_a_waiter_gets_the_lock_as_soon_as_it_is_free() -> None:
    locks = LocalCycleLocks()
    release = locks.try_acquire("work")
    assert release is not None
    fake = FakeTime()

    def sleep(seconds: float) -> None:
        fake.sleep(seconds)
        if len(fake.sleeps) == 2:
            release()

    with hold(locks, "work", wait=10, clock=fake.clock, sleep=sleep):
        assert locks.try_acquire("work") is None
    assert len(fake.sleeps) == 2
    assert locks.try_acquire("work") is not None  # released when the block ended

"""Read-only mode (a what-if): nothing is ever written, by the store or under it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from inboxguard.domain.marks import Mark, MarkAction
from inboxguard.domain.threading import Thread
from inboxguard.domain.tracked import TextFacts
from inboxguard.errors import StoreReadOnlyError, StoreVersionError
from inboxguard.store import DraftStatus, EpisodeRow, StateStore
from inboxguard.store.engine import locate
from inboxguard.store.migrations import CURRENT_VERSION, stored_version
from tests.conftest import Backend, contents
from tests.store.helpers import AT, draft, tracked
from tests.store.test_alert_outbox import AT_RISK

WRITES: dict[str, Callable[[StateStore], object]] = {
    "apply_folder_sync": lambda s: s.apply_folder_sync(
        "work", "INBOX", marker="m", added=[tracked("9", "<z@x>")], at=AT
    ),
    "update_keywords": lambda s: s.update_keywords("work", "INBOX", {"1": frozenset({"$x"})}),
    "apply_text_facts": lambda s: s.apply_text_facts("work", [TextFacts("INBOX", "1", True, None)]),
    "prune": lambda s: s.prune("work", messages_before=AT, episodes_before=AT),
    "assign_threads": lambda s: s.assign_threads(
        "work", [Thread("t9", "work", (tracked("1", "<a@x>"),))]
    ),
    "claim_draft": lambda s: s.claim_draft(draft(5)),
    "settle_draft": lambda s: s.settle_draft(
        draft(1).message_id, status=DraftStatus.WRITTEN, location=None
    ),
    "record_draft": lambda s: s.record_draft(draft(6)),
    "add_mark": lambda s: s.add_mark(Mark("work", "t1", MarkAction.REOPEN, None, AT)),
    "save_episodes": lambda s: s.save_episodes(
        "work", [EpisodeRow("work", "t1", AT, None, AT, None, None)]
    ),
    "record_digest": lambda s: s.record_digest(date(2026, 11, 20), "me@x", "<d@x>", at=AT),
    "record_poll": lambda s: s.record_poll("work", at=AT, error=None),
    "acquire_lease": lambda s: s.acquire_lease("work", "other:2", timedelta(minutes=5), AT),
    "release_lease": lambda s: s.release_lease("work", "host:1"),
    "record_cycle": lambda s: s.record_cycle(
        "work", next_change_at=None, assessed_at=AT, fingerprint=None
    ),
    "due_accounts": lambda s: s.due_accounts(["work"], "other:2", AT, 1),
}


def written_store(url: str) -> str:
    """A store with a row in every table."""
    store = StateStore.open(url)
    store.apply_folder_sync(
        "work", "INBOX", marker="m1", added=[tracked("1", "<a@x>", thread_id="t1")], at=AT
    )
    store.claim_draft(draft(1))
    store.add_mark(Mark("work", "t1", MarkAction.NO_REPLY, None, AT))
    store.save_episodes("work", [EpisodeRow("work", "t1", AT, None, AT, "taro@x", None)])
    store.record_digest(date(2026, 11, 20), "me@x", "<d@x>", at=AT, delivered_to="file")
    store.record_poll("work", at=AT, error="refused")
    store.enqueue_alerts([("phone", AT_RISK)], at=AT)
    store.record_alert_delivery("phone", [AT_RISK.key], at=AT, error="refused")
    store.acquire_lease("work", "host:1", timedelta(minutes=5), AT)
    store.record_cycle("work", next_change_at=AT, assessed_at=AT, fingerprint="f")
    store.close()
    return url


def read_everything(store: StateStore) -> None:
    store.folder_marker("work", "INBOX")
    store.folder_markers("work")
    store.known_uids("work", "INBOX")
    store.messages("work")
    store.thread_account("t1")
    store.snapshot("work", AT - timedelta(days=30))
    store.draft(draft(1).message_id)
    store.drafts()
    store.unsettled_drafts("work")
    store.last_mark_id("work")
    store.marks("work")
    store.episodes(AT - timedelta(days=30))
    store.digest(date(2026, 11, 20), "me@x")
    store.account_health("work")
    store.health()
    with store.account_lock("work", wait=0):
        pass


def test_reading_a_store_read_only_leaves_its_sql_dump_and_directory_unchanged(
    backend: Backend, tmp_path: Path
) -> None:
    url = written_store(backend.url())
    before, files = contents(url), sorted(tmp_path.iterdir())
    store = StateStore.open(url, read_only=True)
    read_everything(store)
    for write in WRITES.values():
        with pytest.raises(StoreReadOnlyError):
            write(store)
    store.close()
    assert contents(url) == before
    assert sorted(tmp_path.iterdir()) == files  # no lock files, no -wal left behind


@pytest.mark.parametrize("method", sorted(WRITES))
def test_every_write_method_of_a_read_only_store_refuses(backend: Backend, method: str) -> None:
    store = StateStore.open(written_store(backend.url()), read_only=True)
    with pytest.raises(StoreReadOnlyError, match="read-only") as caught:
        WRITES[method](store)
    assert store.name in str(caught.value)
    store.close()


def test_the_database_itself_refuses_a_write_past_the_store(backend: Backend) -> None:
    store = StateStore.open(written_store(backend.url()), read_only=True)
    refusal = "readonly" if backend.name == "sqlite" else "read-only transaction"
    with pytest.raises(DBAPIError, match=refusal), store.engine.begin() as c:
        c.execute(text("DELETE FROM marks"))
    store.close()


def test_a_store_not_created_yet_reads_as_empty_and_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "new" / "state.db"
    store = StateStore.open(f"sqlite:///{path}", read_only=True)
    assert store.messages("work") == []
    assert store.snapshot("work", AT).messages == []
    assert store.health() == []
    with store.engine.connect() as c:
        assert stored_version(c) == CURRENT_VERSION
    with pytest.raises(StoreReadOnlyError) as caught:
        store.record_poll("work", at=AT, error=None)
    assert str(path) in str(caught.value)
    read_everything(store)
    store.close()
    assert not path.parent.exists()


def test_an_empty_store_file_reads_as_a_new_store(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    path.touch()
    store = StateStore.open(f"sqlite:///{path}", read_only=True)
    assert store.drafts() == []
    store.close()
    assert path.read_bytes() == b""


def test_a_store_of_an_older_version_is_refused_read_only_with_how_to_upgrade(
    backend: Backend,
) -> None:
    url = written_store(backend.url())
    set_version(url, 5)
    before = contents(url)
    with pytest.raises(StoreVersionError) as caught:
        StateStore.open(url, read_only=True)
    message = str(caught.value)
    assert "\n" not in message and locate(url).name in message
    assert "`inboxguard run --once` once (without INBOXGUARD_NOW)" in message
    assert contents(url) == before


def test_a_store_of_a_newer_version_is_refused_read_only(backend: Backend) -> None:
    url = written_store(backend.url())
    set_version(url, 99)
    with pytest.raises(StoreVersionError, match="newer than this InboxGuard"):
        StateStore.open(url, read_only=True)


def set_version(url: str, version: int) -> None:
    engine = create_engine(url)
    with engine.begin() as c:
        c.execute(text("UPDATE meta SET value = :v"), {"v": str(version)})
    engine.dispose()


def test_a_scratch_copy_holds_every_row_and_takes_writes_the_store_never_sees(
    backend: Backend,
) -> None:
    url = written_store(backend.url())
    before = contents(url)
    store = StateStore.open(url, read_only=True)
    copy = store.scratch_copy()
    assert copy.location.memory and copy.name.endswith("(scratch copy)")
    assert copy.messages("work") == store.messages("work")
    assert copy.snapshot("work", AT) == store.snapshot("work", AT)
    assert copy.health() == store.health()
    assert copy.episodes(AT) == store.episodes(AT)
    assert copy.digest(date(2026, 11, 20), "me@x") == store.digest(date(2026, 11, 20), "me@x")
    assert copy.folder_markers("work") == store.folder_markers("work")
    assert copy.alerts() == store.alerts() and copy.alert_channels() == store.alert_channels()
    assert copy.leases(AT) == store.leases(AT)
    assert copy.last_cycle("work") == store.last_cycle("work")
    for write in WRITES.values():
        write(copy)
    assert copy.last_mark_id("work") == 2
    copy.close()
    store.close()
    assert contents(url) == before

"""Read-only mode (a what-if): nothing is ever written, by the store or under it."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from inboxguard.domain.marks import Mark, MarkAction
from inboxguard.domain.threading import Thread
from inboxguard.domain.tracked import TextFacts
from inboxguard.errors import StoreReadOnlyError, StoreVersionError
from inboxguard.store import DraftStatus, EpisodeRow, StateStore
from inboxguard.store.migrations import CURRENT_VERSION, stored_version
from tests.store.helpers import AT, draft, sql_dump, tracked

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
}


def written_store(path: Path) -> Path:
    """A store with a row in every table."""
    store = StateStore.open(f"sqlite:///{path}")
    store.apply_folder_sync(
        "work", "INBOX", marker="m1", added=[tracked("1", "<a@x>", thread_id="t1")], at=AT
    )
    store.claim_draft(draft(1))
    store.add_mark(Mark("work", "t1", MarkAction.NO_REPLY, None, AT))
    store.save_episodes("work", [EpisodeRow("work", "t1", AT, None, AT, "taro@x", None)])
    store.record_digest(date(2026, 11, 20), "me@x", "<d@x>", at=AT, delivered_to="file")
    store.record_poll("work", at=AT, error="refused")
    store.close()
    return path


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
    tmp_path: Path,
) -> None:
    path = written_store(tmp_path / "state.db")
    before, files = sql_dump(path), sorted(tmp_path.iterdir())
    store = StateStore.open(f"sqlite:///{path}", read_only=True)
    read_everything(store)
    for write in WRITES.values():
        with pytest.raises(StoreReadOnlyError):
            write(store)
    store.close()
    assert sql_dump(path) == before
    assert sorted(tmp_path.iterdir()) == files  # no lock files, no -wal left behind


@pytest.mark.parametrize("method", sorted(WRITES))
def test_every_write_method_of_a_read_only_store_refuses(tmp_path: Path, method: str) -> None:
    path = written_store(tmp_path / "state.db")
    store = StateStore.open(f"sqlite:///{path}", read_only=True)
    with pytest.raises(StoreReadOnlyError, match="read-only") as caught:
        WRITES[method](store)
    assert str(path) in str(caught.value)
    store.close()


def test_the_database_itself_refuses_a_write_past_the_store(tmp_path: Path) -> None:
    path = written_store(tmp_path / "state.db")
    store = StateStore.open(f"sqlite:///{path}", read_only=True)
    with pytest.raises(OperationalError, match="readonly"), store.engine.begin() as c:
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
    tmp_path: Path,
) -> None:
    path = written_store(tmp_path / "state.db")
    with sqlite3.connect(path) as raw:
        raw.execute("UPDATE meta SET value = '5' WHERE key = 'schema_version'")
    raw.close()
    before = sql_dump(path)
    with pytest.raises(StoreVersionError) as caught:
        StateStore.open(f"sqlite:///{path}", read_only=True)
    message = str(caught.value)
    assert "\n" not in message and str(path) in message
    assert "`inboxguard run --once` once (without INBOXGUARD_NOW)" in message
    assert sql_dump(path) == before


def test_a_store_of_a_newer_version_is_refused_read_only(tmp_path: Path) -> None:
    path = written_store(tmp_path / "state.db")
    with sqlite3.connect(path) as raw:
        raw.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    raw.close()
    with pytest.raises(StoreVersionError, match="newer than this InboxGuard"):
        StateStore.open(f"sqlite:///{path}", read_only=True)


def test_a_scratch_copy_holds_every_row_and_takes_writes_the_store_never_sees(
    tmp_path: Path,
) -> None:
    path = written_store(tmp_path / "state.db")
    before = sql_dump(path)
    store = StateStore.open(f"sqlite:///{path}", read_only=True)
    copy = store.scratch_copy()
    assert copy.messages("work") == store.messages("work")
    assert copy.snapshot("work", AT) == store.snapshot("work", AT)
    assert copy.health() == store.health()
    assert copy.episodes(AT) == store.episodes(AT)
    assert copy.digest(date(2026, 11, 20), "me@x") == store.digest(date(2026, 11, 20), "me@x")
    assert copy.folder_markers("work") == store.folder_markers("work")
    for write in WRITES.values():
        write(copy)
    assert copy.last_mark_id("work") == 2
    copy.close()
    store.close()
    assert sql_dump(path) == before

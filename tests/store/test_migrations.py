"""Frozen migrations: a store written by 0.1.0 reaches v6 with every value kept, every path
to v6 ends at the same schema (and at ``schema.py``'s), and concurrent first opens agree."""

from __future__ import annotations

import json
import multiprocessing
import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, inspect, text

from inboxguard.domain.drafts import DraftStatus
from inboxguard.domain.marks import MarkAction
from inboxguard.errors import StoreError, StoreVersionError
from inboxguard.store import StateStore, schema
from inboxguard.store.migrations import CURRENT_VERSION, STEPS, stored_version
from tests.store import workers
from tests.store.helpers import FIXTURES, load_dump, plain

V5_DUMP = FIXTURES / "v5_written_by_0.1.0.sql"
# What 0.1.0's own StateStore read from that store (its messages(), drafts() …).
V5_READ = json.loads((FIXTURES / "v5_read_by_0.1.0.json").read_text(encoding="utf-8"))
LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)


def raw_rows(path: Path, table: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as raw:
        return raw.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()  # noqa: S608


def shape(engine: Engine) -> dict[str, Any]:
    """Tables, columns (type, nullability, default), primary keys, indexes and unique
    constraints, as the database reports them."""
    inspector = inspect(engine)
    return {
        table: {
            "columns": [
                (c["name"], str(c["type"]), c["nullable"], c["default"])
                for c in inspector.get_columns(table)
            ],
            "primary_key": inspector.get_pk_constraint(table)["constrained_columns"],
            "indexes": sorted(
                (i["name"], tuple(i["column_names"]), bool(i["unique"]))
                for i in inspector.get_indexes(table)
            ),
            "unique": sorted(
                (u["name"], tuple(u["column_names"]))
                for u in inspector.get_unique_constraints(table)
            ),
        }
        for table in sorted(inspector.get_table_names())
    }


def v1_store(path: Path) -> Path:
    """A store as the first release created it: the v1 step alone."""
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as c:
        STEPS[0](c)
        c.execute(text("INSERT INTO meta (key, value) VALUES ('schema_version', '1')"))
    engine.dispose()
    return path


@pytest.fixture
def v5_path(tmp_path: Path) -> Path:
    return load_dump(V5_DUMP, tmp_path / "state.db")


def test_the_0_1_0_store_migrates_to_v6_keeping_every_row(v5_path: Path) -> None:
    before = {t: raw_rows(v5_path, t) for t in ("messages", "marks", "responses", "digests")}
    before |= {t: raw_rows(v5_path, t) for t in ("folders", "account_health", "meta")}
    drafts_before = raw_rows(v5_path, "drafts")
    StateStore.open(f"sqlite:///{v5_path}").close()
    # v8 adds columns last (messages: a request and an invitation; marks: their detail),
    # NULL in every old row; the columns before them are as they were.
    added = {"messages": 5, "marks": 1}
    for table, rows in before.items():
        if table != "meta":
            extra = (None,) * added.get(table, 0)
            assert raw_rows(v5_path, table) == [(*row, *extra) for row in rows], table
    assert raw_rows(v5_path, "meta") == [("schema_version", str(CURRENT_VERSION))]
    # The ledger gains the status column, last; existing drafts were written.
    assert raw_rows(v5_path, "drafts") == [(*row, "written") for row in drafts_before]
    assert len(drafts_before) == 3 and len(before["messages"]) == 11


def test_the_migrated_0_1_0_store_reads_back_what_0_1_0_read(v5_path: Path) -> None:
    store = StateStore.open(f"sqlite:///{v5_path}")
    # Facts added since (requests, invitations; a mark's detail) read as absent.
    later = {"request": None, "invitation": None}
    assert plain(store.messages("demo")) == [m | later for m in V5_READ["messages"]]
    assert plain(store.health()) == V5_READ["health"]
    assert plain(store.episodes(LONG_AGO)) == V5_READ["episodes"]
    assert plain(store.digest(date(2026, 12, 2), "hanako@example.jp")) == V5_READ["digest"]
    drafts = store.drafts()
    assert {d.status for d in drafts} == {DraftStatus.WRITTEN}
    # In creation order; ties (one cycle's drafts) by Message-ID, where 0.1.0 left them
    # in whatever order the database returned.
    expected = sorted(V5_READ["drafts"], key=lambda d: (d["created_at"], d["message_id"]))
    assert [plain(d) for d in drafts] == [d | {"status": "written"} for d in expected]
    (mark,) = store.marks("demo")
    assert mark.action is MarkAction.NO_REPLY
    assert plain(store.marks("demo")) == [
        m | {"occurrence": None, "signals": []} for m in V5_READ["marks"]
    ]
    store.close()


def test_the_migrated_0_1_0_store_keeps_its_folder_markers_as_they_were_written(
    v5_path: Path,
) -> None:
    written = {folder: marker for _, folder, marker, _ in raw_rows(v5_path, "folders")}
    store = StateStore.open(f"sqlite:///{v5_path}")
    assert store.folder_markers("demo") == written
    assert store.folder_marker("demo", "INBOX") == (
        '{"cur": 1796158975085653966, "inode": 2162866, "new": 1796158975063070247}'
    )
    store.close()


def test_a_fresh_store_and_one_migrated_from_v1_have_the_same_schema(tmp_path: Path) -> None:
    fresh = StateStore.open(f"sqlite:///{tmp_path / 'fresh.db'}")
    old = v1_store(tmp_path / "v1.db")
    assert "status" not in {
        c["name"] for c in inspect(create_engine(f"sqlite:///{old}")).get_columns("drafts")
    }
    migrated = StateStore.open(f"sqlite:///{old}")
    assert shape(fresh.engine) == shape(migrated.engine)
    fresh.close()
    migrated.close()


def test_the_migrated_0_1_0_store_has_the_schema_of_a_fresh_one(
    tmp_path: Path, v5_path: Path
) -> None:
    fresh = StateStore.open(f"sqlite:///{tmp_path / 'fresh.db'}")
    migrated = StateStore.open(f"sqlite:///{v5_path}")
    assert shape(migrated.engine) == shape(fresh.engine)
    fresh.close()
    migrated.close()


def test_the_migration_steps_end_at_the_tables_schema_py_describes(tmp_path: Path) -> None:
    store = StateStore.open(f"sqlite:///{tmp_path / 'state.db'}")
    described = create_engine(f"sqlite:///{tmp_path / 'described.db'}")
    schema.metadata.create_all(described)
    assert shape(store.engine) == shape(described)
    store.close()


def test_the_v1_step_creates_the_first_release_s_tables_only(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{v1_store(tmp_path / 'v1.db')}")
    tables = shape(engine)
    assert sorted(tables) == [
        "account_health",
        "drafts",
        "folders",
        "marks",
        "messages",
        "meta",
        "responses",
    ]
    messages = {c[0] for c in tables["messages"]["columns"]}
    assert not messages & {"text_read", "incident_score", "incident_keywords_json"}
    health = {c[0] for c in tables["account_health"]["columns"]}
    assert not health & {"consecutive_failures", "next_attempt_at"}


def test_a_v6_claim_key_dedupes_old_rows_that_share_a_draft_identity(tmp_path: Path) -> None:
    path = v1_store(tmp_path / "v1.db")
    with sqlite3.connect(path) as raw:
        for mid, created in (("<b@x>", "2026-11-20 04:00:00"), ("<a@x>", "2026-11-20 03:00:00")):
            raw.execute(
                "INSERT INTO drafts VALUES (?, 'work', 't1', 'holding', '2026-11-19 00:00:00',"
                " ?, 'Drafts', NULL)",
                (mid, created),
            )
    store = StateStore.open(f"sqlite:///{path}")
    assert [d.message_id for d in store.drafts()] == ["<a@x>"]  # the first one written
    store.close()


def test_a_store_from_a_newer_version_is_refused_in_one_line_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    StateStore.open(f"sqlite:///{path}").close()
    with sqlite3.connect(path) as raw:
        raw.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(StoreVersionError) as caught:
        StateStore.open(f"sqlite:///{path}")
    message = str(caught.value)
    assert isinstance(caught.value, StoreError)
    assert "\n" not in message and str(path) in message
    assert "99" in message and "upgrade InboxGuard" in message


def test_forty_pairs_of_processes_opening_a_new_store_at_once_all_succeed_at_v6(
    tmp_path: Path,
) -> None:
    paths = [str(tmp_path / f"round{n}" / "state.db") for n in range(40)]
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    results = ctx.Queue()
    processes = [
        ctx.Process(target=workers.open_each, args=(paths, barrier, results)) for _ in range(2)
    ]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=120) for _ in range(2 * len(paths))]
    for process in processes:
        process.join(timeout=30)
    failures = [o for o in outcomes if o[1] != CURRENT_VERSION]
    assert failures == []
    assert len(outcomes) == 80
    for path in paths:
        with sqlite3.connect(path) as raw:
            assert stored_version_of(raw) == CURRENT_VERSION


def stored_version_of(raw: sqlite3.Connection) -> int:
    return int(raw.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0])


def test_stored_version_is_zero_for_an_empty_database(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    with engine.connect() as c:
        assert stored_version(c) == 0

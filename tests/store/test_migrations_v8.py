"""Migrations on both dialects: a v7 store made by the frozen steps, holding rows in every
table, reaches v8 with each row kept; the fresh v8 schema is the migrated one and the one
``schema.py`` describes."""

from __future__ import annotations

import multiprocessing
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Engine,
    Float,
    Integer,
    MetaData,
    create_engine,
    insert,
    select,
    text,
)

from inboxguard.store import StateStore, schema
from inboxguard.store.migrations import CURRENT_VERSION, STEPS, stored_version
from tests.conftest import Backend, PostgresSession
from tests.store import workers
from tests.store.test_migrations import shape

WHEN = datetime(2026, 11, 20, 3, 0)  # naive UTC, as every version stores it

# Values the readers check (an enum's word, JSON), by column name.
_WORDS = {
    "role": "incoming",
    "purpose": "holding",
    "status": "written",
    "action": "no-reply",
    "kind": "at_risk",
    "urgency": "normal",
    "facts_json": '{"account": "work"}',
    "report_stages": "",
}


def _value(table: str, column: Any, n: int) -> Any:
    if column.name in _WORDS:
        return _WORDS[column.name]
    if column.name.endswith("_json"):
        return "[]"
    kind = type(column.type)
    if issubclass(kind, Boolean):
        return n % 2 == 0
    if issubclass(kind, Integer):
        return n
    if issubclass(kind, Float):
        return n + 0.5
    if issubclass(kind, DateTime):
        return WHEN.replace(minute=n)
    if issubclass(kind, Date):
        return date(2026, 11, n)
    return f"{table}.{column.name}.{n}"


def v7_store(url: str) -> Engine:
    """A store as v7 left it, made by the frozen steps 1 to 7, with two rows per table."""
    engine = create_engine(url)
    with engine.begin() as c:
        for step in STEPS[:7]:
            step(c)
        c.execute(text("INSERT INTO meta (key, value) VALUES ('schema_version', '7')"))
    tables = MetaData()
    tables.reflect(engine)
    with engine.begin() as c:
        for name, table in tables.tables.items():
            if name == "meta":
                continue
            rows = [
                {col.name: _value(name, col, n) for col in table.columns if col.name != "id"}
                for n in (1, 2)
            ]
            c.execute(insert(table), rows)
    return engine


def every_row(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    tables = MetaData()
    tables.reflect(engine)
    with engine.connect() as c:
        return {
            name: sorted((tuple(r) for r in c.execute(select(t))), key=repr)
            for name, t in tables.tables.items()
        }


def test_a_v7_store_migrates_to_v8_keeping_every_row(backend: Backend) -> None:
    url = backend.url(migrated=False)
    engine = v7_store(url)
    before = every_row(engine)
    assert len(before) == 10 and all(len(rows) == 2 for t, rows in before.items() if t != "meta")
    store = StateStore.open(url)
    after = every_row(engine)
    # v8's columns come last in their tables, NULL in every old row.
    added = {"messages": 5, "marks": 1}
    for table, rows in before.items():
        if table != "meta":
            extra = (None,) * added.get(table, 0)
            assert after[table] == sorted(((*r, *extra) for r in rows), key=repr), table
    assert after["meta"] == [("schema_version", str(CURRENT_VERSION))]
    assert after["account_leases"] == [] and after["account_cycles"] == []
    # And they read back through the store: the new facts absent, nothing fails.
    messages = store.messages("messages.account.1")
    assert [(m.uid, m.request, m.invitation) for m in messages] == [("messages.uid.1", None, None)]
    assert [m.signals for m in store.marks("marks.account.2")] == [()]
    with store.engine.connect() as c:
        assert stored_version(c) == CURRENT_VERSION == 8
    store.close()
    engine.dispose()


def test_a_fresh_v8_store_has_the_schema_of_a_migrated_v7_one(backend: Backend) -> None:
    fresh = StateStore.open(backend.url(migrated=False))
    old_url = backend.url("old", migrated=False)
    v7_store(old_url).dispose()
    migrated = StateStore.open(old_url)
    assert shape(fresh.engine) == shape(migrated.engine)
    fresh.close()
    migrated.close()


def test_the_steps_end_at_the_tables_schema_py_describes(backend: Backend) -> None:
    store = StateStore.open(backend.url(migrated=False))
    described = create_engine(backend.url("described", migrated=False))
    schema.metadata.create_all(described)
    with described.begin() as c:  # the version row is data, not schema
        c.execute(insert(schema.meta).values(key="schema_version", value="8"))
    assert shape(store.engine) == shape(described)
    assert {"account_leases", "account_cycles"} <= set(shape(described))
    store.close()
    described.dispose()


def test_two_processes_creating_a_new_postgresql_store_at_once_take_turns(
    postgres: PostgresSession,
) -> None:
    # The migration's advisory lock: one creates the tables, the other finds them current.
    urls = [postgres.server.url(postgres.fresh(migrated=False)) for _ in range(10)]
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    results = ctx.Queue()
    processes = [
        ctx.Process(target=workers.open_each, args=(urls, barrier, results)) for _ in range(2)
    ]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=120) for _ in range(2 * len(urls))]
    for process in processes:
        process.join(timeout=30)
    assert [o for o in outcomes if o[1] != CURRENT_VERSION] == []
    assert len(outcomes) == 20

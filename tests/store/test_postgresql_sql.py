"""Nothing SQLite-only in the queries: every write the aggregates issue compiles for
PostgreSQL (whose store comes next), upserts included."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import create_mock_engine
from sqlalchemy.sql.expression import ClauseElement

from inboxguard.domain.marks import Mark, MarkAction
from inboxguard.store import digests, episodes, health, ledger, marks, messages
from inboxguard.store.episodes import EpisodeRow
from tests.store.helpers import AT, draft, tracked


class Result:
    rowcount = 1

    def scalar_one_or_none(self) -> None:
        return None

    def __iter__(self) -> Any:
        return iter(())


class CompilingConnection:
    """Stands in for a PostgreSQL connection: compiles what it is given, runs nothing."""

    dialect = create_mock_engine("postgresql://", lambda *_a, **_k: None).dialect

    def __init__(self) -> None:
        self.sql: list[str] = []

    def execute(self, statement: ClauseElement, parameters: object = None) -> Result:
        self.sql.append(str(statement.compile(dialect=self.dialect)))
        return Result()


def test_every_write_compiles_for_postgresql_with_on_conflict_upserts() -> None:
    c: Any = CompilingConnection()
    ledger.claim(c, draft(1))
    ledger.settle(c, draft(1).message_id, status=draft(1).status, location=None)
    health.record_poll(c, "work", at=AT, error="refused", next_attempt_at=AT)
    digests.record_attempt(
        c, date(2026, 11, 20), "me@x", "<d@x>", at=AT, delivered_to=None, error="e",
        next_attempt_at=AT,
    )  # fmt: skip
    episodes.save(c, [EpisodeRow("work", "t1", AT, None, AT, None, None)])
    marks.add(c, Mark("work", "t1", MarkAction.NO_REPLY, None, AT))
    messages.apply_folder_sync(
        c, "work", "INBOX", marker="m", added=[tracked("1", "<a@x>")], removed=["2"],
        replace_all=True, at=AT,
    )  # fmt: skip
    messages.prune(c, "work", before=AT, keep_threads=())
    upserts = [s for s in c.sql if "ON CONFLICT" in s]
    assert len(upserts) == 6  # claim, health, digest, episodes, messages, folder marker
    assert any("IS DISTINCT FROM" in s for s in upserts)  # unchanged episodes: no write

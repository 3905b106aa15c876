"""The state store: private file, WAL, versioned schema, markers and drafts, no bodies."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, insert, inspect, text, update

from inboxguard.domain.drafts import DraftPurpose
from inboxguard.domain.marks import Mark, MarkAction
from inboxguard.domain.message import Address
from inboxguard.domain.tracked import FolderRole, IncidentFacts, TextFacts, TrackedMessage
from inboxguard.store import DraftRecord, StateStore, schema
from inboxguard.store.migrations import CURRENT_VERSION, StoreVersionError, stored_version
from inboxguard.store.state_store import EpisodeRow
from tests.conftest import Backend

AT = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


def tracked(uid: str, mid: str) -> TrackedMessage:
    return TrackedMessage(
        account="work",
        folder="INBOX",
        uid=uid,
        role=FolderRole.INCOMING,
        message_id=mid,
        subject="件名",
        sender=Address("山田", "taro@client.example"),
        to=(Address("", "hanako@example.jp"),),
        cc=(),
        date=AT,
        in_reply_to=("<p@x>",),
    )


def test_new_sqlite_store_is_0600_in_wal_mode_at_the_current_version(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "state.db"
    store = StateStore.open(f"sqlite:///{path}")
    with store.engine.connect() as connection:
        assert stored_version(connection) == CURRENT_VERSION
    store.close()
    assert path.stat().st_mode & 0o777 == 0o600
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_store_from_a_newer_inboxguard_is_refused(backend: Backend) -> None:
    url = backend.url()
    store = StateStore.open(url)
    with store.engine.begin() as connection:
        connection.execute(update(schema.meta).values(value=str(CURRENT_VERSION + 1)))
    store.close()
    with pytest.raises(StoreVersionError, match="newer than this InboxGuard"):
        StateStore.open(url)


def test_reopening_an_existing_store_keeps_its_data(backend: Backend) -> None:
    url = backend.url()
    store = StateStore.open(url)
    store.apply_folder_sync(
        "work", "INBOX", marker='{"uidnext": 2}', added=[tracked("1", "<a@x>")], at=AT
    )
    store.close()
    again = StateStore.open(url)
    assert again.folder_marker("work", "INBOX") == '{"uidnext": 2}'
    (message,) = again.messages("work")
    assert message == tracked("1", "<a@x>")
    again.close()


def test_folder_sync_is_idempotent_and_a_reset_replaces_the_folder(store: StateStore) -> None:
    batch = [tracked("1", "<a@x>"), tracked("2", "<b@x>")]
    store.apply_folder_sync("work", "INBOX", marker='{"m": 1}', added=batch, at=AT)
    store.apply_folder_sync("work", "INBOX", marker='{"m": 1}', added=batch, at=AT)
    assert len(store.messages("work")) == 2
    store.apply_folder_sync(
        "work", "INBOX", marker='{"m": 2}', added=[tracked("9", "<a@x>")], replace_all=True, at=AT
    )
    assert [m.uid for m in store.messages("work")] == ["9"]


def test_draft_records_are_written_once(store: StateStore) -> None:
    record = DraftRecord("<ig-1@x>", "work", "t1", DraftPurpose.HOLDING, AT, AT, "Drafts", "k1")
    store.record_draft(record)
    store.record_draft(record)
    assert store.drafts() == [record]
    assert store.draft("<ig-1@x>") == record


def test_no_table_has_a_column_for_message_bodies(store: StateStore) -> None:
    inspector = inspect(store.engine)
    columns = {c["name"] for t in inspector.get_table_names() for c in inspector.get_columns(t)}
    assert not columns & {"body", "text", "content", "raw", "html"}


def test_poll_failures_remember_since_when_until_a_success(store: StateStore) -> None:
    later = datetime(2026, 11, 20, 4, 0, tzinfo=UTC)
    store.record_poll("work", at=AT, error="refused")
    store.record_poll("work", at=later, error="refused again")
    (health,) = store.health()
    assert health.failing_since == AT and health.last_error == "refused again"
    store.record_poll("work", at=later, error=None)
    (health,) = store.health()
    assert health.failing_since is None and health.last_success_at == later


def test_failures_in_a_row_are_counted_with_the_retry_time_and_a_success_clears_both(
    store: StateStore,
) -> None:
    retry = datetime(2026, 11, 20, 3, 2, tzinfo=UTC)
    store.record_poll("work", at=AT, error="refused", next_attempt_at=retry)
    store.record_poll("work", at=retry, error="refused", next_attempt_at=retry + (retry - AT) * 2)
    health = store.account_health("work")
    assert health is not None
    assert health.consecutive_failures == 2
    assert health.next_attempt_at == datetime(2026, 11, 20, 3, 6, tzinfo=UTC)
    store.record_poll("work", at=health.next_attempt_at, error=None)
    health = store.account_health("work")
    assert health is not None
    assert (health.consecutive_failures, health.next_attempt_at) == (0, None)
    assert store.account_health("other") is None


# The account_health table as schema version 1 created it, before backoff.
_V1_ACCOUNT_HEALTH = """
CREATE TABLE account_health (
    account VARCHAR(200) NOT NULL,
    last_success_at DATETIME,
    last_failure_at DATETIME,
    failing_since DATETIME,
    last_error TEXT,
    PRIMARY KEY (account)
)
"""


def test_a_version_1_store_migrates_keeping_its_account_health(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as c:
        others = [t for t in schema.metadata.sorted_tables if t.name != "account_health"]
        schema.metadata.create_all(c, tables=others)
        c.execute(text(_V1_ACCOUNT_HEALTH))
        c.execute(insert(schema.meta).values(key="schema_version", value="1"))
        c.execute(
            text(
                "INSERT INTO account_health (account, last_failure_at, failing_since, last_error)"
                " VALUES ('work', '2026-11-20 03:00:00.000000', '2026-11-20 03:00:00.000000',"
                " 'refused')"
            )
        )
    engine.dispose()
    store = StateStore.open(f"sqlite:///{path}")
    with store.engine.connect() as connection:
        assert stored_version(connection) == CURRENT_VERSION >= 2
    (health,) = store.health()
    assert (health.account, health.failing_since, health.last_error) == ("work", AT, "refused")
    assert (health.consecutive_failures, health.next_attempt_at) == (0, None)
    store.record_poll("work", at=AT, error="again", next_attempt_at=AT)
    assert store.health()[0].consecutive_failures == 1
    store.close()


def test_episodes_are_inserted_then_updated_only_when_they_change(store: StateStore) -> None:
    open_row = EpisodeRow("work", "t1", AT, None, AT, "taro@client.example", None)
    store.save_episodes("work", [open_row])
    store.save_episodes("work", [open_row])
    answered = EpisodeRow(
        "work", "t1", AT, datetime(2026, 11, 20, 5, tzinfo=UTC), AT, "taro@client.example", None
    )
    store.save_episodes("work", [answered])
    assert store.episodes(AT) == [answered]


def test_a_v2_store_gains_text_read_and_keeps_its_messages_as_read(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    store = StateStore.open(f"sqlite:///{path}")
    store.apply_folder_sync("work", "INBOX", marker="{}", added=[tracked("1", "<a@x>")], at=AT)
    store.close()
    with sqlite3.connect(path) as raw:  # the store as version 2 left it
        raw.execute("ALTER TABLE messages DROP COLUMN text_read")
        raw.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    again = StateStore.open(f"sqlite:///{path}")
    with again.engine.connect() as connection:
        assert stored_version(connection) == CURRENT_VERSION
    (message,) = again.messages("work")
    assert message.text_read
    again.close()


def test_a_v3_store_gains_incident_facts_unread_and_keeps_its_messages(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    store = StateStore.open(f"sqlite:///{path}")
    store.apply_folder_sync("work", "INBOX", marker="{}", added=[tracked("1", "<a@x>")], at=AT)
    store.close()
    with sqlite3.connect(path) as raw:  # the store as version 3 left it
        for column in ("incident_score", "incident_keywords_json", "report_stages"):
            raw.execute(f"ALTER TABLE messages DROP COLUMN {column}")
        raw.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
    again = StateStore.open(f"sqlite:///{path}")
    with again.engine.connect() as connection:
        assert stored_version(connection) == CURRENT_VERSION
    (message,) = again.messages("work")
    assert message.text_read and message.incident is None  # read again once, for incidents
    again.close()


def test_incident_facts_round_trip(store: StateStore) -> None:
    store.apply_folder_sync("work", "INBOX", marker="{}", added=[tracked("1", "<a@x>")], at=AT)
    facts = IncidentFacts(score=6.5, keywords=("障害", "is down"), stages=frozenset())
    store.apply_text_facts("work", [TextFacts("INBOX", "1", False, None, facts)])
    (message,) = store.messages("work")
    assert message.incident == facts
    mine = IncidentFacts(stages=frozenset({"root_cause", "remediation"}))
    store.apply_text_facts("work", [TextFacts("INBOX", "1", False, None, mine)])
    (message,) = store.messages("work")
    assert message.incident == mine


# A trigger counting the updates of ``responses`` into ``writes``, in each dialect.
COUNT_UPDATES = {
    "sqlite": [
        "CREATE TRIGGER count_writes AFTER UPDATE ON responses"
        " BEGIN INSERT INTO writes VALUES (1); END"
    ],
    "postgresql": [
        "CREATE FUNCTION count_write() RETURNS trigger LANGUAGE plpgsql AS"
        " $$ BEGIN INSERT INTO writes VALUES (1); RETURN NULL; END $$",
        "CREATE TRIGGER count_writes AFTER UPDATE ON responses"
        " FOR EACH ROW EXECUTE FUNCTION count_write()",
    ],
}


def test_unchanged_episodes_are_not_written_again(store: StateStore) -> None:
    rows = [
        EpisodeRow("work", f"t{n}", AT, None, AT, "taro@client.example", None) for n in range(3)
    ]
    store.save_episodes("work", rows)
    with store.engine.begin() as c:
        c.execute(text("CREATE TABLE writes (n INTEGER)"))
        for statement in COUNT_UPDATES[store.engine.dialect.name]:
            c.execute(text(statement))
    answered = EpisodeRow("work", "t1", AT, AT, AT, "taro@client.example", None)
    store.save_episodes("work", [rows[0], answered, rows[2]])
    with store.engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM writes")).scalar() == 1
    assert [e.answered_at for e in store.episodes(AT)] == [None, AT, None]


def test_a_digest_counts_its_attempts_and_a_later_failure_keeps_the_success(
    store: StateStore,
) -> None:
    day = datetime(2026, 11, 20, tzinfo=UTC).date()
    retry = datetime(2026, 11, 20, 4, tzinfo=UTC)
    failed = store.record_digest(
        day, "me@x", "<d@x>", at=AT, error="refused", next_attempt_at=retry
    )
    assert (failed.attempts, failed.sent_at, failed.next_attempt_at) == (1, None, retry)
    sent = store.record_digest(day, "me@x", "<d@x>", at=retry, delivered_to="smtp")
    assert (sent.attempts, sent.sent_at, sent.delivered_to, sent.last_error) == (
        2,
        retry,
        "smtp",
        None,
    )
    again = store.record_digest(day, "me@x", "<d@x>", at=AT, error="x", next_attempt_at=retry)
    assert (again.attempts, again.sent_at, again.delivered_to) == (3, retry, "smtp")
    assert store.digest(day, "me@x") == again
    assert store.digest(day, "other@x") is None


def test_marks_read_back_with_their_action_in_time_order(store: StateStore) -> None:
    later = Mark("work", "t1", MarkAction.STAGE_DONE, "root_cause", AT.replace(hour=5))
    store.add_mark(later)
    store.add_mark(Mark("work", "t1", MarkAction.INCIDENT, None, AT))
    marks = store.marks("work")
    assert [m.action for m in marks] == [MarkAction.INCIDENT, MarkAction.STAGE_DONE]
    assert marks[1] == later
    assert store.last_mark_id("work") == 2 and store.last_mark_id("other") == 0


def test_an_in_memory_store_is_one_store_for_every_thread() -> None:
    store = StateStore.open("sqlite://")
    store.record_poll("work", at=AT, error=None)
    seen: list[int] = []
    thread = threading.Thread(target=lambda: seen.append(len(store.health())))
    thread.start()
    thread.join()
    assert seen == [1]
    store.close()

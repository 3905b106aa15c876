"""A store on a real PostgreSQL that fails under it: restarted, stopped, its connection cut
(pg_terminate_backend), a transaction aborted by the server (serialization failure,
deadlock). Each failure is a one-line ``StoreError`` subclass without the password; a
transaction the server rolled back whole is run once more; nothing is ever half-written.

The faults are the server's own: triggers make the server cut its own connection or raise
a real SQLSTATE at a chosen statement, counted in a sequence (which no rollback undoes).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import psycopg
import pytest
from sqlalchemy import text

from inboxguard.errors import (
    StoreCommitUnknownError,
    StoreConflictError,
    StoreConnectionError,
    StoreError,
    StoreUnreachableError,
)
from inboxguard.store import StateStore
from tests.conftest import PostgresSession
from tests.live.postgres_server import PASSWORD
from tests.store.helpers import AT, tracked


@pytest.fixture
def database(postgres: PostgresSession) -> str:
    return postgres.fresh()


@pytest.fixture
def store(postgres: PostgresSession, database: str) -> Iterator[StateStore]:
    store = StateStore.open(postgres.server.url(database))
    yield store
    store.close()


def one_line(error: StoreError) -> str:
    message = str(error)
    assert "\n" not in message
    assert PASSWORD not in message and PASSWORD not in repr(error)
    assert message.startswith("state store postgresql+psycopg://inboxguard:***@127.0.0.1:")
    assert error.__cause__ is None and error.__suppress_context__
    return message


def sync(store: StateStore, uids: tuple[str, ...] = ("1", "2", "3")) -> None:
    added = [tracked(uid, f"<{uid}@x>") for uid in uids]
    store.apply_folder_sync("work", "INBOX", marker="m1", added=added, at=AT)


def install_fault(postgres: PostgresSession, database: str, action: str, times: int) -> None:
    """Before each insert into ``folders`` (the last write of a folder sync, after its
    messages), do ``action`` the first ``times`` times; ``attempts`` counts every try."""
    postgres.server.sql(
        "CREATE SEQUENCE attempts;"
        "CREATE FUNCTION fault() RETURNS trigger LANGUAGE plpgsql AS $$"
        f" BEGIN IF nextval('attempts') <= {times} THEN {action}; END IF; RETURN NEW; END $$;"
        "CREATE TRIGGER fault BEFORE INSERT ON folders FOR EACH ROW EXECUTE FUNCTION fault();"
        "GRANT USAGE ON SEQUENCE attempts TO inboxguard;",
        database,
    )


def attempts(postgres: PostgresSession, database: str) -> int:
    ((value,),) = postgres.server.sql("SELECT last_value FROM attempts", database)
    return int(value)


CUT = "PERFORM pg_terminate_backend(pg_backend_pid())"
SERIALIZATION = "RAISE EXCEPTION 'could not serialize access' USING ERRCODE = '40001'"
DEADLOCK = "RAISE EXCEPTION 'deadlock detected' USING ERRCODE = '40P01'"


def test_a_restarted_server_is_survived_by_the_next_call(
    store: StateStore, postgres: PostgresSession
) -> None:
    store.record_poll("work", at=AT, error=None)
    postgres.server.restart()
    store.record_poll("other", at=AT, error=None)  # the pool's dead connection is replaced
    assert [h.account for h in store.health()] == ["other", "work"]


def test_a_server_that_is_down_is_one_line_and_the_store_works_once_it_is_back(
    store: StateStore, postgres: PostgresSession
) -> None:
    store.record_poll("work", at=AT, error=None)
    postgres.server.stop()
    try:
        with pytest.raises(StoreConnectionError) as caught:
            store.health()
        with pytest.raises(StoreConnectionError):
            sync(store)
    finally:
        postgres.server.start()
    assert "the server is unreachable or restarting" in one_line(caught.value)
    assert caught.value.exit_code == 1  # a runtime failure: the next cycle tries again
    assert [h.account for h in store.health()] == ["work"]
    assert store.messages("work") == []


def test_connections_cut_between_calls_are_replaced(
    store: StateStore, postgres: PostgresSession, database: str
) -> None:
    store.record_poll("work", at=AT, error=None)
    assert postgres.server.terminate(database) >= 1
    assert store.account_health("work") is not None


@pytest.mark.parametrize(("fault", "name"), [(CUT, "cut"), (SERIALIZATION, "serialization"),
                                             (DEADLOCK, "deadlock")])  # fmt: skip
def test_a_transaction_the_server_rolled_back_is_run_once_more_and_written_once(
    store: StateStore, postgres: PostgresSession, database: str, fault: str, name: str
) -> None:
    install_fault(postgres, database, fault, times=1)
    sync(store)
    assert attempts(postgres, database) == 2
    assert [m.uid for m in store.messages("work")] == ["1", "2", "3"]
    assert store.folder_marker("work", "INBOX") == "m1"


PERSISTING = {
    "cut": (CUT, StoreConnectionError, "the server is unreachable or restarting"),
    "serialization": (SERIALIZATION, StoreConflictError, "(serialization failure); try again"),
    "deadlock": (DEADLOCK, StoreConflictError, "(deadlock); try again"),
}


@pytest.mark.parametrize("name", sorted(PERSISTING))
def test_a_fault_that_persists_is_one_line_after_one_retry_and_writes_nothing(
    store: StateStore, postgres: PostgresSession, database: str, name: str
) -> None:
    fault, error, said = PERSISTING[name]
    install_fault(postgres, database, fault, times=10)
    with pytest.raises(error) as caught:
        sync(store)
    assert said in one_line(caught.value)
    assert attempts(postgres, database) == 2  # tried, and once more
    # Not half-written: the messages inserted before the failing statement went with it.
    assert store.messages("work") == []
    assert store.folder_marker("work", "INBOX") is None


def test_a_connection_lost_while_committing_is_not_retried(
    store: StateStore, postgres: PostgresSession, database: str
) -> None:
    # A deferred constraint trigger runs at COMMIT: the connection dies in the commit.
    postgres.server.sql(
        "CREATE SEQUENCE attempts;"
        "CREATE FUNCTION fault() RETURNS trigger LANGUAGE plpgsql AS $$"
        f" BEGIN PERFORM nextval('attempts'); {CUT}; RETURN NEW; END $$;"
        "CREATE CONSTRAINT TRIGGER fault AFTER INSERT ON folders DEFERRABLE INITIALLY DEFERRED"
        " FOR EACH ROW EXECUTE FUNCTION fault();"
        "GRANT USAGE ON SEQUENCE attempts TO inboxguard;",
        database,
    )
    with pytest.raises(StoreCommitUnknownError) as caught:
        sync(store)
    assert "may or may not have been written" in one_line(caught.value)
    assert attempts(postgres, database) == 1


def test_a_real_deadlock_with_another_client_ends_with_the_sync_written_once(
    store: StateStore, postgres: PostgresSession, database: str
) -> None:
    store.apply_folder_sync("work", "INBOX", marker="m0", added=[], at=AT)
    other = psycopg.connect(postgres.server.url(database).replace("+psycopg", ""))
    # The other client holds the folder's marker row; the sync inserts its messages, then
    # waits for that row; the other client then waits for one of those messages: a cycle.
    other.execute("UPDATE folders SET marker_json = 'theirs'")
    outcome: list[BaseException | None] = []

    def run_sync() -> None:
        try:
            sync(store)
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=run_sync)
    worker.start()
    _wait_until_waiting(postgres, database)
    try:
        other.execute(
            "INSERT INTO messages (account, folder, uid, role, message_id, subject,"
            " sender_name, sender_address, to_json, cc_json, in_reply_to_json,"
            " references_json, date, ack_only, keywords_json, seen_at)"
            " VALUES ('work', 'INBOX', '1', 'incoming', '<o@x>', '', '', '', '[]', '[]',"
            " '[]', '[]', now(), false, '[]', now())"
            " ON CONFLICT DO NOTHING"
        )
        other.commit()
    except psycopg.errors.DeadlockDetected:
        other.rollback()
    finally:
        worker.join(30)
        other.close()
    assert outcome == [None]
    assert sorted(m.uid for m in store.messages("work")) == ["1", "2", "3"]
    assert store.folder_marker("work", "INBOX") in ("m1", "theirs")


def _wait_until_waiting(postgres: PostgresSession, database: str) -> None:
    for _ in range(200):
        waiting = postgres.server.sql(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
            " AND datname = current_database()",
            database,
        )
        if waiting[0][0]:
            return
        threading.Event().wait(0.02)
    raise AssertionError("the sync never waited for the other client's lock")


# -- a state.url that cannot be used: at open, one line, exit 2 ----------------------------


def wrong_url(postgres: PostgresSession, database: str, what: str) -> str:
    server = postgres.server
    if what == "refused-login":
        return server.url(database, password="wrong-pw")
    if what == "no-database":
        return server.url("no_such_db")
    if what == "refused-port":
        return server.url(database).replace(f":{server.port}/", ":1/")
    return server.url(database, host="no-such-host.invalid")


@pytest.mark.parametrize(
    ("what", "said"),
    [
        ("refused-login", 'password authentication failed for user "inboxguard"'),
        ("no-database", 'database "no_such_db" does not exist'),
        ("refused-port", "Connection refused"),
        ("unknown-host", "no-such-host.invalid"),
    ],
)
@pytest.mark.parametrize("read_only", [False, True], ids=["open", "read-only"])
def test_a_server_store_that_cannot_be_reached_at_open_is_one_line_and_exit_2(
    postgres: PostgresSession, database: str, what: str, said: str, read_only: bool
) -> None:
    with pytest.raises(StoreUnreachableError) as caught:
        StateStore.open(wrong_url(postgres, database, what), read_only=read_only)
    message = str(caught.value)
    assert "\n" not in message and PASSWORD not in message and "wrong-pw" not in message
    assert "cannot connect: " in message and said in message
    assert message.endswith("; check state.url and the server")
    assert caught.value.exit_code == 2


def test_a_read_only_store_on_postgresql_is_read_only_at_the_server(
    postgres: PostgresSession, database: str
) -> None:
    url = postgres.server.url(database)
    StateStore.open(url).close()
    store = StateStore.open(url, read_only=True)
    with pytest.raises(Exception, match="read-only transaction"), store.engine.begin() as c:
        c.execute(text("DELETE FROM marks"))
    store.close()


def test_a_missing_privilege_is_told_as_the_role_s_not_a_file_s(
    store: StateStore, postgres: PostgresSession, database: str
) -> None:
    postgres.server.sql("ALTER TABLE marks OWNER TO postgres", database)
    with pytest.raises(StoreError) as caught:
        store.marks("work")
    assert one_line(caught.value).endswith(
        ": permission denied for table marks; the role in state.url lacks a privilege on the"
        " database (see docs/state.md)"
    )


def test_a_url_without_a_password_takes_it_from_the_client_library(
    postgres: PostgresSession, database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As docs/state.md says: the password in ~/.pgpass or PGPASSWORD, not in state.url.
    url = postgres.server.url(database).replace(f":{PASSWORD}@", "@")
    assert PASSWORD not in url
    monkeypatch.setenv("PGPASSWORD", PASSWORD)
    store = StateStore.open(url)
    store.record_poll("work", at=AT, error=None)
    assert store.name == url
    store.close()
    monkeypatch.delenv("PGPASSWORD")
    with pytest.raises(StoreUnreachableError, match="no password supplied"):
        StateStore.open(url)


def test_due_accounts_skip_a_lease_another_worker_is_writing_right_now(
    store: StateStore, postgres: PostgresSession, database: str
) -> None:
    for account in ("a", "b"):
        assert store.acquire_lease(account, "dead", timedelta(minutes=5), AT - timedelta(hours=1))
    other = psycopg.connect(postgres.server.url(database).replace("+psycopg", ""))
    try:
        # Another worker is taking "a" over: its row is locked until that worker commits.
        other.execute("SELECT * FROM account_leases WHERE account = 'a' FOR UPDATE")
        started = time.monotonic()
        assert store.due_accounts(["a", "b", "c"], "me", AT, 10) == ["b", "c"]
        assert time.monotonic() - started < 2  # skipped, not waited for
    finally:
        other.close()
    assert store.due_accounts(["a", "b", "c"], "me", AT, 10) == ["a", "b", "c"]

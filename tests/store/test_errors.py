"""Store errors: one line, naming the store, saying what happened and what to do; never
the SQL, its parameters, or anything a database appends on further lines."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from inboxguard.errors import ConfigError, StoreError
from inboxguard.store import StateStore, engine
from inboxguard.store.engine import describe, locate
from tests.store.helpers import AT, tracked

SECRET_SUBJECT = "極秘: 買収案件 Project Nightingale"


def one_line(error: StoreError, path: Path) -> str:
    message = str(error)
    assert "\n" not in message
    assert message.startswith(f"state store {path}: ")
    assert error.exit_code == 1
    # Raised "from None": a traceback shows no chained original with the SQL in it.
    assert error.__cause__ is None and error.__suppress_context__
    return message


def test_a_failing_insert_names_the_store_but_not_the_values_or_the_sql(
    tmp_path: Path,
) -> None:
    path = tmp_path / "state.db"
    store = StateStore.open(f"sqlite:///{path}")
    with sqlite3.connect(path) as raw:
        raw.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON messages"
            " BEGIN SELECT RAISE(ABORT, 'refused by a trigger'); END"
        )
    raw.close()
    message = tracked("1", "<a@x>", subject=SECRET_SUBJECT)
    with pytest.raises(StoreError) as caught:
        store.apply_folder_sync("work", "INBOX", marker="m", added=[message], at=AT)
    text = one_line(caught.value, path)
    assert text.endswith(": refused by a trigger")
    for leak in (SECRET_SUBJECT, "Nightingale", "taro@client.example", "INSERT", "<a@x>"):
        assert leak not in text
        assert leak not in repr(caught.value)
    store.close()


def test_a_store_in_a_directory_that_cannot_be_written_fails_in_one_line(
    tmp_path: Path,
) -> None:
    if os.geteuid() == 0:  # root writes anywhere the modes say no; sysfs refuses even root
        if not Path("/sys").is_dir():
            pytest.skip("needs a directory root cannot write")
        path = Path("/sys/inboxguard-test/state.db")
    else:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        path = locked / "state.db"
    with pytest.raises(StoreError) as caught:
        StateStore.open(f"sqlite:///{path}")
    assert "the file or its directory is not writable" in one_line(caught.value, path)


def test_a_store_file_that_is_not_a_database_fails_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    path.write_bytes(b"These are my notes, not a database.\n" * 100)
    with pytest.raises(StoreError) as caught:
        StateStore.open(f"sqlite:///{path}")
    assert "file is not a database; move the file away" in one_line(caught.value, path)


def test_a_store_another_process_keeps_locked_fails_in_one_line_saying_try_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "state.db"
    StateStore.open(f"sqlite:///{path}").close()
    monkeypatch.setattr(engine, "BUSY_TIMEOUT_MS", 50)
    store = StateStore.open(f"sqlite:///{path}")
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreError) as caught:
            store.record_poll("work", at=AT, error=None)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert one_line(caught.value, path).endswith(
        ": database is locked; another process holds it; try again"
    )
    store.record_poll("work", at=AT, error=None)  # and once it is free, it works
    store.close()


def test_a_bad_state_url_stays_a_configuration_error() -> None:
    with pytest.raises(ConfigError) as caught:
        StateStore.open("not a url")
    assert caught.value.exit_code == 2 and caught.value.key == "state.url"
    with pytest.raises(ConfigError, match="mysql is not supported"):
        StateStore.open("mysql://u@h/db")


def test_a_server_store_is_named_without_its_password() -> None:
    location = locate("postgresql://inboxguard:s3cret-pw@db.example/state")
    assert "s3cret-pw" not in location.name
    assert location.name == "postgresql://inboxguard:***@db.example/state"


def test_only_the_first_line_of_a_driver_message_is_kept() -> None:
    # PostgreSQL's DETAIL line carries the row's values.
    driver = Exception(
        'duplicate key value violates unique constraint "uq"\nDETAIL:  Key (subject)=(秘密)'
    )
    error = OperationalError("INSERT INTO messages …", {"subject": "秘密"}, driver)
    assert describe(error) == 'duplicate key value violates unique constraint "uq"'


@pytest.mark.parametrize(
    ("driver_message", "hint"),
    [
        ("attempt to write a readonly database", "the file or its directory is not writable"),
        ("unable to open database file", "the file or its directory is not writable"),
        ("database or disk is full", "the disk is full; free some space"),
        ("database is locked", "another process holds it; try again"),
    ],
)
def test_a_driver_error_gets_what_to_do_where_it_is_clear(driver_message: str, hint: str) -> None:
    error = OperationalError("SELECT 1", None, sqlite3.OperationalError(driver_message))
    assert describe(error) == f"{driver_message}; {hint}"

"""`check` fails whenever `run` would on the state store, in one line naming the file and
without writing to it; a Maildir Drafts folder not created yet is fine. `digest --preview`
into a path it cannot write is one line, exit 1."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from inboxguard.cli import main
from inboxguard.store import StateStore
from tests.mailboxes import Maildir, config_dict, write_config

NOW = "2026-11-20T12:00:00+09:00"


@pytest.fixture
def mail(tmp_path: Path) -> Maildir:
    return Maildir(tmp_path / "Mail")


@pytest.fixture
def config(tmp_path: Path, mail: Maildir) -> Path:
    # config_dict puts the store at tmp_path/state.db.
    return write_config(tmp_path / "config.toml", config_dict(mail.root, tmp_path))


def invoke(config: Path, *args: str) -> Result:
    env = {"INBOXGUARD_NOW": NOW, "INBOXGUARD_CONFIG": str(config)}
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def problem_line(result: Result, prefix: str = "[state] problem: ") -> str:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    problems = [line for line in result.stderr.splitlines() if line.startswith(prefix)]
    assert len(problems) == 1, result.stderr
    return problems[0]


def create_store(path: Path) -> None:
    StateStore.open(f"sqlite:///{path}").close()


@contextmanager
def unwritable(path: Path) -> Iterator[None]:
    """``path`` not writable even for root (CI runs as root, who ignores mode bits): the
    immutable attribute there, the mode elsewhere."""
    mode = path.stat().st_mode
    chattr = shutil.which("chattr") if os.geteuid() == 0 else None
    if os.geteuid() == 0 and chattr is None:
        pytest.fail("as root, an unwritable file needs chattr (apt-get install e2fsprogs)")
    path.chmod(mode & ~0o222)
    if chattr is not None:
        subprocess.run([chattr, "+i", str(path)], check=True)
    try:
        yield
    finally:
        if chattr is not None:
            subprocess.run([chattr, "-i", str(path)], check=True)
        path.chmod(mode)


# -- check: the state store -------------------------------------------------------------------


def test_check_passes_before_the_first_run_and_does_not_create_the_store(
    config: Path, tmp_path: Path
) -> None:
    result = invoke(config, "check")
    assert result.exit_code == 0, result.output
    assert f"[state] {tmp_path / 'state.db'} does not exist yet" in result.stdout
    assert not (tmp_path / "state.db").exists()


def test_check_passes_on_a_sound_store_and_leaves_its_bytes_as_they_were(
    config: Path, tmp_path: Path
) -> None:
    path = tmp_path / "state.db"
    assert invoke(config, "run", "--once").exit_code == 0
    before = path.read_bytes()
    result = invoke(config, "check")
    assert result.exit_code == 0, result.output
    assert f"[state] {path}: OK" in result.stdout
    assert path.read_bytes() == before


def newer_version(path: Path) -> None:
    create_store(path)
    with sqlite3.connect(path) as raw:
        raw.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")


def not_a_database(path: Path) -> None:
    path.write_bytes(b"this is a text file, not SQLite\n" * 200)


@pytest.mark.parametrize("damage", [newer_version, not_a_database])
def test_check_fails_in_one_line_naming_the_store_wherever_run_fails(
    config: Path, tmp_path: Path, damage: Callable[[Path], None]
) -> None:
    path = tmp_path / "state.db"
    damage(path)
    line = problem_line(invoke(config, "check"))
    assert str(path) in line
    ran = invoke(config, "run", "--once")
    assert ran.exit_code == 1 and str(path) in ran.stderr


def test_check_runs_sqlites_quick_check_and_names_a_damaged_store(
    config: Path, tmp_path: Path
) -> None:
    path = tmp_path / "state.db"
    create_store(path)
    with sqlite3.connect(path) as raw:
        (page,) = raw.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = 'ix_messages_thread'"
        ).fetchone()
        (size,) = raw.execute("PRAGMA page_size").fetchone()
    with path.open("r+b") as file:  # an index page no open or migration reads
        file.seek((page - 1) * size)
        file.write(b"\xff" * 16)
    line = problem_line(invoke(config, "check"))
    assert line == (
        f"[state] problem: state store {path}: is damaged (Page {page}: btreeInitPage() "
        "returns error code 11): restore a backup, or move it away to start afresh"
    )


def test_check_fails_on_a_store_file_it_cannot_write(config: Path, tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    create_store(path)
    with unwritable(path):
        line = problem_line(invoke(config, "check"))
    assert line == f"[state] problem: state store {path}: is not writable by this user"


def test_check_fails_on_a_store_whose_directory_it_cannot_write(
    config: Path, tmp_path: Path
) -> None:
    directory = tmp_path / "state"
    directory.mkdir()
    path = directory / "state.db"
    create_store(path)
    data = config_dict(tmp_path / "Mail", tmp_path)
    data["state"] = {"url": f"sqlite:///{path}"}
    write_config(config, data)
    with unwritable(directory):
        line = problem_line(invoke(config, "check"))
    assert line.endswith(f"state store {path}: its directory {directory} is not writable")


def test_check_fails_when_the_store_could_not_be_created(config: Path, tmp_path: Path) -> None:
    directory = tmp_path / "locked"
    directory.mkdir()
    path = directory / "new" / "state.db"
    data = config_dict(tmp_path / "Mail", tmp_path)
    data["state"] = {"url": f"sqlite:///{path}"}
    write_config(config, data)
    with unwritable(directory):
        line = problem_line(invoke(config, "check"))
    assert line.endswith(f"state store {path}: cannot be created: {directory} is not writable")
    assert not path.parent.exists()


def test_a_maildir_drafts_folder_not_created_yet_is_fine_for_check(tmp_path: Path) -> None:
    mail = Maildir(tmp_path / "Mail", folders=("INBOX", "Sent"))
    config = write_config(tmp_path / "config.toml", config_dict(mail.root, tmp_path))
    result = invoke(config, "check")
    assert result.exit_code == 0, result.output
    assert "drafts    Drafts: missing (created on the first draft)" in result.stdout


# -- digest --preview -------------------------------------------------------------------------


def test_digest_preview_into_a_missing_directory_is_one_line_exit_1(
    config: Path, tmp_path: Path
) -> None:
    target = tmp_path / "no" / "such" / "digest.html"
    result = invoke(config, "digest", "--preview", str(target))
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines() == [
        f"inboxguard: digest --preview: cannot write {target}: the directory "
        f"{target.parent} does not exist"
    ]


def test_digest_preview_onto_an_unwritable_file_is_one_line_exit_1(
    config: Path, tmp_path: Path
) -> None:
    target = tmp_path / "digest.html"
    target.write_text("yesterday's\n", encoding="utf-8")
    with unwritable(target):
        result = invoke(config, "digest", "--preview", str(target))
    assert result.exit_code == 1, result.output
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"inboxguard: digest --preview: cannot write {target}: ")
    assert target.read_text(encoding="utf-8") == "yesterday's\n"

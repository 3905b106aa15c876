"""The token file: 0600 in a 0700 directory, replaced atomically, never quoted in errors."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from inboxguard.auth.token_store import (
    ConsentNeededError,
    read_tokens,
    token_path,
    write_tokens,
)
from inboxguard.errors import BackendError, LoginFailedError

SECRET = "1//0g-refresh-secret"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_token_file_lives_under_the_xdg_state_directory(tmp_path: Path) -> None:
    path = token_path("gmail", {"XDG_STATE_HOME": str(tmp_path)})
    assert path == tmp_path / "inboxguard" / "tokens" / "gmail.json"


def test_written_tokens_are_0600_in_a_0700_directory_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "state" / "tokens" / "gmail.json"
    write_tokens("gmail", path, {"refresh_token": SECRET})
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700
    assert read_tokens("gmail", path) == {"refresh_token": SECRET}


def test_an_existing_loose_directory_is_tightened_to_0700(tmp_path: Path) -> None:
    directory = tmp_path / "tokens"
    directory.mkdir(mode=0o755)
    directory.chmod(0o755)
    write_tokens("gmail", directory / "gmail.json", {"refresh_token": SECRET})
    assert mode(directory) == 0o700


def test_a_write_replaces_the_file_whole_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    path = tmp_path / "tokens" / "gmail.json"
    write_tokens("gmail", path, {"refresh_token": "old"})
    before = path.stat().st_ino
    write_tokens("gmail", path, {"refresh_token": SECRET})
    assert path.stat().st_ino != before  # a new file renamed over the old, not rewritten in place
    assert json.loads(path.read_text()) == {"refresh_token": SECRET}
    assert [p.name for p in path.parent.iterdir()] == ["gmail.json"]


def test_a_failed_write_keeps_the_old_file_and_removes_the_temporary_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "tokens" / "gmail.json"
    write_tokens("gmail", path, {"refresh_token": "old"})

    def crash(self: Path, target: Path) -> Path:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "replace", crash)
    with pytest.raises(BackendError, match="No space left"):
        write_tokens("gmail", path, {"refresh_token": SECRET})
    assert json.loads(path.read_text()) == {"refresh_token": "old"}
    assert [p.name for p in path.parent.iterdir()] == ["gmail.json"]


def test_no_file_means_consent_is_needed_with_the_auth_hint(tmp_path: Path) -> None:
    with pytest.raises(ConsentNeededError) as caught:
        read_tokens("gmail", tmp_path / "missing.json")
    assert "run `inboxguard auth gmail`" in str(caught.value)
    assert isinstance(caught.value, LoginFailedError)  # so the service backs off


def test_a_damaged_file_is_reported_without_quoting_its_contents(tmp_path: Path) -> None:
    path = tmp_path / "gmail.json"
    path.write_text('{"refresh_token": "' + SECRET)
    with pytest.raises(ConsentNeededError) as caught:
        read_tokens("gmail", path)
    assert "damaged" in str(caught.value)
    assert SECRET not in str(caught.value)

"""Passwords come from a command, the environment or a systemd credential, and no error
message ever repeats the secret or what the command printed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from inboxguard.config import ImapAccount
from inboxguard.credentials import resolve_password
from inboxguard.errors import BackendError

SECRET = "s3cret-Pa55-0xBEEF"


def account(**source: Any) -> ImapAccount:
    return ImapAccount(
        name="work", kind="imap", host="imap.example.jp", port=993, username="h", **source
    )


def script(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "pass.sh"
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o700)
    return path


def test_command_first_line_of_stdout_is_the_password(tmp_path: Path) -> None:
    command = f"{script(tmp_path, f'echo {SECRET}; echo other')} show 'mail/work'"
    assert resolve_password(account(password_command=command)) == SECRET


def test_command_runs_without_a_shell(tmp_path: Path) -> None:
    marker = tmp_path / "touched"
    echo_first_argument = script(tmp_path, 'echo "$1"')
    command = f"{echo_first_argument} 'x; touch {marker}'"
    assert resolve_password(account(password_command=command)) == f"x; touch {marker}"
    assert not marker.exists()


def test_failing_command_reports_its_exit_status_and_not_its_output(tmp_path: Path) -> None:
    command = str(script(tmp_path, f"echo {SECRET}; echo {SECRET} >&2; exit 3"))
    with pytest.raises(BackendError) as caught:
        resolve_password(account(password_command=command))
    assert "exit status 3" in str(caught.value)
    assert SECRET not in str(caught.value)


def test_missing_program_is_named_as_the_failing_source(tmp_path: Path) -> None:
    with pytest.raises(BackendError, match="password_command: program not found"):
        resolve_password(account(password_command=str(tmp_path / "nope")))


def test_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAIL_PASSWORD", SECRET)
    assert resolve_password(account(password_env="MAIL_PASSWORD")) == SECRET


def test_unset_environment_variable_names_the_variable() -> None:
    with pytest.raises(BackendError, match="MAIL_PASSWORD_UNSET is unset"):
        resolve_password(account(password_env="MAIL_PASSWORD_UNSET"), environ={})


def test_systemd_credential_file(tmp_path: Path) -> None:
    (tmp_path / "mail-password").write_text(SECRET + "\n")
    environ = {"CREDENTIALS_DIRECTORY": str(tmp_path)}
    assert resolve_password(account(password_credential="mail-password"), environ) == SECRET


def test_credential_without_credentials_directory_says_what_to_set() -> None:
    with pytest.raises(BackendError, match="LoadCredential="):
        resolve_password(account(password_credential="mail-password"), environ={})


def test_password_that_is_not_utf8_is_refused_without_quoting_it(tmp_path: Path) -> None:
    (tmp_path / "mail-password").write_bytes(b"\xff\xfe" + SECRET.encode())
    with pytest.raises(BackendError) as caught:
        resolve_password(
            account(password_credential="mail-password"), {"CREDENTIALS_DIRECTORY": str(tmp_path)}
        )
    assert SECRET not in str(caught.value) and "xff" not in str(caught.value)

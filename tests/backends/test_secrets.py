"""Passwords come from a command (run through /bin/sh, like mbsync's PassCmd), the environment
or a systemd credential, and no error message ever repeats the secret or what the command
printed on its standard output; a failing command's first line of stderr says why."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from inboxguard.config import DigestConfig, ImapAccount
from inboxguard.credentials import resolve_client_secret, resolve_password, resolve_smtp_password
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


def test_command_runs_through_the_shell_like_mbsyncs_passcmd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "pw.txt").write_text(f"{SECRET}\n")
    assert resolve_password(account(password_command="cat ~/pw.txt")) == SECRET
    piped = f"printf 'user: hanako\\n{SECRET}\\n' | tail -n 1"
    assert resolve_password(account(password_command=piped)) == SECRET
    quoted = f"""echo "$HOME" '{SECRET}' | cut -d ' ' -f 2"""
    assert resolve_password(account(password_command=quoted)) == SECRET


def test_failing_command_gives_exit_status_and_first_stderr_line_never_its_output(
    tmp_path: Path,
) -> None:
    body = f"echo {SECRET}; echo; echo 'gpg: decryption failed: No secret key' >&2; exit 3"
    with pytest.raises(BackendError) as caught:
        resolve_password(account(password_command=str(script(tmp_path, body))))
    assert str(caught.value) == (
        "account 'work': password_command failed with exit status 3: "
        "gpg: decryption failed: No secret key"
    )


def test_what_the_command_printed_is_cut_out_of_the_stderr_line_it_repeats(
    tmp_path: Path,
) -> None:
    command = str(script(tmp_path, f"echo {SECRET}; echo 'wrong: {SECRET}' >&2; exit 1"))
    with pytest.raises(BackendError) as caught:
        resolve_password(account(password_command=command))
    assert SECRET not in str(caught.value)
    assert str(caught.value).endswith("exit status 1: wrong: [REDACTED]")


def test_a_pipe_that_prints_nothing_is_an_error_naming_the_key_and_stderr(tmp_path: Path) -> None:
    missing = "echo 'Error: mail/work is not in the password store.' >&2; exit 1"
    command = f"{script(tmp_path, missing)} | head -n 1"
    with pytest.raises(BackendError) as caught:
        resolve_password(account(password_command=command))
    assert str(caught.value) == (
        "account 'work': password_command printed nothing (exit status 0): "
        "Error: mail/work is not in the password store."
    )


def test_missing_program_is_named_by_the_shell(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(BackendError) as caught:
        resolve_password(account(password_command=str(missing)))
    message = str(caught.value)
    assert message.startswith("account 'work': password_command failed with exit status 127: ")
    assert str(missing) in message and "not found" in message


def test_a_silent_failure_gives_the_shells_reading_of_the_status() -> None:
    with pytest.raises(BackendError) as caught:
        resolve_password(account(password_command="exit 127"))
    assert str(caught.value).endswith("exit status 127 (command not found)")


def test_smtp_password_and_client_secret_commands_run_through_the_shell_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "pw.txt").write_text(f"{SECRET}\n")
    digest = DigestConfig(
        delivery="smtp",
        smtp_host="smtp.example.jp",
        smtp_username="h",
        smtp_password_command="cat ~/pw.txt | tr -d '\\n'",
    )
    assert resolve_smtp_password(digest) == SECRET
    google = ImapAccount(
        name="gmail",
        kind="imap",
        host="imap.gmail.com",
        port=993,
        username="h",
        auth="oauth2",
        oauth_provider="google",
        oauth_client_id="id",
        oauth_client_secret_command="false",
    )
    with pytest.raises(BackendError, match="oauth_client_secret_command failed with exit status 1"):
        resolve_client_secret(google)


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

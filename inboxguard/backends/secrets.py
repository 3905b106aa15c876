"""Where an account's password comes from: a command, an environment variable, or a
systemd credential (SPEC §3). Never from the configuration file in clear.

Every error names only the source that failed and, for a command, its exit status: a
command's output or error stream may hold the secret (``echo hunter2``, a password manager
printing the entry on failure), so neither is ever repeated.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Mapping
from pathlib import Path

from inboxguard.config import ImapAccount
from inboxguard.errors import BackendError

COMMAND_TIMEOUT = 30.0  # seconds; long enough for a password manager asking for its passphrase
ENV_CREDENTIALS = "CREDENTIALS_DIRECTORY"


def resolve_password(account: ImapAccount, environ: Mapping[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    if account.password_command is not None:
        return _from_command(account.name, account.password_command)
    if account.password_env is not None:
        value = env.get(account.password_env)
        if not value:
            raise BackendError(
                account.name, f"password_env: environment variable {account.password_env} is unset"
            )
        return value
    if account.password_credential is not None:
        return _from_credential(account.name, account.password_credential, env)
    # The configuration refuses an account without a source; this guards direct construction.
    raise BackendError(account.name, "no password source configured")


def _from_command(account: str, command: str) -> str:
    try:
        argv = shlex.split(command)
    except ValueError:
        raise BackendError(account, "password_command: unbalanced quotes") from None
    if not argv:
        raise BackendError(account, "password_command is empty")
    try:
        # No shell: the command line is split like a shell would, but nothing is expanded.
        done = subprocess.run(
            argv,
            capture_output=True,
            timeout=COMMAND_TIMEOUT,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except FileNotFoundError:
        raise BackendError(account, "password_command: program not found") from None
    except PermissionError:
        raise BackendError(account, "password_command: program is not executable") from None
    except subprocess.TimeoutExpired:
        raise BackendError(
            account, f"password_command did not finish within {COMMAND_TIMEOUT:.0f} seconds"
        ) from None
    except OSError as exc:
        raise BackendError(account, f"password_command could not run: {exc.strerror}") from None
    if done.returncode != 0:
        raise BackendError(account, f"password_command failed with exit status {done.returncode}")
    password = _first_line(account, "password_command", done.stdout)
    if not password:
        raise BackendError(account, "password_command printed no password")
    return password


def _from_credential(account: str, name: str, env: Mapping[str, str]) -> str:
    directory = env.get(ENV_CREDENTIALS)
    if not directory:
        raise BackendError(
            account,
            f"password_credential: ${ENV_CREDENTIALS} is unset "
            "(set LoadCredential= in the systemd unit)",
        )
    path = Path(directory) / name
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BackendError(
            account, f"password_credential: cannot read {path}: {exc.strerror}"
        ) from None
    password = _first_line(account, "password_credential", data)
    if not password:
        raise BackendError(account, f"password_credential: {path} is empty")
    return password


def _first_line(account: str, source: str, data: bytes) -> str:
    first = data.partition(b"\n")[0].rstrip(b"\r")
    try:
        return first.decode("utf-8")
    except UnicodeDecodeError:
        # The decode error's text quotes the offending bytes: they are part of the secret.
        raise BackendError(account, f"{source}: the password is not UTF-8") from None

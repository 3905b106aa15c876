"""Where an account's password (or OAuth2 client secret) comes from: a command, an
environment variable, or a systemd credential (SPEC §3). Never from the configuration file in
clear. Outside ``backends/`` because ``auth/`` reads client secrets through it too.

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

from inboxguard.config import DigestConfig, EwsAccount, ImapAccount
from inboxguard.errors import BackendError
from inboxguard.log_setup import register_secret

COMMAND_TIMEOUT = 30.0  # seconds; long enough for a password manager asking for its passphrase
ENV_CREDENTIALS = "CREDENTIALS_DIRECTORY"


def resolve_password(account: ImapAccount, environ: Mapping[str, str] | None = None) -> str:
    secret = _resolve(
        account.name,
        "password",
        (account.password_command, account.password_env, account.password_credential),
        environ,
    )
    if secret is None:
        # The configuration refuses an account without a source; this guards direct construction.
        raise BackendError(account.name, "no password source configured")
    return secret


def resolve_ews_password(account: EwsAccount, environ: Mapping[str, str] | None = None) -> str:
    """The password for an EWS account's NTLM or basic login."""
    sources = (account.password_command, account.password_env, account.password_credential)
    secret = _resolve(account.name, "password", sources, environ)
    if secret is None:
        raise BackendError(account.name, "no password source configured")
    return secret


def resolve_smtp_password(digest: DigestConfig, environ: Mapping[str, str] | None = None) -> str:
    """The password for the digest's SMTP login (``smtp_password_*``)."""
    sources = (
        digest.smtp_password_command,
        digest.smtp_password_env,
        digest.smtp_password_credential,
    )
    secret = _resolve("digest", "smtp_password", sources, environ)
    if secret is None:
        raise BackendError("digest", "no smtp_password source configured")
    return secret


def resolve_client_secret(
    account: ImapAccount, environ: Mapping[str, str] | None = None
) -> str | None:
    """The OAuth2 client secret, when the account names a source for one (Google clients)."""
    sources = (
        account.oauth_client_secret_command,
        account.oauth_client_secret_env,
        account.oauth_client_secret_credential,
    )
    return _resolve(account.name, "oauth_client_secret", sources, environ)


def _resolve(
    account: str,
    prefix: str,
    sources: tuple[str | None, str | None, str | None],
    environ: Mapping[str, str] | None,
) -> str | None:
    """A secret from ``{prefix}_command``, ``{prefix}_env`` or ``{prefix}_credential``."""
    env = os.environ if environ is None else environ
    command, variable, credential = sources
    if command is not None:
        secret = _from_command(account, f"{prefix}_command", command)
    elif variable is not None:
        secret = env.get(variable, "")
        if not secret:
            raise BackendError(account, f"{prefix}_env: environment variable {variable} is unset")
    elif credential is not None:
        secret = _from_credential(account, f"{prefix}_credential", credential, env)
    else:
        return None
    # Known to the log redaction before anything can log it (an exception quoting it, a
    # library's debug line): from here on it is written as [REDACTED].
    register_secret(secret)
    return secret


def _from_command(account: str, source: str, command: str) -> str:
    try:
        argv = shlex.split(command)
    except ValueError:
        raise BackendError(account, f"{source}: unbalanced quotes") from None
    if not argv:
        raise BackendError(account, f"{source} is empty")
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
        raise BackendError(account, f"{source}: program not found") from None
    except PermissionError:
        raise BackendError(account, f"{source}: program is not executable") from None
    except subprocess.TimeoutExpired:
        raise BackendError(
            account, f"{source} did not finish within {COMMAND_TIMEOUT:.0f} seconds"
        ) from None
    except OSError as exc:
        raise BackendError(account, f"{source} could not run: {exc.strerror}") from None
    if done.returncode != 0:
        raise BackendError(account, f"{source} failed with exit status {done.returncode}")
    password = _first_line(account, source, done.stdout)
    if not password:
        raise BackendError(account, f"{source} printed nothing")
    return password


def _from_credential(account: str, source: str, name: str, env: Mapping[str, str]) -> str:
    directory = env.get(ENV_CREDENTIALS)
    if not directory:
        raise BackendError(
            account,
            f"{source}: ${ENV_CREDENTIALS} is unset (set LoadCredential= in the systemd unit)",
        )
    path = Path(directory) / name
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BackendError(account, f"{source}: cannot read {path}: {exc.strerror}") from None
    password = _first_line(account, source, data)
    if not password:
        raise BackendError(account, f"{source}: {path} is empty")
    return password


def _first_line(account: str, source: str, data: bytes) -> str:
    first = data.partition(b"\n")[0].rstrip(b"\r")
    try:
        return first.decode("utf-8")
    except UnicodeDecodeError:
        # The decode error's text quotes the offending bytes: they are part of the secret.
        raise BackendError(account, f"{source}: the secret is not UTF-8") from None

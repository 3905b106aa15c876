"""Where an account's password (or OAuth2 client secret) comes from: a command, an
environment variable, or a systemd credential (SPEC §3). Never from the configuration file in
clear. Outside ``backends/`` because ``auth/`` reads client secrets through it too.

A ``*_command`` runs as mbsync runs its PassCmd: through ``/bin/sh -c``, so ``~``, ``$VAR``,
quotes and pipes (``pass show mail/work | head -1``) mean what they mean in a shell. The
secret is the first line of its standard output.

Every error names the key that failed. For a command that failed or printed nothing it also
gives the exit status and the first line of the command's error stream, since that is what
says why (``gpg: decryption failed: No secret key``); its standard output is the secret and
is never repeated, nor anywhere it shows up again in the error stream.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

from inboxguard.alerts.url_tokens import url_secrets
from inboxguard.config import AlertChannelConfig, DigestConfig, EwsAccount, ImapAccount
from inboxguard.errors import AlertChannelError, BackendError
from inboxguard.log_setup import register_secret

COMMAND_TIMEOUT = 30.0  # seconds; long enough for a password manager asking for its passphrase
SHELL = "/bin/sh"  # what mbsync runs PassCmd with, and POSIX guarantees
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


def resolve_alert_url(channel: AlertChannelConfig, environ: Mapping[str, str] | None = None) -> str:
    """An alert channel's Apprise URL (``url_*``). The URL carries the service's token:
    it and each part of it that may be a credential are redacted from here on."""
    sources = (channel.url_command, channel.url_env, channel.url_credential)
    try:
        url = _resolve(channel.name, "url", sources, environ)
    except BackendError as exc:
        raise AlertChannelError(channel.name, exc.message) from None
    if url is None:
        raise AlertChannelError(channel.name, "no url source configured")
    for part in url_secrets(url):
        register_secret(part)
    return url


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
    if not command.strip():
        raise BackendError(account, f"{source} is empty")
    try:
        # The owner's own command line, from the owner's own file: a shell is what they
        # expect (mbsync's PassCmd, a terminal), not an injection risk.
        done = subprocess.run(
            [SHELL, "-c", command],
            capture_output=True,
            timeout=COMMAND_TIMEOUT,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        raise BackendError(
            account, f"{source} did not finish within {COMMAND_TIMEOUT:.0f} seconds"
        ) from None
    except OSError as exc:
        raise BackendError(account, f"{source} could not run {SHELL}: {exc.strerror}") from None
    first = done.stdout.partition(b"\n")[0].rstrip(b"\r")
    if done.returncode != 0:
        why = _why(done.returncode, done.stderr, first)
        raise BackendError(account, f"{source} failed with exit status {done.returncode}{why}")
    password = _first_line(account, source, first)
    if not password:
        # `pass show x | head -1` with a missing entry: head exits 0 with nothing to say.
        why = _why(done.returncode, done.stderr, first)
        raise BackendError(account, f"{source} printed nothing (exit status 0){why}")
    return password


_SHELL_HINTS = {126: "not executable", 127: "command not found"}
STDERR_CHARS = 200


def _why(status: int, stderr: bytes, secret: bytes) -> str:
    """Why a command failed, to append to its error: the first non-blank line of its error
    stream, with whatever its output's first line held (the secret, perhaps) cut out of it;
    else what the shell's exit status means."""
    line = next((raw for raw in stderr.splitlines() if raw.strip()), b"")
    if secret.strip():
        line = line.replace(secret.strip(), b"[REDACTED]")
    text = line.decode("utf-8", errors="replace")
    # One line of plain text: no terminal escapes, no control characters.
    text = "".join(c if c.isprintable() else " " for c in text).strip()[:STDERR_CHARS]
    if text:
        return f": {text}"
    hint = _SHELL_HINTS.get(status)
    return f" ({hint})" if hint else ""


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

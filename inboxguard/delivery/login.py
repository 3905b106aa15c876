"""What the digest's logins present, and a ``BackendError`` turned into a ``DeliveryError``.

The password sources, the token store and the IMAP connection code report trouble as
``BackendError`` with the cause kept in ``__context__`` (raised ``from None`` so it is not
printed). Whether a later attempt could succeed is read from that cause: a network failure
may heal by itself, a refused login or a missing password source will not.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Mapping

import httpx
from imapclient.exceptions import IMAPClientAbortError

from inboxguard.auth.providers import access_token
from inboxguard.backends.imap_throttle import throttled
from inboxguard.config import Config, ImapAccount
from inboxguard.credentials import resolve_password, resolve_smtp_password
from inboxguard.delivery.outcome import DeliveryError
from inboxguard.errors import BackendError, LoginFailedError

_NETWORK = (IMAPClientAbortError, TimeoutError, ConnectionError, socket.gaierror)
# OSErrors that come from reading a local file (a ca_file, a credential), not from the network.
_LOCAL = (FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError)


def imap_secret(account: ImapAccount, environ: Mapping[str, str] | None) -> str:
    """The password, or for auth = 'oauth2' a fresh access token (XOAUTH2)."""
    try:
        if account.auth == "oauth2":
            return access_token(account, environ)
        return resolve_password(account, environ)
    except BackendError as exc:
        raise from_backend_error(exc) from None


def smtp_oauth_login(config: Config, environ: Mapping[str, str] | None) -> tuple[str, str, str]:
    """(IMAP account name, user, access token) for SMTP XOAUTH2 with that account's consent."""
    name = config.digest.smtp_oauth_account or ""
    account = next((a for a in config.accounts if a.name == name), None)
    if not isinstance(account, ImapAccount) or account.auth != "oauth2":
        # The configuration refuses this; guards a Config built around validation.
        raise DeliveryError(
            f"smtp_oauth_account {name!r} is not an IMAP account with auth = 'oauth2'",
            retryable=False,
        )
    try:
        token = access_token(account, environ)
    except BackendError as exc:
        # The message names the IMAP account whose consent is missing (`inboxguard auth`).
        raise from_backend_error(exc, _smtp_server(config)) from None
    return account.name, config.digest.smtp_username or account.username, token


def smtp_password(config: Config, environ: Mapping[str, str] | None) -> str:
    try:
        return resolve_smtp_password(config.digest, environ)
    except BackendError as exc:
        raise from_backend_error(exc, _smtp_server(config)) from None


def _smtp_server(config: Config) -> str:
    return f"{config.digest.smtp_host}:{config.digest.port}"


def from_backend_error(error: BackendError, where: str | None = None) -> DeliveryError:
    """The error's line, with ``where`` (the server, and whose login) in place of the bare
    account name the shared code puts first."""
    message = f"{where}: {error.message}" if where else str(error)
    return DeliveryError(message, retryable=retryable(error))


def retryable(error: BackendError) -> bool:
    if throttled(error) is not None:
        return True  # the server asked for a pause, not for a change
    if isinstance(error, LoginFailedError):
        return False
    cause = error.__context__
    if isinstance(cause, (*_NETWORK, httpx.TransportError)):
        return True
    if isinstance(cause, ssl.SSLError):
        # A certificate or protocol mismatch stays until someone fixes it; a connection cut
        # during the handshake is the network's doing.
        return isinstance(cause, ssl.SSLEOFError)
    return isinstance(cause, OSError) and not isinstance(cause, _LOCAL)

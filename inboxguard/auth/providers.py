"""Which provider an account uses, and what its IMAP login presents: password or token."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from inboxguard.auth import google, microsoft
from inboxguard.config import ImapAccount
from inboxguard.credentials import resolve_password
from inboxguard.errors import BackendError
from inboxguard.log_setup import register_secret


def authorize(
    account: ImapAccount, *, out: Callable[[str], None], environ: Mapping[str, str] | None = None
) -> Path:
    """Interactive consent (``inboxguard auth``); the path where the tokens were stored."""
    if account.oauth_provider == "google":
        return google.authorize(account, out=out, environ=environ)
    if account.oauth_provider == "microsoft":
        return microsoft.authorize(account, out=out, environ=environ)
    raise BackendError(account.name, "no oauth_provider configured")


def access_token(account: ImapAccount, environ: Mapping[str, str] | None = None) -> str:
    if account.oauth_provider == "google":
        token = google.access_token(account, environ=environ)
    elif account.oauth_provider == "microsoft":
        token = microsoft.access_token(account, environ=environ)
    else:
        raise BackendError(account.name, "no oauth_provider configured")
    # Whichever way the provider module came by it, the log redaction knows it before the
    # login that presents it can fail and be logged.
    register_secret(token)
    return token


def login_secret(account: ImapAccount) -> str:
    """What the IMAP login presents: the password, or an OAuth2 access token for XOAUTH2."""
    if account.auth == "oauth2":
        return access_token(account)
    return resolve_password(account)


def token_refused(account: ImapAccount) -> None:
    """The server refused the access token: do not offer the same one again."""
    if account.oauth_provider == "google":
        google.forget_access_token(account)

"""Microsoft 365: msal's device-code flow for consent, its token cache for refreshing.

A public client (no secret): ``inboxguard auth`` prints msal's device-code message, the owner
signs in on any device, and msal's serialised token cache (it holds the refresh token) is
kept in the account's 0600 token file. ``access_token`` lets msal refresh silently.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import msal

from inboxguard.auth import msal_cache
from inboxguard.auth.device_flow import error_code, sign_in
from inboxguard.auth.token_store import (
    ConsentNeededError,
    token_path,
)
from inboxguard.config import ImapAccount
from inboxguard.errors import BackendError

PROVIDER = "microsoft"
# msal adds offline_access (the refresh token) itself and refuses it when asked explicitly.
SCOPES = [
    "https://outlook.office.com/IMAP.AccessAsUser.All",
    "https://outlook.office.com/SMTP.Send",
]


def authority(account: ImapAccount) -> str:
    return msal_cache.authority(account.oauth_endpoint, account.oauth_tenant)


def authorize(
    account: ImapAccount,
    *,
    out: Callable[[str], None],
    environ: Mapping[str, str] | None = None,
) -> Path:
    """Device-code consent; store msal's token cache; return the token file's path."""
    cache = msal.SerializableTokenCache()
    app = _app(account, cache)
    result = sign_in(app, SCOPES, account=account.name, out=out)
    if "access_token" not in result:
        raise BackendError(account.name, f"sign-in was not completed ({error_code(result)})")
    path = token_path(account.name, environ)
    save_cache(account, path, cache)
    return path


def access_token(account: ImapAccount, *, environ: Mapping[str, str] | None = None) -> str:
    """A valid access token from msal's cache, refreshed by msal when needed."""
    path = token_path(account.name, environ)
    cache = load_cache(account, path)
    if next(iter(cache.search(msal.TokenCache.CredentialType.ACCOUNT)), None) is None:
        raise ConsentNeededError(account.name, "no signed-in Microsoft account stored")
    app = _app(account, cache)
    accounts = app.get_accounts(username=account.username) or app.get_accounts()
    if not accounts:
        raise ConsentNeededError(account.name, "no signed-in Microsoft account stored")
    try:
        result = app.acquire_token_silent(SCOPES, account=accounts[0])
    except OSError as exc:  # requests' errors are OSErrors
        message = f"Microsoft's token endpoint unreachable ({type(exc).__name__})"
        raise BackendError(account.name, message) from None
    if not result or "access_token" not in result:
        reason = error_code(result) if result else "no token in the cache"
        raise ConsentNeededError(account.name, f"Microsoft refused the stored consent ({reason})")
    if cache.has_state_changed:
        save_cache(account, path, cache)
    return str(result["access_token"])


def load_cache(account: ImapAccount, path: Path) -> Any:
    return msal_cache.load_cache(account.name, path, provider=PROVIDER, kind="Microsoft")


def save_cache(account: ImapAccount, path: Path, cache: Any) -> None:
    msal_cache.save_cache(account.name, path, cache, provider=PROVIDER)


def _app(account: ImapAccount, cache: Any) -> Any:
    try:
        return msal.PublicClientApplication(
            account.oauth_client_id,
            authority=authority(account),
            token_cache=cache,
            # An explicit oauth_endpoint is trusted as given: no discovery through Microsoft.
            instance_discovery=account.oauth_endpoint is None,
        )
    except (OSError, ValueError) as exc:
        message = f"Microsoft's authority {authority(account)} unreachable ({type(exc).__name__})"
        raise BackendError(account.name, message) from None

"""Microsoft Graph consent: msal's device-code flow once, then silent tokens from its cache.

The same arrangement as ``microsoft`` (IMAP's XOAUTH2), for a ``kind = "graph"`` account: a
public client (no secret), ``inboxguard auth NAME`` prints msal's device-code message, the
owner signs in on any device, and msal's serialised token cache (it holds the refresh token)
is kept in the account's 0600 token file. ``access_token`` lets msal refresh silently.

Scope: ``Mail.ReadWrite`` (delegated) — read access to the mailbox, and write access only
because creating a draft is a write; InboxGuard never sends, moves, deletes or marks mail.
``offline_access`` (the refresh token) is added by msal itself, which refuses it when asked.

Failures are one line a person can act on: no or expired consent says to run
``inboxguard auth NAME``; an unknown tenant, or an account outside the tenant, names
``oauth_tenant``; an unknown app names ``oauth_client_id``.
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
from inboxguard.config import GraphAccount
from inboxguard.errors import BackendError
from inboxguard.log_setup import register_secret

SCOPES = ["Mail.ReadWrite"]  # Microsoft Graph's, delegated; msal adds offline_access
PROVIDER = "microsoft-graph"

# AADSTS error numbers (msal's ``error_codes``) a person can do something about.
TENANT_NOT_FOUND = 90002
NOT_IN_TENANT = 50020
APP_NOT_FOUND = 700016
CONSENT_MISSING = 65001
_CONSENT_AGAIN = frozenset({CONSENT_MISSING, 50173, 70008, 70043, 700082, 50078, 50076})


def authority(account: GraphAccount) -> str:
    return msal_cache.authority(account.oauth_endpoint, account.oauth_tenant)


def authorize(
    account: GraphAccount,
    *,
    out: Callable[[str], None],
    environ: Mapping[str, str] | None = None,
) -> Path:
    """Device-code consent; store msal's token cache (0600); return the token file's path."""
    cache = msal.SerializableTokenCache()
    app = _app(account, cache)
    result = sign_in(app, SCOPES, account=account.name, out=out)
    if "access_token" not in result:
        raise failure(account, result, "sign-in was not completed")
    register_secret(str(result["access_token"]))
    path = token_path(account.name, environ)
    _save(account, path, cache)
    return path


def access_token(account: GraphAccount, *, environ: Mapping[str, str] | None = None) -> str:
    """A valid access token from msal's cache, refreshed by msal when it is near expiry."""
    path = token_path(account.name, environ)
    cache = _load(account, path)
    app = _app(account, cache)
    accounts = app.get_accounts()
    if not accounts:
        raise ConsentNeededError(account.name, "no signed-in Microsoft account stored")
    try:
        result = app.acquire_token_silent(SCOPES, account=accounts[0])
    except OSError as exc:  # requests' errors are OSErrors
        message = f"Microsoft's token endpoint unreachable ({type(exc).__name__})"
        raise BackendError(account.name, message) from None
    if not result or "access_token" not in result:
        if not result:
            raise ConsentNeededError(account.name, "the stored consent has no usable token")
        raise failure(account, result, "Microsoft refused the stored consent")
    if cache.has_state_changed:
        _save(account, path, cache)
    token = str(result["access_token"])
    register_secret(token)
    return token


def signed_in_as(account: GraphAccount, environ: Mapping[str, str] | None = None) -> str | None:
    """The account name consent was given for (for ``check``), or None."""
    try:
        cache = _load(account, token_path(account.name, environ))
    except BackendError:
        return None
    for entry in cache.search(msal.TokenCache.CredentialType.ACCOUNT):
        username = entry.get("username") if isinstance(entry, dict) else None
        if isinstance(username, str) and username:
            return username
    return None


def failure(account: GraphAccount, result: Mapping[str, Any], what: str) -> BackendError:
    """msal's error answer as one line naming what to fix; never its description text."""
    codes = {c for c in result.get("error_codes") or () if isinstance(c, int)}
    error = error_code(result)
    tenant = account.oauth_tenant
    if TENANT_NOT_FOUND in codes:
        return BackendError(
            account.name,
            f"Microsoft does not know tenant {tenant!r} (AADSTS{TENANT_NOT_FOUND}): set "
            "oauth_tenant to your organisation's tenant id or domain, or 'organizations'",
        )
    if NOT_IN_TENANT in codes:
        return BackendError(
            account.name,
            f"the signed-in account is not a member of tenant {tenant!r} "
            f"(AADSTS{NOT_IN_TENANT}): set oauth_tenant to the mailbox's own tenant, then run "
            f"`inboxguard auth {account.name}`",
        )
    if APP_NOT_FOUND in codes:
        return BackendError(
            account.name,
            f"no application with this oauth_client_id in tenant {tenant!r} "
            f"(AADSTS{APP_NOT_FOUND}): check oauth_client_id and oauth_tenant",
        )
    if codes & _CONSENT_AGAIN or error in {"invalid_grant", "interaction_required"}:
        number = min(codes & _CONSENT_AGAIN) if codes & _CONSENT_AGAIN else None
        reason = f"AADSTS{number}" if number is not None else error
        return ConsentNeededError(account.name, f"{what}: consent missing or expired ({reason})")
    return BackendError(account.name, f"{what} ({error})")


# -- msal's cache in the token file -----------------------------------------------------


def _load(account: GraphAccount, path: Path) -> Any:
    return msal_cache.load_cache(account.name, path, provider=PROVIDER, kind="Microsoft Graph")


def _save(account: GraphAccount, path: Path, cache: Any) -> None:
    msal_cache.save_cache(account.name, path, cache, provider=PROVIDER)


def _app(account: GraphAccount, cache: Any) -> Any:
    try:
        return msal.PublicClientApplication(
            account.oauth_client_id,
            authority=authority(account),
            token_cache=cache,
            # An explicit oauth_endpoint is trusted as given: no discovery through Microsoft.
            instance_discovery=account.oauth_endpoint is None,
        )
    except ValueError:
        # msal could not read the tenant's OpenID configuration: the tenant does not exist.
        raise failure(account, {"error_codes": [TENANT_NOT_FOUND]}, "sign-in") from None
    except OSError as exc:  # requests' errors are OSErrors
        message = f"Microsoft's authority {authority(account)} unreachable ({type(exc).__name__})"
        raise BackendError(account.name, message) from None

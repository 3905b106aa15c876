"""OAuth2 for EWS (``auth = "oauth2"``): authorization-code credentials whose refreshed
token is written back to the account's 0600 token file.

``inboxguard auth NAME`` stores the token it obtained with ``save_token`` (layout:
``{"provider": "microsoft-ews", "token": {access_token, refresh_token, expires_at, …}}``).
From then on the access token is refreshed when exchangelib finds it expired, with or
without a client secret, and every refreshed token is persisted at once
(``token_store.write_tokens``: atomic, 0600), so a restart never needs new consent.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from exchangelib import OAuth2AuthorizationCodeCredentials
from oauthlib.oauth2.rfc6749.errors import (  # type: ignore[import-untyped]  # no stubs
    CustomOAuth2Error,
)

from inboxguard.auth import msal_cache
from inboxguard.auth.device_flow import error_code, sign_in
from inboxguard.auth.msal_cache import AUTHORITY_BASE
from inboxguard.auth.token_store import (
    ConsentNeededError,
    read_tokens,
    token_path,
    write_tokens,
)
from inboxguard.config import EwsAccount
from inboxguard.credentials import _resolve
from inboxguard.errors import BackendError
from inboxguard.log_setup import register_secret

PROVIDER = "microsoft-ews"
# Delegated EWS access; offline_access for the refresh token.
SCOPES = ("https://outlook.office365.com/EWS.AccessAsUser.All", "offline_access")
REFRESH_TIMEOUT = 30.0
REFRESH_WINDOW = 60.0  # seconds
MAX_REFRESHES = 3  # within the window, before giving up


def token_url(account: EwsAccount, authority: str = AUTHORITY_BASE) -> str:
    return f"{msal_cache.authority(authority, account.oauth_tenant)}/oauth2/v2.0/token"


def client_secret(account: EwsAccount, environ: Mapping[str, str] | None = None) -> str | None:
    """The app registration's secret, when it is a confidential client (optional)."""
    sources = (
        account.oauth_client_secret_command,
        account.oauth_client_secret_env,
        account.oauth_client_secret_credential,
    )
    return _resolve(account.name, "oauth_client_secret", sources, environ)


def save_token(
    account: EwsAccount, token: Mapping[str, Any], environ: Mapping[str, str] | None = None
) -> Path:
    """Store a token (``inboxguard auth`` after consent, or a refresh); returns the file."""
    _register(token)
    path = token_path(account.name, environ)
    write_tokens(account.name, path, {"provider": PROVIDER, "token": dict(token)})
    return path


def load_token(account: EwsAccount, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    path = token_path(account.name, environ)
    stored = read_tokens(account.name, path)
    token = stored.get("token")
    if stored.get("provider") != PROVIDER or not isinstance(token, dict):
        raise ConsentNeededError(account.name, "the stored consent is not an EWS one")
    if not isinstance(token.get("refresh_token"), str):
        raise ConsentNeededError(account.name, "the stored consent has no refresh token")
    _register(token)
    return token


class _RefreshLog:
    def __init__(self) -> None:
        self.times: list[float] = []

    def allow(self, now: float) -> bool:
        self.times = [t for t in self.times if now - t < REFRESH_WINDOW]
        self.times.append(now)
        return len(self.times) <= MAX_REFRESHES


class PersistedTokenCredentials(OAuth2AuthorizationCodeCredentials):  # type: ignore[misc]
    """exchangelib's authorization-code credentials, refreshed by us and persisted.

    exchangelib asks ``refresh`` for a new token when the access token has expired (it then
    starts a new session with it). requests-oauthlib's own auto-refresh is not used: it
    sends the refresh request through the session's bearer auth, which fails with the very
    token that expired whenever the app is a public client (no secret).
    """

    def __init__(
        self,
        *,
        account: str,
        client_id: str,
        client_secret: str | None,
        token: dict[str, Any],
        url: str,
        persist: Callable[[Mapping[str, Any]], object],
    ) -> None:
        super().__init__(client_id=client_id, client_secret=client_secret, access_token=token)
        self._account = account
        self._url = url
        self._persist = persist
        # In a holder: exchangelib hashes every attribute of its credentials.
        self._refreshes = _RefreshLog()

    @property
    def token_url(self) -> str:
        return self._url

    @property
    def scope(self) -> list[str]:
        return list(SCOPES)

    def session_params(self) -> dict[str, Any]:
        return {"token": self.access_token}

    def refresh(self, session: Any) -> None:
        if not self._refreshes.allow(time.monotonic()):
            # Fresh tokens refused over and over: stop instead of looping on the server.
            raise ConsentNeededError(self._account, "Microsoft keeps issuing unusable tokens")
        token = self.access_token or {}
        form = {
            "grant_type": "refresh_token",
            "refresh_token": str(token.get("refresh_token", "")),
            "client_id": self.client_id,
            "scope": " ".join(SCOPES),
        }
        if self.client_secret:
            form["client_secret"] = self.client_secret
        host = urlsplit(self._url).netloc
        try:
            answer = requests.post(self._url, data=form, timeout=REFRESH_TIMEOUT)
            data = answer.json()
        except requests.RequestException as exc:
            message = f"Microsoft's token endpoint {host} unreachable ({type(exc).__name__})"
            raise BackendError(self._account, message) from None
        except ValueError:
            raise BackendError(self._account, f"{host} answered the refresh with no JSON") from None
        if not isinstance(data, dict) or "access_token" not in data:
            data = data if isinstance(data, dict) else {}
            raise CustomOAuth2Error(
                error=str(data.get("error") or "refused"),
                description=str(data.get("error_description") or ""),
            )
        fresh = dict(data)
        fresh.setdefault("refresh_token", token.get("refresh_token"))  # not always rotated
        if "expires_in" in fresh:
            fresh["expires_at"] = time.time() + float(fresh["expires_in"])
        self.on_token_auto_refreshed(fresh)

    def on_token_auto_refreshed(self, access_token: Any) -> None:
        _register(access_token)
        super().on_token_auto_refreshed(access_token)
        self._persist(access_token)


def credentials(
    account: EwsAccount,
    *,
    authority: str = AUTHORITY_BASE,
    environ: Mapping[str, str] | None = None,
) -> PersistedTokenCredentials:
    if account.oauth_client_id is None:  # the configuration refuses this; direct construction
        raise ConsentNeededError(account.name, "no oauth_client_id configured")
    return PersistedTokenCredentials(
        account=account.name,
        client_id=account.oauth_client_id,
        client_secret=client_secret(account, environ),
        token=load_token(account, environ),
        url=token_url(account, authority),
        persist=lambda token: save_token(account, token, environ),
    )


def _register(token: Mapping[str, Any]) -> None:
    for key in ("access_token", "refresh_token", "id_token"):
        value = token.get(key)
        if isinstance(value, str) and value:
            register_secret(value)


def authorize(
    account: EwsAccount,
    *,
    out: Callable[[str], None],
    environ: Mapping[str, str] | None = None,
    authority: str = AUTHORITY_BASE,
) -> Path:
    """`inboxguard auth NAME` for an EWS OAuth2 account: sign in once by device code (msal),
    keep the access and refresh token (0600); the backend refreshes it from then on."""
    import msal  # noqa: PLC0415 -- only consent needs msal here

    tenant = msal_cache.authority(authority, account.oauth_tenant)
    try:
        app = msal.PublicClientApplication(
            account.oauth_client_id,
            authority=tenant,
            instance_discovery=authority == AUTHORITY_BASE,
        )
    except (OSError, ValueError) as exc:
        message = f"Microsoft's sign-in service unreachable ({type(exc).__name__})"
        raise BackendError(account.name, message) from None
    # msal adds offline_access (the refresh token) itself and refuses it when asked.
    scopes = [s for s in SCOPES if s != "offline_access"]
    result = sign_in(app, scopes, account=account.name, out=out)
    if "access_token" not in result or "refresh_token" not in result:
        code = error_code(result)
        raise ConsentNeededError(account.name, f"sign-in was not completed ({code})")
    expires_in = float(result.get("expires_in", 3600))
    token = {
        "access_token": result["access_token"],
        "refresh_token": result["refresh_token"],
        "token_type": "Bearer",
        "expires_in": expires_in,
        "expires_at": time.time() + expires_in,
    }
    return save_token(account, token, environ)

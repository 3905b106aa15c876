"""Microsoft: msal's token cache kept in the 0600 token file; no consent, no silent token.

No network: every case here is decided before msal would talk to Microsoft.
"""

from __future__ import annotations

import json
import stat
from pathlib import Path

import msal
import pytest

from inboxguard.auth import microsoft
from inboxguard.auth.token_store import ConsentNeededError, token_path, write_tokens
from inboxguard.config import ImapAccount

USER = "hanako@contoso.onmicrosoft.com"
REFRESH = "0.AAAA-microsoft-refresh-secret"
# The shape msal itself serialises: one signed-in account and its refresh token.
CACHE = {
    "Account": {
        "uid.utid-login.microsoftonline.com-common": {
            "home_account_id": "uid.utid",
            "environment": "login.microsoftonline.com",
            "realm": "common",
            "local_account_id": "uid",
            "username": USER,
            "authority_type": "MSSTS",
        }
    },
    "RefreshToken": {
        "uid.utid-login.microsoftonline.com-refreshtoken-client--": {
            "credential_type": "RefreshToken",
            "secret": REFRESH,
            "home_account_id": "uid.utid",
            "environment": "login.microsoftonline.com",
            "client_id": "client",
            "target": "",
        }
    },
}


@pytest.fixture
def environ(tmp_path: Path) -> dict[str, str]:
    return {"XDG_STATE_HOME": str(tmp_path / "state")}


def account(**settings: str) -> ImapAccount:
    return ImapAccount.model_validate(
        {
            "name": "m365",
            "kind": "imap",
            "host": "outlook.office365.com",
            "username": USER,
            "auth": "oauth2",
            "oauth_provider": "microsoft",
            "oauth_client_id": "client",
            **settings,
        }
    )


def test_the_authority_is_login_microsoftonline_com_with_the_tenant_or_the_override() -> None:
    assert microsoft.authority(account()) == "https://login.microsoftonline.com/common"
    sovereign = account(oauth_endpoint="https://login.microsoftonline.us/", oauth_tenant="t1")
    assert microsoft.authority(sovereign) == "https://login.microsoftonline.us/t1"


def test_the_scopes_are_imap_and_smtp_and_leave_offline_access_to_msal() -> None:
    assert microsoft.SCOPES == [
        "https://outlook.office.com/IMAP.AccessAsUser.All",
        "https://outlook.office.com/SMTP.Send",
    ]


def test_msals_token_cache_round_trips_through_a_0600_file(environ: dict[str, str]) -> None:
    path = token_path("m365", environ)
    cache = msal.SerializableTokenCache()
    cache.deserialize(json.dumps(CACHE))
    microsoft.save_cache(account(), path, cache)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    loaded = microsoft.load_cache(account(), path)
    accounts = list(loaded.search(msal.TokenCache.CredentialType.ACCOUNT))
    assert [a["username"] for a in accounts] == [USER]


def test_no_token_file_asks_for_inboxguard_auth(environ: dict[str, str]) -> None:
    with pytest.raises(ConsentNeededError, match="run `inboxguard auth m365`"):
        microsoft.access_token(account(), environ=environ)


def test_a_cache_without_a_signed_in_account_asks_for_inboxguard_auth(
    environ: dict[str, str],
) -> None:
    empty = msal.SerializableTokenCache()
    microsoft.save_cache(account(), token_path("m365", environ), empty)
    with pytest.raises(ConsentNeededError) as caught:
        microsoft.access_token(account(), environ=environ)
    assert "no signed-in Microsoft account" in str(caught.value)
    assert "run `inboxguard auth m365`" in str(caught.value)


def test_a_google_token_file_is_not_taken_for_a_microsoft_one(environ: dict[str, str]) -> None:
    write_tokens("m365", token_path("m365", environ), {"provider": "google"})
    with pytest.raises(ConsentNeededError, match="not a Microsoft one"):
        microsoft.access_token(account(), environ=environ)


def test_a_damaged_cache_is_reported_without_its_contents(environ: dict[str, str]) -> None:
    path = token_path("m365", environ)
    write_tokens("m365", path, {"provider": "microsoft", "msal_cache": '{"x": "' + REFRESH})
    with pytest.raises(ConsentNeededError) as caught:
        microsoft.access_token(account(), environ=environ)
    assert REFRESH not in str(caught.value)

"""`inboxguard auth` for Microsoft drives msal's device-code flow against a local authority.

The authority is a small HTTPS server (msal insists on https) with a certificate from a
throwaway CA that requests is told to trust; it answers tenant discovery, the device-code
request and the token poll the way login.microsoftonline.com does.
"""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from inboxguard.auth import microsoft
from inboxguard.auth.token_store import token_path
from inboxguard.config import ImapAccount
from tests.msal_authority import ACCESS, CLIENT_ID, REFRESH, USER, USER_CODE, Authority, serving


@pytest.fixture
def authority(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Authority]:
    with serving(Authority(), tmp_path, monkeypatch) as served:
        yield served


def test_auth_prints_the_device_code_message_and_stores_msals_cache_0600(
    authority: Authority, tmp_path: Path
) -> None:
    environ = {"XDG_STATE_HOME": str(tmp_path / "state")}
    account = ImapAccount.model_validate(
        {
            "name": "m365",
            "kind": "imap",
            "host": "outlook.office365.com",
            "username": USER,
            "auth": "oauth2",
            "oauth_provider": "microsoft",
            "oauth_client_id": CLIENT_ID,
            "oauth_endpoint": authority.base,
        }
    )
    printed: list[str] = []
    path = microsoft.authorize(account, out=printed.append, environ=environ)
    assert path == token_path("m365", environ)
    assert len(printed) == 1 and f"enter the code {USER_CODE}" in printed[0]
    assert [endpoint for endpoint, _ in authority.requests] == ["devicecode", "token"]
    (_, device), (_, token) = authority.requests
    assert device["client_id"] == CLIENT_ID
    assert set(device["scope"].split()) >= {*microsoft.SCOPES, "offline_access"}
    assert token["grant_type"] == "urn:ietf:params:oauth:grant-type:device_code"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert REFRESH in json.loads(path.read_text())["msal_cache"]
    # Later, the service: msal answers from the cache without asking again.
    assert microsoft.access_token(account, environ=environ) == ACCESS

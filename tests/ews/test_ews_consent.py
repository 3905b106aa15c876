"""`inboxguard auth NAME` for an EWS OAuth2 account: device code, then a stored refresh token."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from inboxguard.auth.token_store import token_path
from inboxguard.backends import ews_oauth
from inboxguard.config import EwsAccount, parse_config
from tests.mailboxes import config_dict
from tests.msal_authority import ACCESS, REFRESH, USER_CODE, Authority, serving


class EwsAuthority(Authority):
    """Grants the EWS scope, as Entra ID does for an app allowed EWS.AccessAsUser.All."""

    def answer(self, path: str, form: dict[str, str]) -> dict[str, Any]:
        answer = super().answer(path, form)
        if "access_token" in answer:
            answer["scope"] = "https://outlook.office365.com/EWS.AccessAsUser.All"
        return answer


@pytest.fixture
def authority(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Authority]:
    with serving(EwsAuthority(), tmp_path, monkeypatch) as served:
        yield served


def test_consent_by_device_code_stores_a_refresh_token_the_backend_can_use(
    authority: Authority, tmp_path: Path
) -> None:
    data = config_dict(tmp_path, tmp_path)
    data["accounts"] = [
        {
            "name": "o365",
            "kind": "ews",
            "service_endpoint": "https://outlook.office365.com/EWS/Exchange.asmx",
            "primary_smtp_address": "hanako@example.jp",
            "auth": "oauth2",
            "oauth_client_id": "00000000-1111-2222-3333-444444444444",
        }
    ]
    account = parse_config(data).accounts[0]
    assert isinstance(account, EwsAccount)
    environ = {"XDG_STATE_HOME": str(tmp_path / "state")}
    printed: list[str] = []
    path = ews_oauth.authorize(
        account, out=printed.append, environ=environ, authority=authority.base
    )
    assert path == token_path("o365", environ)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(printed) == 1 and USER_CODE in printed[0]
    (_, device), (_, token) = authority.requests
    assert "https://outlook.office365.com/EWS.AccessAsUser.All" in device["scope"].split()
    assert token["grant_type"] == "urn:ietf:params:oauth:grant-type:device_code"
    stored = ews_oauth.load_token(account, environ)
    assert stored["access_token"] == ACCESS and stored["refresh_token"] == REFRESH

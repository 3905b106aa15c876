"""`inboxguard auth` for a graph account, and the silent tokens the service takes after it.

msal runs unmodified against a local https authority (tenant discovery, device code, token
endpoint); only the errors' wording is tested without it.
"""

from __future__ import annotations

import json
import re
import stat
import time
from pathlib import Path

import pytest

from inboxguard.auth import graph as graph_auth
from inboxguard.auth.token_store import ConsentNeededError, token_path
from inboxguard.config import GraphAccount
from inboxguard.errors import BackendError
from tests.graph.conftest import CLIENT_ID, GraphAuthority
from tests.msal_authority import ACCESS, REFRESH, USER, USER_CODE


def account(**settings: str) -> GraphAccount:
    return GraphAccount.model_validate(
        {"name": "m365", "kind": "graph", "oauth_client_id": CLIENT_ID, **settings}
    )


def test_auth_asks_for_mail_readwrite_by_device_code_and_stores_msals_cache_0600(
    authority: GraphAuthority, tmp_path: Path
) -> None:
    environ = {"XDG_STATE_HOME": str(tmp_path / "state")}
    graph = account(oauth_endpoint=authority.base, oauth_tenant="common")
    printed: list[str] = []
    path = graph_auth.authorize(graph, out=printed.append, environ=environ)
    assert path == token_path("m365", environ)
    assert len(printed) == 1 and f"enter the code {USER_CODE}" in printed[0]
    (_, device), (_, token) = authority.requests
    assert set(device["scope"].split()) >= {"Mail.ReadWrite", "offline_access"}
    assert token["grant_type"] == "urn:ietf:params:oauth:grant-type:device_code"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert REFRESH in json.loads(path.read_text())["msal_cache"]
    assert graph_auth.signed_in_as(graph, environ) == USER
    # The service, later: msal answers from its cache without asking the authority.
    assert graph_auth.access_token(graph, environ=environ) == ACCESS
    assert len(authority.requests) == 2


def test_an_expired_access_token_is_refreshed_silently_and_the_cache_saved_again(
    authority: GraphAuthority, tmp_path: Path
) -> None:
    environ = {"XDG_STATE_HOME": str(tmp_path / "state")}
    graph = account(oauth_endpoint=authority.base, oauth_tenant="common")
    path = graph_auth.authorize(graph, out=lambda _: None, environ=environ)
    stored = json.loads(path.read_text())
    cache = json.loads(stored["msal_cache"])
    for entry in cache["AccessToken"].values():  # an hour later: the access token expired
        entry["expires_on"] = entry["extended_expires_on"] = str(int(time.time()) - 60)
    stored["msal_cache"] = json.dumps(cache)
    path.write_text(json.dumps(stored))
    before = path.stat().st_mtime_ns
    assert graph_auth.access_token(graph, environ=environ) == ACCESS
    endpoint, form = authority.requests[-1]
    assert endpoint == "token" and form["grant_type"] == "refresh_token"
    assert form["refresh_token"] == REFRESH
    assert "Mail.ReadWrite" in form["scope"].split()
    assert path.stat().st_mtime_ns != before  # msal's refreshed cache written back
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_without_consent_the_error_says_to_run_inboxguard_auth(tmp_path: Path) -> None:
    environ = {"XDG_STATE_HOME": str(tmp_path / "state")}
    with pytest.raises(ConsentNeededError, match=r"run `inboxguard auth m365`$"):
        graph_auth.access_token(account(), environ=environ)


@pytest.mark.parametrize(
    ("codes", "error", "expected"),
    [
        ([90002], "invalid_request", r"does not know tenant 'contoso\.example'.*set oauth_tenant"),
        ([50020], "invalid_grant", r"not a member of tenant 'contoso\.example'.*oauth_tenant"),
        ([700016], "unauthorized_client", r"check oauth_client_id and oauth_tenant"),
        ([65001], "invalid_grant", r"consent missing or expired \(AADSTS65001\).*inboxguard auth"),
        ([], "invalid_grant", r"consent missing or expired \(invalid_grant\).*inboxguard auth"),
    ],
)
def test_sign_in_failures_are_one_line_naming_what_to_fix(
    codes: list[int], error: str, expected: str
) -> None:
    graph = account(oauth_tenant="contoso.example")
    answer = {"error": error, "error_codes": codes, "error_description": "AADSTS: secret-ish"}
    failure = graph_auth.failure(graph, answer, "sign-in")
    assert isinstance(failure, BackendError)
    assert "\n" not in str(failure) and "secret-ish" not in str(failure)
    assert re.search(expected, str(failure)), str(failure)
    consent = 65001 in codes or not codes
    assert isinstance(failure, ConsentNeededError) is consent

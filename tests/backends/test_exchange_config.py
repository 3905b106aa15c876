"""EWS and Graph account settings: refused at start-up with the key named."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from inboxguard.config import EwsAccount, GraphAccount, parse_config
from inboxguard.errors import ConfigError
from tests.mailboxes import config_dict

EWS = {
    "name": "exchange",
    "kind": "ews",
    "service_endpoint": "https://mail.example.co.jp/EWS/Exchange.asmx",
    "primary_smtp_address": "hanako@example.co.jp",
    "username": "EXAMPLE\\hanako",
    "password_env": "EWS_PASSWORD",
}
GRAPH = {"name": "m365", "kind": "graph", "oauth_client_id": "11111111-2222-3333-4444-555555555555"}


def load(tmp_path: Path, settings: dict[str, Any]) -> EwsAccount | GraphAccount:
    data = config_dict(tmp_path, tmp_path)
    data["accounts"] = [{k: v for k, v in settings.items() if v is not None}]
    account = parse_config(data).accounts[0]
    assert isinstance(account, EwsAccount | GraphAccount)
    return account


def test_an_ews_account_with_ntlm_and_a_password_source_loads(tmp_path: Path) -> None:
    account = load(tmp_path, EWS)
    assert isinstance(account, EwsAccount)
    assert account.auth == "ntlm" and account.watch == ["Inbox"]


def test_a_graph_account_needs_only_its_client_id(tmp_path: Path) -> None:
    account = load(tmp_path, GRAPH)
    assert isinstance(account, GraphAccount)
    assert account.oauth_tenant == "organizations" and account.user == "me"


@pytest.mark.parametrize(
    ("changes", "key", "message"),
    [
        ({"password_env": None}, "accounts[0]", "set exactly one of password_command"),
        ({"username": None}, "accounts[0]", "needs username"),
        ({"auth": "oauth2"}, "accounts[0]", "is not used with auth = 'oauth2'"),
        ({"auth": "oauth2", "password_env": None}, "accounts[0]", "needs oauth_client_id"),
        ({"service_endpoint": "mail.example.co.jp"}, "accounts[0].service_endpoint", ""),
        ({"auth": "kerberos"}, "accounts[0].auth", ""),
    ],
)
def test_bad_ews_settings_name_the_key(
    tmp_path: Path, changes: dict[str, Any], key: str, message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, {**EWS, **changes})
    assert caught.value.key == key
    assert message in caught.value.message


def test_a_graph_account_without_a_client_id_names_the_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, {**GRAPH, "oauth_client_id": None})
    assert caught.value.key == "accounts[0].oauth_client_id"


def test_an_unknown_kind_lists_every_supported_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, {**GRAPH, "kind": "pop3"})
    assert "maildir, imap, ews, graph" in caught.value.message

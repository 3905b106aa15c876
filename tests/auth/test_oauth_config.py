"""OAuth2 account settings: refused at start-up with the key named, before any network."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from inboxguard.config import ImapAccount, parse_config
from inboxguard.errors import ConfigError
from tests.mailboxes import config_dict


def load(tmp_path: Path, **account: Any) -> ImapAccount:
    data = config_dict(tmp_path, tmp_path)
    settings = {
        "name": "gmail",
        "kind": "imap",
        "host": "imap.gmail.com",
        "username": "hanako.sato@gmail.com",
        "auth": "oauth2",
        "oauth_provider": "google",
        "oauth_client_id": "1234.apps.googleusercontent.com",
    }
    settings.update(account)
    data["accounts"] = [{k: v for k, v in settings.items() if v is not None}]
    loaded = parse_config(data).accounts[0]
    assert isinstance(loaded, ImapAccount)
    return loaded


def refused(tmp_path: Path, **account: Any) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, **account)
    assert "\n" not in str(caught.value)
    return caught.value


def test_an_oauth2_account_needs_no_password_source_and_defaults_to_tenant_common(
    tmp_path: Path,
) -> None:
    account = load(tmp_path)
    assert account.auth == "oauth2" and account.password_env is None
    assert account.oauth_tenant == "common" and account.oauth_endpoint is None


def test_accounts_default_to_password_auth(tmp_path: Path) -> None:
    account = load(
        tmp_path, auth=None, oauth_provider=None, oauth_client_id=None, password_env="PW"
    )
    assert account.auth == "password"


def test_a_password_source_on_an_oauth2_account_is_an_error_naming_it(tmp_path: Path) -> None:
    error = refused(tmp_path, password_env="MAIL_PASSWORD")
    assert "password_env is not used with auth = 'oauth2'" in error.message


def test_oauth2_without_a_client_id_is_an_error(tmp_path: Path) -> None:
    assert "needs oauth_client_id" in refused(tmp_path, oauth_client_id=None).message


def test_oauth2_without_a_provider_is_an_error(tmp_path: Path) -> None:
    assert "needs oauth_provider" in refused(tmp_path, oauth_provider=None).message


def test_an_unknown_provider_is_an_error_naming_the_key(tmp_path: Path) -> None:
    assert refused(tmp_path, oauth_provider="yahoo").key == "accounts[0].oauth_provider"


def test_oauth_settings_on_a_password_account_are_an_error(tmp_path: Path) -> None:
    error = refused(
        tmp_path, auth="password", oauth_provider=None, oauth_client_id="x", password_env="PW"
    )
    assert "oauth_client_id needs auth = 'oauth2'" in error.message


def test_two_client_secret_sources_are_an_error(tmp_path: Path) -> None:
    error = refused(
        tmp_path, oauth_client_secret_env="SECRET", oauth_client_secret_command="pass x"
    )
    assert "at most one of oauth_client_secret_command" in error.message


def test_a_client_secret_for_a_microsoft_public_client_is_an_error(tmp_path: Path) -> None:
    error = refused(
        tmp_path,
        host="outlook.office365.com",
        oauth_provider="microsoft",
        oauth_client_secret_env="SECRET",
    )
    assert "public clients have no client secret" in error.message


def test_an_endpoint_override_must_be_an_http_url(tmp_path: Path) -> None:
    assert refused(tmp_path, oauth_endpoint="not a url").key == "accounts[0].oauth_endpoint"
    assert load(tmp_path, oauth_endpoint="https://login.microsoftonline.us").oauth_endpoint

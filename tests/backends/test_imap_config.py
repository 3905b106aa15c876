"""IMAP account settings: refused at start-up with the key named, before any connection."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from inboxguard.backends.imap_connect import connect
from inboxguard.config import ImapAccount, parse_config
from inboxguard.errors import BackendError, ConfigError
from tests.mailboxes import config_dict


def load(tmp_path: Path, **account: Any) -> ImapAccount:
    data = config_dict(tmp_path, tmp_path)
    settings = {
        "name": "work",
        "kind": "imap",
        "host": "imap.example.jp",
        "username": "hanako@example.jp",
        "password_env": "MAIL_PASSWORD",
    }
    settings.update(account)
    data["accounts"] = [{k: v for k, v in settings.items() if v is not None}]
    loaded = parse_config(data).accounts[0]
    assert isinstance(loaded, ImapAccount)
    return loaded


def test_security_none_for_a_remote_host_is_a_config_error_naming_the_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, security="none")
    assert caught.value.key == "accounts[0].security"
    assert "loopback" in caught.value.message
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.9.10", "::1", "localhost"])
def test_security_none_is_allowed_for_loopback_hosts(tmp_path: Path, host: str) -> None:
    assert load(tmp_path, host=host, security="none").port == 143


@pytest.mark.parametrize(("security", "port"), [("tls", 993), ("starttls", 143)])
def test_port_defaults_follow_security(tmp_path: Path, security: str, port: int) -> None:
    assert load(tmp_path, security=security).port == port


def test_an_explicit_port_is_kept(tmp_path: Path) -> None:
    assert load(tmp_path, port=10993).port == 10993


@pytest.mark.parametrize(
    "sources",
    [
        {"password_env": None},
        {"password_command": "pass show mail"},
        {"password_credential": "mail-password", "password_command": "pass show mail"},
    ],
)
def test_exactly_one_password_source_is_required(tmp_path: Path, sources: dict[str, Any]) -> None:
    with pytest.raises(ConfigError, match="exactly one of password_command") as caught:
        load(tmp_path, **sources)
    assert caught.value.key == "accounts[0]"


def test_a_password_in_clear_is_an_unknown_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"accounts\[0\]\.password: unknown key"):
        load(tmp_path, password="hunter2")


def test_unknown_kind_names_the_kind_key_and_the_supported_kinds(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"accounts\[0\]\.kind: .*supported: maildir, imap"):
        load(tmp_path, kind="pop3")


def test_defaults_watch_inbox_and_discover_folders(tmp_path: Path) -> None:
    account = load(tmp_path)
    assert account.watch == ["INBOX"]
    assert account.drafts_folder is None and account.sent_folder is None
    assert (account.timeout, account.batch_size) == (30, 200)


def test_ca_file_defaults_to_the_system_trust_store(tmp_path: Path) -> None:
    assert load(tmp_path).ca_file is None


def test_ca_file_is_a_path_with_the_home_directory_expanded(tmp_path: Path) -> None:
    ca = "/etc/inboxguard/ca.pem"
    assert load(tmp_path, ca_file=ca).ca_file == Path(ca)
    assert load(tmp_path, ca_file="~/ca.pem").ca_file == Path.home() / "ca.pem"


def test_ca_file_without_tls_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="ca_file needs security 'tls' or 'starttls'") as caught:
        load(tmp_path, host="127.0.0.1", security="none", ca_file="/etc/inboxguard/ca.pem")
    assert caught.value.key == "accounts[0]"


def test_a_missing_ca_file_fails_before_any_connection(tmp_path: Path) -> None:
    account = load(tmp_path, ca_file=str(tmp_path / "missing.pem"))
    with pytest.raises(BackendError, match=r"ca_file .*missing\.pem: No such file") as caught:
        connect(account, "secret", factory=_never_called)
    assert caught.value.__suppress_context__


def test_a_ca_file_holding_no_certificate_fails_before_any_connection(tmp_path: Path) -> None:
    not_pem = tmp_path / "ca.pem"
    not_pem.write_text("this is not a certificate\n")
    account = load(tmp_path, ca_file=str(not_pem))
    with pytest.raises(BackendError, match=r"ca_file .*ca\.pem: no PEM certificate in it"):
        connect(account, "secret", factory=_never_called)


def _never_called(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("connect() must not reach the network")


def test_keyword_rescan_defaults_to_every_fifth_poll_and_is_a_whole_number_of_polls(
    tmp_path: Path,
) -> None:
    assert load(tmp_path).keyword_rescan == 5
    assert load(tmp_path, keyword_rescan=1).keyword_rescan == 1
    for wrong in (0, 1001, "5m"):
        with pytest.raises(ConfigError) as caught:
            load(tmp_path, keyword_rescan=wrong)
        assert caught.value.key == "accounts[0].keyword_rescan"

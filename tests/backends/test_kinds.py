"""Account kinds are a table: each opens its backend class, imported only when used."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from inboxguard.backends import KINDS, open_backend
from inboxguard.backends.base import MailBackend
from inboxguard.backends.ews import EwsBackend
from inboxguard.backends.graph import GraphBackend
from inboxguard.backends.imap import ImapBackend
from inboxguard.backends.inbox import InboxAppender
from inboxguard.backends.maildir import MaildirBackend
from inboxguard.config import AccountConfig, parse_config
from inboxguard.errors import ConfigError
from tests.mailboxes import OWNER, config_dict

SETTINGS: dict[str, dict[str, Any]] = {
    "maildir": {"path": "/nonexistent/Mail"},
    "imap": {"host": "imap.example.jp", "username": OWNER, "password_env": "IG_TEST_PW"},
    "ews": {
        "service_endpoint": "https://mail.example.jp/EWS/Exchange.asmx",
        "primary_smtp_address": OWNER,
        "username": "hanako",
        "password_env": "IG_TEST_PW",
    },
    "graph": {"oauth_client_id": "00000000-1111-2222-3333-444444444444"},
}
CLASSES: dict[str, type[object]] = {
    "maildir": MaildirBackend,
    "imap": ImapBackend,
    "ews": EwsBackend,
    "graph": GraphBackend,
}


def account(kind: str, tmp_path: Path) -> AccountConfig:
    data = config_dict(tmp_path / "unused", tmp_path)
    data["accounts"] = [{"name": "work", "kind": kind, **SETTINGS[kind]}]
    return parse_config(data).accounts[0]


@pytest.mark.parametrize("kind", sorted(SETTINGS))
def test_each_kind_opens_its_backend_through_the_table_without_connecting(
    kind: str, tmp_path: Path
) -> None:
    backend = open_backend(account(kind, tmp_path))
    assert type(backend) is CLASSES[kind]
    assert backend.account == "work"


def test_the_table_has_a_row_for_every_kind_the_configuration_accepts() -> None:
    assert set(KINDS) == set(SETTINGS)


def test_an_unknown_kind_is_a_configuration_error_naming_the_key(tmp_path: Path) -> None:
    unknown = account("maildir", tmp_path).model_copy(update={"kind": "pop3"})
    with pytest.raises(ConfigError) as caught:
        open_backend(unknown)
    assert caught.value.key == "accounts.work.kind"
    assert "unknown account kind 'pop3'" in str(caught.value)


# mypy checks every class against the protocol here.
BACKEND_CLASSES: tuple[type[MailBackend], ...] = (
    MaildirBackend,
    ImapBackend,
    EwsBackend,
    GraphBackend,
)


def test_only_the_imap_and_maildir_backends_take_the_digest_into_their_inbox(
    tmp_path: Path,
) -> None:
    takes_digest = {
        kind: isinstance(open_backend(account(kind, tmp_path)), InboxAppender) for kind in KINDS
    }
    assert takes_digest == {"imap": True, "maildir": True, "ews": False, "graph": False}


@pytest.mark.parametrize("kind", ["maildir", "imap"])
def test_opening_a_maildir_or_imap_account_imports_no_exchange_library(
    kind: str, tmp_path: Path
) -> None:
    script = (
        "import sys\n"
        "from inboxguard.backends import open_backend\n"
        "from inboxguard.config import parse_config\n"
        "from pathlib import Path\n"
        "from tests.mailboxes import config_dict\n"
        f"data = config_dict(Path({str(tmp_path)!r}), Path({str(tmp_path)!r}))\n"
        f"data['accounts'] = [{{'name': 'work', 'kind': {kind!r}, **{SETTINGS[kind]!r}}}]\n"
        "open_backend(parse_config(data).accounts[0])\n"
        "loaded = {'exchangelib', 'msal', 'httpx'} & set(sys.modules)\n"
        "print(' '.join(sorted(loaded)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).parents[2],
    )
    loaded = set(done.stdout.split())
    assert "exchangelib" not in loaded
    if kind == "maildir":
        assert loaded == set()  # (IMAP's XOAUTH2 sign-in brings msal and httpx along)

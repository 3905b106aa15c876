"""The service's backends kept between polls (backends.KeptBackends), without a server: which
backend a poll gets, and when a kept one is replaced or let go. (Logins, cut connections and
the idle lifetime against a real Dovecot: tests/live/test_imap_keep_live.py.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from inboxguard.backends import KeptBackends
from inboxguard.backends.imap import ImapBackend
from inboxguard.config import AccountConfig, parse_config
from tests.mailboxes import config_dict


def accounts(tmp_path: Path, **imap: Any) -> list[AccountConfig]:
    data = config_dict(tmp_path / "mail", tmp_path)
    data["accounts"] = [
        {"name": "maildir", "kind": "maildir", "path": str(tmp_path / "mail")},
        {
            "name": "work", "kind": "imap", "host": "127.0.0.1", "port": 1143,
            "security": "none", "username": "u", "password_env": "NO_SUCH_VARIABLE", **imap,
        },
    ]  # fmt: skip
    return list(parse_config(data).accounts)


def test_an_imap_account_gets_the_same_kept_backend_poll_after_poll(tmp_path: Path) -> None:
    maildir, work = accounts(tmp_path)
    kept = KeptBackends()
    first = kept.backend(work)
    assert isinstance(first, ImapBackend)
    assert kept.backend(work) is first
    # A maildir has no connection to keep: a fresh backend per poll, as before.
    assert kept.backend(maildir) is not kept.backend(maildir)


def test_a_changed_account_or_a_release_gives_a_new_backend(tmp_path: Path) -> None:
    _, work = accounts(tmp_path)
    _, moved = accounts(tmp_path, port=1993)
    kept = KeptBackends()
    first = kept.backend(work)
    second = kept.backend(moved)
    assert second is not first and kept.backend(moved) is second
    kept.release("work")
    assert kept.backend(moved) is not second
    kept.close_all()
    assert kept.close_idle() == 0  # nothing kept, nothing connected

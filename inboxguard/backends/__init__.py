"""Mailbox backends: one interface (``base.MailBackend``), thin adapters per kind.

The kinds are a table: adding a backend is adding a row. Each row names a module and a class,
imported only when an account of that kind is opened, so a user with IMAP accounts alone
never loads exchangelib, msal or httpx for it.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import cast

from inboxguard.backends.base import MailBackend
from inboxguard.config import AccountConfig
from inboxguard.errors import ConfigError

# account.kind → (module, class); the class is built from the account's configuration.
KINDS: Mapping[str, tuple[str, str]] = {
    "imap": ("inboxguard.backends.imap", "ImapBackend"),
    "maildir": ("inboxguard.backends.maildir", "MaildirBackend"),
    "ews": ("inboxguard.backends.ews", "EwsBackend"),
    "graph": ("inboxguard.backends.graph", "GraphBackend"),
}


def open_backend(account: AccountConfig) -> MailBackend:
    """The adapter for an account's ``kind`` (not yet connected: use it as a context manager)."""
    row = KINDS.get(account.kind)
    if row is None:
        raise ConfigError(f"accounts.{account.name}.kind", f"unknown account kind {account.kind!r}")
    module, name = row
    backend_class = getattr(importlib.import_module(module), name)
    return cast(MailBackend, backend_class(account))

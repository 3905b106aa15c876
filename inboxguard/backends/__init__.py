"""Mailbox backends: one interface (``base.MailBackend``), thin adapters per kind."""

from inboxguard.backends.base import MailBackend
from inboxguard.backends.ews import EwsBackend
from inboxguard.backends.graph import GraphBackend
from inboxguard.backends.imap import ImapBackend
from inboxguard.backends.maildir import MaildirBackend
from inboxguard.config import AccountConfig, EwsAccount, GraphAccount, ImapAccount, MaildirAccount
from inboxguard.errors import ConfigError


def open_backend(account: AccountConfig) -> MailBackend:
    """The adapter for an account's ``kind`` (not yet connected: use it as a context manager)."""
    if isinstance(account, ImapAccount):
        return ImapBackend(account)
    if isinstance(account, MaildirAccount):
        return MaildirBackend(account)
    if isinstance(account, GraphAccount):
        return GraphBackend(account)
    if isinstance(account, EwsAccount):
        return EwsBackend(account)
    raise ConfigError(f"accounts.{account.name}.kind", f"unknown account kind {account.kind!r}")

"""Mailbox backends: one interface (``base.MailBackend``), thin adapters per kind."""

from inboxguard.backends.base import MailBackend
from inboxguard.backends.imap import ImapBackend
from inboxguard.backends.maildir import MaildirBackend
from inboxguard.config import AccountConfig, ImapAccount


def open_backend(account: AccountConfig) -> MailBackend:
    """The adapter for an account's ``kind`` (not yet connected: use it as a context manager)."""
    if isinstance(account, ImapAccount):
        return ImapBackend(account)
    return MaildirBackend(account)

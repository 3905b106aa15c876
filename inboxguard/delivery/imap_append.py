"""The digest put straight into the owner's INBOX, unread: by IMAP APPEND, or into a Maildir.

The account's own backend does the work (``backends.inbox.InboxAppender``), so connecting,
TLS, logins, throttling answers and the maildir layouts are the code every poll goes through.
Never twice: the INBOX is first searched for the digest's Message-ID (one per day), so a
retry after a lost connection, a restart or a second run the same day adds nothing. The
search runs on a read-only view (EXAMINE, SPEC §1 guarantee 2), which is closed before the
APPEND; the APPEND is the only write and carries no flag, so the digest arrives unread.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from functools import partial

from imapclient import IMAPClient

from inboxguard.backends.imap import ImapBackend
from inboxguard.backends.imap_connect import ClientFactory
from inboxguard.backends.inbox import INBOX, InboxAppender
from inboxguard.backends.maildir import MaildirBackend
from inboxguard.config import Config, ImapAccount, MaildirAccount
from inboxguard.delivery.login import from_backend_error, imap_secret
from inboxguard.delivery.outcome import DeliveryError, DeliveryReceipt, message_id_of
from inboxguard.errors import BackendError


def append(
    message: EmailMessage,
    config: Config,
    *,
    environ: Mapping[str, str] | None = None,
    client_factory: ClientFactory = IMAPClient,
) -> DeliveryReceipt:
    account = _account(config)
    message_id = message_id_of(message)
    where = f"{account.name}/{INBOX}"
    inbox = _backend(account, environ, client_factory)
    with _errors(account), inbox.open_inbox():
        if inbox.find_in_inbox(message_id) is not None:
            return DeliveryReceipt("imap-append", where, already_there=True)
        # The backend writes the line ends its store wants (CRLF for IMAP, LF in a maildir).
        inbox.append_to_inbox(message.as_bytes(), received_at=_date(message))
    return DeliveryReceipt("imap-append", where)


def probe(
    config: Config,
    environ: Mapping[str, str] | None = None,
    *,
    client_factory: ClientFactory = IMAPClient,
) -> str:
    """Log in and open INBOX read-only (IMAP), or check the INBOX maildir is writable."""
    account = _account(config)
    inbox = _backend(account, environ, client_factory)
    with _errors(account), inbox.open_inbox():
        return f"imap-append: {account.name}/{INBOX} {inbox.probe_inbox()}"


def _account(config: Config) -> ImapAccount | MaildirAccount:
    name = config.digest.account
    for account in config.accounts:
        if account.name == name and isinstance(account, ImapAccount | MaildirAccount):
            return account
    # The configuration refuses this; guards a Config built around validation.
    raise DeliveryError(f"digest.account {name!r} is not one of the accounts", retryable=False)


def _backend(
    account: ImapAccount | MaildirAccount,
    environ: Mapping[str, str] | None,
    client_factory: ClientFactory,
) -> InboxAppender:
    """The account's backend, built with the digest's seams: the password or token looked up
    in ``environ`` (a failure already a ``DeliveryError``), the test's IMAP client."""
    if isinstance(account, MaildirAccount):
        return MaildirBackend(account)
    secret = partial(imap_secret, environ=environ)
    return ImapBackend(account, client_factory=client_factory, secret=secret)


@contextmanager
def _errors(account: ImapAccount | MaildirAccount) -> Iterator[None]:
    """The backend's ``BackendError`` as a ``DeliveryError``: for a server, naming it unless
    the line already does, and retryable when the cause may heal by itself."""
    try:
        yield
    except BackendError as exc:
        if isinstance(account, MaildirAccount):
            # Local files: a missing or unwritable maildir stays so until someone acts.
            raise DeliveryError(str(exc), retryable=False) from None
        server = f"{account.host}:{account.port}"
        if server in exc.message:
            raise from_backend_error(exc) from None
        raise from_backend_error(exc, f"account {account.name!r} at {server}") from None


def _date(message: EmailMessage) -> datetime | None:
    """The digest's Date as the INTERNALDATE, so clients sort it where it belongs."""
    try:
        return parsedate_to_datetime(str(message.get("Date", "")))
    except (TypeError, ValueError):
        return None  # the server uses the time of the APPEND

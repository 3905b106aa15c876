"""The digest put straight into the owner's INBOX, unread: by IMAP APPEND, or into a Maildir.

Never twice: the INBOX is first searched for the digest's Message-ID (one per day), so a
retry after a lost connection, a restart or a second run the same day adds nothing. The
search runs on a read-only view (EXAMINE, SPEC §1 guarantee 2); the APPEND is the only write
and carries no flag, so the digest arrives unread.
"""

from __future__ import annotations

import mailbox
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from imapclient import IMAPClient

from inboxguard.backends.imap_connect import ClientFactory, close, connect, imap_errors
from inboxguard.backends.maildir import MaildirBackend
from inboxguard.config import Config, ImapAccount, MaildirAccount
from inboxguard.delivery.login import from_backend_error, imap_secret
from inboxguard.delivery.outcome import DeliveryError, DeliveryReceipt, message_id_of
from inboxguard.errors import BackendError

INBOX = "INBOX"
# A digest's own header block is a few kilobytes; sync tools add a line or two on top. Reading
# this much of each file finds it without reading whole attachments of everything else.
HEAD_BYTES = 16 * 1024


def append(
    message: EmailMessage,
    config: Config,
    *,
    environ: Mapping[str, str] | None = None,
    client_factory: ClientFactory = IMAPClient,
) -> DeliveryReceipt:
    account = _account(config)
    message_id = message_id_of(message)
    if isinstance(account, MaildirAccount):
        return _into_maildir(message, account, message_id)
    where = f"{account.name}/{INBOX}"
    secret = imap_secret(account, environ)
    client = _connect(account, secret, client_factory)
    try:
        with _errors(account, f"searching {INBOX}", secret):
            client.select_folder(INBOX, readonly=True)
            found = client.search(["HEADER", "Message-ID", message_id])
        if found:
            return DeliveryReceipt("imap-append", where, already_there=True)
        # IMAP literals are CRLF text; a bare LF message shows up mangled in some clients.
        data = message.as_bytes(policy=message.policy.clone(linesep="\r\n"))
        with _errors(account, f"appending the digest to {INBOX}", secret):
            client.append(INBOX, data, flags=(), msg_time=_date(message))
    finally:
        close(client)
    return DeliveryReceipt("imap-append", where)


def probe(
    config: Config,
    environ: Mapping[str, str] | None = None,
    *,
    client_factory: ClientFactory = IMAPClient,
) -> str:
    """Log in and open INBOX read-only (IMAP), or check the INBOX maildir is writable."""
    account = _account(config)
    if isinstance(account, MaildirAccount):
        inbox = _inbox_maildir(account)
        if not os.access(inbox / "new", os.W_OK | os.X_OK):
            message = f"account {account.name!r}: {inbox / 'new'} is not writable"
            raise DeliveryError(message, retryable=False)
        return f"imap-append: {account.name}/{INBOX} (maildir {inbox}), writable"
    secret = imap_secret(account, environ)
    client = _connect(account, secret, client_factory)
    try:
        with _errors(account, f"opening {INBOX}", secret):
            client.select_folder(INBOX, readonly=True)
    finally:
        close(client)
    server = f"{account.host}:{account.port} ({account.security})"
    return f"imap-append: {account.name}/{INBOX} at {server}, login ok"


def _account(config: Config) -> ImapAccount | MaildirAccount:
    name = config.digest.account
    for account in config.accounts:
        if account.name == name and isinstance(account, ImapAccount | MaildirAccount):
            return account
    # The configuration refuses this; guards a Config built around validation.
    raise DeliveryError(f"digest.account {name!r} is not one of the accounts", retryable=False)


def _connect(account: ImapAccount, secret: str, factory: ClientFactory) -> Any:
    try:
        client, _ = connect(account, secret, factory)
    except BackendError as exc:
        raise _failure(exc, account) from None
    return client


def _failure(error: BackendError, account: ImapAccount) -> DeliveryError:
    """The shared code's line, naming the server when the line does not already."""
    server = f"{account.host}:{account.port}"
    if server in error.message:
        return from_backend_error(error)
    return from_backend_error(error, f"account {account.name!r} at {server}")


@contextmanager
def _errors(account: ImapAccount, action: str, secret: str) -> Iterator[None]:
    """``imap_errors``, its ``BackendError`` turned into a ``DeliveryError``."""
    try:
        with imap_errors(account, action, secret):
            yield
    except BackendError as exc:
        raise _failure(exc, account) from None


def _date(message: EmailMessage) -> datetime | None:
    """The digest's Date as the INTERNALDATE, so clients sort it where it belongs."""
    try:
        return parsedate_to_datetime(str(message.get("Date", "")))
    except (TypeError, ValueError):
        return None  # the server uses the time of the APPEND


# -- Maildir ------------------------------------------------------------------------------


def _into_maildir(
    message: EmailMessage, account: MaildirAccount, message_id: str
) -> DeliveryReceipt:
    where = f"{account.name}/{INBOX}"
    inbox = _inbox_maildir(account)
    if _carries(inbox, message_id):
        return DeliveryReceipt("imap-append", where, already_there=True)
    # Maildir files are LF text; the mailbox module writes under tmp/ and then links the
    # file into new/ under a fresh unique name: readers never see half a message. No info
    # suffix, so no S flag: the digest arrives unread.
    raw = message.as_bytes(policy=message.policy.clone(linesep="\n"))
    try:
        (inbox / "tmp").mkdir(mode=0o700, exist_ok=True)  # some sync tools leave it out
        box = mailbox.Maildir(inbox, factory=None, create=False)
        entry = mailbox.MaildirMessage(raw)
        entry.set_subdir("new")
        box.add(entry)
    except OSError as exc:
        message_text = f"account {account.name!r}: cannot write into {inbox}: {exc.strerror}"
        raise DeliveryError(message_text, retryable=False) from None
    return DeliveryReceipt("imap-append", where)


def _inbox_maildir(account: MaildirAccount) -> Path:
    """INBOX of either layout, found the way the Maildir backend finds it."""
    inbox = MaildirBackend(account).path_of(INBOX)
    if not ((inbox / "cur").is_dir() and (inbox / "new").is_dir()):
        raise DeliveryError(
            f"account {account.name!r}: no INBOX maildir at {inbox} (no cur/ and new/)",
            retryable=False,
        )
    return inbox


def _carries(inbox: Path, message_id: str) -> bool:
    """Whether a message in new/ or cur/ (read already, or not) has this Message-ID."""
    needle = message_id.encode("ascii", "replace")
    parser = BytesHeaderParser(policy=compat32)
    for sub in ("new", "cur"):
        try:
            entries = os.scandir(inbox / sub)
        except OSError:
            continue
        with entries:
            for entry in entries:
                if entry.name.startswith(".") or not entry.is_file(follow_symlinks=False):
                    continue
                try:
                    with open(entry.path, "rb") as handle:  # noqa: PTH123  (a DirEntry path)
                        head = handle.read(HEAD_BYTES)
                except OSError:
                    continue  # renamed by a mail client meanwhile; it is not ours anyway
                if needle not in head:
                    continue  # most files: no parse needed
                headers = parser.parsebytes(_header_block(head))
                if str(headers.get("Message-ID", "")).strip() == message_id:
                    return True
    return False


_BLANK_LINE = re.compile(rb"\r?\n\r?\n")


def _header_block(data: bytes) -> bytes:
    match = _BLANK_LINE.search(data)
    return data[: match.end()] if match else data

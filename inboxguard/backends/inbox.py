"""The hook the digest's ``delivery = "imap-append"`` needs: a message into the INBOX, unread.

Implemented only by the backends that can (IMAP and Maildir); EWS and Graph have no
counterpart of an unflagged APPEND and do not offer it. Like the Drafts write, it is guarded
by a search for the message's Message-ID, which the caller makes first.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime
from typing import Protocol, runtime_checkable

INBOX = "INBOX"


@runtime_checkable
class InboxAppender(Protocol):
    """Used on its own, not inside ``with backend``: the digest needs the INBOX alone, and a
    maildir whose Sent folder is missing must still take it."""

    def open_inbox(self) -> AbstractContextManager[None]:
        """Ready the INBOX for the calls made inside (IMAP: log in, and log out after; a
        maildir: find its INBOX, nothing else of the layout)."""
        ...

    def probe_inbox(self) -> str:
        """Open the INBOX read-only (IMAP) or check it is writable (a maildir) and say where
        it is, for `inboxguard check`: "at imap.example.jp:993 (tls), login ok"."""
        ...

    def find_in_inbox(self, message_id: str) -> str | None:
        """Where a message with this Message-ID sits in INBOX (read or not), or None."""
        ...

    def append_to_inbox(self, raw: bytes, *, received_at: datetime | None = None) -> str:
        """Add ``raw`` to INBOX with no flag (so unread); ``received_at`` becomes its
        INTERNALDATE where the store keeps one. Returns its location ("" when unknown)."""
        ...

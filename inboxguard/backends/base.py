"""The one interface every mailbox backend offers the service.

Designed for the most constrained of them (IMAP, EWS, Graph), so a cycle costs the same
shape of work everywhere:

- ``changes`` compares a folder with its stored sync marker (UIDVALIDITY/UIDNEXT/
  HIGHESTMODSEQ, a delta link, directory mtimes) and lists what is new; an unchanged folder
  answers from one status call.
- ``fetch_headers`` returns the header block only, in batches the backend chooses.
- ``fetch_texts`` returns bounded prefixes (in batches) for keyword and promise matching;
  ``fetch_text`` one, for quoting the original in a draft.
- ``find_draft`` / ``append_draft``: the only write, guarded by a search for the
  deterministic Message-ID so a draft is never written twice.
- ``describe``: what `inboxguard check` says of the account (read-only, no FETCH).

Typed both ways: a folder's sync state travels as a ``SyncMarker`` that only the backend
that wrote it reads (the store keeps its ``encode()``d form), and a draft travels with the
message it replies to, so no backend re-parses our own bytes to find it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence, Set
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from inboxguard.domain.tracked import FolderRole


@dataclass(frozen=True, slots=True)
class Folder:
    name: str
    role: FolderRole


class SyncMarker(Protocol):
    """A folder's sync state (UIDVALIDITY/UIDNEXT/HIGHESTMODSEQ, a delta link, mtimes).

    Opaque outside its backend: the cycle stores ``encode()`` and hands the string back
    to ``changes`` next time. Equal markers encode equally.
    """

    def encode(self) -> str: ...


@dataclass(frozen=True, slots=True)
class FolderChanges:
    """What changed in a folder since ``marker`` was stored."""

    marker: SyncMarker
    new_uids: Sequence[str] = ()
    vanished_uids: Sequence[str] = ()
    # The folder's identity changed (UIDVALIDITY, a recreated maildir): every stored row
    # of the folder is stale and ``new_uids`` lists the whole look-back window.
    reset: bool = False
    # Keywords now set on messages read before (the owner flagged one `$NoReplyNeeded`
    # after we saw it): uid → every keyword it carries now.
    keyword_updates: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # The folder does not exist on the server (a Drafts folder not created yet).
    missing: bool = False

    @property
    def unchanged(self) -> bool:
        return (
            not self.new_uids
            and not self.vanished_uids
            and not self.reset
            and not self.keyword_updates
        )


@dataclass(frozen=True, slots=True)
class FetchedHeaders:
    uid: str
    header_bytes: bytes
    received_at: datetime | None
    keywords: frozenset[str] = field(default_factory=frozenset)
    provider_thread_id: str | None = None


@dataclass(frozen=True, slots=True)
class ReplyTarget:
    """The stored message a draft answers: where it lives and its Message-ID."""

    message_id: str
    folder: Folder
    uid: str
    provider_thread_id: str | None = None


@dataclass(frozen=True, slots=True)
class OutgoingDraft:
    """Our draft, ready to append: its bytes, its deterministic Message-ID, and the message
    it replies to (None: a draft that answers no stored message)."""

    message_id: str
    raw: bytes
    reply_to: ReplyTarget | None = None


class MailBackend(Protocol):
    """A connected mailbox. Used as a context manager: ``with backend: ...``."""

    account: str

    def __enter__(self) -> MailBackend: ...

    def __exit__(self, *exc_info: object) -> None: ...

    def folders(self) -> Sequence[Folder]:
        """Watched folders (INCOMING), then Sent and Drafts, resolved to real names."""
        ...

    def changes(
        self,
        folder: Folder,
        marker: str | None,
        *,
        since: datetime,
        known_uids: Callable[[], Set[str]],
    ) -> FolderChanges:
        """New and vanished messages since ``marker`` (an earlier ``FolderChanges.marker``
        encoded; None: first scan of ``since`` onward).

        ``known_uids`` is asked only by backends that must diff listings (a maildir); one
        with UIDNEXT or a delta token never pays for loading it.
        """
        ...

    def fetch_headers(self, folder: Folder, uids: Sequence[str]) -> Iterator[FetchedHeaders]: ...

    def fetch_text(self, folder: Folder, uid: str, *, max_bytes: int) -> bytes:
        """The message's first ``max_bytes`` bytes (headers and the start of the body)."""
        ...

    def fetch_texts(
        self, folder: Folder, uids: Sequence[str], *, max_bytes: int
    ) -> Iterator[tuple[str, bytes]]:
        """``fetch_text`` for many messages, in batches the backend chooses."""
        ...

    def find_draft(self, message_id: str) -> str | None:
        """Where a message with this Message-ID sits in Drafts, or None."""
        ...

    def append_draft(self, draft: OutgoingDraft) -> str:
        """Write a draft into Drafts (flagged as a draft); returns its location."""
        ...

    def describe(self, *, now: datetime, lookback: timedelta) -> list[str]:
        """Lines for `inboxguard check`: where the mailbox is, its folders and what the
        first poll would read. Reads only (no FETCH, no write)."""
        ...

"""Any IMAP server (Gmail, Microsoft 365, Fastmail, Xserver/さくら, Dovecot) through imapclient.

Read-only by construction: folders are only ever EXAMINEd and bodies fetched with BODY.PEEK,
so not even \\Seen changes. The one write is APPEND to Drafts (and the digest's APPEND to
INBOX). STORE, EXPUNGE, MOVE, COPY, CREATE, DELETE and a read-write SELECT appear nowhere in
this module. An APPEND is never sent while a folder is EXAMINEd (some servers refuse it: "NO
Current box is selected READ-ONLY"): the read-only view is left first, by UNSELECT, or by
CLOSE, which after EXAMINE expunges nothing (RFC 3501 §6.4.2).

Incremental (SPEC §13): a folder's marker is its UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ and
message count. One STATUS answers "unchanged" without selecting the folder or fetching;
otherwise a SEARCH lists UIDs from the stored UIDNEXT on, and a changed UIDVALIDITY means
the folder was recreated: a reset, rescanning the look-back window.

Kept open (``keep_open``, the long-running service): leaving the context logs nothing out,
so the next poll of an unchanged mailbox is one STATUS per folder and no LOGIN. No NOOP is
spent to check a kept connection: its first command is the check. When that command finds
the connection gone (a BYE from a restarted server, a closed or timed-out socket) the
backend logs in again and sends it once more; only read-only commands are repeated so, and
an APPEND is preceded by a NOOP instead (an APPEND that may have reached the server is never
sent twice). A connection idle longer than ``keep_open`` is logged out rather than reused:
servers drop idle sessions at 30 minutes (RFC 3501 §5.4), so 25 is a safe bound.

Without CONDSTORE (Microsoft 365, Outlook.com, Yahoo) a keyword set later changes nothing
STATUS reports: every ``keyword_rescan`` polls the FLAGS of the stored UIDs are fetched
(batched) instead. The marker then also counts the polls since that scan and keeps a digest
of the flags it saw, so a scan that finds nothing new reports nothing.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence, Set
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Any

import structlog
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientAbortError
from imapclient.imapclient import DRAFT, SEEN

from inboxguard.backends import imap_fetch
from inboxguard.backends.base import FetchedHeaders, Folder, FolderChanges, OutgoingDraft
from inboxguard.backends.imap_connect import (
    ClientFactory,
    close,
    connect,
    imap_errors,
)
from inboxguard.backends.imap_folders import (
    DRAFTS_FLAG,
    DRAFTS_NAMES,
    SENT_FLAG,
    SENT_NAMES,
    find_folder,
    listed_folders,
)
from inboxguard.backends.imap_throttle import backoff_in, throttled
from inboxguard.backends.inbox import INBOX
from inboxguard.backends.markers import (
    MISSING,
    MissingFolder,
    decode_fields,
    encode_fields,
    whole_number,
)
from inboxguard.config import ImapAccount
from inboxguard.credentials import resolve_password
from inboxguard.domain.tracked import FolderRole
from inboxguard.errors import BackendError, LoginFailedError, ThrottledError

# Only the fields the parser and the classifiers read (ENVELOPE lacks References).
HEADER_FIELDS = (
    "MESSAGE-ID IN-REPLY-TO REFERENCES FROM TO CC REPLY-TO SUBJECT DATE AUTO-SUBMITTED "
    "PRECEDENCE LIST-ID LIST-UNSUBSCRIBE RETURN-PATH X-AUTO-RESPONSE-SUPPRESS X-AUTOREPLY "
    "THREAD-INDEX CONTENT-TYPE"
)
HEADER_ITEM = f"BODY.PEEK[HEADER.FIELDS ({HEADER_FIELDS})]"
TEXT_BATCH = 50  # messages per FETCH of text prefixes

# Sent and Drafts found per account, for the life of the process: a poll then costs one
# STATUS per folder and no LIST. Forgotten when a folder is found missing.
_DISCOVERED: dict[tuple[object, ...], tuple[Folder, ...]] = {}
_APPENDUID = re.compile(rb"\[APPENDUID (\d+) (\d+)\]", re.IGNORECASE)
_MARKER_KEYS = frozenset({"uidvalidity", "uidnext", "messages", "highestmodseq"})
# Without CONDSTORE: polls since the last flags scan and a digest of the flags it saw.
_RESCAN_KEYS = _MARKER_KEYS | {"polls", "flags"}
FLAGS_BATCH = 1000  # UIDs per FETCH (FLAGS) of a flags scan

# What the login presents, for an account: the password or an OAuth2 access token.
SecretSource = Callable[[ImapAccount], str]

log = structlog.get_logger(__name__)

# What a kept connection's first command may be and be sent again on a new connection: none
# of these changes anything on the server.
_REPEATABLE = frozenset(
    {
        "capabilities",
        "fetch",
        "folder_exists",
        "folder_status",
        "get_flags",
        "list_folders",
        "noop",
        "search",
        "select_folder",
    }
)


@dataclass(frozen=True, slots=True)
class ImapMarker:
    """A folder's state from one STATUS: equal markers mean nothing was added, expunged or
    (with CONDSTORE) re-flagged; another UIDVALIDITY means the folder was recreated."""

    uidvalidity: int
    uidnext: int
    messages: int
    highestmodseq: int | None  # None: the server has no CONDSTORE
    # Without CONDSTORE only: polls since the last flags scan, and that scan's digest.
    polls: int = 0
    flags: str | None = None

    def encode(self) -> str:
        fields: dict[str, object] = {
            "uidvalidity": self.uidvalidity,
            "uidnext": self.uidnext,
            "messages": self.messages,
            "highestmodseq": self.highestmodseq,
        }
        if self.highestmodseq is None and (self.polls or self.flags is not None):
            fields |= {"polls": self.polls, "flags": self.flags}
        return encode_fields(fields)

    def same_folder_state(self, other: ImapMarker) -> bool:
        """Nothing added, expunged or (with CONDSTORE) re-flagged between the two."""
        return replace(self, polls=0, flags=None) == replace(other, polls=0, flags=None)

    @staticmethod
    def decode(text: str) -> ImapMarker | None:
        """The marker ``encode`` wrote; None for anything else (a missing folder's marker,
        another backend's, a damaged one)."""
        fields = decode_fields(text, _MARKER_KEYS) or decode_fields(text, _RESCAN_KEYS)
        if fields is None:
            return None
        polls, flags = whole_number(fields.get("polls", 0)), fields.get("flags")
        if polls is None or polls < 0 or not (flags is None or isinstance(flags, str)):
            return None
        validity, uidnext, messages = (
            whole_number(fields[key]) for key in ("uidvalidity", "uidnext", "messages")
        )
        modseq = fields["highestmodseq"]
        if validity is None or uidnext is None or messages is None:
            return None
        if modseq is not None and whole_number(modseq) is None:
            return None
        return ImapMarker(validity, uidnext, messages, modseq, polls, flags)


def login_secret(account: ImapAccount) -> str:
    """What the login presents (``auth.providers.login_secret``), imported for OAuth2
    accounts only: the providers load msal and httpx, which a password account never needs."""
    if account.auth == "oauth2":
        from inboxguard.auth import providers  # noqa: PLC0415 -- see the docstring

        return providers.login_secret(account)
    return resolve_password(account)


class ImapBackend:
    def __init__(
        self,
        config: ImapAccount,
        *,
        client_factory: ClientFactory = IMAPClient,
        secret: SecretSource = login_secret,
        keep_open: timedelta | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.account = config.name
        self._config = config
        self._factory = client_factory
        self._secret = secret
        self._client: Any = None
        self._password: str | None = None
        self._capabilities: frozenset[str] = frozenset()
        self._folders: tuple[Folder, ...] | None = None
        self._selected: str | None = None
        # PERMANENTFLAGS of the folders EXAMINEd, as the server listed them.
        self._permanent_flags: dict[str, tuple[bytes, ...]] = {}
        # Kept open between uses (None: log out on leaving the context).
        self._keep_open = keep_open.total_seconds() if keep_open is not None else None
        self._clock = clock
        self._idle_since = 0.0
        self._in_use = False
        self._release_after_use = False
        self._proven = True  # False: a kept connection no command has gone through yet
        self._guard = threading.Lock()  # the service's sweeper closes idle connections
        self.logins = 0  # connections opened (for `bench/fleet.py` and the tests)

    # -- lifecycle ------------------------------------------------------------------------

    def __enter__(self) -> ImapBackend:
        with self._guard:
            if self._in_use:
                raise BackendError(self.account, "the connection is already in use")
            self._in_use = True
            stale = self._client is not None and not self._reusable()
        try:
            if stale:
                self._logout()
            if self._client is None:
                self._open()
            else:
                # Whatever the last use left: no folder selected (it was left), and a first
                # command that checks the connection is still there; the folders as found
                # for the account (a folder found missing since is looked for again).
                self._selected, self._proven, self._folders = None, False, None
        except BaseException:
            with self._guard:
                self._in_use = False
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        failed = exc_info[0] is not None
        keep = self._keep_open is not None and not failed and not self._release_after_use
        if keep and self._client is not None:
            try:
                # An idle connection with a folder EXAMINEd would meet a stale view later.
                with self._errors("leaving the folder"):
                    self._close_view()
            except BackendError:
                keep = False
        if not keep:
            # After a failure the session's state is unknown: the next use logs in afresh.
            self._logout()
        with self._guard:
            self._idle_since = self._clock()
            self._in_use = False
            self._release_after_use = False
        self._password = None

    def _reusable(self) -> bool:
        if self._keep_open is None:
            return False
        return self._clock() - self._idle_since < self._keep_open

    def _open(self) -> None:
        """Log in (a new connection); the password, or for auth = 'oauth2' an access token
        (refreshed when near expiry), is fetched for this login only."""
        self._password = self._secret(self._config)
        self._selected, self._proven = None, True
        try:
            self._client, self._capabilities = connect(self._config, self._password, self._factory)
        except BackendError as exc:
            raise _connect_failure(exc) from None
        self.logins += 1

    def _logout(self) -> None:
        if self._client is not None:
            close(self._client)
        self._client = None
        self._folders = None
        self._selected = None

    def close_idle(self) -> bool:
        """Log out of a kept connection idle for longer than ``keep_open``; True if closed.
        A connection in use is left alone."""
        with self._guard:
            if self._in_use or self._client is None or self._reusable():
                return False
            self._in_use = True
        try:
            self._logout()
        finally:
            with self._guard:
                self._in_use = False
        return True

    def release(self) -> None:
        """Log out of a kept connection now, or when the use in progress ends."""
        with self._guard:
            if self._in_use:
                self._release_after_use = True
                return
            self._in_use = True
        try:
            self._logout()
        finally:
            with self._guard:
                self._in_use = False

    @property
    def connected(self) -> bool:
        return self._client is not None

    @property
    def capabilities(self) -> frozenset[str]:
        return self._capabilities

    @property
    def server(self) -> str:
        """Who logs in where, and how, for `check`."""
        config = self._config
        return f"{config.username} at {config.host}:{config.port} ({config.security})"

    # -- folders --------------------------------------------------------------------------

    def folders(self) -> Sequence[Folder]:
        if self._folders is None:
            self._folders = _DISCOVERED.get(self._discovery_key)
        if self._folders is None:
            with self._errors("listing folders"):
                listing = listed_folders(self._connected().list_folders())
            drafts = find_folder(
                listing,
                configured=self._config.drafts_folder,
                flag=DRAFTS_FLAG,
                well_known=DRAFTS_NAMES,
            )
            sent = find_folder(
                listing, configured=self._config.sent_folder, flag=SENT_FLAG, well_known=SENT_NAMES
            )
            if sent is None:
                raise BackendError(
                    self.account,
                    "no Sent folder found (no \\Sent special-use folder, no usual name): "
                    "set sent_folder",
                )
            folders = [Folder(name, FolderRole.INCOMING) for name in self._config.watch]
            folders.append(Folder(sent, FolderRole.SENT))
            # No Drafts folder yet: APPEND then fails with a message naming drafts_folder.
            folders.append(Folder(drafts or "Drafts", FolderRole.DRAFTS))
            self._folders = _DISCOVERED[self._discovery_key] = tuple(folders)
        return self._folders

    @property
    def _discovery_key(self) -> tuple[object, ...]:
        c = self._config
        return (c.host, c.port, c.username, c.drafts_folder, c.sent_folder, tuple(c.watch))

    # -- reading --------------------------------------------------------------------------

    def changes(
        self,
        folder: Folder,
        marker: str | None,
        *,
        since: datetime,
        known_uids: Callable[[], Set[str]],
    ) -> FolderChanges:
        stored = ImapMarker.decode(marker) if marker is not None else None
        current = self._status(folder.name)
        if current is None:
            # Renamed or deleted since it was found: look again on the next connection.
            _DISCOVERED.pop(self._discovery_key, None)
            if folder.role is FolderRole.DRAFTS:
                was_there = marker is not None and MissingFolder.decode(marker) is None
                return FolderChanges(marker=MISSING, reset=was_there, missing=True)
            raise BackendError(self.account, f"folder {folder.name!r} not found on the server")
        if stored is not None and stored.same_folder_state(current):
            if current.highestmodseq is not None:
                return FolderChanges(marker=current)  # CONDSTORE: one STATUS said it all
            # Nothing STATUS shows changed; keywords set since are seen by a flags scan.
            moved, keywords = self._flags_due(folder, stored, current, known_uids)
            return FolderChanges(marker=moved, keyword_updates=keywords)
        # A marker that is not ours to read (damaged, a missing folder's) counts as a
        # recreated folder: the window is read again and the folder's stored rows replaced.
        reset = marker is not None and (stored is None or stored.uidvalidity != current.uidvalidity)
        with self._errors(f"reading {folder.name}"):
            self._examine(folder.name, fresh=True)
            client = self._connected()
            if stored is None or reset:
                uids = client.search(["SINCE", since.date()])
                return FolderChanges(marker=current, new_uids=_strs(uids), reset=reset)
            old_next = stored.uidnext
            # SINCE: old mail moved in from an archive keeps its old INTERNALDATE and stays out
            # of the window, as on a first scan. "n:*" always matches the highest UID, even
            # one below n: filter, don't trust.
            found = client.search(["UID", f"{old_next}:*", "SINCE", since.date()])
            new = [u for u in found if u >= old_next]
            known = sorted(int(u) for u in known_uids() if u.isdigit())
            vanished: list[str] = []
            if known and known[0] < old_next:
                present = set(client.search(["UID", f"{known[0]}:{old_next - 1}"]))
                vanished = [str(u) for u in known if u < old_next and u not in present]
            if current.highestmodseq is not None:
                moved, keywords = current, self._keyword_changes(stored, current, old_next)
            else:
                moved, keywords = self._flags_due(folder, stored, current, known_uids)
        return FolderChanges(
            marker=moved, new_uids=_strs(new), vanished_uids=vanished, keyword_updates=keywords
        )

    def _flags_due(
        self,
        folder: Folder,
        stored: ImapMarker,
        current: ImapMarker,
        known_uids: Callable[[], Set[str]],
    ) -> tuple[ImapMarker, dict[str, frozenset[str]]]:
        """Without CONDSTORE: every ``keyword_rescan`` polls, the keywords of the stored
        messages read back by FETCH (FLAGS), batched; reported only when the scan's digest
        differs from the last one (the cycle then stores what differs)."""
        polls = stored.polls + 1
        if polls < self._config.keyword_rescan:
            return replace(current, polls=polls, flags=stored.flags), {}
        uids = sorted(int(u) for u in known_uids() if u.isdigit() and int(u) < stored.uidnext)
        found: dict[str, frozenset[str]] = {}
        with self._errors(f"reading flags in {folder.name}"):
            for start in range(0, len(uids), FLAGS_BATCH):
                self._examine(folder.name)
                batch = uids[start : start + FLAGS_BATCH]
                for uid, data in self._connected().fetch(batch, ["FLAGS"]).items():
                    found[str(uid)] = _keywords(data.get(b"FLAGS", ()))
        digest = _flags_digest(found)
        marker = replace(current, polls=0, flags=digest)
        return marker, (found if digest != stored.flags else {})

    def _keyword_changes(
        self, stored: ImapMarker, current: ImapMarker, old_next: int
    ) -> dict[str, frozenset[str]]:
        """Flags of known messages changed since the stored HIGHESTMODSEQ (CONDSTORE)."""
        old, now = stored.highestmodseq, current.highestmodseq
        if old is None or now is None or now <= old:
            return {}
        client = self._connected()
        changed = [u for u in client.search(["MODSEQ", str(old + 1)]) if u < old_next]
        if not changed:
            return {}
        flags = client.get_flags(changed)
        return {str(uid): _keywords(value) for uid, value in flags.items()}

    def fetch_headers(self, folder: Folder, uids: Sequence[str]) -> Iterator[FetchedHeaders]:
        items = [HEADER_ITEM, "INTERNALDATE", "FLAGS"]
        gmail = "X-GM-EXT-1" in self._capabilities
        if gmail:
            items.append("X-GM-THRID")
        pending = iter(uids)
        while batch := list(islice(pending, self._config.batch_size)):
            with self._errors(f"reading {folder.name}"):
                self._examine(folder.name)
                client = self._connected()
                numbers = [int(u) for u in batch]
                response = self._fetch(client, numbers, items)
            for uid in batch:
                data = response.get(int(uid))
                if data is None:
                    continue  # expunged between SEARCH and FETCH
                yield FetchedHeaders(
                    uid=uid,
                    header_bytes=_part(data, b"BODY[HEADER"),
                    received_at=_utc(data.get(b"INTERNALDATE")),
                    keywords=_keywords(data.get(b"FLAGS", ())),
                    provider_thread_id=_thread_id(data.get(b"X-GM-THRID")) if gmail else None,
                )

    def fetch_text(self, folder: Folder, uid: str, *, max_bytes: int) -> bytes:
        with self._errors(f"reading {folder.name}"):
            self._examine(folder.name)
            response = self._connected().fetch([int(uid)], [f"BODY.PEEK[]<0.{max_bytes}>"])
        data = response.get(int(uid))
        return _part(data, b"BODY[") if data else b""

    def fetch_texts(
        self, folder: Folder, uids: Sequence[str], *, max_bytes: int
    ) -> Iterator[tuple[str, bytes]]:
        # Prefixes are large next to header blocks: smaller batches keep one answer's
        # size (and the memory it takes) bounded.
        batch_size = max(1, min(self._config.batch_size, TEXT_BATCH))
        item = f"BODY.PEEK[]<0.{max_bytes}>"
        pending = iter(uids)
        while batch := list(islice(pending, batch_size)):
            with self._errors(f"reading {folder.name}"):
                self._examine(folder.name)
                response = self._fetch(self._connected(), [int(u) for u in batch], [item])
            for uid in batch:
                data = response.get(int(uid))
                if data is not None:
                    yield uid, _part(data, b"BODY[")

    # -- the one write --------------------------------------------------------------------

    def find_draft(self, message_id: str) -> str | None:
        drafts = self._drafts_folder()
        if self._status(drafts) is None:
            return None
        with self._errors(f"searching {drafts}"):
            self._examine(drafts, fresh=True)
            uids = self._connected().search(["HEADER", "Message-ID", message_id])
        return str(max(uids)) if uids else None

    def append_draft(self, draft: OutgoingDraft) -> str:
        # The draft's threading headers are in its bytes: IMAP needs nothing of reply_to.
        drafts = self._drafts_folder()
        with self._errors(f"writing a draft into {drafts}"):
            if self._status(drafts) is None:
                raise BackendError(
                    self.account,
                    f"Drafts folder {drafts!r} does not exist on the server: create it in your "
                    "mail client or set drafts_folder",
                )
            return self._append(drafts, draft.raw, flags=(DRAFT, SEEN))

    def _append(
        self, name: str, raw: bytes, *, flags: Sequence[bytes], when: datetime | None = None
    ) -> str:
        """APPEND, never while a folder is EXAMINEd; the new message's UID, or ""."""
        self._close_view()
        # IMAP literals are CRLF text; a bare LF message shows up mangled in some clients.
        data = re.sub(rb"\r?\n", b"\r\n", raw)
        answer = self._connected().append(name, data, flags=flags, msg_time=when)
        match = _APPENDUID.search(answer if isinstance(answer, bytes) else b"")
        return match.group(2).decode("ascii") if match else ""

    # -- check ----------------------------------------------------------------------------

    def describe(self, *, now: datetime, lookback: timedelta) -> list[str]:
        # STATUS, LIST, EXAMINE and SEARCH only (what ``changes`` sends on a first scan).
        lines = [f"imap {self.server}", f"  capabilities: {' '.join(sorted(self.capabilities))}"]
        for folder in self.folders():
            label = f"  {folder.role.value:<9} {folder.name}:"
            changes = self.changes(folder, None, since=now - lookback, known_uids=frozenset)
            if changes.missing:
                # Unlike a maildir, the server's Drafts folder is never created here (no
                # CREATE, see above): every draft would fail until the owner acts.
                raise BackendError(
                    self.account,
                    f"Drafts folder {folder.name!r} does not exist on {self._config.host}: "
                    "create it in your mail client, or set drafts_folder to an existing one",
                )
            count = len(changes.new_uids)
            lines.append(f"{label} {count} message(s) in the last {lookback.days} days")
            lines.extend(self._keyword_notes(folder))
        if "CONDSTORE" not in self.capabilities:
            every = self._config.keyword_rescan
            lines.append(
                f"  keywords: no CONDSTORE: a keyword set later ($NoReplyNeeded, $Incident) "
                f"is seen within {every} poll(s) (flags re-read every keyword_rescan = {every})"
            )
        return lines

    def _keyword_notes(self, folder: Folder) -> list[str]:
        """A watched folder where the owner cannot set $NoReplyNeeded: its PERMANENTFLAGS list
        flags but no ``\\*`` (Microsoft 365). The list comes from EXAMINE (a read-write SELECT
        is never sent), where many servers (Dovecot) answer an empty one, since a read-only
        view keeps nothing: that says nothing of the folder, nor does a missing list."""
        permanent = self._permanent_flags.get(folder.name)
        if folder.role is not FolderRole.INCOMING or not permanent or b"\\*" in permanent:
            return []
        return [
            f"  keywords: {folder.name} takes no custom keywords (no \\* in PERMANENTFLAGS): "
            "$NoReplyNeeded and $Incident cannot be set there; use `inboxguard mark` "
            '(on Microsoft 365, kind = "graph", whose categories work)'
        ]

    # -- the digest's INBOX (backends.inbox.InboxAppender) -------------------------------

    @contextmanager
    def open_inbox(self) -> Iterator[None]:
        with self:
            yield

    def probe_inbox(self) -> str:
        with self._errors(f"opening {INBOX}"):
            self._examine(INBOX, fresh=True)
        config = self._config
        return f"at {config.host}:{config.port} ({config.security}), login ok"

    def find_in_inbox(self, message_id: str) -> str | None:
        with self._errors(f"searching {INBOX}"):
            self._examine(INBOX, fresh=True)
            uids = self._connected().search(["HEADER", "Message-ID", message_id])
        return str(max(uids)) if uids else None

    def append_to_inbox(self, raw: bytes, *, received_at: datetime | None = None) -> str:
        with self._errors(f"appending the digest to {INBOX}"):
            # No flag at all: the digest arrives unread.
            return self._append(INBOX, raw, flags=(), when=received_at)

    # -- helpers --------------------------------------------------------------------------

    def _connected(self) -> Any:
        if self._client is None:
            raise BackendError(self.account, "not connected (use the backend as a context manager)")
        return self._client if self._proven else _FirstCommand(self)

    def _fetch(self, client: Any, uids: list[int], items: Sequence[str]) -> Any:
        """A bulk FETCH of one section: read by ``imap_fetch`` (imapclient's parser is most
        of a first scan's client time), but a kept connection's unchecked first command."""
        if self._proven:
            return imap_fetch.fetch(client, uids, items)
        return client.fetch(uids, items)

    def _first_command(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """A kept connection's first command: sent once more on a new connection when it
        finds the old one gone. A command that changes something is preceded by a NOOP
        instead, which alone is repeated."""
        if name not in _REPEATABLE:
            self._first_command("noop", (), {})
            return getattr(self._client, name)(*args, **kwargs)
        try:
            answer = getattr(self._client, name)(*args, **kwargs)
        except (IMAPClientAbortError, OSError) as exc:  # BYE, EOF, reset, timeout
            log.info("kept IMAP connection lost; logging in again", account=self.account)
            log.debug("kept IMAP connection lost", account=self.account, error=str(exc)[:200])
            self._logout()
            self._open()
            answer = getattr(self._client, name)(*args, **kwargs)
        self._proven = True
        return answer

    @contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        """Failures as ``BackendError``; a server asking us to slow down as ``ThrottledError``."""
        try:
            with imap_errors(self._config, action, self._password):
                yield
        except BackendError as exc:
            slow_down = throttled(exc)
            if slow_down is None or slow_down is exc:
                raise
            raise slow_down from None

    def _drafts_folder(self) -> str:
        return next(f.name for f in self.folders() if f.role is FolderRole.DRAFTS)

    def _status(self, name: str) -> ImapMarker | None:
        """The folder's marker from one STATUS (no SELECT), or None when it does not exist."""
        items = ["UIDVALIDITY", "UIDNEXT", "MESSAGES"]
        condstore = "CONDSTORE" in self._capabilities
        if condstore:
            items.append("HIGHESTMODSEQ")
        try:
            with self._errors(f"reading {name}"):
                if self._selected == name:
                    self._close_view()  # STATUS of the open folder may answer from a stale view
                status = self._connected().folder_status(name, items)
        except BackendError:
            if self._exists(name):
                raise
            return None
        return ImapMarker(
            uidvalidity=int(status[b"UIDVALIDITY"]),
            uidnext=int(status[b"UIDNEXT"]),
            messages=int(status[b"MESSAGES"]),
            highestmodseq=int(status[b"HIGHESTMODSEQ"]) if condstore else None,
        )

    def _exists(self, name: str) -> bool:
        with self._errors("listing folders"):
            return bool(self._connected().folder_exists(name))

    def _close_view(self) -> None:
        """Leave the EXAMINEd folder, if one is open: UNSELECT (RFC 3691) where offered, else
        CLOSE. Every selection here is read-only (``_examine``), and CLOSE of a read-only
        mailbox expunges nothing (RFC 3501 §6.4.2). NOOP would not do: the folder stays
        selected, and STATUS or APPEND would meet the stale or read-only view."""
        if self._selected is None:
            return
        client = self._connected()
        if "UNSELECT" in self._capabilities:
            client.unselect_folder()
        else:
            client.close_folder()
        self._selected = None  # only once the server said so: a failed attempt is retried

    def _examine(self, name: str, *, fresh: bool = False) -> None:
        """EXAMINE (read-only SELECT); repeated only when asked or another folder is open."""
        if fresh or self._selected != name:
            self._selected = None
            answer = self._connected().select_folder(name, readonly=True)
            self._selected = name
            if isinstance(answer, dict) and b"PERMANENTFLAGS" in answer:
                self._permanent_flags[name] = tuple(answer[b"PERMANENTFLAGS"])


class _FirstCommand:
    """The client of a kept connection until one command has gone through on it."""

    def __init__(self, backend: ImapBackend) -> None:
        self._backend = backend

    def __getattr__(self, name: str) -> Callable[..., Any]:
        def command(*args: Any, **kwargs: Any) -> Any:
            return self._backend._first_command(name, args, kwargs)

        return command


def _connect_failure(error: BackendError) -> BackendError:
    """A refused login as ``LoginFailedError`` (or ``ThrottledError`` when the refusal asked
    us to wait); other failures to connect as they are, throttling answers classified.

    The login message never repeats the server's words (they may echo what was sent); only a
    backoff figure is read from them.
    """
    if not isinstance(error, LoginFailedError):
        return throttled(error) or error
    delay = backoff_in(str(error.__context__ or ""))
    if delay is not None:
        message = "login refused for now: the server asks us to wait"
        return ThrottledError(error.account, message, delay)
    return error


def _flags_digest(found: Mapping[str, frozenset[str]]) -> str:
    """A short digest of which message carries which keywords (a flags scan's result)."""
    text = "\n".join(f"{uid} {' '.join(sorted(found[uid]))}" for uid in sorted(found, key=int))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _strs(uids: Sequence[int]) -> list[str]:
    return [str(u) for u in sorted(uids)]


def _part(data: Mapping[bytes, Any], prefix: bytes) -> bytes:
    """A body section from a FETCH answer, whatever exact key the server echoed back."""
    for key, value in data.items():
        if isinstance(key, bytes) and key.upper().startswith(prefix) and value is not None:
            return bytes(value)
    return b""


def _utc(value: object) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is None:  # the server sent no zone; IMAP dates are UTC-based then
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _keywords(flags: Sequence[bytes]) -> frozenset[str]:
    """User keywords such as ``$NoReplyNeeded``; system flags start with a backslash."""
    return frozenset(
        f.decode("utf-8", errors="replace")
        for f in flags
        if isinstance(f, bytes) and not f.startswith(b"\\")
    )


def _thread_id(value: object) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("ascii", errors="replace")
    return str(value) if isinstance(value, int | str) and value else None

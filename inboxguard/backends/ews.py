"""Exchange Server on-premises (and Microsoft 365 tenants that still allow EWS) through
exchangelib.

Read-only by construction: items are read with ``SyncFolderItems``, ``GetItem`` and
``FindItem`` only. The one write is ``CreateItem`` with ``MessageDisposition="SaveOnly"``
into Drafts, carrying the core's complete RFC 5322 draft as MIME content (so it keeps our
deterministic Message-ID) and ``PidTagMessageFlags`` = read | unsent, without which Exchange
files a MIME item as a received message instead of a draft. UpdateItem, MoveItem,
DeleteItem, SendItem and MarkAsRead appear nowhere in this module.

Incremental (SPEC §13): a folder's marker is its EWS sync state. An unchanged folder costs one
``SyncFolderItems`` answering "no changes"; new items cost one ``GetItem`` per batch for the
header fields. The first sync lists the whole folder (that is what ``SyncFolderItems`` does);
items received before the look-back window are skipped, never fetched. A sync state the
server no longer accepts (``ErrorInvalidSyncStateData``), or a stored marker that is not an
EWS sync state, means a full resync of the window, reported as a reset; the drafts ledger in
the store keeps that from writing a draft twice.

Retry policy: exchangelib's ``FailFast``, deliberately. ``FaultTolerance`` sleeps inside the
call for up to an hour on ``ErrorServerBusy`` and treats HTTP 401 as "busy"; here a throttled
answer becomes ``ThrottledError`` carrying the server's ``BackOffMilliseconds``, so the
service parks this account until then and goes on with the others, and a refused login is
reported as one at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence, Set
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Any

import requests
import structlog
from exchangelib import (
    BASIC,
    DELEGATE,
    NTLM,
    OAUTH2,
    Account,
    Configuration,
    Credentials,
    ExtendedProperty,
    FailFast,
    HTMLBody,
    Message,
)
from exchangelib import UTC as EWS_UTC
from exchangelib import errors as ews
from exchangelib.folders import Drafts, Inbox, SentItems
from exchangelib.properties import ItemId
from exchangelib.protocol import BaseProtocol, close_connections
from exchangelib.version import EXCHANGE_2013

from inboxguard.auth.msal_cache import AUTHORITY_BASE
from inboxguard.backends.base import FetchedHeaders, Folder, FolderChanges, OutgoingDraft
from inboxguard.backends.ews_errors import ews_errors
from inboxguard.backends.ews_headers import MIME_FIELDS, header_block
from inboxguard.backends.ews_oauth import credentials as oauth_credentials
from inboxguard.backends.markers import decode_fields, encode_fields
from inboxguard.config import EwsAccount
from inboxguard.credentials import resolve_ews_password
from inboxguard.domain.incident_protocol import INCIDENT_KEYWORD
from inboxguard.domain.reply_clock import NO_REPLY_KEYWORD
from inboxguard.domain.tracked import FolderRole
from inboxguard.errors import BackendError, ThrottledError
from inboxguard.parse import parse_message

log = structlog.get_logger(__name__)

BATCH = 100  # items per GetItem
SYNC_PAGE = 512  # changes per SyncFolderItems (the most EWS returns in one answer)
SYNC_FIELDS = ("datetime_received", "categories")
HEADER_FIELDS = (
    "headers",
    "message_id",
    "in_reply_to",
    "references",
    "author",
    "to_recipients",
    "cc_recipients",
    "subject",
    "datetime_sent",
    "datetime_received",
    "conversation_id",
    "categories",
)
AUTH_TYPES = {"ntlm": NTLM, "basic": BASIC, "oauth2": OAUTH2}
# PidTagMessageFlags: MSGFLAG_READ | MSGFLAG_UNSENT. Only settable when the item is created.
DRAFT_FLAGS = 0x1 | 0x8
FLAGS_FIELD = "inboxguard_message_flags"
# The owner's categories that mean what the IMAP keywords mean.
_CATEGORY_KEYWORDS = {k.lstrip("$").lower(): k for k in (NO_REPLY_KEYWORD, INCIDENT_KEYWORD)}


class MessageFlags(ExtendedProperty):  # type: ignore[misc]  # exchangelib has no type hints
    property_tag = 0x0E07
    property_type = "Integer"


if FLAGS_FIELD not in {f.name for f in Message.FIELDS}:
    Message.register(FLAGS_FIELD, MessageFlags)


@dataclass(frozen=True, slots=True)
class EwsMarker:
    """The folder's ``SyncFolderItems`` state: handed back, it lists what changed since."""

    sync_state: str

    def encode(self) -> str:
        return encode_fields({"sync_state": self.sync_state})

    @staticmethod
    def decode(text: str) -> EwsMarker | None:
        """The marker ``encode`` wrote; None for anything else."""
        fields = decode_fields(text, frozenset({"sync_state"}))
        state = fields["sync_state"] if fields is not None else None
        return EwsMarker(state) if isinstance(state, str) and state else None


@dataclass
class _Connection:
    """An exchangelib account with its folders resolved: kept for the life of the process,
    so a poll costs one SyncFolderItems per folder and nothing else."""

    account: Any
    folders: dict[str, Any]  # our folder name → exchangelib folder
    listing: tuple[Folder, ...]


# Per configuration; forgotten when a request fails in a way a new connection might cure.
_CONNECTIONS: dict[tuple[object, ...], _Connection] = {}
_CA_FILES: dict[str, str] = {}
_ORIGIN = re.compile(r"^(https?://[^/]+)", re.IGNORECASE)


def forget_connections() -> None:
    """Drop every kept connection and exchangelib's protocol cache (a process restart)."""
    _CONNECTIONS.clear()
    close_connections()


class EwsBackend:
    def __init__(
        self,
        config: EwsAccount,
        *,
        environ: Mapping[str, str] | None = None,
        oauth_authority: str = AUTHORITY_BASE,
    ) -> None:
        self.account = config.name
        self._config = config
        self._environ = environ
        self._authority = oauth_authority
        self._connection: _Connection | None = None

    # -- lifecycle ------------------------------------------------------------------------

    def __enter__(self) -> EwsBackend:
        self._connection = _CONNECTIONS.get(self._key)
        if self._connection is None:
            self._connection = self._connect()
            _CONNECTIONS[self._key] = self._connection
        return self

    def __exit__(self, *exc_info: object) -> None:
        error = exc_info[1] if len(exc_info) > 1 else None
        if isinstance(error, BaseException) and not isinstance(error, ThrottledError):
            # A failure a fresh start may cure (a rotated password, a moved folder).
            _CONNECTIONS.pop(self._key, None)
        self._connection = None

    @property
    def _key(self) -> tuple[object, ...]:
        c = self._config
        return (c.name, c.service_endpoint, c.primary_smtp_address, c.auth, c.username)

    @property
    def server(self) -> str:
        c = self._config
        who = c.username or c.primary_smtp_address
        return f"{who} at {c.service_endpoint} ({c.auth})"

    def _connect(self) -> _Connection:
        c = self._config
        if c.ca_file is not None:
            _trust(c.service_endpoint, str(c.ca_file))
        if c.auth == "oauth2":
            creds: Any = oauth_credentials(c, authority=self._authority, environ=self._environ)
        else:
            username = c.username or c.primary_smtp_address
            creds = Credentials(username, resolve_ews_password(c, self._environ))
        with self._errors("connecting"):
            configuration = Configuration(
                service_endpoint=c.service_endpoint,
                credentials=creds,
                auth_type=AUTH_TYPES[c.auth],
                retry_policy=FailFast(),
            )
            account = Account(
                primary_smtp_address=c.primary_smtp_address,
                config=configuration,
                autodiscover=False,
                access_type=DELEGATE,
                default_timezone=EWS_UTC,
            )
            account.protocol.TIMEOUT = c.timeout
            folders: dict[str, Any] = {}
            listing: list[Folder] = []
            for name in c.watch:
                if name.lower() != "inbox":
                    raise BackendError(
                        self.account,
                        f"watch: {name!r} is not supported with EWS; only the Inbox is watched "
                        "(by its distinguished id)",
                    )
                folders[name] = account.root.get_default_folder(Inbox)
                listing.append(Folder(name, FolderRole.INCOMING))
            folders["Sent Items"] = account.root.get_default_folder(SentItems)
            listing.append(Folder("Sent Items", FolderRole.SENT))
            folders["Drafts"] = account.root.get_default_folder(Drafts)
            listing.append(Folder("Drafts", FolderRole.DRAFTS))
        return _Connection(account, folders, tuple(listing))

    # -- folders --------------------------------------------------------------------------

    def folders(self) -> Sequence[Folder]:
        return self._connected().listing

    def describe(self, *, now: datetime, lookback: timedelta) -> list[str]:
        """The server and its version, each folder's size and what a first poll would read
        of it (GetFolder and FindItem only)."""
        connection = self._connected()
        account = connection.account
        since = now - lookback
        with self._errors("reading folder counts"):
            version = account.version
            lines = [f"ews {self.server}, {version.fullname} (build {version.build})"]
            for folder in connection.listing:
                ews_folder = connection.folders[folder.name]
                ews_folder.refresh()
                line = f"  {folder.role.value:<9} {folder.name}: {ews_folder.total_count} item(s)"
                if folder.role is not FolderRole.DRAFTS:  # drafts are never "received"
                    recent = ews_folder.filter(datetime_received__gte=since).count()
                    line += f", {recent} message(s) in the last {lookback.days} days"
                lines.append(line)
        return lines

    # -- reading --------------------------------------------------------------------------

    def changes(
        self,
        folder: Folder,
        marker: str | None,
        *,
        since: datetime,
        known_uids: Callable[[], Set[str]],
    ) -> FolderChanges:
        ews_folder = self._folder(folder)
        stored = EwsMarker.decode(marker) if marker is not None else None
        state = stored.sync_state if stored is not None else None
        # A marker that is not a sync state (damaged, another backend's): start over cleanly.
        reset = marker is not None and stored is None
        with self._errors(f"syncing {folder.name}"):
            try:
                sync = _sync(ews_folder, state)
            except ews.ErrorInvalidSyncStateData:
                # Expired or from another server: read the window again, as on a first start.
                log.warning("sync state refused; full resync", account=self.account)
                sync = _sync(ews_folder, None)
                reset = state is not None
        new_marker = EwsMarker(sync.state)
        if state is not None and sync.state == state and not sync.any:
            return FolderChanges(marker=new_marker)
        new = [uid for uid, received in sync.created if received is None or received >= since]
        keywords: dict[str, frozenset[str]] = {}
        if sync.updated:
            known = known_uids()
            keywords = {uid: kw for uid, kw in sync.updated.items() if uid in known}
        return FolderChanges(
            marker=new_marker,
            new_uids=new,
            vanished_uids=sorted(sync.deleted),
            reset=reset,
            keyword_updates=keywords,
        )

    def fetch_headers(self, folder: Folder, uids: Sequence[str]) -> Iterator[FetchedHeaders]:
        for item in self._fetch(folder, uids, HEADER_FIELDS):
            conversation = getattr(item, "conversation_id", None)
            yield FetchedHeaders(
                uid=item.id,
                header_bytes=header_block(item),
                received_at=_utc(item.datetime_received),
                keywords=_keywords(item.categories),
                provider_thread_id=getattr(conversation, "id", None) or None,
            )

    def fetch_text(self, folder: Folder, uid: str, *, max_bytes: int) -> bytes:
        return next((raw for _, raw in self.fetch_texts(folder, [uid], max_bytes=max_bytes)), b"")

    def fetch_texts(
        self, folder: Folder, uids: Sequence[str], *, max_bytes: int
    ) -> Iterator[tuple[str, bytes]]:
        """Header block and the start of the plain text: a text/plain UTF-8 message, never
        the MIME content (attachments would come with it)."""
        account = self._connected().account
        modern = account.version.build >= EXCHANGE_2013
        body_field = "text_body" if modern else "body"
        for item in self._fetch(folder, uids, (*HEADER_FIELDS, body_field)):
            yield item.id, _text_message(item, body_field)[:max_bytes]

    def _fetch(self, folder: Folder, uids: Sequence[str], fields: Sequence[str]) -> Iterator[Any]:
        connection = self._connected()
        ews_folder = self._folder(folder)
        pending = iter(uids)
        while batch := list(islice(pending, BATCH)):
            with self._errors(f"reading {folder.name}"):
                items = list(
                    connection.account.fetch(
                        ids=[ItemId(id=uid) for uid in batch],
                        folder=ews_folder,
                        only_fields=list(fields),
                        chunk_size=BATCH,
                    )
                )
            for item in items:
                if isinstance(item, ews.ErrorItemNotFound):
                    continue  # deleted between the sync and this read
                if isinstance(item, Exception):
                    with self._errors(f"reading {folder.name}"):
                        raise item
                yield item

    # -- the one write --------------------------------------------------------------------

    def find_draft(self, message_id: str) -> str | None:
        drafts = self._drafts()
        with self._errors("searching Drafts"):
            for item in drafts.filter(message_id=message_id).only("message_id"):
                if isinstance(item, Exception):
                    raise item
                return str(item.id)
        return None

    def append_draft(self, draft: OutgoingDraft) -> str:
        # The whole draft goes in as MIME, its In-Reply-To and References with it, so
        # Exchange threads it as it would any reply: nothing of ``reply_to`` is needed.
        drafts = self._drafts()
        # MIME content is CRLF text, like an IMAP literal.
        data = re.sub(rb"\r?\n", b"\r\n", draft.raw)
        with self._errors("saving a draft into Drafts"):
            item = Message(account=self._connected().account, folder=drafts, mime_content=data)
            item.is_read = True
            setattr(item, FLAGS_FIELD, DRAFT_FLAGS)
            item.save()  # CreateItem, MessageDisposition="SaveOnly", SavedItemFolderId=drafts
        return str(item.id or "")

    # -- helpers --------------------------------------------------------------------------

    def _connected(self) -> _Connection:
        if self._connection is None:
            raise BackendError(self.account, "not connected (use the backend as a context manager)")
        return self._connection

    def _folder(self, folder: Folder) -> Any:
        try:
            return self._connected().folders[folder.name]
        except KeyError:
            raise BackendError(self.account, f"folder {folder.name!r} is not watched") from None

    def _drafts(self) -> Any:
        return self._connected().folders["Drafts"]

    def _errors(self, action: str) -> Any:
        return ews_errors(self.account, self._config.service_endpoint, action)


@dataclass
class _Sync:
    state: str
    created: list[tuple[str, datetime | None]]
    updated: dict[str, frozenset[str]]
    deleted: set[str]

    @property
    def any(self) -> bool:
        return bool(self.created or self.updated or self.deleted)


def _sync(folder: Any, state: str | None) -> _Sync:
    """Every change since ``state`` (None: the whole folder), all pages of it."""
    created: dict[str, datetime | None] = {}
    updated: dict[str, frozenset[str]] = {}
    deleted: set[str] = set()
    folder.item_sync_state = state
    changes = folder.sync_items(
        sync_state=state, only_fields=list(SYNC_FIELDS), max_changes_returned=SYNC_PAGE
    )
    for change in changes:
        if isinstance(change, Exception):
            raise change
        kind, item = change
        if kind == "create":
            created[item.id] = _utc(item.datetime_received)
            deleted.discard(item.id)
        elif kind == "update":
            updated[item.id] = _keywords(item.categories)
        elif kind == "delete":
            deleted.add(item.id)
            created.pop(item.id, None)
            updated.pop(item.id, None)
        # read_flag_change: the owner read a mail; nothing InboxGuard tracks.
    new_state = folder.item_sync_state
    if not new_state:
        raise ews.TransportError("SyncFolderItems answered without a sync state")
    return _Sync(str(new_state), list(created.items()), updated, deleted)


def _text_message(item: Any, body_field: str) -> bytes:
    """The item as a small text/plain message the parser reads for keywords and quoting."""
    block = header_block(item, drop=MIME_FIELDS)
    if not item.message_id:
        # Quote and match against the same id the header read synthesised for it.
        synthesized = parse_message(header_block(item)).message_id
        block = f"Message-ID: {synthesized}\r\n".encode() + block
    body = getattr(item, body_field, None) or ""
    subtype = "html" if isinstance(body, HTMLBody) else "plain"
    mime = (
        f"MIME-Version: 1.0\r\nContent-Type: text/{subtype}; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n"
    ).encode()
    return block[:-2] + mime + b"\r\n" + str(body).encode("utf-8", errors="replace")


def _keywords(categories: Sequence[str] | None) -> frozenset[str]:
    """Outlook categories as keywords; "NoReplyNeeded" and "Incident" as ours."""
    found = set()
    for category in categories or ():
        found.add(category)
        if (ours := _CATEGORY_KEYWORDS.get(category.lstrip("$").lower())) is not None:
            found.add(ours)
    return frozenset(found)


def _utc(value: object) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return datetime.fromtimestamp(value.timestamp(), tz=UTC)


class _TrustingAdapter(requests.adapters.HTTPAdapter):
    """Verifies an endpoint's certificate against the account's ``ca_file`` (a private CA of
    an on-premises Exchange), everything else against the system store as before."""

    def send(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        match = _ORIGIN.match(str(request.url or ""))
        ca_file = _CA_FILES.get(match.group(1).lower()) if match else None
        # requests puts the system bundle ($REQUESTS_CA_BUNDLE) here; the account's CA wins.
        if ca_file is not None and kwargs.get("verify", True) is not False:
            kwargs["verify"] = ca_file
        return super().send(request, *args, **kwargs)


def _trust(endpoint: str, ca_file: str) -> None:
    match = _ORIGIN.match(endpoint)
    if match is not None:
        _CA_FILES[match.group(1).lower()] = ca_file


# exchangelib builds every session's adapter from this class attribute, and keeps sessions
# across accounts: installed once, it changes nothing for endpoints without a ca_file.
if BaseProtocol.HTTP_ADAPTER_CLS is requests.adapters.HTTPAdapter:
    BaseProtocol.HTTP_ADAPTER_CLS = _TrustingAdapter

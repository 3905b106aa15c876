"""Microsoft 365 through Microsoft Graph: REST over httpx, consent through msal.

Incremental (SPEC §13): a folder's marker is the ``@odata.deltaLink`` of its
``mailFolders/{folder}/messages/delta``. An unchanged folder costs one GET of that link,
answered with no items. The first scan asks delta for the look-back window only
(``$filter=receivedDateTime ge …``, the one filter messages delta takes) and, like every
round, only the fields the header block needs (``$select``). A delta link Graph no longer
knows (410, ``SyncStateNotFound``) starts the window over: a reset, as after an IMAP
UIDVALIDITY change, and no draft is written twice (drafts are recorded and found by id).

Read-only apart from drafts: the only writes are ``createReply`` on the message a draft
answers (``OutgoingDraft.reply_to``: the id it was read under, else found again by its
Message-ID), a ``PATCH`` of that new draft, and — when the original is gone, or the draft
answers none — ``POST /messages`` of a new draft. Nothing is sent, moved, deleted or marked
read.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence, Set
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx

from inboxguard.auth import graph as graph_auth
from inboxguard.backends.base import (
    FetchedHeaders,
    Folder,
    FolderChanges,
    OutgoingDraft,
    ReplyTarget,
)
from inboxguard.backends.graph_headers import (
    BASE_FIELDS,
    INCOMING_FIELDS,
    categories,
    draft_fields,
    graph_time,
    header_block,
    parse_time,
)
from inboxguard.backends.graph_http import (
    GRAPH_ENDPOINT,
    DeltaExpiredError,
    GraphNotFoundError,
    GraphSession,
    Sleep,
)
from inboxguard.backends.markers import decode_fields, encode_fields
from inboxguard.config import GraphAccount
from inboxguard.domain.tracked import FolderRole
from inboxguard.errors import BackendError

SENT = "sentitems"
DRAFTS = "drafts"
# Graph's well-known folder names (used as they are in ``mailFolders/{name}``).
WELL_KNOWN = frozenset(
    {"inbox", "archive", "junkemail", "deleteditems", "sentitems", "drafts", "outbox"}
)
# Where our Message-ID is kept on a draft: a named string property in InboxGuard's own
# property set. ``find_draft`` looks drafts up by it.
MESSAGE_ID_PROPERTY = "String {6f1d2c4e-8b0a-4e57-9a43-1c5b7e0d9f21} Name InboxGuardMessageId"

Token = Callable[[], str]


@dataclass(frozen=True, slots=True)
class GraphMarker:
    """The folder's ``@odata.deltaLink``: GET it to learn what changed since."""

    delta: str

    def encode(self) -> str:
        return encode_fields({"delta": self.delta})

    @staticmethod
    def decode(text: str) -> GraphMarker | None:
        """The marker ``encode`` wrote; None for anything else."""
        fields = decode_fields(text, frozenset({"delta"}))
        link = fields["delta"] if fields is not None else None
        return GraphMarker(link) if isinstance(link, str) and link else None


class GraphBackend:
    def __init__(
        self,
        config: GraphAccount,
        *,
        client: httpx.Client | None = None,
        token: Token | None = None,
        sleep: Sleep | None = None,
    ) -> None:
        self.account = config.name
        self._config = config
        self._given_client = client
        self._token = token
        self._sleep = sleep
        self._client: httpx.Client | None = None
        self._session: GraphSession | None = None
        self._folder_paths: dict[str, str] = {}
        self._drafts_id: str | None = None
        # Items delta already returned, kept until ``fetch_headers`` turns them into header
        # blocks: the fields came with the listing, so reading them costs no request.
        self._listed: dict[tuple[str, str], dict[str, Any]] = {}

    # -- lifecycle ------------------------------------------------------------------------

    def __enter__(self) -> GraphBackend:
        token = self._token() if self._token is not None else graph_auth.access_token(self._config)
        client = self._given_client or httpx.Client(timeout=self._config.timeout)
        self._client = client
        self._session = GraphSession(self.account, client, token, sleep=self._sleep or time.sleep)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._client is not None and self._client is not self._given_client:
            self._client.close()
        self._client = None
        self._session = None
        self._listed.clear()

    @property
    def base_url(self) -> str:
        """The mailbox's root: ``…/v1.0/me`` or ``…/v1.0/users/{address}``."""
        endpoint = (self._config.graph_endpoint or GRAPH_ENDPOINT).rstrip("/")
        user = self._config.user
        return f"{endpoint}/me" if user == "me" else f"{endpoint}/users/{quote(user, safe='@')}"

    @property
    def server(self) -> str:
        endpoint = self._config.graph_endpoint or GRAPH_ENDPOINT
        return f"{self._config.user} at {endpoint} (tenant {self._config.oauth_tenant})"

    # -- folders --------------------------------------------------------------------------

    def folders(self) -> Sequence[Folder]:
        folders = [Folder(name, FolderRole.INCOMING) for name in self._config.watch]
        folders.append(Folder(SENT, FolderRole.SENT))
        folders.append(Folder(DRAFTS, FolderRole.DRAFTS))
        return folders

    def _folder_url(self, name: str) -> str:
        """``mailFolders/{name}``: a well-known name or folder id as it is; a display name
        (a top-level folder such as "Clients") looked up once."""
        path = self._folder_paths.get(name)
        if path is None:
            path = name if name.lower() in WELL_KNOWN else self._folder_by_name(name)
            self._folder_paths[name] = path
        return f"{self.base_url}/mailFolders/{quote(path, safe='')}"

    def _folder_by_name(self, name: str) -> str:
        escaped = name.replace("'", "''")
        listing = self._http().json(
            "GET",
            f"{self.base_url}/mailFolders",
            params={"$filter": f"displayName eq '{escaped}'", "$select": "id,displayName"},
        )
        for folder in _values(listing):
            if isinstance(folder.get("id"), str):
                return str(folder["id"])
        raise BackendError(
            self.account,
            f"folder {name!r} not found (watch takes a well-known name such as 'inbox', a "
            "folder id, or the name of a top-level folder)",
        )

    # -- reading --------------------------------------------------------------------------

    def changes(
        self,
        folder: Folder,
        marker: str | None,
        *,
        since: datetime,
        known_uids: Callable[[], Set[str]],
    ) -> FolderChanges:
        stored = GraphMarker.decode(marker) if marker is not None else None
        reset = False
        if stored is not None:
            try:
                items, new_link = self._delta_round(folder, stored.delta)
            except DeltaExpiredError:
                # The token is gone (Graph keeps them for days, not forever): read the
                # window again. Stored rows are replaced; drafts are not written again.
                reset = True
                items, new_link = self._delta_round(folder, None, since=since)
        else:
            reset = marker is not None  # a marker from something else: start over cleanly
            items, new_link = self._delta_round(folder, None, since=since)
        new_marker = GraphMarker(new_link)
        removed = [str(i["id"]) for i in items if "@removed" in i and isinstance(i.get("id"), str)]
        present = [i for i in items if "@removed" not in i and isinstance(i.get("id"), str)]
        if not present and not removed and not reset:
            return FolderChanges(marker=new_marker)
        known: Set[str] = frozenset() if marker is None or reset or not present else known_uids()
        new_uids: list[str] = []
        keyword_updates: dict[str, frozenset[str]] = {}
        for item in present:
            uid = str(item["id"])
            if uid in known:
                # Delta reports a message again when anything on it changed: a category the
                # owner set (our keywords), or just being read.
                keyword_updates[uid] = categories(item)
            elif uid not in new_uids:
                new_uids.append(uid)
                self._listed[(folder.name, uid)] = item
        present_ids = {str(i["id"]) for i in present}
        vanished = [uid for uid in dict.fromkeys(removed) if uid not in present_ids]
        return FolderChanges(
            marker=new_marker,
            new_uids=new_uids,
            vanished_uids=[] if reset else vanished,
            reset=reset,
            keyword_updates=keyword_updates,
        )

    def _delta_round(
        self, folder: Folder, link: str | None, *, since: datetime | None = None
    ) -> tuple[list[dict[str, Any]], str]:
        """Follow ``@odata.nextLink`` to the ``@odata.deltaLink``: (items, delta link)."""
        prefer = f"odata.maxpagesize={self._config.page_size}"
        if link is None:
            fields = INCOMING_FIELDS if folder.role is FolderRole.INCOMING else BASE_FIELDS
            first = {"$select": ",".join(fields)}
            if since is not None:
                first["$filter"] = f"receivedDateTime ge {graph_time(since)}"
            params: dict[str, str] | None = first
            url = f"{self._folder_url(folder.name)}/messages/delta"
        else:
            params, url = None, link  # the link carries $select and $filter itself
        items: list[dict[str, Any]] = []
        while True:
            page = self._http().json("GET", url, params=params, prefer=prefer)
            items.extend(_values(page))
            next_link = page.get("@odata.nextLink")
            if isinstance(next_link, str):
                url, params = next_link, None
                continue
            delta_link = page.get("@odata.deltaLink")
            if not isinstance(delta_link, str):
                raise BackendError(
                    self.account, f"delta of {folder.name} ended without an @odata.deltaLink"
                )
            return items, delta_link

    def fetch_headers(self, folder: Folder, uids: Sequence[str]) -> Iterator[FetchedHeaders]:
        fields = INCOMING_FIELDS if folder.role is FolderRole.INCOMING else BASE_FIELDS
        for uid in uids:
            item = self._listed.pop((folder.name, uid), None)
            if item is None:  # not from this connection's delta: ask for it alone
                try:
                    item = self._http().json(
                        "GET", self._message_url(uid), params={"$select": ",".join(fields)}
                    )
                except GraphNotFoundError:
                    continue  # deleted between listing and reading
            yield FetchedHeaders(
                uid=uid,
                header_bytes=header_block(item),
                received_at=parse_time(item.get("receivedDateTime")),
                keywords=categories(item),
                provider_thread_id=_str(item.get("conversationId")),
            )

    def fetch_text(self, folder: Folder, uid: str, *, max_bytes: int) -> bytes:
        try:
            return self._http().prefix(f"{self._message_url(uid)}/$value", max_bytes)
        except GraphNotFoundError:
            return b""

    def fetch_texts(
        self, folder: Folder, uids: Sequence[str], *, max_bytes: int
    ) -> Iterator[tuple[str, bytes]]:
        # One streamed GET per message: $batch would answer MIME base64-encoded inside
        # JSON, unbounded, and these are only the few messages whose text decides something.
        for uid in uids:
            yield uid, self.fetch_text(folder, uid, max_bytes=max_bytes)

    # -- the one write --------------------------------------------------------------------

    def find_draft(self, message_id: str) -> str | None:
        """Our draft, by the property holding our Message-ID, wherever the owner put it."""
        value = message_id.replace("'", "''")
        found = self._http().json(
            "GET",
            f"{self.base_url}/messages",
            params={
                "$filter": (
                    f"singleValueExtendedProperties/Any(ep: ep/id eq '{MESSAGE_ID_PROPERTY}' "
                    f"and ep/value eq '{value}')"
                ),
                "$select": "id,parentFolderId",
                "$top": "1",
            },
        )
        ids = [str(m["id"]) for m in _values(found) if isinstance(m.get("id"), str)]
        return ids[0] if ids else None

    def append_draft(self, draft: OutgoingDraft) -> str:
        fields = draft_fields(draft.raw)
        marker = {
            "internetMessageId": draft.message_id,
            "singleValueExtendedProperties": [
                {"id": MESSAGE_ID_PROPERTY, "value": draft.message_id}
            ],
        }
        reply = self._create_reply(draft.reply_to, marker) if draft.reply_to else None
        if reply is not None:
            # Outlook's own reply: threaded by conversation, In-Reply-To and References
            # set by Exchange. Marked with our id in the same call, so a crash before the
            # PATCH leaves a draft ``find_draft`` still finds.
            draft_id = _str(reply.get("id"))
            if draft_id is None:
                raise BackendError(self.account, "createReply answered without a draft id")
            created = self._http().json(
                "PATCH", self._message_url(draft_id), body={**fields, **marker}
            )
        else:
            # Nothing to reply to (the draft answers no stored message, or the original is
            # gone): a new draft with the same text. Graph takes no In-Reply-To on a new
            # message, so mail clients thread it by subject only.
            created = self._http().json(
                "POST", f"{self.base_url}/messages", body={**fields, **marker}
            )
            draft_id = _str(created.get("id"))
            if draft_id is None:
                raise BackendError(self.account, "creating a draft answered without an id")
        if created.get("parentFolderId") != self._drafts_folder_id():
            raise BackendError(
                self.account, "Microsoft Graph put the new draft outside the Drafts folder"
            )
        return draft_id

    def _create_reply(
        self, original: ReplyTarget, marker: Mapping[str, Any]
    ) -> dict[str, Any] | None:
        """``createReply`` on the message the draft answers, or None when it is gone.

        First by the id it was read under (no lookup at all); Graph's ids change when a
        message moves to another folder, so an id Graph no longer knows is looked up again
        by the Message-ID, wherever the owner filed the mail.
        """
        url = f"{self._message_url(original.uid)}/createReply"
        try:
            return self._http().json("POST", url, body={"message": marker})
        except GraphNotFoundError:
            pass
        moved = self._find_original(original.message_id)
        if moved is None:
            return None
        url = f"{self._message_url(moved)}/createReply"
        try:
            return self._http().json("POST", url, body={"message": marker})
        except GraphNotFoundError:
            return None  # deleted between the lookup and the reply

    def _find_original(self, message_id: str) -> str | None:
        found = self._http().json(
            "GET",
            f"{self.base_url}/messages",
            params={
                "$filter": f"internetMessageId eq '{message_id.replace(chr(39), chr(39) * 2)}'",
                "$select": "id,parentFolderId,isDraft",
            },
        )
        candidates = [m for m in _values(found) if isinstance(m.get("id"), str)]
        # The same mail can sit in two folders (a copy in an archive); never a draft.
        chosen = [m for m in candidates if not m.get("isDraft")]
        return str(chosen[0]["id"]) if chosen else None

    def _drafts_folder_id(self) -> str:
        if self._drafts_id is None:
            folder = self._http().json(
                "GET", f"{self.base_url}/mailFolders/{DRAFTS}", params={"$select": "id"}
            )
            self._drafts_id = _str(folder.get("id")) or ""
        return self._drafts_id

    # -- check ----------------------------------------------------------------------------

    def describe(self, *, now: datetime, lookback: timedelta) -> list[str]:
        """The mailbox, each folder found, and how many messages it holds in the look-back
        window. GETs only; raises ``BackendError``."""
        since = now - lookback
        days = lookback.days
        lines = [f"graph {self.server}"]
        if self._token is None and (who := graph_auth.signed_in_as(self._config)) is not None:
            lines[0] += f", signed in as {who}"
        for folder in self.folders():
            url = self._folder_url(folder.name)
            info = self._http().json(
                "GET", url, params={"$select": "id,displayName,totalItemCount"}
            )
            counted = self._http().json(
                "GET",
                f"{url}/messages",
                params={
                    "$filter": f"receivedDateTime ge {graph_time(since)}",
                    "$count": "true",
                    "$top": "1",
                    "$select": "id",
                },
            )
            count = counted.get("@odata.count")
            shown = count if isinstance(count, int) else len(_values(counted))
            name = info.get("displayName") or folder.name
            lines.append(
                f"  {folder.role.value:<9} {name}: {shown} message(s) in the last {days} days"
            )
        return lines

    # -- helpers --------------------------------------------------------------------------

    def _http(self) -> GraphSession:
        if self._session is None:
            raise BackendError(self.account, "not connected (use the backend as a context manager)")
        return self._session

    def _message_url(self, uid: str) -> str:
        return f"{self.base_url}/messages/{quote(uid, safe='')}"


def _values(page: Mapping[str, Any]) -> list[dict[str, Any]]:
    value = page.get("value")
    if not isinstance(value, list):
        return []
    return [v for v in value if isinstance(v, dict)]


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None

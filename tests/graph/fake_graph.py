"""A local stand-in for the subset of Microsoft Graph's mail API that InboxGuard uses.

One stateful HTTP server on 127.0.0.1 speaks ``/v1.0/me/...`` the way Graph does, with
response bodies shaped like the examples on learn.microsoft.com (docs/microsoft365.md lists
which page each one follows):

- ``GET mailFolders/{folder}/messages/delta``: pages of ``Prefer: odata.maxpagesize`` items
  linked by ``@odata.nextLink`` (``$skiptoken``), the last one carrying ``@odata.deltaLink``
  (``$deltatoken``); ``$select`` checked against real property names; the one ``$filter``
  delta takes (``receivedDateTime ge``); ``@removed`` entries for messages gone from the
  folder; 410 ``SyncStateNotFound`` for a delta token the server forgot.
- ``GET messages?$filter=internetMessageId eq …`` and ``…singleValueExtendedProperties/Any(…)``,
  ``GET messages/{id}``, ``GET messages/{id}/$value`` (the MIME), ``GET mailFolders/{f}``,
  ``GET mailFolders/{f}/messages?$count=true``.
- ``POST messages/{id}/createReply`` (201, the new draft in Drafts), ``PATCH messages/{id}``,
  ``POST messages`` (201, a new draft).
- 401 ``InvalidAuthenticationToken`` for a wrong bearer token; 429 / 503 with ``Retry-After``
  when a test asks for throttling.

Every request is recorded, and every write that is not ``createReply``, a PATCH of a draft
the client itself created, or ``POST messages`` is recorded as a violation.
"""

from __future__ import annotations

import itertools
import json
import re
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes
from email.policy import compat32
from email.utils import getaddresses
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tests.mailboxes import OWNER, build_message
from tests.serving import in_thread

TOKEN = "eyJ0eXAiOiJKV1QiLCJub25jZSI6ImZha2UtZ3JhcGgtYWNjZXNzLXRva2Vu"
OWNER_NAME = "佐藤 花子"
FOLDERS = {  # well-known name → (id, displayName)
    "inbox": ("AQMkADAwATM0MDAAMS1iNTcwLWI2NTEtMDACLTAwCgAuAAADInbox0001AAAA", "Inbox"),
    "sentitems": ("AQMkADAwATM0MDAAMS1iNTcwLWI2NTEtMDACLTAwCgAuAAADSent00001AAAA", "Sent Items"),
    "drafts": ("AQMkADAwATM0MDAAMS1iNTcwLWI2NTEtMDACLTAwCgAuAAADDrafts0001AAAA", "Drafts"),
}
# Property names of microsoft.graph.message that $select may name (v1.0).
MESSAGE_PROPERTIES = frozenset(
    {
        "id", "createdDateTime", "lastModifiedDateTime", "changeKey", "categories",
        "receivedDateTime", "sentDateTime", "hasAttachments", "internetMessageId", "subject",
        "bodyPreview", "importance", "parentFolderId", "conversationId", "conversationIndex",
        "isDeliveryReceiptRequested", "isReadReceiptRequested", "isRead", "isDraft", "webLink",
        "inferenceClassification", "body", "uniqueBody", "sender", "from", "toRecipients",
        "ccRecipients", "bccRecipients", "replyTo", "flag", "internetMessageHeaders",
    }
)  # fmt: skip
# What PATCH may change on a message (learn.microsoft.com/graph/api/message-update).
PATCHABLE = frozenset(
    {
        "bccRecipients", "body", "categories", "ccRecipients", "flag", "from", "importance",
        "inferenceClassification", "internetMessageId", "isDeliveryReceiptRequested", "isRead",
        "isReadReceiptRequested", "multiValueExtendedProperties", "replyTo", "sender",
        "singleValueExtendedProperties", "subject", "toRecipients",
    }
)  # fmt: skip
JSON_TYPE = "application/json; odata.metadata=minimal; odata.streaming=true; charset=utf-8"
DEFAULT_PAGE = 10  # Graph's page size for messages when the client states none

_ids = itertools.count(1)
_FOLDER = re.compile(r"^mailFolders(?:\('([^']+)'\)|/([^/]+))(/.*)?$")
_EXTENDED = re.compile(
    r"^singleValueExtendedProperties/Any\(ep:\s*ep/id eq '((?:[^']|'')*)' and "
    r"ep/value eq '((?:[^']|'')*)'\)$"
)
_EQ = re.compile(r"^(\w+) eq '((?:[^']|'')*)'$")
_RECEIVED = re.compile(r"^receivedDateTime (ge|gt) (\S+)$")


def _now_iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _unquote(value: str) -> str:
    return value.replace("''", "'")


def _recipient(name: str, address: str) -> dict[str, Any]:
    return {"emailAddress": {"name": name, "address": address}}


def _parse_recipients(value: str | None) -> list[dict[str, Any]]:
    return [_recipient(n or a, a) for n, a in getaddresses([value or ""]) if a]


@dataclass
class Stored:
    """One message in the mailbox, with what Exchange keeps beside it."""

    id: str
    folder: str  # well-known folder name
    fields: dict[str, Any]
    mime: bytes
    ours: bool = False  # created by the client (createReply or POST messages)
    extended: dict[str, str] = field(default_factory=dict)  # property id (lower) → value
    in_reply_to: str | None = None  # what Exchange writes into a reply draft's MIME

    def json(self, select: frozenset[str] | None = None) -> dict[str, Any]:
        full = {
            "@odata.etag": f'W/"CQAAABYAAAA{self.fields.get("changeKey", "")}"',
            "id": self.id,
            "parentFolderId": FOLDERS[self.folder][0],
            **self.fields,
        }
        if select is None:
            return full
        return {k: v for k, v in full.items() if k in select or k in {"@odata.etag", "id"}}


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # after /v1.0, e.g. /me/mailFolders/inbox/messages/delta
    query: dict[str, str]
    body: Any
    prefer: str
    status: int = 0


@dataclass
class _DeltaState:
    folder: str
    seq: int
    select: frozenset[str]
    since: datetime | None


@dataclass
class FakeGraph:
    base_url: str = ""  # http://127.0.0.1:PORT/v1.0
    token: str = TOKEN
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    messages: dict[str, Stored] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    # (seq, folder, message id): every creation, change or removal, for delta
    changes: list[tuple[int, str, str]] = field(default_factory=list)
    seq: int = 0
    delta_tokens: dict[str, _DeltaState] = field(default_factory=dict)
    skip_tokens: dict[str, tuple[list[dict[str, Any]], str, str]] = field(default_factory=dict)
    throttles: list[tuple[int, str | None]] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock)

    # -- what a test does to the mailbox --------------------------------------------------

    def add_mail(
        self,
        folder: str,
        *,
        sender: str,
        to: str,
        subject: str,
        date: datetime,
        message_id: str | None,
        in_reply_to: str | None = None,
        conversation_id: str | None = None,
        body: str = "本文です。\n",
        categories: tuple[str, ...] = (),
        extra: dict[str, str] | None = None,
    ) -> str:
        """Mail delivered (inbox) or sent by the owner's own client (sentitems)."""
        message = build_message(
            sender=sender,
            to=to,
            subject=subject,
            date=date,
            message_id=message_id,
            body=body,
            in_reply_to=in_reply_to,
            extra=extra,
        )
        mime = message.as_bytes().replace(b"\n", b"\r\n")
        from_ = _parse_recipients(sender)
        with self.lock:
            if conversation_id is None:
                parent = self._by_message_id(in_reply_to) if in_reply_to else None
                conversation_id = (
                    parent.fields["conversationId"] if parent else self._new_conversation()
                )
            fields: dict[str, Any] = {
                "createdDateTime": _now_iso(date),
                "lastModifiedDateTime": _now_iso(date),
                "changeKey": secrets.token_hex(6),
                "categories": list(categories),
                "receivedDateTime": _now_iso(date),
                "sentDateTime": _now_iso(date),
                "hasAttachments": False,
                "internetMessageId": message_id,
                "subject": subject,
                "bodyPreview": body[:255],
                "importance": "normal",
                "conversationId": conversation_id,
                "isRead": folder != "inbox",
                "isDraft": False,
                "body": {"contentType": "text", "content": body},
                "sender": from_[0] if from_ else None,
                "from": from_[0] if from_ else None,
                "toRecipients": _parse_recipients(to),
                "ccRecipients": [],
                "bccRecipients": [],
                "replyTo": [],
                "flag": {"flagStatus": "notFlagged"},
            }
            if folder == "inbox":
                # Transport headers exist only on mail that came in through transport.
                fields["internetMessageHeaders"] = _transport_headers(mime, sender)
            return self._store(Stored(self._new_id(), folder, fields, mime))

    def set_categories(self, message_id: str, categories: list[str]) -> None:
        """The owner sets a category in Outlook."""
        with self.lock:
            self.messages[message_id].fields["categories"] = categories
            self._changed(message_id)

    def delete(self, message_id: str) -> None:
        """The owner deletes a message (it leaves the folder)."""
        with self.lock:
            stored = self.messages.pop(message_id)
            self.seq += 1
            self.changes.append((self.seq, stored.folder, message_id))

    def expire_delta_tokens(self) -> None:
        """Graph forgets sync states after a while: every stored delta link now answers 410."""
        with self.lock:
            self.delta_tokens.clear()
            self.skip_tokens.clear()

    def throttle(self, status: int = 429, retry_after: str | None = "120", times: int = 1) -> None:
        with self.lock:
            self.throttles.extend([(status, retry_after)] * times)

    def drafts(self) -> list[Stored]:
        with self.lock:
            return [m for m in self.messages.values() if m.folder == "drafts"]

    def writes(self) -> list[Request]:
        with self.lock:
            return [r for r in self.requests if r.method != "GET"]

    def clear_requests(self) -> None:
        with self.lock:
            self.requests.clear()

    # -- the service ----------------------------------------------------------------------

    def handle(
        self, method: str, target: str, headers: dict[str, str], raw_body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        split = urlsplit(target)
        path = unquote(split.path).removeprefix("/v1.0")
        query = {k: v[0] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        body: Any = None
        if raw_body:
            try:
                body = json.loads(raw_body)
            except ValueError:
                body = raw_body.decode("utf-8", "replace")
        prefer = headers.get("prefer", "")
        with self.lock:
            status, out_headers, data = self._route(method, path, query, body, headers)
            self.requests.append(Request(method, path, query, body, prefer, status))
            if method != "GET" and not self._allowed_write(method, path):
                self.violations.append(f"{method} {path}")
        return status, out_headers, data

    def _route(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        body: Any,
        headers: dict[str, str],
    ) -> tuple[int, dict[str, str], bytes]:
        if headers.get("authorization") != f"Bearer {self.token}":
            return _error(
                401,
                "InvalidAuthenticationToken",
                "Access token validation failure. Invalid audience.",
                {"WWW-Authenticate": 'Bearer realm="", error="invalid_token"'},
            )
        if self.throttles:
            status, retry_after = self.throttles.pop(0)
            extra = {"Retry-After": retry_after} if retry_after is not None else {}
            if status == 429:
                return _error(
                    429,
                    "ApplicationThrottled",
                    "Application is over its MailboxConcurrency limit.",
                    extra,
                )
            return _error(status, "ServiceUnavailable", "Service unavailable.", extra)
        mailbox, _, rest = path.removeprefix("/").partition("/")
        if mailbox == "users":
            _, _, rest = rest.partition("/")
        elif mailbox != "me":
            return _error(400, "BadRequest", "Resource not found for the segment.")
        page_size = _page_size(headers.get("prefer", ""))
        if match := _FOLDER.match(rest):
            folder = self._folder(match.group(1) or match.group(2))
            tail = match.group(3) or ""
            if folder is None:
                return _error(404, "ErrorInvalidIdMalformed", "Id is malformed.")
            if method == "GET" and tail == "/messages/delta":
                return self._delta(folder, rest, query, page_size)
            if method == "GET" and tail == "":
                return self._folder_json(folder)
            if method == "GET" and tail == "/messages":
                return self._list(query, folder)
        elif rest == "mailFolders" and method == "GET":
            wanted = _EQ.match(query.get("$filter", ""))
            found = [
                {"id": fid, "displayName": name}
                for fid, name in FOLDERS.values()
                if wanted and wanted.group(1) == "displayName" and name == _unquote(wanted.group(2))
            ]
            return _ok({"@odata.context": self._context("mailFolders"), "value": found})
        elif rest == "messages" and method == "GET":
            return self._list(query, None)
        elif rest == "messages" and method == "POST":
            return self._create_draft(body)
        elif rest.startswith("messages/"):
            message_id, _, action = rest.removeprefix("messages/").partition("/")
            stored = self.messages.get(message_id)
            if stored is None:
                return _error(
                    404, "ErrorItemNotFound", "The specified object was not found in the store."
                )
            if method == "GET" and action == "":
                return _ok(stored.json(_select(query)))
            if method == "GET" and action == "$value":
                return 200, {"Content-Type": "text/plain"}, stored.mime
            if method == "POST" and action == "createReply":
                return self._create_reply(stored, body)
            if method == "PATCH" and action == "":
                return self._patch(stored, body)
        return _error(405, "ErrorInvalidRequest", "The OData request is not supported.")

    # -- delta ----------------------------------------------------------------------------

    def _delta(
        self, folder: str, rest: str, query: dict[str, str], page_size: int
    ) -> tuple[int, dict[str, str], bytes]:
        if "$skiptoken" in query:
            pending = self.skip_tokens.pop(query["$skiptoken"], None)
            if pending is None:
                return _sync_state_not_found()
            items, delta_token, link_base = pending
            return self._page(items, delta_token, link_base, page_size)
        link_base = f"{self.base_url}/me/mailFolders('{FOLDERS[folder][0]}')/messages/delta"
        if "$deltatoken" in query:
            state = self.delta_tokens.get(query["$deltatoken"])
            if state is None:
                return _sync_state_not_found()
            items = self._changes_since(state)
            new_state = _DeltaState(folder, self.seq, state.select, state.since)
        else:
            select = _select(query)
            if select is None:
                select = MESSAGE_PROPERTIES - {"internetMessageHeaders", "uniqueBody"}
            unknown = sorted(select - MESSAGE_PROPERTIES)
            if unknown:
                return _error(
                    400,
                    "RequestBroker--ParseUri",
                    f"Could not find a property named '{unknown[0]}' on type "
                    "'Microsoft.OutlookServices.Message'.",
                )
            since = None
            if "$filter" in query:
                match = _RECEIVED.match(query["$filter"])
                if match is None:
                    return _error(
                        400,
                        "ErrorInvalidUrlQueryFilter",
                        "The query filter contains one or more invalid nodes.",
                    )
                since = datetime.fromisoformat(match.group(2).replace("Z", "+00:00"))
            new_state = _DeltaState(folder, self.seq, select, since)
            items = [
                m.json(select)
                for m in sorted(self.messages.values(), key=lambda m: m.id)
                if m.folder == folder and self._in_window(m, since)
            ]
        for item in items:
            if "@removed" not in item:
                item["@odata.type"] = "#microsoft.graph.message"
        token = secrets.token_urlsafe(32)
        self.delta_tokens[token] = new_state
        return self._page(items, token, link_base, page_size)

    def _page(
        self, items: list[dict[str, Any]], delta_token: str, link_base: str, page_size: int
    ) -> tuple[int, dict[str, str], bytes]:
        page, remaining = items[:page_size], items[page_size:]
        answer: dict[str, Any] = {"@odata.context": self._context("Collection(message)")}
        if remaining:
            skip = secrets.token_urlsafe(24)
            self.skip_tokens[skip] = (remaining, delta_token, link_base)
            answer["@odata.nextLink"] = f"{link_base}?$skiptoken={skip}"
        else:
            answer["@odata.deltaLink"] = f"{link_base}?$deltatoken={delta_token}"
        answer["value"] = page
        return _ok(answer, {"Preference-Applied": f"odata.maxpagesize={page_size}"})

    def _changes_since(self, state: _DeltaState) -> list[dict[str, Any]]:
        changed = dict.fromkeys(
            mid for seq, folder, mid in self.changes if seq > state.seq and folder == state.folder
        )
        items = []
        for mid in changed:
            stored = self.messages.get(mid)
            if stored is not None and stored.folder == state.folder:
                if self._in_window(stored, state.since):
                    items.append(stored.json(state.select))
            else:
                items.append(
                    {
                        "@odata.type": "#microsoft.graph.message",
                        "id": mid,
                        "@removed": {"reason": "deleted"},
                    }
                )
        return items

    @staticmethod
    def _in_window(stored: Stored, since: datetime | None) -> bool:
        if since is None:
            return True
        received = datetime.fromisoformat(stored.fields["receivedDateTime"].replace("Z", "+00:00"))
        return received >= since

    # -- reading --------------------------------------------------------------------------

    def _folder_json(self, folder: str) -> tuple[int, dict[str, str], bytes]:
        fid, name = FOLDERS[folder]
        total = sum(1 for m in self.messages.values() if m.folder == folder)
        return _ok(
            {
                "@odata.context": self._context("mailFolders/$entity"),
                "id": fid,
                "displayName": name,
                "parentFolderId": "AQMkADAwATM0MDAAMS1iNTcwLWI2NTEtMDACLTAwCgAuAAADRoot",
                "childFolderCount": 0,
                "unreadItemCount": sum(
                    1
                    for m in self.messages.values()
                    if m.folder == folder and not m.fields["isRead"]
                ),
                "totalItemCount": total,
                "isHidden": False,
            }
        )

    def _list(self, query: dict[str, str], folder: str | None) -> tuple[int, dict[str, str], bytes]:
        candidates = [m for m in self.messages.values() if folder in (None, m.folder)]
        condition = query.get("$filter", "")
        if match := _EXTENDED.match(condition):
            prop, value = _unquote(match.group(1)).lower(), _unquote(match.group(2))
            found = [m for m in candidates if m.extended.get(prop) == value]
        elif (match := _EQ.match(condition)) and match.group(1) == "internetMessageId":
            value = _unquote(match.group(2))
            found = [m for m in candidates if m.fields.get("internetMessageId") == value]
        elif match := _RECEIVED.match(condition):
            since = datetime.fromisoformat(match.group(2).replace("Z", "+00:00"))
            found = [m for m in candidates if self._in_window(m, since)]
        elif not condition:
            found = candidates
        else:
            return _error(400, "ErrorInvalidUrlQueryFilter", "The query filter is not supported.")
        answer: dict[str, Any] = {"@odata.context": self._context("messages")}
        if query.get("$count") == "true":
            answer["@odata.count"] = len(found)
        top = int(query.get("$top", "10"))
        answer["value"] = [m.json(_select(query)) for m in found[:top]]
        return _ok(answer)

    # -- writing (drafts only) ------------------------------------------------------------

    def _create_reply(self, original: Stored, body: Any) -> tuple[int, dict[str, str], bytes]:
        if original.fields.get("isDraft"):
            return _error(400, "ErrorInvalidOperation", "Cannot reply to a draft.")
        f = original.fields
        to = f.get("replyTo") or ([f["from"]] if f.get("from") else [])
        subject = f"RE: {f.get('subject') or ''}"
        quoted = (
            '<html><body><div></div><hr style="display:inline-block;width:98%">'
            f'<div id="divRplyFwdMsg"><b>From:</b> {f["from"]["emailAddress"]["name"]}<br>'
            f"<b>Subject:</b> {f.get('subject')}</div><div>{f.get('bodyPreview')}</div>"
            "</body></html>"
        )
        fields = self._draft_fields(subject, to, conversation_id=f["conversationId"])
        fields["body"] = {"contentType": "html", "content": quoted}
        draft = Stored(self._new_id(), "drafts", fields, b"", ours=True)
        draft.fields["internetMessageId"] = _exchange_message_id()
        draft.in_reply_to = f.get("internetMessageId")
        if isinstance(body, dict) and isinstance(body.get("message"), dict):
            problem = self._apply(draft, body["message"])
            if problem:
                return problem
        draft.mime = self._draft_mime(draft)
        self._store(draft)
        return _ok(draft.json() | {"@odata.context": self._context("messages/$entity")}, status=201)

    def _create_draft(self, body: Any) -> tuple[int, dict[str, str], bytes]:
        if not isinstance(body, dict):
            return _error(400, "RequestBodyRead", "A JSON object was expected.")
        draft = Stored(self._new_id(), "drafts", self._draft_fields("", []), b"", ours=True)
        draft.fields["internetMessageId"] = _exchange_message_id()
        problem = self._apply(draft, body)
        if problem:
            return problem
        draft.mime = self._draft_mime(draft)
        self._store(draft)
        return _ok(draft.json() | {"@odata.context": self._context("messages/$entity")}, status=201)

    def _patch(self, stored: Stored, body: Any) -> tuple[int, dict[str, str], bytes]:
        if not stored.ours or not stored.fields.get("isDraft"):
            return _error(403, "ErrorAccessDenied", "Access is denied.")
        if not isinstance(body, dict):
            return _error(400, "RequestBodyRead", "A JSON object was expected.")
        problem = self._apply(stored, body)
        if problem:
            return problem
        stored.mime = self._draft_mime(stored)
        stored.fields["changeKey"] = secrets.token_hex(6)
        self._changed(stored.id)
        return _ok(stored.json() | {"@odata.context": self._context("messages/$entity")})

    def _apply(
        self, stored: Stored, changes: dict[str, Any]
    ) -> tuple[int, dict[str, str], bytes] | None:
        unknown = sorted(set(changes) - PATCHABLE)
        if unknown:
            return _error(
                400,
                "RequestBodyRead",
                f"The property '{unknown[0]}' does not exist on type 'microsoft.graph.message' "
                "or is not writable.",
            )
        for key, value in changes.items():
            if key == "singleValueExtendedProperties":
                for prop in value:
                    stored.extended[str(prop["id"]).lower()] = str(prop["value"])
            elif key == "internetMessageId" and not stored.fields.get("isDraft"):
                return _error(
                    400,
                    "ErrorInvalidPropertyUpdateSentMessage",
                    "Update is not allowed for property 'internetMessageId' on a sent message.",
                )
            else:
                stored.fields[key] = value
        return None

    def _draft_fields(
        self, subject: str, to: list[dict[str, Any]], conversation_id: str | None = None
    ) -> dict[str, Any]:
        now = _now_iso(self.now)
        me = _recipient(OWNER_NAME, OWNER)
        return {
            "createdDateTime": now,
            "lastModifiedDateTime": now,
            "changeKey": secrets.token_hex(6),
            "categories": [],
            "receivedDateTime": now,
            "sentDateTime": now,
            "hasAttachments": False,
            "internetMessageId": None,
            "subject": subject,
            "bodyPreview": "",
            "importance": "normal",
            "conversationId": conversation_id or self._new_conversation(),
            "isRead": True,
            "isDraft": True,
            "body": {"contentType": "text", "content": ""},
            "sender": me,
            "from": me,
            "toRecipients": to,
            "ccRecipients": [],
            "bccRecipients": [],
            "replyTo": [],
            "flag": {"flagStatus": "notFlagged"},
        }

    def _draft_mime(self, stored: Stored) -> bytes:
        f = stored.fields
        to = ", ".join(r["emailAddress"]["address"] for r in f.get("toRecipients") or [])
        message = build_message(
            sender=f"{OWNER_NAME} <{OWNER}>",
            to=to or OWNER,
            subject=f.get("subject") or "",
            date=self.now,
            message_id=f.get("internetMessageId"),
            body=str((f.get("body") or {}).get("content") or "") + "\n",
            in_reply_to=stored.in_reply_to,
        )
        return message.as_bytes().replace(b"\n", b"\r\n")

    # -- bookkeeping ----------------------------------------------------------------------

    def _allowed_write(self, method: str, path: str) -> bool:
        rest = path.split("/", 2)[-1] if path.startswith("/me/") else path
        if method == "POST" and (rest == "messages" or rest.endswith("/createReply")):
            return True
        if method == "PATCH" and rest.startswith("messages/"):
            stored = self.messages.get(rest.removeprefix("messages/"))
            return stored is not None and stored.ours
        return False

    def _store(self, stored: Stored) -> str:
        self.messages[stored.id] = stored
        self._changed(stored.id)
        return stored.id

    def _changed(self, message_id: str) -> None:
        self.seq += 1
        self.changes.append((self.seq, self.messages[message_id].folder, message_id))

    def _by_message_id(self, message_id: str) -> Stored | None:
        for stored in self.messages.values():
            if stored.fields.get("internetMessageId") == message_id:
                return stored
        return None

    def _folder(self, name: str) -> str | None:
        if name.lower() in FOLDERS:
            return name.lower()
        for well_known, (fid, _) in FOLDERS.items():
            if fid == name:
                return well_known
        return None

    def _context(self, what: str) -> str:
        return f"{self.base_url}/$metadata#users('{OWNER}')/{what}"

    @staticmethod
    def _new_id() -> str:
        return f"AAkALgAAAAAAHYQDEapmEc2byACqAC-EWg0A{next(_ids):08d}AAA="

    @staticmethod
    def _new_conversation() -> str:
        return f"AAQkAGI2TG93AAAQAK{next(_ids):08d}="


def _exchange_message_id() -> str:
    """The Message-ID Exchange gives a new draft until the client sets its own."""
    return f"<{secrets.token_hex(8).upper()}@TYCP286MB0001.JPNP286.PROD.OUTLOOK.COM>"


def _transport_headers(mime: bytes, sender: str) -> list[dict[str, str]]:
    parsed = message_from_bytes(mime, policy=compat32)
    address = _parse_recipients(sender)
    headers = [
        {
            "name": "Received",
            "value": "from mail.client.example (192.0.2.10) by "
            "TYCP286MB.jpnprd01.prod.outlook.com with Microsoft SMTP Server",
        },
        {
            "name": "Return-Path",
            "value": f"<{address[0]['emailAddress']['address']}>" if address else "<>",
        },
    ]
    for name, value in parsed.items():
        headers.append({"name": name, "value": re.sub(r"\r?\n[ \t]", " ", str(value))})
    return headers


def _select(query: dict[str, str]) -> frozenset[str] | None:
    if "$select" not in query:
        return None
    return frozenset(s.strip() for s in query["$select"].split(",") if s.strip())


def _page_size(prefer: str) -> int:
    match = re.search(r"odata\.maxpagesize=(\d+)", prefer)
    return int(match.group(1)) if match else DEFAULT_PAGE


def _ok(
    body: dict[str, Any], headers: dict[str, str] | None = None, *, status: int = 200
) -> tuple[int, dict[str, str], bytes]:
    return (
        status,
        {
            "Content-Type": "application/json; odata.metadata=minimal; charset=utf-8",
            **(headers or {}),
        },
        json.dumps(body, ensure_ascii=False).encode("utf-8"),
    )


def _error(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    body = {
        "error": {
            "code": code,
            "message": message,
            "innerError": {
                "date": _now_iso(datetime.now(UTC)),
                "request-id": "3bc5a8c5-2bb4-4aa8-9c4e-0d3b2f9f6c11",
                "client-request-id": "3bc5a8c5-2bb4-4aa8-9c4e-0d3b2f9f6c11",
            },
        }
    }
    return _ok(body, headers, status=status)


def _sync_state_not_found() -> tuple[int, dict[str, str], bytes]:
    return _error(
        410,
        "SyncStateNotFound",
        "The sync state generation is not found; generation=605;[highest=841][841][839][840].",
    )


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        status, out, data = self.server.fake.handle(self.command, self.path, headers, raw)
        self.send_response(status)
        for name, value in out.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = _serve
    do_POST = _serve
    do_PATCH = _serve
    do_DELETE = _serve
    do_PUT = _serve

    def log_message(self, format: str, *args: Any) -> None:
        return  # quiet test output


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fake: FakeGraph) -> None:
        self.fake = fake
        super().__init__(("127.0.0.1", 0), _Handler)


@contextmanager
def fake_graph(**settings: Any) -> Iterator[FakeGraph]:
    fake = FakeGraph(**settings)
    server = _Server(fake)
    fake.base_url = f"http://127.0.0.1:{server.server_address[1]}/v1.0"
    with in_thread(server):
        yield fake

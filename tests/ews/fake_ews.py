"""A stateful local Exchange Web Services endpoint: the subset InboxGuard (through exchangelib)
speaks, answered the way Exchange Server 2016 answers.

Every response body follows the examples on Microsoft's EWS reference pages (the page for each
operation is named beside its handler and in docs/exchange.md). The server keeps a mailbox —
Inbox, Sent Items, Drafts — with a change log per folder, so sync states, a draft saved today
and found again tomorrow, and a restart of the client are all real. It records every operation
it is asked for, so tests can assert that nothing but ``CreateItem`` into Drafts ever writes.

Not modelled: anything InboxGuard never sends (UpdateItem, MoveItem, DeleteItem, SendItem …
answer ``ErrorInvalidOperation`` and are recorded, so a test sees the attempt).
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import hashlib
import itertools
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32
from email.utils import getaddresses, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape, quoteattr

from defusedxml import ElementTree as SafeET  # type: ignore[import-untyped]  # no stubs

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
M = "http://schemas.microsoft.com/exchange/services/2006/messages"
T = "http://schemas.microsoft.com/exchange/services/2006/types"

# Exchange Server 2016 CU23, as its SOAP header reports itself.
VERSION_HEADER = (
    '<h:ServerVersionInfo MajorVersion="15" MinorVersion="1" MajorBuildNumber="2507" '
    'MinorBuildNumber="6" Version="V2017_07_11" '
    'xmlns:h="http://schemas.microsoft.com/exchange/services/2006/types" '
    'xmlns="http://schemas.microsoft.com/exchange/services/2006/types" '
    'xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"/>'
)
# Distinguished folder ids (DistinguishedFolderId page) → display names.
FOLDERS = {
    "root": "Top of Information Store",
    "msgfolderroot": "Top of Information Store",
    "inbox": "Inbox",
    "sentitems": "Sent Items",
    "drafts": "Drafts",
}
MSGFLAG_READ = 0x1
MSGFLAG_UNSENT = 0x8  # PidTagMessageFlags: "the message is still being composed" (a draft)
PR_MESSAGE_FLAGS = "0xe07"
INVALID_SYNC_STATE_TEXT = "Synchronization state data is corrupt or otherwise invalid."
BUSY_TEXT = "The server cannot service this request right now. Try again later."


def _folder_id(name: str) -> str:
    # Real ids are base64 of an entry id; these are as long and as opaque.
    return base64.b64encode(f"AAMkAGFolder-{name}".encode().ljust(46, b".")).decode()


@dataclass
class Item:
    id: str
    folder: str
    raw: bytes
    received: datetime
    is_draft: bool = False
    is_read: bool = False
    categories: list[str] = field(default_factory=list)
    version: int = 0
    headers: Message = field(init=False)

    def __post_init__(self) -> None:
        self.headers = BytesParser(policy=compat32).parsebytes(self.raw, headersonly=True)

    @property
    def changekey(self) -> str:
        return base64.b64encode(f"CQAAABYAAA{self.version:04d}".encode()).decode()

    def header(self, name: str) -> str | None:
        value = self.headers.get(name)
        return None if value is None else " ".join(str(value).split())

    @property
    def message_id(self) -> str | None:
        return self.header("Message-ID")

    @property
    def conversation_id(self) -> str:
        # Exchange threads by ConversationIndex; the root of the References chain is the
        # nearest thing a MIME message carries, and it gives the same grouping here.
        refs = (self.header("References") or "").split()
        root = (refs[0] if refs else None) or self.header("In-Reply-To") or self.message_id
        topic = root or self.id
        return base64.b64encode(hashlib.sha256(topic.encode()).digest()[:16]).decode()

    def text(self) -> str:
        full = BytesParser(policy=compat32).parsebytes(self.raw)
        for part in full.walk():
            if part.get_content_type() == "text/plain":
                payload = part.get_payload(decode=True)
                charset = part.get_content_charset() or "utf-8"
                if isinstance(payload, bytes):
                    return payload.decode(charset, errors="replace")
        return ""


@dataclass
class Change:
    seq: int
    kind: str  # create | update | delete
    item_id: str


class Mailbox:
    """The mailbox's state, shared by the request handlers under one lock."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.lock = threading.RLock()
        self.items: dict[str, Item] = {}
        self.log: dict[str, list[Change]] = {name: [] for name in FOLDERS}
        self.seq = itertools.count(1)
        self.ids = itertools.count(1)
        # Bumped by expire_sync_states(): every state handed out before is refused.
        self.generation = 1

    def add(
        self,
        folder: str,
        raw: bytes,
        *,
        received: datetime,
        is_draft: bool = False,
        is_read: bool = False,
    ) -> Item:
        with self.lock:
            number = next(self.ids)
            item_id = base64.b64encode(f"AAMkAGItem{number:08d}".encode().ljust(60, b"=")).decode()
            item = Item(item_id, folder, raw, received, is_draft=is_draft, is_read=is_read)
            self.items[item_id] = item
            self.log[folder].append(Change(next(self.seq), "create", item_id))
            return item

    def update(self, item: Item, **changes: Any) -> None:
        """A change made by the owner's mail client (flag, category): logged as an update."""
        with self.lock:
            for name, value in changes.items():
                setattr(item, name, value)
            item.version += 1
            self.log[item.folder].append(Change(next(self.seq), "update", item.id))

    def delete(self, item: Item) -> None:
        with self.lock:
            del self.items[item.id]
            self.log[item.folder].append(Change(next(self.seq), "delete", item.id))

    def in_folder(self, folder: str) -> list[Item]:
        with self.lock:
            return [i for i in self.items.values() if i.folder == folder]

    def expire_sync_states(self) -> None:
        with self.lock:
            self.generation += 1

    # -- sync states: opaque base64 of gzip, like Exchange's (H4sI…) ----------------------

    def sync_state(self, folder: str, seq: int) -> str:
        data = f"{self.generation}:{folder}:{seq}".encode()
        return base64.b64encode(gzip.compress(data, mtime=0)).decode()

    def read_sync_state(self, folder: str, state: str) -> int | None:
        try:
            generation, name, seq = gzip.decompress(base64.b64decode(state)).decode().split(":")
        except (ValueError, OSError):
            return None
        if int(generation) != self.generation or name != folder:
            return None
        return int(seq)

    def last_seq(self, folder: str) -> int:
        changes = self.log[folder]
        return changes[-1].seq if changes else 0


@dataclass
class Throttle:
    remaining: int = 0
    backoff_ms: int = 0


class FakeEws:
    """The server: ``url`` is the EWS endpoint; ``operations`` every operation asked for."""

    def __init__(
        self,
        address: str,
        *,
        password: str,
        username: str = "hanako",
        bearer: str | None = None,
        tls: tuple[str, str] | None = None,  # (certificate, key): serve https
    ) -> None:
        self.mailbox = Mailbox(address)
        self.username = username
        self.password = password
        self.bearer = bearer
        self.operations: list[str] = []
        self.writes: list[tuple[str, str]] = []  # (operation, target folder)
        self.throttle = Throttle()
        self.ews_disabled = False
        self.requests: list[bytes] = []
        self.failures: list[str] = []  # requests the fake could not answer (tests assert none)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._scheme, self._host = "http", "127.0.0.1"
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
            self._scheme, self._host = "https", "localhost"  # the certificate's name
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        port = self._server.server_address[1]
        return f"{self._scheme}://{self._host}:{port}/EWS/Exchange.asmx"

    def start(self) -> FakeEws:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def busy(self, times: int, backoff_ms: int) -> None:
        """The next ``times`` requests are refused with ErrorServerBusy."""
        self.throttle = Throttle(times, backoff_ms)

    def count(self, operation: str) -> int:
        return self.operations.count(operation)

    def reset_counts(self) -> None:
        self.operations.clear()

    # -- dispatch -----------------------------------------------------------------------

    def answer(self, body: bytes, authorization: str | None) -> tuple[int, dict[str, str], bytes]:
        if self.ews_disabled:
            # What a client sees when EwsEnabled is false for the mailbox or the organisation:
            # the request is refused before any SOAP processing, with no SOAP body.
            return 403, {"Content-Type": "text/html"}, b"<html><body>403 Forbidden</body></html>"
        if not self._authorized(authorization):
            scheme = 'Bearer authorization_uri="https://login.microsoftonline.com/common"'
            challenge = scheme if self.bearer else 'Basic realm="127.0.0.1"'
            return 401, {"WWW-Authenticate": challenge, "Content-Length": "0"}, b""
        self.requests.append(body)
        envelope = SafeET.fromstring(body)
        request = envelope.find(f"{{{SOAP}}}Body")
        assert request is not None and len(request), "SOAP request without a body"
        operation = request[0]
        name = operation.tag.split("}")[1]
        self.operations.append(name)
        if self.throttle.remaining > 0:
            self.throttle.remaining -= 1
            return 500, _xml_headers(), _server_busy(self.throttle.backoff_ms)
        handler = getattr(self, f"_op_{name}", None)
        if handler is None:
            self.writes.append((name, ""))
            return 200, _xml_headers(), _envelope(_error_response(name, "ErrorInvalidOperation"))
        try:
            with self.mailbox.lock:
                return 200, _xml_headers(), _envelope(handler(operation))
        except Exception as exc:  # a request shape the fake does not model: make it loud
            self.failures.append(f"{name}: {exc}")
            return 200, _xml_headers(), _envelope(_error_response(name, "ErrorInternalServerError"))

    def _authorized(self, authorization: str | None) -> bool:
        if authorization is None:
            return False
        scheme, _, credentials = authorization.partition(" ")
        if self.bearer is not None:
            return scheme.lower() == "bearer" and credentials == self.bearer
        if scheme.lower() != "basic":
            return False
        expected = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        return credentials == expected

    # -- operations ---------------------------------------------------------------------

    def _op_ConvertId(self, request: ET.Element) -> str:
        # exchangelib's version probe converts the id "DUMMY"; Exchange refuses the id but
        # its SOAP header names the server's version, which is all the probe reads.
        # https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/convertid-operation
        return _error_response(
            "ConvertId", "ErrorInvalidIdMalformed", "Id is malformed.", container=""
        )

    def _op_GetFolder(self, request: ET.Element) -> str:
        # https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/getfolder-operation
        messages = []
        ids = request.find(f"{{{M}}}FolderIds")
        assert ids is not None
        for ref in ids:
            name = self._folder_name(ref)
            if name is None:
                messages.append(
                    _message(
                        "GetFolder",
                        "ErrorFolderNotFound",
                        "The specified folder could not be found in the store.",
                    )
                )
                continue
            messages.append(
                _message("GetFolder", body=f"<m:Folders>{self._folder_xml(name)}</m:Folders>")
            )
        return _response("GetFolder", "".join(messages))

    def _folder_xml(self, name: str) -> str:
        items = self.mailbox.in_folder(name) if name in self.mailbox.log else []
        unread = sum(1 for i in items if not i.is_read)
        parent = "" if name == "root" else _folder_ref("ParentFolderId", "msgfolderroot")
        return (
            f"<t:Folder>{_folder_ref('FolderId', name)}{parent}"
            f"<t:FolderClass>IPF.Note</t:FolderClass>"
            f"<t:DisplayName>{escape(FOLDERS[name])}</t:DisplayName>"
            f"<t:TotalCount>{len(items)}</t:TotalCount>"
            f"<t:ChildFolderCount>0</t:ChildFolderCount>"
            f"<t:UnreadCount>{unread}</t:UnreadCount></t:Folder>"
        )

    def _folder_name(self, ref: ET.Element) -> str | None:
        if ref.tag == f"{{{T}}}DistinguishedFolderId":
            name = ref.get("Id")
            return name if name in FOLDERS else None
        wanted = ref.get("Id")
        return next((n for n in FOLDERS if _folder_id(n) == wanted), None)

    def _op_SyncFolderItems(self, request: ET.Element) -> str:
        # https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/syncfolderitems-operation
        folder_ref = request.find(f"{{{M}}}SyncFolderId")
        assert folder_ref is not None
        folder = self._folder_name(folder_ref[0])
        if folder is None or folder not in self.mailbox.log:
            return _error_response("SyncFolderItems", "ErrorFolderNotFound")
        fields = _requested_fields(request.find(f"{{{M}}}ItemShape"))
        limit = int(request.findtext(f"{{{M}}}MaxChangesReturned") or "100")
        state = request.findtext(f"{{{M}}}SyncState")
        mailbox = self.mailbox
        if state:
            since = mailbox.read_sync_state(folder, state)
            if since is None:
                # The documented error response carries an empty SyncState and
                # IncludesLastItemInRange after the code (exchangelib reads both first).
                tail = "<m:SyncState/><m:IncludesLastItemInRange>true</m:IncludesLastItemInRange>"
                return _error_response(
                    "SyncFolderItems",
                    "ErrorInvalidSyncStateData",
                    INVALID_SYNC_STATE_TEXT,
                    container=tail,
                )
            pending = _coalesce(c for c in mailbox.log[folder] if c.seq > since)
        else:
            since = 0
            present = [c for c in mailbox.log[folder] if c.kind == "create"]
            pending = [c for c in present if c.item_id in mailbox.items]
        page, rest = pending[:limit], pending[limit:]
        # A page cut short resumes after its last change; a complete answer covers the log.
        last = page[-1].seq if rest else max(since, mailbox.last_seq(folder))
        changes = []
        for change in page:
            item = mailbox.items.get(change.item_id)
            if change.kind == "delete" or item is None:
                changes.append(f"<t:Delete><t:ItemId Id={quoteattr(change.item_id)}/></t:Delete>")
                continue
            tag = "Create" if change.kind == "create" else "Update"
            changes.append(f"<t:{tag}>{_item_xml(item, fields)}</t:{tag}>")
        body = (
            f"<m:SyncState>{mailbox.sync_state(folder, last)}</m:SyncState>"
            f"<m:IncludesLastItemInRange>{'false' if rest else 'true'}</m:IncludesLastItemInRange>"
            f"<m:Changes>{''.join(changes)}</m:Changes>"
        )
        return _response("SyncFolderItems", _message("SyncFolderItems", body=body))

    def _op_GetItem(self, request: ET.Element) -> str:
        # https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/getitem-operation-email-message
        fields = _requested_fields(request.find(f"{{{M}}}ItemShape"))
        ids = request.find(f"{{{M}}}ItemIds")
        assert ids is not None
        messages = []
        for ref in ids:
            item = self.mailbox.items.get(ref.get("Id") or "")
            if item is None:
                messages.append(
                    _message(
                        "GetItem",
                        "ErrorItemNotFound",
                        "The specified object was not found in the store.",
                    )
                )
                continue
            body = f"<m:Items>{_item_xml(item, fields)}</m:Items>"
            messages.append(_message("GetItem", body=body))
        return _response("GetItem", "".join(messages))

    def _op_FindItem(self, request: ET.Element) -> str:
        # https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/finditem-operation
        parents = request.find(f"{{{M}}}ParentFolderIds")
        assert parents is not None
        folder = self._folder_name(parents[0])
        fields = _requested_fields(request.find(f"{{{M}}}ItemShape"))
        restriction = request.find(f"{{{M}}}Restriction")
        found = [i for i in self.mailbox.in_folder(folder or "") if _matches(restriction, i)]
        items = "".join(_item_xml(i, fields) for i in found)
        body = (
            f'<m:RootFolder IndexedPagingOffset="{len(found)}" TotalItemsInView="{len(found)}" '
            f'IncludesLastItemInRange="true"><t:Items>{items}</t:Items></m:RootFolder>'
        )
        return _response("FindItem", _message("FindItem", body=body))

    def _op_CreateItem(self, request: ET.Element) -> str:
        # https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/createitem-operation-email-message
        disposition = request.get("MessageDisposition")
        target = request.find(f"{{{M}}}SavedItemFolderId")
        folder = self._folder_name(target[0]) if target is not None and len(target) else None
        self.writes.append(("CreateItem", f"{disposition}:{folder}"))
        items = request.find(f"{{{M}}}Items")
        assert items is not None
        if disposition != "SaveOnly" or folder is None:
            return _error_response("CreateItem", "ErrorInvalidOperation")
        created = []
        for message in items:
            mime = message.findtext(f"{{{T}}}MimeContent") or ""
            raw = base64.b64decode(mime)
            flags = 0
            for prop in message.findall(f"{{{T}}}ExtendedProperty"):
                uri = prop.find(f"{{{T}}}ExtendedFieldURI")
                if uri is not None and uri.get("PropertyTag", "").lower() == PR_MESSAGE_FLAGS:
                    flags = int(prop.findtext(f"{{{T}}}Value") or "0")
            # A MIME item is a received message unless its flags say "unsent" (a draft).
            item = self.mailbox.add(
                folder,
                raw,
                received=datetime.now(UTC),
                is_draft=bool(flags & MSGFLAG_UNSENT),
                is_read=bool(flags & MSGFLAG_READ),
            )
            created.append(
                f"<t:Message><t:ItemId Id={quoteattr(item.id)} "
                f"ChangeKey={quoteattr(item.changekey)}/></t:Message>"
            )
        body = f"<m:Items>{''.join(created)}</m:Items>"
        return _response("CreateItem", _message("CreateItem", body=body))


def _coalesce(changes: Iterator[Change]) -> list[Change]:
    """One change per item, as Exchange reports them: created-then-updated is a create,
    created-then-deleted nothing, updated-then-deleted a delete."""
    result: dict[str, Change] = {}
    for change in changes:
        before = result.get(change.item_id)
        if before is None:
            result[change.item_id] = change
        elif change.kind == "delete":
            if before.kind == "create":
                del result[change.item_id]
            else:
                result[change.item_id] = change
        elif before.kind == "create":
            result[change.item_id] = Change(change.seq, "create", change.item_id)
        else:
            result[change.item_id] = change
    return sorted(result.values(), key=lambda c: c.seq)


def _requested_fields(shape: ET.Element | None) -> set[str]:
    if shape is None:
        return set()
    fields = {f.get("FieldURI", "") for f in shape.iter(f"{{{T}}}FieldURI")}
    if shape.findtext(f"{{{T}}}IncludeMimeContent") == "true":
        fields.add("item:MimeContent")
    return fields


def _matches(restriction: ET.Element | None, item: Item) -> bool:
    """The restrictions InboxGuard sends: Message-ID equality (Drafts) and "received since"
    (``check``), possibly joined by And."""
    if restriction is None:
        return True
    return all(_test(condition, item) for condition in restriction)


def _test(condition: ET.Element, item: Item) -> bool:
    kind = condition.tag.split("}")[1]
    if kind == "And":
        return all(_test(c, item) for c in condition)
    uri = condition.find(f"{{{T}}}FieldURI")
    constant = condition.find(f".//{{{T}}}Constant")
    assert uri is not None and constant is not None, f"restriction {kind} not modelled"
    field_uri, value = uri.get("FieldURI"), constant.get("Value") or ""
    if kind == "IsEqualTo" and field_uri == "message:InternetMessageId":
        return item.message_id == value
    if kind == "IsGreaterThanOrEqualTo" and field_uri == "item:DateTimeReceived":
        return item.received >= datetime.fromisoformat(value.replace("Z", "+00:00"))
    raise AssertionError(f"restriction {kind} on {field_uri} not modelled")


def _mailbox_xml(value: str) -> str:
    name, address = getaddresses([value])[0]
    name_xml = f"<t:Name>{escape(name or address)}</t:Name>"
    return (
        f"<t:Mailbox>{name_xml}<t:EmailAddress>{escape(address)}</t:EmailAddress>"
        "<t:RoutingType>SMTP</t:RoutingType><t:MailboxType>OneOff</t:MailboxType></t:Mailbox>"
    )


def _decoded(item: Item, name: str) -> str | None:
    from email.header import decode_header, make_header

    value = item.headers.get(name)
    if value is None:
        return None
    return str(make_header(decode_header(str(value))))


def _item_xml(item: Item, fields: set[str]) -> str:
    """A ``t:Message`` with the requested properties, in the schema's element order."""
    parts = [f"<t:ItemId Id={quoteattr(item.id)} ChangeKey={quoteattr(item.changekey)}/>"]
    want = fields.__contains__
    if want("item:MimeContent"):
        mime = base64.b64encode(item.raw).decode()
        parts.append(f'<t:MimeContent CharacterSet="UTF-8">{mime}</t:MimeContent>')
    if want("item:ParentFolderId"):
        parts.append(_folder_ref("ParentFolderId", item.folder))
    if want("item:ItemClass"):
        parts.append("<t:ItemClass>IPM.Note</t:ItemClass>")
    if want("item:Subject") and (subject := _decoded(item, "Subject")) is not None:
        parts.append(f"<t:Subject>{escape(subject)}</t:Subject>")
    if want("item:DateTimeReceived"):
        parts.append(f"<t:DateTimeReceived>{_iso(item.received)}</t:DateTimeReceived>")
    if want("item:Size"):
        parts.append(f"<t:Size>{len(item.raw)}</t:Size>")
    if want("item:Categories") and item.categories:
        strings = "".join(f"<t:String>{escape(c)}</t:String>" for c in item.categories)
        parts.append(f"<t:Categories>{strings}</t:Categories>")
    if want("item:InReplyTo") and (value := item.header("In-Reply-To")):
        parts.append(f"<t:InReplyTo>{escape(value)}</t:InReplyTo>")
    if want("item:IsDraft"):
        parts.append(f"<t:IsDraft>{str(item.is_draft).lower()}</t:IsDraft>")
    if want("item:InternetMessageHeaders") and not item.is_draft:
        # Drafts have no transport headers: Exchange returns none for them.
        headers = "".join(
            f"<t:InternetMessageHeader HeaderName={quoteattr(k)}>{escape(' '.join(str(v).split()))}"
            "</t:InternetMessageHeader>"
            for k, v in item.headers.items()
        )
        parts.append(f"<t:InternetMessageHeaders>{headers}</t:InternetMessageHeaders>")
    if want("item:DateTimeSent") and (date := item.header("Date")):
        with contextlib.suppress(TypeError, ValueError):
            parts.append(f"<t:DateTimeSent>{_iso(parsedate_to_datetime(date))}</t:DateTimeSent>")
    if want("item:ConversationId"):
        parts.append(f"<t:ConversationId Id={quoteattr(item.conversation_id)}/>")
    if want("item:TextBody"):
        parts.append(f'<t:TextBody BodyType="Text">{escape(item.text())}</t:TextBody>')
    for header, uri, tag in (("To", "message:ToRecipients", "ToRecipients"),
                             ("Cc", "message:CcRecipients", "CcRecipients")):  # fmt: skip
        values = item.headers.get_all(header) or []
        if want(uri) and values:
            boxes = "".join(
                _mailbox_xml(f"{n} <{a}>") for n, a in getaddresses([str(v) for v in values])
            )
            parts.append(f"<t:{tag}>{boxes}</t:{tag}>")
    if want("message:From") and (sender := _decoded(item, "From")):
        parts.append(f"<t:From>{_mailbox_xml(sender)}</t:From>")
    if want("message:InternetMessageId") and item.message_id:
        parts.append(f"<t:InternetMessageId>{escape(item.message_id)}</t:InternetMessageId>")
    if want("message:IsRead"):
        parts.append(f"<t:IsRead>{str(item.is_read).lower()}</t:IsRead>")
    if want("message:References") and (refs := item.header("References")):
        parts.append(f"<t:References>{escape(refs)}</t:References>")
    return f"<t:Message>{''.join(parts)}</t:Message>"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _folder_ref(tag: str, name: str) -> str:
    changekey = "AQAAABYAAAA"
    return f"<t:{tag} Id={quoteattr(_folder_id(name))} ChangeKey={quoteattr(changekey)}/>"


def _message(operation: str, code: str = "NoError", text: str = "", body: str = "") -> str:
    klass = "Success" if code == "NoError" else "Error"
    message_text = f"<m:MessageText>{escape(text)}</m:MessageText>" if text else ""
    link = "<m:DescriptiveLinkKey>0</m:DescriptiveLinkKey>" if code != "NoError" else ""
    return (
        f'<m:{operation}ResponseMessage ResponseClass="{klass}">{message_text}'
        f"<m:ResponseCode>{code}</m:ResponseCode>{link}{body}</m:{operation}ResponseMessage>"
    )


def _response(operation: str, messages: str) -> str:
    return (
        f'<m:{operation}Response xmlns:m="{M}" xmlns:t="{T}">'
        f"<m:ResponseMessages>{messages}</m:ResponseMessages></m:{operation}Response>"
    )


def _error_response(operation: str, code: str, text: str = "", *, container: str = "") -> str:
    return _response(operation, _message(operation, code, text or code, container))


def _envelope(body: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<s:Envelope xmlns:s="{SOAP}"><s:Header>{VERSION_HEADER}</s:Header>'
        '<s:Body xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        f'xmlns:xsd="http://www.w3.org/2001/XMLSchema">{body}</s:Body></s:Envelope>'
    ).encode()


def _server_busy(backoff_ms: int) -> bytes:
    # "EWS throttling in Exchange": a SOAP fault, HTTP 500, BackOffMilliseconds in MessageXml.
    # https://learn.microsoft.com/en-us/exchange/client-developer/exchange-web-services/ews-throttling-in-exchange
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<s:Envelope xmlns:s="{SOAP}"><s:Body><s:Fault>'
        f'<faultcode xmlns:a="{T}">a:ErrorServerBusy</faultcode>'
        f'<faultstring xml:lang="en-US">{BUSY_TEXT}</faultstring>'
        "<detail>"
        '<e:ResponseCode xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">'
        "ErrorServerBusy</e:ResponseCode>"
        '<e:Message xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">'
        f"{BUSY_TEXT}</e:Message>"
        f'<t:MessageXml xmlns:t="{T}"><t:Value Name="BackOffMilliseconds">{backoff_ms}</t:Value>'
        "</t:MessageXml></detail></s:Fault></s:Body></s:Envelope>"
    ).encode()


def _xml_headers() -> dict[str, str]:
    return {"Content-Type": "text/xml; charset=utf-8"}


def _handler(server: FakeEws) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            status, headers, payload = server.answer(body, self.headers.get("Authorization"))
            self.send_response(status)
            for name, value in headers.items():
                if name != "Content-Length":
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet: tests read server.operations instead

    return Handler

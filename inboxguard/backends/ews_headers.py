"""An EWS item as the RFC 5322 header block the project's parser reads.

EWS hands out a received message's transport headers (``InternetMessageHeaders``); they are
used as they came, so the parser sees the same encoded words and charsets an IMAP FETCH
would show. Items without them (drafts, most of Sent Items) are described from their
properties: ``InternetMessageId``, ``InReplyTo``, ``References``, ``From``, ``To``, ``Cc``,
``Subject`` and ``DateTimeSent``, encoded the way a mail client would write them. Only the
fields the IMAP backend fetches are kept, and every value is unfolded onto one line, so a
hostile header cannot smuggle a second one in.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from email.header import Header
from email.utils import format_datetime, formataddr
from typing import Any

# The header fields the IMAP backend fetches (imap.HEADER_FIELDS), lower-cased.
WANTED = frozenset(
    {
        "message-id",
        "in-reply-to",
        "references",
        "from",
        "to",
        "cc",
        "reply-to",
        "subject",
        "date",
        "auto-submitted",
        "precedence",
        "list-id",
        "list-unsubscribe",
        "return-path",
        "x-auto-response-suppress",
        "x-autoreply",
        "thread-index",
        "content-type",
    }
)
# Present in a text prefix we compose ourselves (text/plain, UTF-8): the original ones lie.
MIME_FIELDS = frozenset({"content-type", "content-transfer-encoding", "mime-version"})


def header_block(item: Any, *, drop: frozenset[str] = frozenset()) -> bytes:
    """The item's header block (CRLF lines, ending in an empty line)."""
    fields = list(_transport_headers(getattr(item, "headers", None)))
    present = {name.lower() for name, _ in fields}
    for name, value in _property_headers(item):
        if name.lower() not in present:
            fields.append((name, value))
    lines = [
        f"{name}: {value}".encode("utf-8", errors="replace")
        for name, value in fields
        if name.lower() not in drop
    ]
    return b"\r\n".join(lines) + b"\r\n\r\n"


def _transport_headers(headers: Iterable[Any] | None) -> Iterator[tuple[str, str]]:
    for header in headers or ():
        name = str(getattr(header, "name", "") or "")
        if name.lower() in WANTED and _sane_name(name):
            yield name, _one_line(str(getattr(header, "value", "") or ""))


def _property_headers(item: Any) -> Iterator[tuple[str, str]]:
    """Header fields described from EWS properties (what a draft or sent item has)."""
    if message_id := _text(getattr(item, "message_id", None)):
        yield "Message-ID", message_id
    if in_reply_to := _text(getattr(item, "in_reply_to", None)):
        yield "In-Reply-To", in_reply_to
    if references := _text(getattr(item, "references", None)):
        yield "References", references
    if (author := getattr(item, "author", None)) is not None:
        yield "From", _address(author)
    for name, attribute in (("To", "to_recipients"), ("Cc", "cc_recipients")):
        boxes = [b for b in getattr(item, attribute, None) or () if _email(b)]
        if boxes:
            yield name, ", ".join(_address(b) for b in boxes)
    subject = getattr(item, "subject", None)
    if isinstance(subject, str):
        yield "Subject", _encoded(_one_line(subject))
    sent = getattr(item, "datetime_sent", None) or getattr(item, "datetime_received", None)
    if isinstance(sent, datetime):
        yield "Date", format_datetime(sent)


def _address(mailbox: Any) -> str:
    name = _one_line(str(getattr(mailbox, "name", "") or ""))
    address = _email(mailbox)
    if not name or name == address:
        return address
    return formataddr((name, address), charset="utf-8")


def _email(mailbox: Any) -> str:
    return _one_line(str(getattr(mailbox, "email_address", "") or ""))


def _encoded(text: str) -> str:
    if text.isascii():
        return text
    return Header(text, "utf-8").encode()


def _text(value: object) -> str | None:
    return _one_line(value) if isinstance(value, str) and value.strip() else None


def _one_line(value: str) -> str:
    """Unfolded, control characters gone: one header line, nothing injected after it."""
    return " ".join("".join(c if c >= " " else " " for c in value).split())


def _sane_name(name: str) -> bool:
    return bool(name) and all("!" <= c <= "~" and c != ":" for c in name)

"""Graph's JSON to the RFC 5322 header block the parser reads, and our draft back to JSON.

Pure functions, no I/O. A Graph message arrives as fields (``from``, ``toRecipients``,
``subject``, ``sentDateTime``, ``internetMessageId``) plus, for incoming mail only, the
transport headers (``internetMessageHeaders``); the backend turns them into the same kind of
header block an IMAP ``BODY.PEEK[HEADER.FIELDS (...)]`` answers, so parsing, threading and
classification are the code every other backend goes through.

Every value is made safe to be a header line: line breaks and control characters become
spaces (a hostile display name must not add a header), non-ASCII text is written as RFC 2047
encoded words, and only the header names the parser and the classifiers read are copied from
``internetMessageHeaders``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from email.header import Header
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from email.utils import format_datetime, getaddresses
from typing import Any

from inboxguard.domain.incident_protocol import INCIDENT_KEYWORD
from inboxguard.domain.reply_clock import NO_REPLY_KEYWORD

# Fields every folder's delta asks for: what the header block and FetchedHeaders need.
BASE_FIELDS = (
    "internetMessageId",
    "conversationId",
    "subject",
    "from",
    "toRecipients",
    "ccRecipients",
    "replyTo",
    "sentDateTime",
    "receivedDateTime",
    "categories",
)
# Incoming mail also brings its transport headers: only they carry In-Reply-To/References
# (threading without a conversationId match) and the automation signals (Auto-Submitted,
# Precedence, List-Id, Return-Path, multipart/report). Sent items and drafts have none, and
# mine are never classified as automated, so they do without this, the largest field.
INCOMING_FIELDS = (*BASE_FIELDS, "internetMessageHeaders")

# The transport headers worth copying: the same list the IMAP backend fetches, less the
# ones built from Graph's own fields.
COPIED_HEADERS = (
    "In-Reply-To",
    "References",
    "Auto-Submitted",
    "Precedence",
    "List-Id",
    "List-Unsubscribe",
    "Return-Path",
    "X-Auto-Response-Suppress",
    "X-Autoreply",
    "Thread-Index",
    "Content-Type",
)
_COPIED = {name.lower(): name for name in COPIED_HEADERS}
_CATEGORY_KEYWORDS = {k.lstrip("$").lower(): k for k in (NO_REPLY_KEYWORD, INCIDENT_KEYWORD)}
MAX_VALUE_CHARS = 4000  # one header value; longer is hostile, and the parser needs no more
_UNSAFE = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]+")
_MSG_ID = re.compile(r"<[^<>\s]{1,900}>")


def header_block(item: Mapping[str, Any]) -> bytes:
    """The RFC 5322 header block (CRLF, ends with an empty line) for one Graph message."""
    lines: list[str] = []
    message_id = _message_id(item.get("internetMessageId"))
    if message_id is not None:
        # A message without one gets none: the parser synthesises an id, as for any mail
        # that arrived without a Message-ID.
        lines.append(f"Message-ID: {message_id}")
    sender = _addresses([item.get("from")])
    if sender:
        lines.append(f"From: {sender}")
    for name, key in (("To", "toRecipients"), ("Cc", "ccRecipients"), ("Reply-To", "replyTo")):
        value = _addresses(item.get(key))
        if value:
            lines.append(f"{name}: {value}")
    subject = item.get("subject")
    if isinstance(subject, str) and subject:
        lines.append(f"Subject: {_text(subject)}")
    sent = parse_time(item.get("sentDateTime"))
    if sent is not None:
        lines.append(f"Date: {format_datetime(sent)}")
    for name, value in _copied(item.get("internetMessageHeaders")):
        lines.append(f"{name}: {value}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")


def parse_time(value: object) -> datetime | None:
    """Graph's ISO 8601 instants (``2026-11-19T16:00:00Z``) as aware UTC datetimes."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def graph_time(value: datetime) -> str:
    """An instant the way Graph's ``$filter`` takes it: UTC, seconds, ``Z``."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def categories(item: Mapping[str, Any]) -> frozenset[str]:
    """Outlook categories as keywords (Exchange shows them to IMAP clients so); a category
    named "NoReplyNeeded" or "Incident" (with or without the ``$``) as ours."""
    value = item.get("categories")
    if not isinstance(value, list):
        return frozenset()
    found = set()
    for category in value:
        if isinstance(category, str) and category:
            found.add(category)
            if (ours := _CATEGORY_KEYWORDS.get(category.lstrip("$").lower())) is not None:
                found.add(ours)
    return frozenset(found)


# -- our draft, as Graph JSON -----------------------------------------------------------


def draft_fields(raw: bytes) -> dict[str, Any]:
    """What the core's draft says, in the shape of a Graph message: subject, recipients, and
    the plain-text body (greeting, promise, signature, the original quoted below)."""
    message = BytesParser(_class=EmailMessage, policy=default_policy).parsebytes(raw)
    part = message.get_body(preferencelist=("plain",))
    text = part.get_content() if isinstance(part, EmailMessage) else ""
    return {
        "subject": str(message.get("Subject", "")),
        "body": {"contentType": "text", "content": text},
        "toRecipients": _recipients(message.get_all("To", [])),
        "ccRecipients": _recipients(message.get_all("Cc", [])),
    }


def _recipients(values: Iterable[object]) -> list[dict[str, Any]]:
    return [
        {"emailAddress": {"name": name, "address": address}}
        for name, address in getaddresses([str(v) for v in values])
        if address
    ]


# -- helpers ----------------------------------------------------------------------------


def _message_id(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    candidate = _UNSAFE.sub(" ", value).strip()
    return candidate if _MSG_ID.fullmatch(candidate) else None


def _addresses(value: object) -> str:
    if not isinstance(value, Sequence) or isinstance(value, str):
        return ""
    rendered = []
    for recipient in value:
        if not isinstance(recipient, Mapping):
            continue
        email = recipient.get("emailAddress")
        if not isinstance(email, Mapping):
            continue
        address = email.get("address")
        if not isinstance(address, str) or not address.strip():
            continue
        address = _UNSAFE.sub("", address).strip().strip("<>")
        name = email.get("name")
        name = _UNSAFE.sub(" ", name).strip() if isinstance(name, str) else ""
        if name and name != address:
            rendered.append(f"{_display_name(name)} <{address}>")
        else:
            rendered.append(address)
    return ", ".join(rendered)


def _display_name(name: str) -> str:
    name = name[:MAX_VALUE_CHARS]
    if not name.isascii():
        return Header(name, "utf-8").encode(maxlinelen=10_000)
    escaped = name.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _text(value: str) -> str:
    value = _UNSAFE.sub(" ", value).strip()[:MAX_VALUE_CHARS]
    if value.isascii():
        return value
    return Header(value, "utf-8").encode(maxlinelen=10_000)


def _copied(headers: object) -> Iterable[tuple[str, str]]:
    if not isinstance(headers, list):
        return
    for header in headers:
        if not isinstance(header, Mapping):
            continue
        name, value = header.get("name"), header.get("value")
        if not isinstance(name, str) or not isinstance(value, str):
            continue
        canonical = _COPIED.get(name.strip().lower())
        if canonical is None:
            continue
        # Exchange hands header values over unfolded; they stay as the sender wrote them
        # (encoded words included), each kept to one line.
        yield canonical, _UNSAFE.sub(" ", value).strip()[:MAX_VALUE_CHARS]

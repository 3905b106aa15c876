"""Raw bytes to ``Message``: the one entry point of the parse layer.

Each field is read on its own and guarded on its own, so a header that defeats one reader
costs that field, not the message: the field keeps its default and ``defects`` says why.
The whole function is guarded once more, because the daemon must survive any input.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from email.message import Message as EmailMessage
from typing import TypeVar

from inboxguard.domain.message import Address, AutomationHeaders, Message
from inboxguard.parse.addresses import first_address, parse_addresses
from inboxguard.parse.body import BodyText, extract_body, parse_mime
from inboxguard.parse.charsets import decode_undeclared
from inboxguard.parse.encoded_words import clean_header_text, decode_header
from inboxguard.parse.header_block import HeaderBlock, split_header_block
from inboxguard.parse.header_fields import (
    parse_date,
    parse_message_id,
    parse_message_ids,
    synthesize_message_id,
)
from inboxguard.parse.newtext import extract_new_text

DEFAULT_TEXT_LIMIT = 8192
# Bytes of the chosen part decoded: generous next to the text limit, since quotes and HTML
# markup are removed after decoding and UTF-8 Japanese takes three bytes a character.
_BYTES_PER_CHAR = 16
_MIN_BYTE_LIMIT = 64 * 1024
_MAX_NOTES = 50

_T = TypeVar("_T")
_NO_ADDRESSES: tuple[Address, ...] = ()
_NO_IDS: tuple[str, ...] = ()


@dataclass
class _Notes:
    repairs: list[str] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)

    def guard(self, what: str, default: _T, read: Callable[[], _T]) -> _T:
        try:
            return read()
        except Exception as error:  # one bad field must not lose the message
            self.defects.append(f"{what}: unreadable ({type(error).__name__})")
            return default


def _header_text(block: HeaderBlock, name: str, notes: _Notes) -> str:
    raw = block.first(name)
    if raw is None:
        return ""
    decoded = decode_header(raw, name)
    notes.repairs.extend(decoded.repairs)
    notes.defects.extend(decoded.defects)
    return decoded.text


def _raw_text(block: HeaderBlock, name: str) -> str | None:
    """A header as its raw text (unfolded, 8-bit decoded, not RFC 2047 decoded)."""
    raw = block.first(name)
    if raw is None:
        return None
    return clean_header_text(decode_undeclared(raw, name).text)


def _addresses(block: HeaderBlock, name: str, notes: _Notes) -> tuple[Address, ...]:
    raw = block.first(name)
    if raw is None:
        return ()
    addresses, decoded = parse_addresses(raw, name)
    notes.repairs.extend(decoded.repairs)
    notes.defects.extend(decoded.defects)
    return addresses


def _automation(block: HeaderBlock) -> AutomationHeaders:
    return AutomationHeaders(
        auto_submitted=_raw_text(block, "auto-submitted"),
        precedence=_raw_text(block, "precedence"),
        list_id=_raw_text(block, "list-id"),
        list_unsubscribe=_raw_text(block, "list-unsubscribe"),
        return_path=_raw_text(block, "return-path"),
        x_auto_response_suppress=_raw_text(block, "x-auto-response-suppress"),
        x_autoreply=_raw_text(block, "x-autoreply") or _raw_text(block, "x-autorespond"),
    )


def _body(raw: bytes, text_limit: int, notes: _Notes) -> BodyText:
    mime = parse_mime(raw)
    for defect in mime.defects[:10]:
        notes.defects.append(f"mime: {type(defect).__name__}")
    body = extract_body(mime, max(_MIN_BYTE_LIMIT, text_limit * _BYTES_PER_CHAR))
    notes.repairs.extend(body.repairs)
    notes.defects.extend(body.defects)
    return body


def _unique(items: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))[:_MAX_NOTES]


def _parse(raw: bytes, text_limit: int) -> Message:
    notes = _Notes()
    block = split_header_block(raw)
    notes.defects.extend(block.defects)

    message_id = notes.guard(
        "message-id", None, lambda: parse_message_id(_raw_text(block, "message-id") or "")
    )
    synthesized = message_id is None
    if message_id is None:
        message_id = synthesize_message_id(block)

    def addresses(name: str) -> tuple[Address, ...]:
        return notes.guard(name, _NO_ADDRESSES, lambda: _addresses(block, name, notes))

    def message_ids(name: str) -> tuple[str, ...]:
        def read() -> tuple[str, ...]:
            value = _raw_text(block, name) or ""
            return parse_message_ids(value, bare_beside_brackets=name == "references")

        return notes.guard(name, _NO_IDS, read)

    # Header notes first, body notes after: the order a reader of `explain` expects.
    subject = notes.guard("subject", "", lambda: _header_text(block, "subject", notes))
    sender = first_address(addresses("from"))
    if block.body.strip():
        text, truncated, content_type = _new_text(raw, text_limit, notes)
    else:
        # A header block alone (what backends fetch first): no body to walk, and the MIME
        # parser is most of a parse's cost.
        text, truncated = "", False
        content_type = notes.guard("content-type", "text/plain", lambda: _content_type(block))

    return Message(
        message_id=message_id,
        message_id_synthesized=synthesized,
        subject=subject,
        sender=sender,
        to=addresses("to"),
        cc=addresses("cc"),
        reply_to=addresses("reply-to"),
        date=notes.guard("date", None, lambda: parse_date(_raw_text(block, "date") or "")),
        in_reply_to=message_ids("in-reply-to"),
        references=message_ids("references"),
        automation=notes.guard("automation", AutomationHeaders(), lambda: _automation(block)),
        content_type=content_type,
        thread_index=notes.guard("thread-index", None, lambda: _raw_text(block, "thread-index")),
        text=text,
        text_truncated=truncated,
        charset_repairs=_unique(notes.repairs),
        defects=_unique(notes.defects),
    )


def _new_text(raw: bytes, text_limit: int, notes: _Notes) -> tuple[str, bool, str]:
    """(new text cut to ``text_limit``, whether more was there, top-level content type)."""
    body = notes.guard("body", BodyText(), lambda: _body(raw, text_limit, notes))
    new_text = notes.guard("text", None, lambda: extract_new_text(body.text))
    text = new_text.text if new_text is not None else ""
    truncated = len(text) > text_limit or (body.capped and not (new_text and new_text.cut))
    return text[:text_limit], truncated, body.content_type


def _content_type(block: HeaderBlock) -> str:
    raw = _raw_text(block, "content-type")
    if not raw:
        return "text/plain"
    probe = EmailMessage()
    probe["Content-Type"] = raw
    return probe.get_content_type()


@dataclass(frozen=True, slots=True)
class MessageText:
    """The text half of a parse, for a message whose headers were already parsed."""

    text: str = ""
    truncated: bool = False
    charset_repairs: tuple[str, ...] = ()
    defects: tuple[str, ...] = ()


def parse_text(raw: bytes, *, text_limit: int = DEFAULT_TEXT_LIMIT) -> MessageText:
    """Only the new text of ``raw`` (headers and body): never raises.

    Header decoding is most of a parse's cost; a caller that already holds the parsed
    headers (from a header-only fetch) pays for the body alone.
    """
    try:
        notes = _Notes()
        text, truncated, _ = _new_text(bytes(raw), max(0, text_limit), notes)
        return MessageText(text, truncated, _unique(notes.repairs), _unique(notes.defects))
    except Exception as error:  # the daemon must survive any message
        return MessageText(defects=(f"text parser failed ({type(error).__name__})",))


def with_text(message: Message, text: MessageText) -> Message:
    """``message`` (parsed from its headers) completed with the text read separately."""
    return replace(
        message,
        text=text.text,
        text_truncated=text.truncated,
        charset_repairs=_unique([*message.charset_repairs, *text.charset_repairs]),
        defects=_unique([*message.defects, *text.defects]),
    )


def parse_message(raw: bytes, *, text_limit: int = DEFAULT_TEXT_LIMIT) -> Message:
    """Parse raw RFC 5322 bytes into a ``Message``. Never raises, whatever the input.

    ``text`` holds at most ``text_limit`` characters of the new text (quotes and signature
    removed); ``text_truncated`` says when more was there.
    """
    try:
        data = bytes(raw)
        return _parse(data, max(0, text_limit))
    except Exception as error:  # the daemon must survive any message
        try:
            digest = hashlib.sha256(bytes(raw)[:4096]).hexdigest()[:32]
        except Exception:  # raw may not even be bytes-like
            digest = hashlib.sha256(b"").hexdigest()[:32]
        return Message(
            message_id=f"<{digest}@inboxguard.invalid>",
            message_id_synthesized=True,
            subject="",
            sender=Address(name="", address=""),
            defects=(f"parser failed ({type(error).__name__})",),
        )

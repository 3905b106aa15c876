"""Find the part of a MIME tree that holds what the sender wrote, and decode it.

The first text/plain part that is not an attachment wins; without one, the first text/html
part is turned into text. Attachments, TNEF (winmail.dat), calendar invitations and
attached messages (message/rfc822 — a forwarded original, not new text) are never read.
Only a bounded prefix of the chosen part is decoded: the new text sits at the top, and a
20 MB part must cost no more than a small one.
"""

from __future__ import annotations

import binascii
import email.message
import email.parser
import email.policy
import re
from dataclasses import dataclass, field

from inboxguard.parse.charsets import decode_text
from inboxguard.parse.html_text import html_to_text

MAX_PARTS = 500
MAX_DEPTH = 50
# Padding ("=") is kept: without it the last group of a body whose length is not a multiple
# of three would be dropped, and a UTF-8 text cut mid-character reads as Latin-1.
_BASE64_JUNK = re.compile(rb"[^A-Za-z0-9+/=]")
_META_CHARSET = re.compile(
    rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]{1,40})""", re.I
)
_NOT_TEXT_TYPES = frozenset({"application/ms-tnef", "text/calendar", "text/x-vcard", "text/vcard"})


@dataclass
class BodyText:
    """The decoded text of the chosen part (bounded) and the notes taken on the way."""

    text: str = ""
    content_type: str = "text/plain"
    capped: bool = False
    repairs: list[str] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)


def _is_attachment(part: email.message.Message) -> bool:
    disposition = str(part.get("Content-Disposition", "") or "").split(";", 1)[0]
    if disposition.strip().lower() == "attachment":
        return True
    return bool(part.get_param("name") or part.get_param("filename", header="content-disposition"))


def _leaf_parts(root: email.message.Message, defects: list[str]) -> list[email.message.Message]:
    """Leaves of the MIME tree in document order, without descending into attached mail."""
    leaves: list[email.message.Message] = []
    stack: list[tuple[email.message.Message, int]] = [(root, 0)]
    visited = 0
    while stack:
        part, depth = stack.pop()
        visited += 1
        if visited > MAX_PARTS:
            defects.append("body: too many MIME parts; rest ignored")
            break
        if part.get_content_maintype().lower() == "message":
            continue  # an attached or forwarded message: its text is not the sender's new text
        payload = part.get_payload()
        if part.is_multipart() and isinstance(payload, list):
            if depth >= MAX_DEPTH:
                defects.append("body: MIME nesting too deep; inner parts ignored")
                continue
            children = [child for child in payload if isinstance(child, email.message.Message)]
            stack.extend((child, depth + 1) for child in reversed(children))
        else:
            leaves.append(part)
    return leaves


def _payload_bytes(part: email.message.Message, encoding: str) -> bytes:
    """The part's bytes: still base64-encoded for base64, otherwise transfer-decoded.

    Base64 is left for ``_decode_transfer`` so that only a prefix of a huge part is decoded.
    For everything else the stdlib returns the exact bytes (8-bit content included) and
    undoes quoted-printable and uuencode; its plain ``get_payload()`` would instead decode
    8-bit text with the declared charset and replace what does not fit.
    """
    if encoding == "base64":
        payload = part.get_payload()
        if isinstance(payload, str):
            # Non-ASCII here is junk that base64 would skip anyway.
            return payload.encode("ascii", "ignore")
        return payload if isinstance(payload, bytes) else b""
    data = part.get_payload(decode=True)
    return data if isinstance(data, bytes) else b""


def _decode_transfer(data: bytes, encoding: str, limit: int) -> tuple[bytes, bool]:
    """Undo base64 on a prefix of ``data`` and cap the result; returns (bytes, capped)."""
    if encoding == "base64":
        cleaned = _BASE64_JUNK.sub(b"", data[: limit * 2])
        cleaned = cleaned[: len(cleaned) - len(cleaned) % 4]
        try:
            decoded = binascii.a2b_base64(cleaned)
        except binascii.Error:
            decoded = b""
        capped = len(data) > limit * 2
    else:
        decoded, capped = data, False
    if len(decoded) > limit:
        decoded, capped = decoded[:limit], True
    if capped:
        # Cut at a line end: LF is never part of a multi-byte character in any charset
        # we read (UTF-8, Shift_JIS, EUC-JP, ISO-2022-JP), so nothing is split in half.
        newline = decoded.rfind(b"\n")
        if newline > 0:
            decoded = decoded[: newline + 1]
    return decoded, capped


def _part_charset(part: email.message.Message, data: bytes, subtype: str) -> str | None:
    charset = part.get_param("charset")
    if isinstance(charset, tuple):  # RFC 2231 form: (charset, language, value)
        charset = charset[2]
    if isinstance(charset, str) and charset.strip():
        return charset
    if subtype == "html":
        found = _META_CHARSET.search(data[:4096])
        if found:
            return found.group(1).decode("ascii")
    return None


def parse_mime(body_source: bytes) -> email.message.Message:
    """The stdlib's forgiving compat32 parser: it records defects instead of raising."""
    return email.parser.BytesParser(policy=email.policy.compat32).parsebytes(body_source)


def extract_body(message: email.message.Message, byte_limit: int) -> BodyText:
    """Choose the part with the sender's text and decode at most ``byte_limit`` bytes of it."""
    result = BodyText(content_type=message.get_content_type().lower())
    leaves = _leaf_parts(message, result.defects)
    plain: email.message.Message | None = None
    html: email.message.Message | None = None
    for part in leaves:
        kind = part.get_content_type().lower()
        if kind in _NOT_TEXT_TYPES or _is_attachment(part):
            continue
        if kind == "text/plain" and plain is None:
            plain = part
        elif kind == "text/html" and html is None:
            html = part
    for candidate, subtype in ((plain, "plain"), (html, "html")):
        if candidate is None:
            continue
        text = _decode_part(candidate, subtype, byte_limit, result)
        if text.strip():
            result.text = text
            return result
    return result


def _decode_part(
    part: email.message.Message, subtype: str, byte_limit: int, result: BodyText
) -> str:
    encoding = str(part.get("Content-Transfer-Encoding", "") or "").strip().lower()
    data, capped = _decode_transfer(_payload_bytes(part, encoding), encoding, byte_limit)
    decoded = decode_text(data, _part_charset(part, data, subtype), "body")
    result.repairs.extend(decoded.repairs)
    result.defects.extend(decoded.defects)
    result.capped = capped
    return html_to_text(decoded.text) if subtype == "html" else decoded.text

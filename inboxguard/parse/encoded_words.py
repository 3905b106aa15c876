"""RFC 2047 encoded-words, decoded the way Japanese mail needs.

Mailers split a long subject into several encoded-words without caring where a character
ends: an ISO-2022-JP word may stop after the first byte of a kanji, or after ``ESC $ B``,
and a UTF-8 word in the middle of a three-byte sequence. Decoding word by word (what the
stdlib does) then yields U+FFFD or leaves ``=?...?=`` behind. Here adjacent words in the
same charset are joined at the byte level first and decoded once.
"""

from __future__ import annotations

import base64
import binascii
import functools
import re
from dataclasses import dataclass

from inboxguard.parse.charsets import Decoded, canonical_label, decode_text, decode_undeclared

# Tolerant: the encoded text may hold anything but "?" (some mailers put spaces in Q words).
ENCODED_WORD = re.compile(r"=\?([^?\s]{1,75})\?([BbQq])\?([^?]*?)\?=")
_BASE64_JUNK = re.compile(r"[^A-Za-z0-9+/]")
_Q_ESCAPE = re.compile(rb"=([0-9A-Fa-f]{2})")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f\x85\u2028\u2029]")


@dataclass
class _Word:
    charset: str
    label: str
    data: bytes


def _b_decode(text: str) -> bytes:
    """Base64 that survives missing padding and stray characters."""
    cleaned = _BASE64_JUNK.sub("", text)
    cleaned = cleaned[: len(cleaned) - len(cleaned) % 4] if len(cleaned) % 4 == 1 else cleaned
    cleaned += "=" * (-len(cleaned) % 4)
    try:
        return base64.b64decode(cleaned)
    except (binascii.Error, ValueError):
        return b""


def _q_decode(text: str) -> bytes:
    raw = text.replace("_", " ").encode("utf-8", "surrogateescape")
    return _Q_ESCAPE.sub(lambda m: bytes((int(m.group(1), 16),)), raw)


def _flush(words: list[_Word], where: str, out: list[str], result: Decoded) -> None:
    if not words:
        return
    data = b"".join(word.data for word in words)
    decoded = decode_text(data, words[0].label, where)
    out.append(decoded.text)
    result.repairs.extend(decoded.repairs)
    result.defects.extend(decoded.defects)
    words.clear()


def decode_encoded_words(text: str, where: str) -> Decoded:
    """Replace every encoded-word in ``text`` by its text; other text is left as it is."""
    result = Decoded("")
    out: list[str] = []
    pending: list[_Word] = []
    position = 0
    for match in ENCODED_WORD.finditer(text):
        between = text[position : match.start()]
        # Whitespace between two encoded-words is folding, not content (RFC 2047 §6.2).
        if between and not (pending and not between.strip()):
            _flush(pending, where, out, result)
            out.append(between)
        label = match.group(1)
        charset = canonical_label(label)
        payload = match.group(3)
        data = _b_decode(payload) if match.group(2) in "Bb" else _q_decode(payload)
        if pending and pending[0].charset != charset:
            _flush(pending, where, out, result)
        pending.append(_Word(charset, label, data))
        position = match.end()
    _flush(pending, where, out, result)
    out.append(text[position:])
    result.text = "".join(out)
    return result


def clean_header_text(text: str) -> str:
    """Drop line breaks and control characters: a decoded header must stay one line."""
    return _CONTROL.sub(" ", text).replace("\t", " ").strip()


def decode_header(raw: bytes, where: str) -> Decoded:
    """Decode one unfolded raw header value: 8-bit bytes first, then encoded-words."""
    if len(raw) > CACHED_BYTES:
        return _decode_header(raw, where)
    # Subjects repeat down a thread ("Re: …"): decoded once per process (a pure function).
    text, repairs, defects = _cached(raw, where)
    return Decoded(text, list(repairs), list(defects))


CACHED_BYTES = 1024


@functools.lru_cache(maxsize=4096)
def _cached(raw: bytes, where: str) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    decoded = _decode_header(raw, where)
    return decoded.text, tuple(decoded.repairs), tuple(decoded.defects)


def _decode_header(raw: bytes, where: str) -> Decoded:
    first = decode_undeclared(raw, where)
    second = decode_encoded_words(first.text, where)
    return Decoded(
        clean_header_text(second.text),
        first.repairs + second.repairs,
        first.defects + second.defects,
    )

"""Split raw message bytes into header fields and body, keeping the header bytes exact.

The stdlib parser hands back header values as ``str`` with 8-bit bytes smuggled in as
surrogates, or as ``Header`` objects, depending on content. Reading the top-level block
ourselves keeps the original bytes, which charset repair needs, and lets a hostile header
block (no colon, NULs, a 1 MB line) degrade line by line instead of failing as a whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Longest header value kept: far above any real header, low enough that a hostile one
# cannot make address or id parsing slow.
MAX_HEADER_BYTES = 64 * 1024
MAX_HEADERS = 2000

_BLANK_LINE = re.compile(rb"\r?\n\r?\n")
_NAME = re.compile(rb"^([!-9;-~]+)[ \t]*:")
_FOLD = re.compile(rb"\r?\n(?=[ \t])")


@dataclass
class HeaderBlock:
    """Header fields in order as (lower-case name, unfolded raw value) plus the body bytes."""

    fields: list[tuple[str, bytes]] = field(default_factory=list)
    body: bytes = b""
    defects: list[str] = field(default_factory=list)

    def first(self, name: str) -> bytes | None:
        """The first value of header ``name`` (lower-case), or None when absent."""
        for key, value in self.fields:
            if key == name:
                return value
        return None


# Bytes no header block holds: C0 controls but TAB, LF, CR, and the SO, SI and ESC that
# ISO-2022-JP uses, and DEL. Random bytes are one tenth these; a real header, next to none.
_BINARY = re.compile(rb"[\x00-\x08\x0b\x0c\x10-\x1a\x1c-\x1f\x7f]")
_MAX_BINARY_SHARE = 0.05
# Enough of a header block to judge it by; a real one is a few kilobytes.
_PROBE_BYTES = 256 * 1024


def looks_like_mail(raw: bytes) -> bool:
    """True when ``raw`` starts with a header block of ``Name: value`` lines.

    The parser reads anything (it must), so it cannot say that a file is not mail; this
    can, for a person who handed ``explain`` the wrong file. The first line must be a
    field (after an mbox "From " line), at least half the lines of the block fields, and
    the block text, not binary. Only the start of ``raw`` is read.
    """
    probe = raw[:_PROBE_BYTES]
    match = _BLANK_LINE.search(probe)
    head = probe if match is None else probe[: match.start()]
    lines = [line for line in _FOLD.sub(b"", head).splitlines() if line.strip()]
    if lines and lines[0].startswith(b"From "):
        lines = lines[1:]
    if not lines or _NAME.match(lines[0]) is None:
        return False
    fields = sum(1 for line in lines if _NAME.match(line))
    if 2 * fields < len(lines):
        return False
    return len(_BINARY.findall(head)) <= _MAX_BINARY_SHARE * len(head)


def split_header_block(raw: bytes) -> HeaderBlock:
    """Read the header block of ``raw``; lines that are not headers are skipped as defects."""
    block = HeaderBlock()
    match = _BLANK_LINE.search(raw)
    if match is None:
        head, block.body = raw, b""
    else:
        head, block.body = raw[: match.start()], raw[match.end() :]
    lines = _FOLD.sub(b"", head).splitlines()
    # An mbox "From " separator line is not a header; it sits where a Maildir copy has none.
    if lines and lines[0].startswith(b"From "):
        lines = lines[1:]
    skipped = 0
    for line in lines:
        found = _NAME.match(line)
        if found is None:
            if line.strip():
                skipped += 1
            continue
        if len(block.fields) >= MAX_HEADERS:
            block.defects.append("headers: too many header fields; rest ignored")
            break
        name = found.group(1).decode("ascii").lower()
        value = line[found.end() :][:MAX_HEADER_BYTES].strip(b" \t\r\n")
        block.fields.append((name, value))
    if skipped:
        block.defects.append(f"headers: {skipped} line(s) without a field name ignored")
    return block

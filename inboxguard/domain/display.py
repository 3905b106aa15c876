"""Text from other people's mail, made fit to show the owner: one rule for every place.

A subject or a display name is written by a stranger, and some strangers write to deceive:
U+202E (right-to-left override) makes ``invoice\u202efdp.exe`` read as "invoiceexe.pdf",
zero-width characters make two different names look the same, and a control character can
move the cursor of the terminal that prints it. What the owner reads (the ``status`` table,
the digest, ``explain``) and what the owner sends (a draft's subject) goes through
``neutralised``: bidi controls and other invisible format characters are removed, control
characters become spaces, so the text shows in its logical order, as it was stored.
``shown`` also shortens it, so that a 5,000-character subject cannot push a table's columns
off the screen. Machine-readable output (``status --json``, ``explain --json``) stays raw.

Pure functions, no I/O.
"""

from __future__ import annotations

import re
import unicodedata

# Display columns a shown value may take: a wide line on a terminal, a long one in a digest
# table. East Asian wide characters take two, so a Japanese subject keeps 100 of them.
MAX_SHOWN_COLUMNS = 200
ELLIPSIS = "…"

ZWJ = "\u200d"
# Not format characters (category Cf) but drawn as nothing all the same: Hangul fillers,
# the combining grapheme joiner, Khmer inherent vowels. They serve look-alike names only.
_INVISIBLE = frozenset("\u115f\u1160\u3164\uffa0\u034f\u17b4\u17b5")
# Emoji that a ZWJ joins into one picture (👨‍👩‍👧, 🏳️‍🌈): symbols, their variation selector
# and skin tones. Between anything else a ZWJ only hides a difference.
_VS16 = "\ufe0f"
_SKIN_TONES = range(0x1F3FB, 0x1F400)
_SPACES = re.compile(r" {2,}")


def shown(text: str, *, limit: int = MAX_SHOWN_COLUMNS) -> str:
    """``text`` as one line to show the owner: neutralised and at most ``limit`` columns."""
    return shortened(neutralised(text), limit)


def neutralised(text: str, *, multiline: bool = False) -> str:
    """``text`` without bidi controls, invisible format characters or control characters.

    Removed: category Cf (U+202A–U+202E, U+2066–U+2069, U+200E/U+200F, U+061C, zero-width
    spaces and joiners, soft hyphens, BOMs, tags) except a ZWJ inside an emoji sequence,
    and the invisible letters above. Control characters (C0, C1, DEL) and line or paragraph
    separators become a space, and runs of spaces one; with ``multiline`` line ends, tabs
    and spacing are kept (CR LF and CR become LF). A lone surrogate (an undecodable byte)
    becomes U+FFFD, since no terminal or mail can carry it.
    """
    if multiline:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    out: list[str] = []
    for index, char in enumerate(text):
        category = unicodedata.category(char)
        if category == "Cf":
            if char == ZWJ and out and _joins_emoji(out[-1], text[index + 1 : index + 2]):
                out.append(char)
        elif category in ("Cc", "Zl", "Zp"):
            if multiline and char in "\n\t":
                out.append(char)
            elif multiline and category in ("Zl", "Zp"):
                out.append("\n")
            else:
                out.append(" ")
        elif category == "Cs":
            out.append("\N{REPLACEMENT CHARACTER}")
        elif char not in _INVISIBLE:
            out.append(char)
    result = "".join(out)
    return result if multiline else _SPACES.sub(" ", result).strip()


def shortened(text: str, limit: int = MAX_SHOWN_COLUMNS) -> str:
    """``text`` cut to at most ``limit`` display columns, ending in "…" when it was cut.

    The cut never separates a character from its combining marks or an emoji from the
    sequence it starts, which would leave a stray accent or half a picture.
    """
    if _columns(text) <= limit:
        return text
    budget = max(0, limit - _columns(ELLIPSIS))
    used = 0
    end = 0
    for index, char in enumerate(text):
        used += _width(char)
        if used > budget:
            break
        end = index + 1
    while 0 < end < len(text) and (_continues(text[end]) or text[end - 1] == ZWJ):
        end -= 1
    return text[:end].rstrip() + ELLIPSIS


def _joins_emoji(before: str, after: str) -> bool:
    return _is_emoji_part(before) and bool(after) and unicodedata.category(after) == "So"


def _is_emoji_part(char: str) -> bool:
    return unicodedata.category(char) == "So" or char == _VS16 or ord(char) in _SKIN_TONES


def _continues(char: str) -> bool:
    """True when ``char`` belongs to the character before it (a mark, selector or joiner)."""
    return (
        unicodedata.combining(char) != 0
        or unicodedata.category(char) in ("Mn", "Me")
        or char in (ZWJ, _VS16)
        or ord(char) in _SKIN_TONES
    )


def _width(char: str) -> int:
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def _columns(text: str) -> int:
    return sum(_width(char) for char in text)

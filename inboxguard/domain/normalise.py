"""Text normalisation for matching: keywords, acknowledgements and thread subjects.

Japanese mail writes the same thing in several code points: full-width and half-width
letters, 〜 (U+301C, what a Mac types) and ～ (U+FF5E, what Windows types) for the same wave
dash, − and － and ‐ for a minus. Matching compares normalised forms so that a rule written
once matches all of them. Pure functions, no I/O.
"""

from __future__ import annotations

import re
import unicodedata

from inboxguard.domain.display import neutralised

# After NFKC, ～ (U+FF5E) is already "~"; the others in the family need mapping to it.
_WAVE_DASHES = "\u301c\u2053\u223c\uff5e"
# Hyphens, dashes and minus signs (not the katakana prolonged sound mark ー, which is a
# letter): people type whichever their keyboard gives them for "-".
_MINUS_FAMILY = "\u2010\u2011\u2012\u2013\u2014\u2015\u2043\u2212\ufe58\ufe63\uff0d"
_TRANSLATION = str.maketrans(
    {**dict.fromkeys(_WAVE_DASHES, "~"), **dict.fromkeys(_MINUS_FAMILY, "-")}
)


def normalise_for_matching(text: str) -> str:
    """NFKC, one wave dash, one minus, casefolded, whitespace collapsed and stripped."""
    folded = unicodedata.normalize("NFKC", text).translate(_TRANSLATION).casefold()
    return " ".join(folded.split())


def _letters(word: str) -> str:
    """A pattern matching ``word`` in ASCII or full-width letters, any case."""
    parts = []
    for char in word:
        if char.isascii() and char.isalpha():
            variants = {char.lower(), char.upper()}
            variants |= {chr(ord(variant) + 0xFEE0) for variant in set(variants)}
            parts.append("[" + "".join(sorted(variants)) + "]")
        else:
            parts.append(re.escape(char))
    return "".join(parts)


_REPLY_WORDS = ("re", "fwd", "fw", "aw", "wg", "sv")
_REPLY_PREFIX = re.compile(
    r"\s*(?:" + "|".join(_letters(word) for word in _REPLY_WORDS) + r"|返信|転送|回复|转发)"
    # Counters some clients add: Re[2]:, Re(2):, Re^2:, in ASCII or full-width digits.
    r"\s*(?:[\[［]\s*\d+\s*[\]］]|[(（]\s*\d+\s*[)）]|\^\d+)?"
    r"\s*[:：]\s*"
)
# Mailing-list tags: ASCII square brackets only; 【重要】 is content the sender wrote.
_LIST_TAG = re.compile(r"\s*\[[^\[\]]{1,100}\]\s*")


def _strip_reply_prefixes(subject: str) -> str:
    while match := _REPLY_PREFIX.match(subject):
        subject = subject[match.end() :]
    return subject


def normalise_subject(subject: str) -> str:
    """The subject as thread matching compares it: reply prefixes and list tags removed.

    ``Re: [proj-x] RE: 見積`` and ``見積`` give the same result. Invisible format
    characters go first: our drafts' subjects carry none (``display.neutralised``), so the
    owner's reply must still match the client's subject that had them.
    """
    rest = neutralised(subject)
    while True:
        stripped = _strip_reply_prefixes(rest)
        tag = _LIST_TAG.match(stripped)
        if tag is not None:
            stripped = stripped[tag.end() :]
        if stripped == rest:
            break
        rest = stripped
    return normalise_for_matching(rest)


def reply_subject(subject: str) -> str:
    """The subject for a reply: one ``Re: `` in front, never ``Re: Re:``.

    Leading list tags are kept (the list expects them) but reply prefixes after them go:
    ``Re: [proj-x] Re: 見積`` gives ``Re: [proj-x] 見積``. The remaining text keeps its
    original case and width.
    """
    rest = _strip_reply_prefixes(subject.strip())
    tags: list[str] = []
    while tag := _LIST_TAG.match(rest):
        tags.append(tag.group(0).strip())
        rest = _strip_reply_prefixes(rest[tag.end() :])
    return " ".join(["Re:", *tags, rest.strip()]).rstrip()

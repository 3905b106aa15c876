"""Is the counterpart's new text only a short acknowledgement? (SPEC §5)

"承知しました。よろしくお願いいたします。" needs no answer; "承知しました。ところで…" does.
The test: take the new text (quotes and signature already stripped by the parser), drop
greeting and closing lines, then every acknowledgement phrase; if at least one phrase was
there, no question is asked, and almost nothing is left (a name), it is acknowledgement-only.
The phrase lists are data in rules/acknowledgements.toml.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from inboxguard.domain.normalise import normalise_for_matching

_PUNCTUATION = re.compile(r"[\s\W_]+", re.UNICODE)
_QUESTION = re.compile(r"[?？]")


@dataclass(frozen=True, slots=True)
class AcknowledgementRules:
    phrases: tuple[str, ...]
    filler_lines: tuple[str, ...] = ()
    max_chars: int = 200
    max_residue: int = 12
    _phrases: tuple[re.Pattern[str], ...] = field(default=(), compare=False, repr=False)
    _fillers: tuple[re.Pattern[str], ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        # Longest first, so "承知いたしました" is removed whole before "承知".
        normalised = sorted({normalise_for_matching(p) for p in self.phrases if p}, key=len)
        object.__setattr__(
            self, "_phrases", tuple(_phrase_pattern(p) for p in reversed(normalised))
        )
        fillers = tuple(re.compile(p, re.IGNORECASE) for p in self.filler_lines)
        object.__setattr__(self, "_fillers", fillers)

    def is_acknowledgement(self, text: str) -> bool:
        normalised = normalise_for_matching(text) if text else ""
        if not normalised or len(normalised) > self.max_chars or _QUESTION.search(normalised):
            return False
        if not any(p.search(normalised) for p in self._phrases):
            return False  # the common case, settled in one pass
        lines = [line for line in text.splitlines() if line.strip()]
        kept = []
        for line in map(normalise_for_matching, lines):
            # A line holding a phrase is never filler: "了解です" is the acknowledgement itself,
            # and "Hi Taro, thanks, please call me" must keep its request.
            holds_phrase = any(p.search(line) for p in self._phrases)
            if holds_phrase or not any(f.search(line) for f in self._fillers):
                kept.append(line)
        remainder = " ".join(kept)
        found = False
        for phrase in self._phrases:
            remainder, count = phrase.subn(" ", remainder)
            found = found or count > 0
        if not found:
            return False
        residue = _PUNCTUATION.sub("", remainder)
        return len(residue) <= self.max_residue


def _phrase_pattern(phrase: str) -> re.Pattern[str]:
    """Latin phrases match whole words ("ok" is not in "book"); Japanese has no spaces."""
    if phrase.isascii():
        return re.compile(rf"\b{re.escape(phrase)}\b")
    return re.compile(re.escape(phrase))

"""English text as words: tokens with a crude stem, contractions expanded.

The incident rules need "can't log in", "doesn't load", "isn't arriving", "keeps crashing"
to be one shape (a negated action), whatever the tense or the contraction. A full
lemmatiser is more than that needs: every rule word and every text word go through the
same ``stem``, so "loads", "loading", "loaded" and "load" meet, and the few irregular verbs
mail uses are listed. Consistency matters here, not linguistic truth.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

# A dash between spaces ends a clause as a colon does: "Not urgent - opening hours" is
# no negated "open".
_TOKEN = re.compile(r"[a-z0-9]+(?:['\u2019][a-z]+)?|[.!?;:]|(?<=\s)[-\u2013\u2014](?=\s)")
_CONTRACTIONS = {
    "can't": ("can", "not"),
    "cannot": ("can", "not"),
    "won't": ("will", "not"),
    "shan't": ("shall", "not"),
    "ain't": ("be", "not"),
}
_IRREGULAR = {
    "is": "be", "are": "be", "was": "be", "were": "be", "been": "be", "being": "be",
    "am": "be", "'s": "be", "has": "have", "had": "have", "does": "do", "did": "do",
    "done": "do", "went": "go", "goes": "go", "sent": "send", "broke": "break",
    "broken": "break", "froze": "freeze", "frozen": "freeze", "shown": "show",
    "ran": "run", "got": "get", "gotten": "get", "kept": "keep", "lost": "lose",
    "stuck": "stick", "saw": "see", "seen": "see", "came": "come", "paid": "pay",
    "hung": "hang", "left": "leave", "made": "make", "thrown": "throw", "threw": "throw",
    "told": "tell", "fell": "fall", "fallen": "fall", "won": "win",
    "this": "this", "its": "its", "us": "us", "gas": "gas", "yes": "yes", "bus": "bus",
}  # fmt: skip
_DOUBLED = re.compile(r"([bdfgklmnprstz])\1$")


@dataclass(frozen=True, slots=True)
class Token:
    """A word as written (lower case) and its stem; punctuation is a token of its own."""

    text: str
    stem: str

    @property
    def is_stop(self) -> bool:
        return self.text in ".!?;:-\u2013\u2014"


@lru_cache(maxsize=4096)
def stem(word: str) -> str:
    """One form for a word's inflections ("crashes", "crashed", "crashing" → "crash")."""
    word = word.lower().replace("\u2019", "'")
    if word in _IRREGULAR:
        # The base goes through the same last step as any word: "lost" → "lose" → "los",
        # the stem a rule's "lose" has.
        base = _IRREGULAR[word]
        return base.removesuffix("e") if len(base) > 3 else base
    if word.endswith(("ies", "ied")) and len(word) > 4:
        return word[:-3] + "y"
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                break
            word = word[: -len(suffix)]
            word = _DOUBLED.sub(r"\1", word) if not word.endswith(("ll", "ss")) else word
            break
    if word.endswith("ie") and len(word) > 3:
        word = word[:-2] + "y"
    return word.removesuffix("e") if len(word) > 3 else word


@lru_cache(maxsize=512)
def tokens(text: str) -> tuple[Token, ...]:
    """The words of ``text`` (lower-cased, contractions split into their words)."""
    out: list[Token] = []
    for raw in _TOKEN.findall(text.lower().replace("\u2019", "'")):
        if raw in _CONTRACTIONS:
            out.extend(Token(w, stem(w)) for w in _CONTRACTIONS[raw])
        elif raw.endswith("n't"):
            out.extend((Token(raw[:-3], stem(raw[:-3])), Token("not", "not")))
        elif raw.endswith(("'s", "'re", "'ve", "'ll", "'d", "'m")):
            head, _, _ = raw.partition("'")
            out.append(Token(head, stem(head)))
        else:
            out.append(Token(raw, stem(raw)))
    return tuple(out)


def stem_sequence(phrase: str) -> tuple[str, ...]:
    """A rule's phrase as the stems it must match, in order."""
    return tuple(t.stem for t in tokens(phrase) if not t.is_stop)

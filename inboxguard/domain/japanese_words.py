"""Japanese text as words: SudachiPy's lemma, part of speech and inflection per token.

Incident rules ask for shapes (a capability negated: 届かない・表示されない・ログインできず),
which a substring list cannot see: 届いていない and 届かなくなりました share no substring
with 届かない, and 障害者 contains 障害. The analyser gives each token its dictionary form,
its normalised form (つながる → 繋がる, 漏えい → 漏洩, お客様 → 御客様) and its inflection,
and the rules match on those.

The dictionary (sudachidict-core) takes ~0.1 s and ~70 MB to load, so it is loaded once
per process, on first use: importing inboxguard (and `inboxguard --help`) never loads it.
Mode C keeps compounds whole (本番環境, 情報漏洩, 障害者雇用), which is the unit the rules
name. Results are cached per text: the cycle scores a message's subject and text, and
`explain` scores them again.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

# Sudachi refuses input above ~49 KB (bytes); the cycle reads at most 64 KiB of a part,
# and what decides an incident is in the first lines anyway.
MAX_CHARS = 12_000


@dataclass(frozen=True, slots=True)
class Word:
    """One token: what was written, its dictionary form, the form rules match on, and the
    part of speech (``pos``: 動詞, 名詞, 助動詞 …; ``sub``: its second level, ``form``: the
    conjugation form, '*' when none)."""

    surface: str
    lemma: str
    norm: str
    pos: str
    sub: str
    form: str

    def is_(self, *lemmas: str) -> bool:
        return self.lemma in lemmas or self.norm in lemmas


_lock = threading.Lock()
_tokenizer: Any = None


def _load() -> Any:
    global _tokenizer  # noqa: PLW0603 - one analyser per process, loaded on first use
    with _lock:
        if _tokenizer is None:
            # Lazy by design: the dictionary loads on the first Japanese text, not on import.
            from sudachipy import (  # type: ignore[import-untyped]  # noqa: PLC0415
                Dictionary,
                SplitMode,
            )

            _tokenizer = Dictionary(dict="core").tokenizer(mode=SplitMode.C)
        return _tokenizer


@lru_cache(maxsize=512)
def words(text: str) -> tuple[Word, ...]:
    """The tokens of ``text`` (at most ``MAX_CHARS`` of it). Never raises: a text the
    analyser cannot take yields no words, and the rules then see nothing."""
    if not text.strip():
        return ()
    tokenizer = _load()
    try:
        morphemes = tokenizer.tokenize(text[:MAX_CHARS])
    except Exception:
        return ()
    out = []
    for m in morphemes:
        pos = m.part_of_speech()
        out.append(
            Word(
                surface=m.surface(),
                lemma=m.dictionary_form(),
                norm=m.normalized_form(),
                pos=pos[0],
                sub=pos[1],
                form=pos[5],
            )
        )
    return tuple(out)


def lemma_sequence(phrase: str) -> tuple[str, ...]:
    """A rule's phrase as the normalised forms it must match, in order."""
    return tuple(w.norm for w in words(phrase) if w.pos not in ("空白",))

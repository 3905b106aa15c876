"""Text as incident rules read it: sentences, each analysed into words on demand, and a
rule's vocabulary pre-analysed the same way (SPEC §7).

A Japanese sentence is analysed only when it holds non-ASCII characters, and through the
per-process cache of ``japanese_words``; English tokens are always there (a Japanese mail
may say サーバーがdownしています). A vocabulary's Japanese entries are analysed into the
normalised forms they must match on first use, so that loading the rules never loads the
dictionary.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property

from inboxguard.domain import english_words, japanese_words
from inboxguard.domain.english_words import Token
from inboxguard.domain.japanese_words import Word
from inboxguard.domain.normalise import normalise_for_matching

_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_JA_SENTENCE_END = re.compile(r"(?<=[。．！？!?])")
_EN_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[;])\s*")


@dataclass(frozen=True)
class Sentence:
    """One normalised sentence, analysed on demand (Japanese only when it has any)."""

    text: str

    @cached_property
    def ja(self) -> tuple[Word, ...]:
        return japanese_words.words(self.text) if _NON_ASCII.search(self.text) else ()

    @cached_property
    def en(self) -> tuple[Token, ...]:
        return english_words.tokens(self.text)

    @cached_property
    def norms(self) -> tuple[str, ...]:
        return tuple(w.norm for w in self.ja)

    @cached_property
    def lemmas(self) -> tuple[str, ...]:
        return tuple(w.lemma for w in self.ja)

    @cached_property
    def stems(self) -> tuple[str, ...]:
        return tuple(t.stem for t in self.en)

    @cached_property
    def ja_set(self) -> frozenset[str]:
        return frozenset(self.norms) | frozenset(self.lemmas)

    @cached_property
    def stem_set(self) -> frozenset[str]:
        return frozenset(self.stems)


def split_sentences(text: str) -> tuple[Sentence, ...]:
    """``text`` as sentences: a blank line or a full stop ends one; a Japanese line
    hard-wrapped mid-sentence ("障\\n害") is joined without a space, an English one with."""
    paragraphs: list[str] = []
    current = ""
    for raw in text.replace("\r\n", "\n").split("\n"):
        line = raw.strip()
        if not line:
            if current:
                paragraphs.append(current)
            current = ""
        elif not current:
            current = line
        elif current[-1] in "。．！？!?:：」』)）" or line[0] in "・•●■□◆◇※-*>【「":
            paragraphs.append(current)
            current = line
        elif not current[-1].isascii() and not line[0].isascii():
            current += line
        else:
            current += " " + line
    if current:
        paragraphs.append(current)
    out = []
    for paragraph in paragraphs:
        for piece in _JA_SENTENCE_END.split(paragraph):
            for part in _EN_SENTENCE_END.split(piece):
                normalised = normalise_for_matching(part)
                if normalised:
                    out.append(Sentence(normalised))
    return tuple(out)


@dataclass(frozen=True)
class Vocabulary:
    """A rule's words in both languages, pre-analysed once when the rules load."""

    ja: tuple[str, ...] = ()
    en: tuple[str, ...] = ()

    @cached_property
    def ja_heads(self) -> frozenset[str]:
        return frozenset(w for entry in self.ja for w in japanese_words.lemma_sequence(entry)[:1])

    @cached_property
    def en_heads(self) -> frozenset[str]:
        return frozenset(english_words.stem(entry.split()[0]) for entry in self.en if entry)

    @cached_property
    def ja_sequences(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        return tuple((entry, japanese_words.lemma_sequence(entry)) for entry in self.ja)

    @cached_property
    def en_sequences(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        return tuple((entry, english_words.stem_sequence(entry)) for entry in self.en)

    def heads_ja(self, word: Word) -> bool:
        """``word`` is one of the rule's heads, or a compound noun ending in one
        (カード決済 ends in 決済, メール送信 in 送信)."""
        heads = self.ja_heads
        if word.norm in heads or word.lemma in heads:
            return True
        if word.pos != "名詞":
            return False
        norm = word.norm
        return any(norm[-k:] in heads for k in range(2, len(norm)))

    def ja_entry(self, word: Word) -> str:
        for entry, sequence in self.ja_sequences:
            if sequence[:1] in ((word.norm,), (word.lemma,)):
                return entry
        for entry, sequence in self.ja_sequences:
            if sequence and word.norm.endswith(sequence[0]):
                return entry
        return word.lemma

    def en_entry(self, token: Token) -> str:
        return next((e for e, seq in self.en_sequences if seq[:1] == (token.stem,)), token.text)

    @cached_property
    def _ja_index(self) -> Mapping[str, tuple[tuple[str, tuple[str, ...]], ...]]:
        return _index(self.ja_sequences)

    @cached_property
    def _en_index(self) -> Mapping[str, tuple[tuple[str, tuple[str, ...]], ...]]:
        return _index(self.en_sequences)

    def phrase_in(self, sentence: Sentence) -> str | None:
        """The first entry present in ``sentence`` as a sequence of words."""
        # Most vocabularies share no first word with most sentences: a set test rejects
        # them before any walk.
        if sentence.ja and self.ja and not self._ja_index.keys().isdisjoint(sentence.ja_set):
            found = _first_phrase(self._ja_index, sentence.norms) or _first_phrase(
                self._ja_index, sentence.lemmas
            )
            if found is not None:
                return found
        if self.en and not self._en_index.keys().isdisjoint(sentence.stem_set):
            return _first_phrase(self._en_index, sentence.stems)
        return None

    def ja_matches(self, sentence: Sentence) -> Iterator[tuple[str, int]]:
        """Each Japanese entry found in ``sentence``, with the index just past it (by
        normalised form, then by dictionary form)."""
        if not (sentence.ja and self.ja) or self._ja_index.keys().isdisjoint(sentence.ja_set):
            return
        for words in (sentence.norms, sentence.lemmas):
            for position, word in enumerate(words):
                for entry, sequence in self._ja_index.get(word, ()):
                    if words[position : position + len(sequence)] == sequence:
                        yield entry, position + len(sequence)

    def en_phrase_in(self, sentence: Sentence) -> str | None:
        """The first English entry present in ``sentence`` as a sequence of stems."""
        if self.en and not self._en_index.keys().isdisjoint(sentence.stem_set):
            return _first_phrase(self._en_index, sentence.stems)
        return None

    def en_occurrences(self, sentence: Sentence) -> Iterator[tuple[str, int]]:
        """Each English entry found in ``sentence``, with the position it starts at."""
        index = self._en_index
        stems = sentence.stems
        if not self.en or index.keys().isdisjoint(sentence.stem_set):
            return
        for position, stem in enumerate(stems):
            for entry, sequence in index.get(stem, ()):
                if stems[position : position + len(sequence)] == sequence:
                    yield entry, position


def _index(
    sequences: Iterable[tuple[str, tuple[str, ...]]],
) -> dict[str, tuple[tuple[str, tuple[str, ...]], ...]]:
    """Entries by their first word, so a sentence is walked once per vocabulary."""
    index: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
    for entry, sequence in sequences:
        if sequence:
            index.setdefault(sequence[0], []).append((entry, sequence))
    return {first: tuple(items) for first, items in index.items()}


def _first_phrase(
    index: Mapping[str, tuple[tuple[str, tuple[str, ...]], ...]], words: tuple[str, ...]
) -> str | None:
    for position, word in enumerate(words):
        for entry, sequence in index.get(word, ()):
            if words[position : position + len(sequence)] == sequence:
                return entry
    return None

"""The rule types incident detection is built from (SPEC §7): each a small named check.

rules/incident.toml configures instances of these types (which words, which weight); the
code here decides what a *shape* is. A check looks at a text already cut into sentences
and analysed into words (``Sentence``), and answers with the evidence that made it fire
(the rule's own word, e.g. ``届く`` for 届いていない) or None. Checks touch no I/O and know
nothing of weights: scoring is ``incidents.score_incident``.

Kinds (``KINDS`` is the table the rule loader reads):

- ``negated_action``: a capability or action on a thing, negated. Japanese: a verb or
  verbal noun whose inflection chain carries ない・ぬ・ず (届かない, 表示されません,
  ログインできず, 受信できなくなっています); English: the verb with a negator a few words
  before it (can't log in, doesn't load, nothing arrived, no longer syncs).
- ``breakage``: a verb of breaking in a stated form (落ちてしまう, 止まっています, 消えていて;
  crashed, keeps freezing, is broken), not negated, not asked for (停止していただけますか,
  please stop the ads), not hypothetical (落ちた場合, if it crashes) and not with a subject
  that makes it another sense (売上が落ちて, sales are down).
- ``completed``: an action stated as done (解決しました, 復旧しました, 表示されるようになりました;
  English phrases such as "working again").
- ``words``: a phrase present as words (lemma sequence in Japanese, stems in English).
- ``together``: a sentence holding a word of ``first`` and a word of ``second`` (thanks and
  the past: 先日…お礼; error and design: エラーページのデザイン).
- ``pattern``: a regular expression over the normalised sentence (HTTP status numbers).

Shapes are read per sentence: a negation in one sentence never reaches a verb in another.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import pairwise

from inboxguard.domain.english_words import Token, stem
from inboxguard.domain.incident_text import Sentence, Vocabulary
from inboxguard.domain.japanese_words import Word

# --- Japanese inflection chains -------------------------------------------------------------

# What may follow a verb inside its own inflection: auxiliaries, て/で/は/も, and the
# verbs that only inflect (いる, しまう, できる, なる …). The chain ends at anything else.
_JA_CHAIN_PARTICLES = frozenset({"て", "で", "は", "も", "ても", "ちゃ", "じゃ"})
_JA_CHAIN_VERBS = frozenset(
    {
        "する", "為る", "できる", "出来る", "いる", "居る", "しまう", "仕舞う", "ちゃう", "くる",
        "来る", "いく", "行く", "なる", "成る", "ある", "有る", "ござる", "おる", "れる",
        "られる", "せる", "させる", "みる", "見る",
    }
)  # fmt: skip
_JA_NEGATIONS = frozenset({"ない", "無い", "ぬ", "ず"})
# A chain followed by one of these asks for the action or imagines it: no report.
_JA_REQUESTS = frozenset(
    {"いただく", "頂く", "いただける", "頂ける", "くださる", "下さる", "もらう", "貰う",
     "欲しい", "ほしい", "願う", "たい"}
)  # fmt: skip
_JA_HYPOTHETICAL = frozenset(
    {"場合", "際", "とき", "時", "可能性", "恐れ", "おそれ", "予定", "必要", "こと", "事",
     "時間帯", "期間", "方法", "仕様", "前", "なら", "たら", "ば", "か", "かどうか"}
)  # fmt: skip
_JA_STATED = frozenset({"た", "て", "ます", "しまう", "仕舞う", "ちゃう", "いる", "居る", "おる"})


@dataclass(frozen=True, slots=True)
class _Chain:
    words: tuple[Word, ...]
    after: Word | None  # the first word past the chain
    after2: Word | None
    past_after: bool  # なる…た just past the chain (…ようになりました)

    @property
    def negated(self) -> bool:
        return any(w.lemma in _JA_NEGATIONS and w.pos in ("助動詞", "形容詞") for w in self.words)

    @property
    def existence_negated(self) -> bool:
        """注文はありませんでした, 問題はない: a thing that is not there, not an action that
        fails (the chain runs は/も → ある or ない)."""
        words = self.words
        return (
            len(words) >= 2
            and words[0].pos == "助詞"
            and (words[1].is_("ある", "有る") or words[1].lemma in _JA_NEGATIONS)
        )

    @property
    def stated(self) -> bool:
        return any(w.lemma in _JA_STATED or w.norm in _JA_STATED for w in self.words)

    @property
    def past(self) -> bool:
        """Done: …ました, …した; not 見られていた (a former state, the past progressive)."""
        done = any(w.lemma == "た" for w in self.words)
        return done and not any(w.lemma in ("いる", "居る", "おる") for w in self.words)

    @property
    def asked_or_imagined(self) -> bool:
        """…していただけますか, …しないように, 落ちた場合, 止まったら (none of them a report)."""
        if any(w.lemma in _JA_REQUESTS or w.lemma in _JA_HYPOTHETICAL for w in self.words):
            return True
        after = self.after
        if after is None:
            return False
        if after.lemma in _JA_REQUESTS or after.lemma in _JA_HYPOTHETICAL:
            return True
        # …ないように(する): a purpose, as in a specification
        return after.lemma == "よう" and self.after2 is not None and self.after2.surface == "に"

    @property
    def likeness(self) -> bool:
        """壊れたような加工, 崩れるようなアニメーション, エラー画面っぽい: a look compared to a
        failure (a design), not a failure."""
        after = self.after
        if after is None:
            return False
        if after.lemma in ("っぽい", "みたい"):
            return True
        return after.lemma == "よう" and self.after2 is not None and self.after2.lemma == "だ"

    @property
    def reported_plain(self) -> bool:
        """「…表示された」と: plain past inside quotes, someone's words about what they saw,
        not the writer saying it is solved (「復旧しました」とのお知らせ still is)."""
        after = self.after
        plain = not any(w.lemma == "ます" for w in self.words)
        return plain and after is not None and after.surface in ("」", "』")

    @property
    def asked_whether(self) -> bool:
        """何名に届いたのかを確認: an indirect question, not a statement."""
        after, after2 = self.after, self.after2
        if after is None:
            return False
        if after.surface == "か":
            return True
        return after.surface in ("の", "ん") and after2 is not None and after2.surface == "か"

    @property
    def became(self) -> bool:
        """…ようになりました: a state reached (表示されるようになりました)."""
        return self.after is not None and self.after.lemma == "よう" and self.past_after


def _inflects(w: Word) -> bool:
    """Whether ``w`` is part of the inflection of the verb before it."""
    if w.pos == "助動詞":
        return True
    if w.pos == "形容詞":
        return w.lemma in _JA_NEGATIONS
    if w.pos == "助詞":
        return w.lemma in _JA_CHAIN_PARTICLES
    return w.pos == "動詞" and (w.lemma in _JA_CHAIN_VERBS or w.norm in _JA_CHAIN_VERBS)


def _chain(words: tuple[Word, ...], head: int) -> _Chain:
    end = head + 1
    # 決済ができない: the capability's particle belongs to the chain when できる follows.
    if (
        end + 1 < len(words)
        and words[end].pos == "助詞"
        and words[end].lemma in ("が", "は", "も")
        and words[end + 1].lemma in ("できる", "出来る")
    ):
        end += 1
    while end < len(words):
        if not _inflects(words[end]):
            break
        end += 1
    after = words[end] if end < len(words) else None
    after2 = words[end + 1] if end + 1 < len(words) else None
    rest = words[end : end + 6]
    past_after = any(w.lemma == "なる" for w in rest) and any(w.lemma == "た" for w in rest)
    return _Chain(words[head + 1 : end], after, after2, past_after)


def _ja_subjects(words: tuple[Word, ...], head: int) -> Iterator[Word]:
    """The noun just before ``head`` (売上 in 売上が落ちて) and the noun marked by が or は
    in the same clause (売上 in 売上が前年の７割くらいまで落ちています)."""
    index = head - 1
    while index >= 0 and words[index].pos in ("助詞", "補助記号", "空白"):
        index -= 1
    if index >= 0 and words[index].pos in ("名詞", "代名詞"):
        yield words[index]
    for back in range(head - 1, max(0, head - 12), -1):
        word = words[back]
        if word.surface in ("、", "。", ","):
            return
        if word.pos == "助詞" and word.lemma in ("が", "は") and words[back - 1].pos == "名詞":
            yield words[back - 1]
            return


# --- English context ------------------------------------------------------------------------

_EN_NEGATORS = frozenset(
    {"not", "no", "never", "nothing", "non", "nobody", "unable", "longer", "neither", "nor",
     "without", "failed", "fail"}
)  # fmt: skip
_EN_LOOKBACK = 4
# "None of the emails from the form have reached us": a negated subject reaches further.
_EN_SUBJECT_NEGATORS = frozenset({"none", "nothing", "nobody", "no", "neither"})
_EN_SUBJECT_LOOKBACK = 9
# Before the word, these make it a condition or a specification, not a report. Not "when"
# ("when I click pay, nothing happens" is a report) nor "could" (customers couldn't log in).
_EN_HYPOTHETICAL = frozenset({"if", "whether", "unless", "should", "must", "ensure", "avoid",
                              "prevent"})  # fmt: skip
_EN_HYPOTHETICAL_PAIRS = frozenset({("so", "that"), ("in", "case"), ("make", "sure")})
_EN_REQUEST_START = frozenset({"please", "could", "can", "would", "will", "pls", "kindly"})


# Between a negator and the word, these take the negation for themselves ("people don't
# realise it went through") or start another clause ("no rush as long as we launch").
_EN_OWN_NEGATION = frozenset(
    stem(w) for w in ("realise", "realize", "know", "think", "notice", "understand",
                      "remember", "mind", "want", "need", "care", "sure", "believe", "expect",
                      # "not essential at launch": the adjective takes the negation
                      "essential", "necessary", "required", "needed", "important")
)  # fmt: skip
_EN_CLAUSE_WORDS = frozenset(
    {"but", "because", "as", "although", "though", "while", "until", "unless", "which", "that"}
)


def _en_negated(tokens: tuple[Token, ...], index: int) -> bool:
    for back in range(index - 1, max(-1, index - 1 - _EN_SUBJECT_LOOKBACK), -1):
        token = tokens[back]
        if token.is_stop or token.text in _EN_CLAUSE_WORDS or token.stem in _EN_OWN_NEGATION:
            return False
        near = index - back <= _EN_LOOKBACK
        if near and (token.stem in _EN_NEGATORS or token.text in _EN_NEGATORS):
            return True
        if token.text in _EN_SUBJECT_NEGATORS:
            return True
    return False


def _en_imagined(tokens: tuple[Token, ...], index: int, *, future: bool = False) -> bool:
    """An if/when/should before the word; with ``future``, also will/might ("the site will
    be down on Sunday" is a plan; "it won't load" is a report, so not for negations)."""
    words = _EN_HYPOTHETICAL | _EN_FUTURE if future else _EN_HYPOTHETICAL
    before = tokens[:index]
    if any(t.text in words for t in before):
        return True
    return any((a.text, b.text) in _EN_HYPOTHETICAL_PAIRS for a, b in pairwise(before))


# Just before the word, these make it a noun: "not before the launch", "not since the
# update" name a moment, not an action that fails (not "at": "isn't added at checkout").
_EN_NOUN_BEFORE = frozenset({"before", "after", "during", "since", "until", "of", "about"})

_EN_FUTURE = frozenset({"will", "going", "gonna", "might", "may", "planned", "scheduled"})


def _en_requested(tokens: tuple[Token, ...]) -> bool:
    return bool(tokens) and tokens[0].text in _EN_REQUEST_START


# --- the checks -----------------------------------------------------------------------------


@dataclass(frozen=True)
class NegatedAction:
    words: Vocabulary

    def check(self, sentences: Iterable[Sentence]) -> str | None:
        for sentence in sentences:
            ja = sentence.ja
            for index, word in enumerate(ja):
                if self.words.heads_ja(word):
                    chain = _chain(ja, index)
                    if chain.existence_negated or chain.asked_or_imagined:
                        continue
                    if chain.negated:
                        return self.words.ja_entry(word)
            en = sentence.en
            # "doesn't show the checkbox yet": not built yet, not broken
            if any(t.text == "yet" for t in en):
                continue
            for entry, index in self.words.en_occurrences(sentence):
                if index > 0 and en[index - 1].text in _EN_NOUN_BEFORE:
                    continue
                if _en_negated(en, index) and not _en_imagined(en, index):
                    return entry
        return None


@dataclass(frozen=True)
class Breakage:
    words: Vocabulary
    other_senses: Vocabulary = field(default_factory=Vocabulary)  # subjects: 売上, sales

    def check(self, sentences: Iterable[Sentence]) -> str | None:
        for sentence in sentences:
            ja = sentence.ja
            for index, word in enumerate(ja):
                if word.norm in self.words.ja_heads or word.lemma in self.words.ja_heads:
                    chain = _chain(ja, index)
                    comma = chain.after is not None and chain.after.surface == "、"
                    stated = chain.stated or comma
                    if not stated or chain.negated or chain.asked_or_imagined or chain.likeness:
                        continue
                    senses = self.other_senses.ja_heads
                    if any(s.norm in senses or s.lemma in senses for s in _ja_subjects(ja, index)):
                        continue
                    return self.words.ja_entry(word)
            en = sentence.en
            if _en_requested(en):
                continue
            for entry, index in self.words.en_occurrences(sentence):
                if _en_negated(en, index) or _en_imagined(en, index, future=True):
                    continue
                before = {t.stem for t in en[max(0, index - 4) : index]}
                if before & self.other_senses.en_heads:
                    continue
                return entry
        return None


@dataclass(frozen=True)
class Completed:
    words: Vocabulary

    def check(self, sentences: Iterable[Sentence]) -> str | None:
        for sentence in sentences:
            ja = sentence.ja
            for index, word in enumerate(ja):
                if word.norm in self.words.ja_heads or word.lemma in self.words.ja_heads:
                    chain = _chain(ja, index)
                    if chain.negated or (chain.asked_or_imagined and not chain.became):
                        continue
                    if chain.reported_plain or chain.asked_whether:
                        continue
                    # 届いたメールに…, 解決した件: the past describing a noun is no statement
                    # that something is done now.
                    if (
                        chain.past
                        and not chain.became
                        and chain.after is not None
                        and (chain.after.pos in ("名詞", "代名詞"))
                    ):
                        continue
                    if chain.past or chain.became:
                        return self.words.ja_entry(word)
            if not ja and (found := self.words.phrase_in(sentence)) is not None:
                return found
        return None


@dataclass(frozen=True)
class Words:
    words: Vocabulary

    def check(self, sentences: Iterable[Sentence]) -> str | None:
        for sentence in sentences:
            ja = sentence.ja
            for entry, end in self.words.ja_matches(sentence):
                if not _ja_denied(ja, end):
                    return entry
            # "If we got hacked, how quickly…", "Should we be worried about hacking?": a
            # condition or a question of advice names the thing, it reports nothing.
            for entry, index in self.words.en_occurrences(sentence):
                if not _en_imagined(sentence.en, index):
                    return entry
        return None


def _ja_denied(words: tuple[Word, ...], end: int) -> bool:
    """The phrase ending before ``end`` is denied: お手すきの時ではなく, 障害ではありません
    (a few nouns and の may come between, then で/じゃ, は, and a negation)."""
    for index in range(end, min(len(words), end + 6)):
        word = words[index]
        if word.surface in ("で", "じゃ"):
            rest = [w for w in words[index + 1 : index + 4] if w.lemma not in ("は", "も")]
            return bool(rest) and rest[0].lemma in _JA_NEGATIONS
        if word.pos != "名詞" and word.surface != "の":
            return False
    return False


@dataclass(frozen=True)
class Together:
    first: Vocabulary
    second: Vocabulary

    def check(self, sentences: Iterable[Sentence]) -> str | None:
        for sentence in sentences:
            one = self.first.phrase_in(sentence)
            if one is None:
                continue
            two = self.second.phrase_in(sentence)
            if two is not None:
                return f"{one}+{two}"
        return None


@dataclass(frozen=True)
class Pattern:
    patterns: tuple[re.Pattern[str], ...]

    def check(self, sentences: Iterable[Sentence]) -> str | None:
        for sentence in sentences:
            for pattern in self.patterns:
                if (match := pattern.search(sentence.text)) is not None:
                    return match.group(0).strip()
        return None


Check = NegatedAction | Breakage | Completed | Words | Together | Pattern


@dataclass(frozen=True)
class SignalCheck:
    """A check with what every kind may add in the rule file:

    - ``except_*``: phrases that make a sentence another sense or an idiom for this signal
      (障害のある社員, a broken record, the header looks broken up): a sentence holding one
      is not read by it, the rest of the message still is;
    - ``cancels``: the names of signals this one makes void when it fires (a proof that was
      already printed is no draft under review; a commission to write about outages names
      outages as its topic). Scoring applies it (``incidents.score_incident``).
    """

    inner: Check
    exceptions: Vocabulary = field(default_factory=Vocabulary)
    cancels: tuple[str, ...] = ()

    def check(self, sentences: Iterable[Sentence]) -> str | None:
        if self.exceptions.ja or self.exceptions.en:
            sentences = [s for s in sentences if self.exceptions.phrase_in(s) is None]
        return self.inner.check(sentences)


# What every kind may take besides its own lists (see ``SignalCheck``).
COMMON = ("except_ja", "except_en", "cancels")

# kind name in rules/incident.toml → the lists it takes (besides name, weight, why).
KINDS: Mapping[str, tuple[str, ...]] = {
    "negated_action": ("ja", "en", *COMMON),
    "breakage": ("ja", "en", "other_senses_ja", "other_senses_en", *COMMON),
    "completed": ("ja", "en", *COMMON),
    "words": ("ja", "en", *COMMON),
    "together": ("first_ja", "first_en", "second_ja", "second_en", *COMMON),
    "pattern": ("patterns", *COMMON),
}


def build_check(kind: str, lists: Mapping[str, tuple[str, ...]]) -> SignalCheck:
    """The check of ``kind`` configured with ``lists`` (keys from ``KINDS[kind]``)."""
    return SignalCheck(
        _build(kind, lists),
        Vocabulary(ja=lists.get("except_ja", ()), en=lists.get("except_en", ())),
        tuple(lists.get("cancels", ())),
    )


def _build(kind: str, lists: Mapping[str, tuple[str, ...]]) -> Check:

    def vocabulary(prefix: str = "") -> Vocabulary:
        # Analysed on first use, not here: loading rules must not load the dictionary.
        return Vocabulary(ja=lists.get(f"{prefix}ja", ()), en=lists.get(f"{prefix}en", ()))

    if kind == "negated_action":
        return NegatedAction(vocabulary())
    if kind == "breakage":
        return Breakage(vocabulary(), vocabulary("other_senses_"))
    if kind == "completed":
        return Completed(vocabulary())
    if kind == "words":
        return Words(vocabulary())
    if kind == "together":
        return Together(vocabulary("first_"), vocabulary("second_"))
    if kind == "pattern":
        return Pattern(tuple(re.compile(p) for p in lists.get("patterns", ())))
    raise ValueError(f"unknown signal kind {kind!r}")

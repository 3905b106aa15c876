"""Does a counterpart's message open an incident? (SPEC §7, detection only)

A message is read as words (``incident_signals``) and scored by *signals*: named checks,
each configured in rules/incident.toml with a weight and a reason. Signals for an
incident (a failure shape: 届かない, can't log in; breakage: 落ちてしまう, keeps crashing;
impact, damage, urgency, HTTP errors) have positive weights; counter-signals (thanks for a
fix that is over, "not urgent", error pages to design, a draft under review, resolved)
have negative ones. Each signal counts once per message, at its strongest place: in the
subject a positive weight counts ``subject_weight`` times. The sum at or above
``threshold`` opens an incident.

What fired is kept with the message as strings, ``"name:evidence=weight"`` (e.g.
``"failure:届く=4"``, ``"past_thanks:ありがとう+先日=-6"``; the weight is what it added
to the score, subject weight applied), so that the store needs no new column, ``explain``
can show it, and the owner's corrections (``incident_adjustments``) can re-weigh exactly
the signals they corrected.

The older rule type, weighted keywords matched as words on normalised text (``[keywords]``
with ``exclude``), is still read so that an owner's copy of the file keeps working; its
matches are signals named ``keyword``:

- Latin keywords match whole words on normalised text: ``down`` is not in ``markdown`` or
  ``countdown``; a space in a keyword also matches a hyphen (``data-loss``).
- Japanese has no spaces, so false friends are listed as exclusions: their spans are removed
  before keywords are looked for (``障害者`` leaves nothing for ``障害``).
- Longer keywords are matched first and consume their span, so ``is down`` is counted once
  and not again as ``down``.

Machine-sent mail (an outage newsletter, a list's メンテナンスのお知らせ) never opens one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from inboxguard.domain.incident_signals import SignalCheck
from inboxguard.domain.incident_text import split_sentences
from inboxguard.domain.message import Message
from inboxguard.domain.normalise import normalise_for_matching

# What a client writes about a failure comes first; the rest of a long mail (a pasted log,
# a forwarded thread the parser could not cut) costs analysis time and adds only noise.
# About 20 ms of analysis at most per message.
MAX_TEXT_CHARS = 4000

# Masks removed spans so the text on either side cannot join into a new match.
_GAP = "\x00"
_WRAPPED_JAPANESE = re.compile(r"(?<=[^\x00-\x7f]) (?=[^\x00-\x7f])")


@dataclass(frozen=True, slots=True)
class Signal:
    """One signal that fired: its rule's name, the words that decided, what it added."""

    name: str
    evidence: str
    weight: float  # the contribution to the score, subject weight applied
    where: str  # "subject" or "text"

    @property
    def key(self) -> str:
        """What the owner's corrections are counted by: ``"failure:届く"``."""
        return f"{self.name}:{self.evidence}"

    def encode(self) -> str:
        return f"{self.key}={self.weight:g}"


def decode_signal(encoded: str) -> tuple[str, float] | None:
    """``("failure:届く", 4.0)`` from ``"failure:届く=4"``; None for a keyword stored
    before signals existed (a bare ``"障害"``)."""
    key, sep, weight = encoded.rpartition("=")
    if not sep or ":" not in key:
        return None
    try:
        return key, float(weight)
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class IncidentScore:
    """The score, the signals that made it (encoded, in rule order), whether it opens one,
    and the signals themselves."""

    score: float
    keywords: tuple[str, ...]
    opens: bool
    signals: tuple[Signal, ...] = ()


NO_INCIDENT = IncidentScore(score=0.0, keywords=(), opens=False)


@dataclass(frozen=True, slots=True)
class SignalRule:
    """One ``[[signal]]`` of rules/incident.toml: a named check, its weight and why."""

    name: str
    kind: str
    weight: float
    why: str
    check: SignalCheck = field(compare=False)


@dataclass(frozen=True, slots=True)
class IncidentRules:
    """Data from rules/incident.toml: the signals, the older keyword → weight table with
    its exclusions, the subject weight, and the bar to open."""

    keywords: Mapping[str, float] = field(default_factory=dict)
    exclude: tuple[str, ...] = ()
    threshold: float = 4.0
    subject_weight: float = 2.0
    signals: tuple[SignalRule, ...] = ()
    _keywords: tuple[tuple[str, float, re.Pattern[str]], ...] = field(
        default=(), compare=False, repr=False
    )
    _exclude: tuple[re.Pattern[str], ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        # Longest first: "is down" consumes its span before "down" is looked for.
        ordered = sorted(
            self.keywords.items(),
            key=lambda item: len(normalise_for_matching(item[0])),
            reverse=True,
        )
        compiled = tuple(
            (word, weight, phrase_pattern(word)) for word, weight in ordered if word.strip()
        )
        object.__setattr__(self, "_keywords", compiled)
        excludes = sorted({normalise_for_matching(e) for e in self.exclude if e.strip()}, key=len)
        object.__setattr__(self, "_exclude", tuple(phrase_pattern(e) for e in reversed(excludes)))

    def matches(self, text: str) -> dict[str, float]:
        """Keyword → weight for each keyword found in ``text`` (once each)."""
        normalised = normalise_for_matching(text) if text else ""
        # Japanese mail is hard-wrapped mid-word ("障\n害"); a line break there is no space.
        normalised = _WRAPPED_JAPANESE.sub("", normalised)
        for pattern in self._exclude:
            normalised = pattern.sub(_GAP, normalised)
        found: dict[str, float] = {}
        for word, weight, pattern in self._keywords:
            normalised, count = pattern.subn(_GAP, normalised)
            if count:
                found[word] = weight
        return found


def phrase_pattern(phrase: str) -> re.Pattern[str]:
    """``phrase`` as a pattern over normalised text: whole words for Latin phrases (a
    space also matches a hyphen), a plain substring for Japanese."""
    normalised = normalise_for_matching(phrase)
    body = r"[\s\-]+".join(re.escape(part) for part in normalised.split(" "))
    # NFKC keeps the typographic apostrophe that Outlook and macOS type in "can’t".
    body = body.replace("'", "['\u2019]")
    if normalised.isascii():
        # ASCII letters and digits only: "サーバーがdownしています" still matches "down".
        return re.compile(rf"(?<![a-z0-9]){body}(?![a-z0-9])")
    return re.compile(body)


# Re:, RE:, Fwd:, AW:, 返信:, Ｒｅ： — the prefixes mail clients put before a thread's subject.
_REPLY = re.compile(r"\s*(?:re|fw|fwd|aw|sv|返信|転送)\s*(?:\[\d+\])?\s*[:：]", re.IGNORECASE)


def score_incident(subject: str, text: str, rules: IncidentRules) -> IncidentScore:
    """Score one message's subject and new text (its first ``MAX_TEXT_CHARS``) against
    ``rules``."""
    text = text[:MAX_TEXT_CHARS]
    # A reply's subject is the thread's, often an old one ("Re: URGENT site is down" over a
    # new request): it is read, but without the weight of the writer's own headline.
    subject_weight = 1.0 if _REPLY.match(subject) else rules.subject_weight
    places = (("subject", split_sentences(subject[:500])), ("text", split_sentences(text)))
    fired: list[Signal] = []
    cancels: dict[str, tuple[str, ...]] = {}
    for rule in rules.signals:
        best: Signal | None = None
        for where, sentences in places:
            evidence = rule.check.check(sentences)
            if evidence is None:
                continue
            weight = rule.weight * (subject_weight if where == "subject" else 1.0)
            if best is None or abs(weight) > abs(best.weight):
                best = Signal(rule.name, evidence, rule.weight if weight < 0 else weight, where)
        if best is not None:
            fired.append(best)
            cancels[rule.name] = rule.check.cancels
    # A signal another one made void (a printed proof is no draft under review) does not
    # count; the one that voided it shows why. A voided signal voids nothing itself: a
    # proof already printed no longer makes its typo feedback on a draft.
    voided = {name for names in cancels.values() for name in names}
    cancelled = {name for who, names in cancels.items() if who not in voided for name in names}
    fired = [s for s in fired if s.name not in cancelled]
    if rules.keywords:
        in_subject = rules.matches(subject)
        in_text = rules.matches(text)
        for word in dict.fromkeys([*in_subject, *in_text]):
            if word in in_subject:
                fired.append(
                    Signal("keyword", word, rules.subject_weight * in_subject[word], "subject")
                )
            else:
                fired.append(Signal("keyword", word, in_text[word], "text"))
    score = round(sum(s.weight for s in fired), 6)
    return IncidentScore(
        score=score,
        keywords=tuple(s.encode() for s in fired),
        opens=score >= rules.threshold,
        signals=tuple(fired),
    )


def incident_for(
    message: Message, automated_reason: str | None, rules: IncidentRules
) -> IncidentScore:
    """The incident score of a parsed message; machine-sent mail never opens one."""
    if automated_reason is not None:
        return NO_INCIDENT
    return score_incident(message.subject, message.text, rules)

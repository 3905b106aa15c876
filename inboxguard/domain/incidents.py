"""Does a counterpart's message open an incident? (SPEC §7, detection only)

A message scores the weights of the keywords found in its subject (multiplied by
``subject_weight``) and in its new text (quotes and signature already stripped by the
parser); at or above ``threshold`` it opens an incident. The keywords, weights and
exclusions are data in rules/incident.toml.

Matching is word-aware so that false friends do not count:

- Latin keywords match whole words on normalised text: ``down`` is not in ``markdown`` or
  ``countdown``; a space in a keyword also matches a hyphen (``data-loss``).
- Japanese has no spaces, so false friends are listed as exclusions: their spans are removed
  before keywords are looked for (``障害者`` leaves nothing for ``障害``, ``ダウンロード``
  nothing for ``ダウン``, ``至急ではありません`` nothing for ``至急``).
- Longer keywords are matched first and consume their span, so ``is down`` is counted once
  and not again as ``down``. Each keyword counts at most once per location.

Machine-sent mail (an outage newsletter, a list's メンテナンスのお知らせ) never opens one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from inboxguard.domain.message import Message
from inboxguard.domain.normalise import normalise_for_matching

# Masks removed spans so the text on either side cannot join into a new match.
_GAP = "\x00"
_WRAPPED_JAPANESE = re.compile(r"(?<=[^\x00-\x7f]) (?=[^\x00-\x7f])")


@dataclass(frozen=True, slots=True)
class IncidentScore:
    """The score, the keywords that made it (subject first), and whether it opens one."""

    score: float
    keywords: tuple[str, ...]
    opens: bool


NO_INCIDENT = IncidentScore(score=0.0, keywords=(), opens=False)


@dataclass(frozen=True, slots=True)
class IncidentRules:
    """Data from rules/incident.toml: keyword → weight, exclusions, and the bar to open."""

    keywords: Mapping[str, float]
    exclude: tuple[str, ...] = ()
    threshold: float = 4.0
    subject_weight: float = 2.0
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


def score_incident(subject: str, text: str, rules: IncidentRules) -> IncidentScore:
    """Score one message's subject and new text against ``rules``."""
    in_subject = rules.matches(subject)
    in_text = rules.matches(text)
    score = rules.subject_weight * sum(in_subject.values()) + sum(in_text.values())
    keywords = tuple(dict.fromkeys([*in_subject, *in_text]))
    return IncidentScore(score=score, keywords=keywords, opens=score >= rules.threshold)


def incident_for(
    message: Message, automated_reason: str | None, rules: IncidentRules
) -> IncidentScore:
    """The incident score of a parsed message; machine-sent mail never opens one."""
    if automated_reason is not None:
        return NO_INCIDENT
    return score_incident(message.subject, message.text, rules)

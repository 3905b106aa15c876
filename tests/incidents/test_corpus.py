"""The incident corpus: 150+ client mails in five parts — tuning, heldout (never tuned on),
blind1 and blind2 (each written blind by another writer, scored, then tuned on), and blind3
(written blind, never tuned on: reported by bench/incident_precision.py, no bar here) — and
the bar detection holds on the others, per language (SPEC §7)."""

from __future__ import annotations

from itertools import combinations

import pytest

from inboxguard.domain.incidents import IncidentRules, score_incident
from inboxguard.rules import load_rules
from tests.incidents.corpus import PARTS, CorpusCase, load_corpus


@pytest.fixture(scope="module")
def rules() -> IncidentRules:
    return load_rules(None).incident


def _precision_recall(cases: tuple[CorpusCase, ...], rules: IncidentRules) -> tuple[float, float]:
    tp = fp = fn = 0
    for case in cases:
        opens = score_incident(case.subject, case.text, rules).opens
        tp += opens and case.incident
        fp += opens and not case.incident
        fn += case.incident and not opens
    return tp / max(1, tp + fp), tp / max(1, tp + fn)


def test_the_corpus_has_150_distinct_cases_in_both_languages_and_every_part() -> None:
    cases = [case for part in PARTS for case in load_corpus(part)]
    assert len(cases) >= 150
    assert len({case.name for case in cases}) == len(cases)
    assert len({(case.subject, case.body) for case in cases}) == len(cases)
    for part in PARTS:
        for lang in ("ja", "en"):
            group = [c for c in load_corpus(part) if c.lang == lang]
            assert sum(c.incident for c in group) >= 15, (part, lang)
            assert sum(not c.incident for c in group) >= 15, (part, lang)
            assert all(c.why for c in group)


def test_the_parts_share_no_mail() -> None:
    bodies = {part: {c.body for c in load_corpus(part)} for part in PARTS}
    for one, other in combinations(PARTS, 2):
        assert not bodies[one] & bodies[other], (one, other)


def test_quotes_and_signatures_are_stripped_before_scoring() -> None:
    case = next(c for c in load_corpus("heldout") if c.name == "ja_h_resolved")
    assert "確認いたします" in case.body and "確認いたします" not in case.text


# The parts the bar is held on: tuning, blind1 and blind2 were tuned on, heldout never was.
# A set kept for reporting (the next blind one) is measured by the bench, not asserted here.
@pytest.mark.parametrize("part", ["tuning", "heldout", "blind1", "blind2"])
@pytest.mark.parametrize("lang", ["ja", "en"])
def test_precision_and_recall_are_at_least_0_9_per_language(
    rules: IncidentRules, part: str, lang: str
) -> None:
    cases = tuple(c for c in load_corpus(part) if c.lang == lang)
    precision, recall = _precision_recall(cases, rules)
    assert precision >= 0.9, (part, lang, precision)
    assert recall >= 0.9, (part, lang, recall)

"""Precision and recall of incident detection on the corpus, per language (SPEC §7).

Run: .venv/bin/python bench/incident_precision.py [RULES_DIR] [--wrong]
Scores every case of tests/incidents/corpus/ (held-out and tuning parts) and the older
labelled set (tests/incidents/labelled.toml, tuned on before) with the shipped
rules/incident.toml, or the copy in RULES_DIR. Prints one row per part and language, the
parsing cost per message (analyser already loaded; the load itself is shown apart), and
with --wrong each misclassified case with the signals that fired. Asserts nothing; the
test suite holds the bar (tests/incidents/test_corpus.py).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from inboxguard.domain import english_words, japanese_words
from inboxguard.domain.incidents import IncidentRules, score_incident
from inboxguard.rules import load_rules
from tests.incidents.corpus import PARTS, load_corpus
from tests.incidents.labelled import load_cases


def _row(label: str, results: list[tuple[bool, bool]]) -> str:
    tp = sum(p and a for p, a in results)
    fp = sum(p and not a for p, a in results)
    fn = sum(a and not p for p, a in results)
    precision = tp / (tp + fp) if tp + fp else float("nan")
    recall = tp / (tp + fn) if tp + fn else float("nan")
    return (
        f"{label:<18} {len(results):>5} {sum(a for _, a in results):>5} {tp:>4} {fp:>4} {fn:>4}"
        f" {precision:>9.3f} {recall:>7.3f}"
    )


def _parse_cost(rules: IncidentRules, texts: list[tuple[str, str]]) -> tuple[float, float]:
    """Median and largest milliseconds per message (each the best of 5 runs with the
    analyser's cache cleared: the machine is shared, the best run is the cost)."""
    costs = []
    for subject, text in texts:
        best = float("inf")
        for _ in range(5):
            japanese_words.words.cache_clear()
            english_words.tokens.cache_clear()
            start = time.perf_counter()
            score_incident(subject, text, rules)
            best = min(best, time.perf_counter() - start)
        costs.append(best * 1000)
    return statistics.median(costs), max(costs)


def main(argv: list[str]) -> None:
    show_wrong = "--wrong" in argv
    args = [a for a in argv if a != "--wrong"]
    start = time.perf_counter()
    japanese_words.words("辞書を読み込む")
    load_ms = (time.perf_counter() - start) * 1000
    rules = load_rules(Path(args[0]) if args else None).incident
    groups: dict[str, list[tuple[bool, bool]]] = {}
    wrong: list[str] = []
    texts: list[tuple[str, str]] = []
    for part in PARTS:
        for case in load_corpus(part):
            text = case.text
            texts.append((case.subject, text))
            result = score_incident(case.subject, text, rules)
            groups.setdefault(f"{part} {case.lang}", []).append((result.opens, case.incident))
            if result.opens != case.incident:
                kind = "false alarm" if result.opens else "missed"
                wrong.append(
                    f"  {part}/{case.name}: {kind} score={result.score:g} {list(result.keywords)}"
                )
    for case in load_cases():
        result = score_incident(case.subject, case.text, rules)
        lang = case.name[:2]
        predicted = result.opens and case.automated is None
        groups.setdefault(f"labelled {lang}", []).append((predicted, case.incident))
        if predicted != case.incident:
            kind = "false alarm" if predicted else "missed"
            wrong.append(
                f"  labelled/{case.name}: {kind} score={result.score:g} {list(result.keywords)}"
            )
    print(
        f"threshold {rules.threshold:g}  subject_weight {rules.subject_weight:g}  "
        f"signals {len(rules.signals)}"
    )
    print(
        f"{'part':<18} {'cases':>5} {'inc':>5} {'tp':>4} {'fp':>4} {'fn':>4} "
        f"{'precision':>9} {'recall':>7}"
    )
    for part in (*PARTS, "labelled"):
        for lang in ("ja", "en"):
            print(_row(f"{part} {lang}", groups.get(f"{part} {lang}", [])))
        print(_row(f"{part} all", groups.get(f"{part} ja", []) + groups.get(f"{part} en", [])))
    median, largest = _parse_cost(rules, texts)
    longest = max(len(s) + len(t) for s, t in texts)
    print(
        f"analyser load {load_ms:.0f} ms once per process; "
        f"analysis and scoring per message: median {median:.2f} ms, largest {largest:.2f} ms "
        f"({len(texts)} corpus messages, up to {longest} characters, uncached)"
    )
    if show_wrong:
        print("\n".join(wrong) if wrong else "no misclassified case")


if __name__ == "__main__":
    main(sys.argv[1:])

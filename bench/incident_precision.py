"""Precision and recall of incident detection on the labelled set (SPEC §7).

Run: .venv/bin/python bench/incident_precision.py [RULES_DIR]
Scores every case in tests/incidents/labelled.toml with the shipped rules/incident.toml (or
the copy in RULES_DIR), prints the confusion counts, precision and recall, and lists the
misclassified cases with their score and keywords. Asserts nothing; the test suite holds the
bar (tests/incidents/test_labelled.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from inboxguard.domain.incidents import score_incident
from inboxguard.rules import load_rules
from tests.incidents.labelled import load_cases


def main(argv: list[str]) -> None:
    rules = load_rules(Path(argv[0]) if argv else None).incident
    cases = load_cases()
    counts = {"tp": 0, "fp": 0, "tn": 0, "fn": 0}
    wrong = []
    for case in cases:
        result = score_incident(case.subject, case.text, rules)
        predicted = result.opens and case.automated is None
        key = ("t" if predicted == case.incident else "f") + ("p" if predicted else "n")
        counts[key] += 1
        if predicted != case.incident:
            wrong.append((key, case, result))
    precision = counts["tp"] / max(1, counts["tp"] + counts["fp"])
    recall = counts["tp"] / max(1, counts["tp"] + counts["fn"])
    incidents = sum(case.incident for case in cases)
    print(f"cases {len(cases)} (incidents {incidents}, near misses {len(cases) - incidents})")
    print(f"threshold {rules.threshold}  subject_weight {rules.subject_weight}")
    print(f"{'':>10} {'opens':>6} {'no':>6}")
    print(f"{'incident':>10} {counts['tp']:>6} {counts['fn']:>6}")
    print(f"{'not':>10} {counts['fp']:>6} {counts['tn']:>6}")
    print(f"precision {precision:.3f}  recall {recall:.3f}")
    for key, case, result in wrong:
        label = "false positive" if key == "fp" else "false negative"
        print(f"  {label}: {case.name} score={result.score:g} keywords={list(result.keywords)}")


if __name__ == "__main__":
    main(sys.argv[1:])

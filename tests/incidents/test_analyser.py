"""The Japanese analyser loads once per process and only when Japanese text is read."""

from __future__ import annotations

import subprocess
import sys

from inboxguard.domain.japanese_words import lemma_sequence, words

PROBE = """
import sys
import inboxguard.cli
from inboxguard.rules import load_rules
from inboxguard.domain.incidents import score_incident
rules = load_rules(None).incident
score_incident("Site", "The checkout is broken.", rules)
print("sudachipy" in sys.modules)
score_incident("", "メールが届きません。", rules)
print("sudachipy" in sys.modules)
"""


def test_importing_loading_rules_and_english_mail_do_not_load_the_dictionary() -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["False", "True"]


def test_words_carry_lemma_normal_form_and_inflection() -> None:
    verb, negation = words("届かない")
    assert (verb.lemma, verb.pos, negation.lemma, negation.pos) == (
        "届く",
        "動詞",
        "ない",
        "助動詞",
    )
    assert lemma_sequence("つながらない") == lemma_sequence("繋がらない")


def test_text_the_analyser_cannot_take_yields_no_words_instead_of_raising() -> None:
    assert words("") == ()
    assert isinstance(words("\udcff" * 10), tuple)
    assert len(words("障害" * 40_000)) > 0  # cut to MAX_CHARS, not refused

"""Loading rules/incident.toml: every mistake is a one-line error naming file and key, exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from inboxguard.errors import ConfigError
from inboxguard.rules import load_rules

GOOD_HEAD = 'threshold = 4\nsubject_weight = 2\nexclude = ["障害者"]\n'


def _load(tmp_path: Path, text: str) -> ConfigError:
    (tmp_path / "incident.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_rules(tmp_path)
    return caught.value


def test_the_shipped_file_loads_signals_and_counter_signals_with_reasons() -> None:
    rules = load_rules(None).incident
    by_name = {rule.name: rule for rule in rules.signals}
    assert by_name["failure"].kind == "negated_action" and by_name["failure"].weight > 0
    assert by_name["breakage"].kind == "breakage"
    assert by_name["past_thanks"].weight < 0 and by_name["not_urgent"].weight < 0
    assert all(rule.why for rule in rules.signals)
    assert rules.keywords == {}


def test_an_owner_copy_replaces_the_shipped_file(tmp_path: Path) -> None:
    (tmp_path / "incident.toml").write_text(GOOD_HEAD + '[keywords.en]\n"fire" = 5\n', "utf-8")
    assert dict(load_rules(tmp_path).incident.keywords) == {"fire": 5.0}
    assert load_rules(tmp_path).incident.signals == ()


def test_an_owner_copy_can_hold_its_own_signal(tmp_path: Path) -> None:
    (tmp_path / "incident.toml").write_text(
        "threshold = 4\nsubject_weight = 2\n"
        '[[signal]]\nname = "fire"\nkind = "breakage"\nweight = 5\nwhy = "fire"\n'
        'en = ["burn"]\nja = ["燃える"]\n',
        "utf-8",
    )
    rules = load_rules(tmp_path).incident
    assert [(r.name, r.kind, r.weight) for r in rules.signals] == [("fire", "breakage", 5.0)]


HEAD = "threshold = 4\nsubject_weight = 2\n[[signal]]\n"
W = 'kind = "words"\n'  # a signal of kind words, for the cases below


@pytest.mark.parametrize(
    ("text", "key", "message"),
    [
        (HEAD + 'name = "x"\nkind = "magic"\nweight = 1\nen = ["a"]\n', "signal[0].kind", "one of"),
        (HEAD + W + 'name = "x"\nweight = 0\nen = ["a"]\n', "signal[0].weight", "non-zero"),
        (HEAD + W + 'name = "x"\nweight = true\nen = ["a"]\n', "signal[0].weight", "non-zero"),
        (HEAD + W + 'name = "X y"\nweight = 1\nen = ["a"]\n', "signal[0].name", "lower-case"),
        (HEAD + 'name = "x"\nkind = "words"\nweight = 1\nen = ["a"]\nfirst_en = ["b"]\n',
         "signal[0].first_en", "unknown key"),
        (HEAD + 'name = "x"\nkind = "words"\nweight = 1\n', "signal[0]", "needs words"),
        (HEAD + 'name = "x"\nkind = "words"\nweight = 1\nen = [""]\n', "signal[0].en[0]", "empty"),
        (HEAD + 'name = "x"\nkind = "pattern"\nweight = 1\npatterns = ["("]\n',
         "signal[0].patterns[0]", "bad regular expression"),
        (HEAD + 'name = "x"\nkind = "words"\nweight = 1\nen = ["a"]\n[[signal]]\nname = "x"\n'
         'kind = "words"\nweight = 2\nen = ["b"]\n', "signal[1].name", "another signal"),
        ("threshold = 4\nsubject_weight = 2\n", "signal", "at least one"),
    ],
)  # fmt: skip
def test_a_bad_signal_names_the_file_and_key_in_one_line(
    tmp_path: Path, text: str, key: str, message: str
) -> None:
    error = _load(tmp_path, text)
    assert error.key == f"{tmp_path / 'incident.toml'}: {key}"
    assert message in error.message
    assert "\n" not in str(error)


@pytest.mark.parametrize(
    ("text", "key", "message"),
    [
        (GOOD_HEAD + "thresold = 3\n[keywords.en]\nx = 1\n", "thresold", "unknown key"),
        (GOOD_HEAD + "[keywords.fr]\npanne = 3\n", "keywords.fr", "unknown key"),
        (GOOD_HEAD + '[keywords.ja]\n"障害" = -1\n', 'keywords.ja."障害"', "positive number"),
        (GOOD_HEAD + '[keywords.ja]\n"障害" = 0\n', 'keywords.ja."障害"', "positive number"),
        (GOOD_HEAD + '[keywords.en]\noutage = "high"\n', 'keywords.en."outage"', "positive"),
        (GOOD_HEAD + "[keywords.en]\noutage = true\n", 'keywords.en."outage"', "positive"),
        (GOOD_HEAD + '[keywords.en]\n"  " = 2\n', 'keywords.en."  "', "empty keyword"),
        (GOOD_HEAD + "[keywords.en]\n", "keywords", "at least one keyword"),
        (GOOD_HEAD + "keywords = 3\n", "keywords", "expected [keywords.ja]"),
        ('subject_weight = 2\n[keywords.en]\nx = 1\n', "threshold", "required"),
        ('threshold = 0\nsubject_weight = 2\n[keywords.en]\nx = 1\n', "threshold", "positive"),
        ('threshold = 4\nsubject_weight = 2\nexclude = [""]\n[keywords.en]\nx = 1\n',
         "exclude[0]", "empty string"),
    ],
)  # fmt: skip
def test_a_bad_rule_names_the_file_and_key_in_one_line(
    tmp_path: Path, text: str, key: str, message: str
) -> None:
    error = _load(tmp_path, text)
    assert error.key == f"{tmp_path / 'incident.toml'}: {key}"
    assert message in error.message
    assert "\n" not in str(error)
    assert error.exit_code == 2

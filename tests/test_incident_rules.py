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


def test_the_shipped_file_loads() -> None:
    rules = load_rules(None).incident
    assert rules.keywords["障害"] > 0 and rules.keywords["outage"] > 0
    assert "障害者" in rules.exclude


def test_an_owner_copy_replaces_the_shipped_file(tmp_path: Path) -> None:
    (tmp_path / "incident.toml").write_text(GOOD_HEAD + '[keywords.en]\n"fire" = 5\n', "utf-8")
    assert dict(load_rules(tmp_path).incident.keywords) == {"fire": 5.0}


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

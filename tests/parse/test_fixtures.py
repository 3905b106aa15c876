"""Every fixture in tests/messages parses to the result recorded beside it."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from inboxguard.domain.automation import automated_reason
from inboxguard.domain.message import Address, Message
from inboxguard.domain.normalise import normalise_for_matching
from inboxguard.parse import parse_message
from inboxguard.rules import load_rules

from .fixtures import fixture_paths

PATHS = fixture_paths()
AUTOMATION = load_rules(None).automation


def _expected(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    return loaded


def _address(value: dict[str, str]) -> Address:
    return Address(name=value["name"], address=value["address"])


# Kana (full- and half-width) or kanji: a fixture whose expected subject, sender name or
# text contains one is a Japanese message.
_JAPANESE = re.compile("[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uff66-\uff9f]")


def _is_japanese(expected: dict[str, Any]) -> bool:
    values = (expected["subject"], expected["from"]["name"], expected["text_startswith"])
    return any(_JAPANESE.search(value) for value in values)


def test_there_are_at_least_sixty_fixture_pairs_thirty_japanese() -> None:
    """Issue 4: at least 60 pairs, at least 30 of them Japanese."""
    assert len(PATHS) >= 60
    for path in PATHS:
        assert path.with_suffix(".json").exists(), path.name
    assert sum(_is_japanese(_expected(path)) for path in PATHS) >= 30


@pytest.mark.parametrize("path", PATHS, ids=[path.stem for path in PATHS])
def test_fixture_parses_to_its_recorded_result(path: Path) -> None:
    expected = _expected(path)
    message = parse_message(path.read_bytes())

    assert message.subject == expected["subject"]
    assert message.sender == _address(expected["from"])
    assert message.text.startswith(expected["text_startswith"]), message.text
    _check_optional(message, expected)


def _check_optional(message: Message, expected: dict[str, Any]) -> None:
    if "text" in expected:
        assert message.text == expected["text"]
    for excluded in expected.get("text_excludes", []):
        assert excluded not in message.text
    if "message_id" in expected:
        assert message.message_id == expected["message_id"]
    if "message_id_synthesized" in expected:
        assert message.message_id_synthesized is expected["message_id_synthesized"]
    if "in_reply_to" in expected:
        assert list(message.in_reply_to) == expected["in_reply_to"]
    if "references" in expected:
        assert list(message.references) == expected["references"]
    if "content_type" in expected:
        assert message.content_type == expected["content_type"]
    if "thread_index" in expected:
        assert message.thread_index == expected["thread_index"]
    if "date" in expected:
        assert expected["date"] is None
        assert message.date is None
    for key in ("to", "cc", "reply_to"):
        if key in expected:
            assert list(getattr(message, key)) == [_address(item) for item in expected[key]]
    if "subject_normalised" in expected:
        assert normalise_for_matching(message.subject) == expected["subject_normalised"]
    if "charset_repairs_nonempty" in expected:
        assert bool(message.charset_repairs) is expected["charset_repairs_nonempty"]
    for repair in expected.get("charset_repairs_contains", []):
        assert repair in message.charset_repairs, message.charset_repairs
    _check_automation(message, expected)


def _check_automation(message: Message, expected: dict[str, Any]) -> None:
    """``automated`` (bool) and ``automated_reason_contains``, judged by the shipped rules."""
    reason = automated_reason(message, AUTOMATION)
    if "automated" in expected:
        assert (reason is not None) is expected["automated"], reason
    if "automated_reason_contains" in expected:
        assert reason is not None
        assert expected["automated_reason_contains"] in reason, reason


@pytest.mark.parametrize("path", PATHS, ids=[path.stem for path in PATHS])
def test_fixture_decodes_without_replacement_characters_or_encoded_words(path: Path) -> None:
    message = parse_message(path.read_bytes())
    for value in (message.subject, message.text, message.sender.name):
        assert "\ufffd" not in value
        assert "=?" not in value
    assert not message.defects or all("undecodable" not in item for item in message.defects)


@pytest.mark.parametrize("path", PATHS, ids=[path.stem for path in PATHS])
def test_fixture_parse_is_deterministic(path: Path) -> None:
    raw = path.read_bytes()
    assert parse_message(raw) == parse_message(raw)


def test_synthesized_message_id_is_stable_and_well_formed() -> None:
    raw = next(path for path in PATHS if path.stem == "missing_message_id").read_bytes()
    message = parse_message(raw)
    assert message.message_id_synthesized
    assert message.message_id.endswith("@inboxguard.invalid>")
    assert len(message.message_id) == len("<@inboxguard.invalid>") + 32
    assert parse_message(raw).message_id == message.message_id

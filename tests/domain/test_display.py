"""Strangers' text shown to the owner: no bidi tricks, no invisible characters, bounded width."""

from __future__ import annotations

import pytest

from inboxguard.domain.display import (
    ELLIPSIS,
    MAX_SHOWN_COLUMNS,
    neutralised,
    shortened,
    shown,
)

BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"


def test_a_right_to_left_override_is_removed_so_the_text_reads_in_its_real_order() -> None:
    # Shown raw, "invoice \u202ehtiw orez fdp.exe" reads "invoice exe.pdf zero with".
    assert shown("invoice \u202ehtiw orez fdp.exe") == "invoice htiw orez fdp.exe"


@pytest.mark.parametrize("control", list(BIDI_CONTROLS))
def test_every_bidi_control_is_removed(control: str) -> None:
    assert shown(f"a{control}b") == "ab"


@pytest.mark.parametrize(
    "invisible",
    ["\u200b", "\u200c", "\u2060", "\ufeff", "\u00ad", "\U000e0041", "\u3164", "\u115f"],
)
def test_invisible_characters_that_make_look_alikes_are_removed(invisible: str) -> None:
    assert shown(f"yamada{invisible}@client") == "yamada@client"


def test_a_zero_width_joiner_inside_an_emoji_sequence_is_kept() -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    rainbow = "\U0001f3f3\ufe0f\u200d\U0001f308"
    assert shown(f"{family} {rainbow}") == f"{family} {rainbow}"


def test_a_zero_width_joiner_between_letters_is_removed() -> None:
    assert shown("pay\u200dpal") == "paypal"


@pytest.mark.parametrize("control", ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\x9b", "\t", "\n"])
def test_control_characters_become_a_space_on_one_line(control: str) -> None:
    assert shown(f"a{control}b") == "a b"


def test_an_ansi_escape_sequence_cannot_reach_the_terminal() -> None:
    assert "\x1b" not in shown("\x1b[2J\x1b[31mpaid\x1b[0m")


def test_line_and_paragraph_separators_do_not_break_a_single_line() -> None:
    assert shown("a\u2028b\u2029c\r\nd") == "a b c d"


def test_multiline_keeps_line_ends_tabs_and_indentation_only() -> None:
    text = "one\r\n  \ttwo\u202e\x00\rthree\u2028four"
    assert neutralised(text, multiline=True) == "one\n  \ttwo \nthree\nfour"


def test_a_lone_surrogate_becomes_a_replacement_character() -> None:
    assert shown("a\udcffb") == "a\ufffdb"


def test_japanese_text_and_ideographic_spaces_pass_unchanged() -> None:
    subject = "【重要】　お見積りの件（髙﨑様）〜①"
    assert shown(subject) == subject


def test_a_5000_character_subject_without_spaces_is_cut_to_the_limit_with_an_ellipsis() -> None:
    result = shown("A" * 5000)
    assert len(result) == MAX_SHOWN_COLUMNS
    assert result.endswith(ELLIPSIS)


def test_wide_characters_count_two_columns() -> None:
    result = shown("漢" * 5000)
    assert len(result) == MAX_SHOWN_COLUMNS // 2
    assert result.endswith(ELLIPSIS)


def test_text_within_the_limit_is_not_cut() -> None:
    text = "x" * MAX_SHOWN_COLUMNS
    assert shown(text) == text


def test_the_cut_keeps_a_character_with_its_combining_marks() -> None:
    text = "a" * 198 + "e\u0301" + "zz"
    assert shortened(text, 200) == "a" * 198 + "e\u0301" + ELLIPSIS
    assert shortened("a" * 199 + "e\u0301zz", 200) == "a" * 199 + ELLIPSIS


def test_the_cut_never_leaves_half_an_emoji_sequence() -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    assert shortened("a" * 196 + family + "tail", 200) == "a" * 196 + ELLIPSIS

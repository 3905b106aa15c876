"""Normalisation for matching and thread subjects."""

from __future__ import annotations

import pytest

from inboxguard.domain.normalise import normalise_for_matching, normalise_subject, reply_subject


def test_wave_dash_variants_normalise_to_one_character() -> None:
    assert normalise_for_matching("10:00〜12:00") == normalise_for_matching("10:00～12:00")
    assert normalise_for_matching("a\u2053b") == "a~b"


@pytest.mark.parametrize("minus", ["\u2212", "\uff0d", "\u2010", "\u2012", "\u2013", "\u2014"])
def test_minus_family_becomes_hyphen_minus(minus: str) -> None:
    assert normalise_for_matching(f"03{minus}1234") == "03-1234"


def test_katakana_prolonged_sound_mark_is_not_a_minus() -> None:
    assert normalise_for_matching("サーバー") == "サーバー"


def test_width_case_and_whitespace_are_folded() -> None:
    assert normalise_for_matching("  ＵＲＧＥＮＴ\u3000 ｻｰﾊﾞｰ\n\tDown ") == "urgent サーバー down"


def test_nfkc_unfolds_enclosed_and_squared_characters() -> None:
    assert normalise_for_matching("①㈱") == "1(株)"


@pytest.mark.parametrize(
    "subject",
    [
        "見積",
        "Re: 見積",
        "RE: RE: 見積",
        "Fwd: Re: 見積",
        "FW: 見積",
        "Fw:見積",
        "AW: WG: SV: 見積",
        "返信: 見積",
        "転送：見積",
        "Re[2]: 見積",
        "Re(3): 見積",
        "Re^2: 見積",
        "Re： 見積",
        "Ｒｅ：見積",
        "返信：Re: 見積",
        "[proj-x] Re: 見積",
        "Re: [ML:123] Re: [proj-x] 見積",
        "  re :  見積 ",
    ],
)
def test_normalise_subject_strips_every_reply_prefix_and_list_tag(subject: str) -> None:
    assert normalise_subject(subject) == "見積"


def test_normalise_subject_keeps_lenticular_brackets() -> None:
    assert normalise_subject("Re: 【重要】障害のお知らせ") == "【重要】障害のお知らせ"


def test_normalise_subject_does_not_strip_words_that_start_like_prefixes() -> None:
    assert normalise_subject("Report: Q3") == "report: q3"
    assert normalise_subject("Reward") == "reward"


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("見積", "Re: 見積"),
        ("Re: 見積", "Re: 見積"),
        ("RE: Re: Fwd: 見積", "Re: 見積"),
        ("Re: [proj-x] Re: 見積", "Re: [proj-x] 見積"),
        ("[proj-x] 見積", "Re: [proj-x] 見積"),
        ("返信：【重要】ＡＢＣ", "Re: 【重要】ＡＢＣ"),
        ("", "Re:"),
    ],
)
def test_reply_subject_has_exactly_one_re(subject: str, expected: str) -> None:
    assert reply_subject(subject) == expected

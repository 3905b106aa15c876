"""Config durations: what is accepted, what is refused, and the compact wording back."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inboxguard.domain.durations import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("24h", timedelta(hours=24)),
        ("90m", timedelta(minutes=90)),
        ("1d", timedelta(days=1)),
        ("2h30m", timedelta(hours=2, minutes=30)),
        ("1d12h", timedelta(days=1, hours=12)),
        ("45s", timedelta(seconds=45)),
        ("1w", timedelta(weeks=1)),
        ("1w2d3h4m5s", timedelta(weeks=1, days=2, hours=3, minutes=4, seconds=5)),
        ("0h", timedelta(0)),
    ],
)
def test_parse_duration_reads_each_unit_and_combination(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", [" 24h ", "2h 30m", "2H30M", "\t1D 12h\n", "1 w"])
def test_parse_duration_ignores_whitespace_and_case(text: str) -> None:
    assert parse_duration(text) > timedelta(0)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "-1h",
        "24",
        "h",
        "24x",
        "1.5h",
        "30m2h",  # units out of order
        "1h1h",  # a unit twice
        "２４h",  # full-width digits
        "+24h",
        "24hours",
    ],
)
def test_parse_duration_refuses_anything_else_with_the_text_in_the_message(text: str) -> None:
    with pytest.raises(ValueError, match="invalid duration") as excinfo:
        parse_duration(text)
    assert repr(text) in str(excinfo.value)


def test_parse_duration_turns_overflow_into_value_error() -> None:
    with pytest.raises(ValueError, match="too large"):
        parse_duration("9999999999999w")


@pytest.mark.parametrize(
    ("td", "expected"),
    [
        (timedelta(days=1, hours=2), "1d2h"),
        (timedelta(minutes=45), "45m"),
        (timedelta(hours=-3), "-3h"),
        (timedelta(days=-1, minutes=-30), "-1d30m"),
        (timedelta(weeks=1), "7d"),
        (timedelta(0), "0s"),
        (timedelta(seconds=90), "1m30s"),
        (timedelta(seconds=1, microseconds=999_999), "1s"),
        (timedelta(microseconds=-1), "0s"),
    ],
)
def test_format_duration_is_compact_and_signed(td: timedelta, expected: str) -> None:
    assert format_duration(td) == expected


@given(st.timedeltas(min_value=timedelta(0)).map(lambda td: timedelta(td.days, td.seconds)))
def test_format_duration_round_trips_through_parse_for_whole_seconds(td: timedelta) -> None:
    assert parse_duration(format_duration(td)) == td


@given(st.timedeltas(max_value=timedelta(microseconds=-1)))
def test_format_duration_of_a_negative_is_the_positive_with_a_minus(td: timedelta) -> None:
    assert format_duration(td) in ("0s", "-" + format_duration(-td))

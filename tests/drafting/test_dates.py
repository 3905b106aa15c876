"""Date wording in drafts and the digest, independent of the process locale."""

from __future__ import annotations

import locale
from collections.abc import Iterator
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from inboxguard.drafting.dates import format_due, format_promise_date

TOKYO = ZoneInfo("Asia/Tokyo")


def test_weekdays_in_these_tests_are_the_real_ones() -> None:
    assert date(2026, 11, 25).weekday() == 2  # Wednesday
    assert date(2027, 1, 5).weekday() == 1  # Tuesday
    assert date(2026, 11, 1).weekday() == 6  # Sunday


@pytest.mark.parametrize(
    ("d", "ja", "en"),
    [
        (date(2026, 11, 25), "11月25日(水)", "Wednesday, November 25"),
        (date(2027, 1, 5), "1月5日(火)", "Tuesday, January 5"),
        (date(2026, 11, 1), "11月1日(日)", "Sunday, November 1"),
        (date(2026, 5, 9), "5月9日(土)", "Saturday, May 9"),
        (date(2026, 9, 7), "9月7日(月)", "Monday, September 7"),
    ],
)
def test_format_promise_date_writes_dates_as_people_do_without_zero_padding(
    d: date, ja: str, en: str
) -> None:
    assert format_promise_date(d, "ja") == ja
    assert format_promise_date(d, "en") == en


def test_format_promise_date_uses_every_japanese_weekday_character() -> None:
    week = [date(2026, 11, 23 + i) for i in range(7)]  # Monday to Sunday
    assert [format_promise_date(d, "ja")[-2] for d in week] == list("月火水木金土日")


@pytest.mark.parametrize(
    ("dt", "ja", "en"),
    [
        (datetime(2026, 11, 25, 14, 0, tzinfo=TOKYO), "11月25日(水) 14:00", "Wed, Nov 25 14:00"),
        (datetime(2027, 1, 5, 9, 5, tzinfo=TOKYO), "1月5日(火) 09:05", "Tue, Jan 5 09:05"),
        (datetime(2026, 9, 7, 0, 0, tzinfo=UTC), "9月7日(月) 00:00", "Mon, Sep 7 00:00"),
    ],
)
def test_format_due_adds_a_zero_padded_24h_time(dt: datetime, ja: str, en: str) -> None:
    assert format_due(dt, "ja") == ja
    assert format_due(dt, "en") == en


def test_format_due_shows_the_wall_time_of_the_zone_it_is_given() -> None:
    instant = datetime(2026, 11, 25, 5, 0, tzinfo=UTC)
    assert format_due(instant.astimezone(TOKYO), "en") == "Wed, Nov 25 14:00"


def test_format_due_refuses_a_naive_datetime() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        format_due(datetime(2026, 11, 25, 14), "ja")


@pytest.mark.parametrize("language", ["fr", "", "JA", "en-US"])
def test_unknown_language_is_refused_and_named(language: str) -> None:
    with pytest.raises(ValueError, match=repr(language)):
        format_promise_date(date(2026, 11, 25), language)
    with pytest.raises(ValueError, match=repr(language)):
        format_due(datetime(2026, 11, 25, 14, tzinfo=TOKYO), language)


@pytest.fixture
def foreign_locale() -> Iterator[str]:
    """Switch LC_TIME to a non-English locale if the system has one."""
    saved = locale.setlocale(locale.LC_TIME)
    for name in ("ja_JP.UTF-8", "de_DE.UTF-8", "fr_FR.UTF-8"):
        try:
            locale.setlocale(locale.LC_TIME, name)
        except locale.Error:
            continue
        try:
            yield name
        finally:
            locale.setlocale(locale.LC_TIME, saved)
        return
    pytest.skip("no non-English locale installed")


def test_english_wording_ignores_the_process_locale(foreign_locale: str) -> None:
    assert format_promise_date(date(2026, 11, 25), "en") == "Wednesday, November 25"
    assert format_due(datetime(2026, 11, 25, 14, tzinfo=TOKYO), "en") == "Wed, Nov 25 14:00"

"""The business-time calendar: days, hours, holidays, DST, and add/elapsed agreeing."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inboxguard.domain.calendar import BusinessCalendar

TOKYO = ZoneInfo("Asia/Tokyo")
NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
MON_FRI = ("mon", "tue", "wed", "thu", "fri")
ALL_WEEK = frozenset(range(7))

JP = BusinessCalendar.from_settings("Asia/Tokyo", MON_FRI, "09:00-18:00", "JP")
DE = BusinessCalendar.from_settings("Europe/Berlin", MON_FRI, "09:00-17:00", "DE")
# Every day, hours straddling the 02:00 New York clock change, so DST days are business days.
NY_MIDNIGHT_TO_NOON = BusinessCalendar(
    tz=NEW_YORK, workdays=ALL_WEEK, day_start=time(0), day_end=time(12)
)


def tokyo(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=TOKYO)


def new_york(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=NEW_YORK)


def berlin(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


# -- the reference case from the product contract ---------------------------------------


def test_business_24h_from_friday_1700_skips_weekend_and_kinro_kansha_no_hi() -> None:
    jp_2026 = holidays.country_holidays("JP", years=2026)
    assert date(2026, 11, 23) in jp_2026  # 勤労感謝の日, a Monday
    assert date(2026, 11, 20).weekday() == 4  # Friday

    # 1h Friday + 9h Tuesday + 9h Wednesday + 5h Thursday = 24h.
    due = JP.add(tokyo(2026, 11, 20, 17), timedelta(hours=24), business=True)

    assert due == tokyo(2026, 11, 26, 14)
    assert due.tzinfo == TOKYO
    assert JP.elapsed(tokyo(2026, 11, 20, 17), due, business=True) == timedelta(hours=24)


# -- where a business clock starts ------------------------------------------------------


def test_business_start_on_saturday_begins_at_monday_opening() -> None:
    start = tokyo(2026, 11, 14, 10)  # Saturday
    assert JP.add(start, timedelta(hours=1), business=True) == tokyo(2026, 11, 16, 10)
    assert JP.elapsed(start, tokyo(2026, 11, 16, 9), business=True) == timedelta(0)


def test_business_start_after_closing_begins_at_next_business_day_opening() -> None:
    start = tokyo(2026, 11, 17, 18, 30)  # Tuesday
    assert JP.add(start, timedelta(hours=1), business=True) == tokyo(2026, 11, 18, 10)


def test_business_start_before_opening_begins_at_opening_the_same_day() -> None:
    start = tokyo(2026, 11, 17, 8)
    assert JP.add(start, timedelta(hours=1), business=True) == tokyo(2026, 11, 17, 10)


def test_business_clock_running_out_exactly_at_closing_is_due_at_closing() -> None:
    start = tokyo(2026, 11, 17, 9)
    assert JP.add(start, timedelta(hours=9), business=True) == tokyo(2026, 11, 17, 18)


def test_business_zero_duration_is_the_start_itself_even_outside_hours() -> None:
    start = tokyo(2026, 11, 14, 10)  # Saturday
    assert JP.add(start, timedelta(0), business=True) == start


def test_business_negative_duration_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        JP.add(tokyo(2026, 11, 17, 10), timedelta(hours=-1), business=True)


def test_business_result_is_in_owner_zone_whatever_the_input_zone() -> None:
    start = datetime(2026, 11, 17, 0, tzinfo=UTC)  # 09:00 in Tokyo
    due = JP.add(start, timedelta(hours=2), business=True)
    assert due.tzinfo == TOKYO
    assert due.replace(tzinfo=None) == datetime(2026, 11, 17, 11)


def test_business_elapsed_counts_only_hours_inside_intervals() -> None:
    # Friday 17:00 to Tuesday 10:00 across a holiday Monday: 1h + 1h.
    assert JP.elapsed(tokyo(2026, 11, 20, 17), tokyo(2026, 11, 24, 10), business=True) == (
        timedelta(hours=2)
    )


def test_elapsed_is_zero_when_end_is_not_after_start() -> None:
    later, earlier = tokyo(2026, 11, 17, 12), tokyo(2026, 11, 17, 10)
    assert JP.elapsed(later, earlier, business=True) == timedelta(0)
    assert JP.elapsed(later, earlier, business=False) == timedelta(0)
    assert JP.elapsed(later, later, business=False) == timedelta(0)


# -- calendar mode and DST ----------------------------------------------------------------


def test_calendar_24h_across_spring_forward_lands_an_hour_later_on_the_wall_clock() -> None:
    due = NY_MIDNIGHT_TO_NOON.add(new_york(2026, 3, 7, 12), timedelta(hours=24), business=False)
    assert due == new_york(2026, 3, 8, 13)
    assert due.replace(tzinfo=None) == datetime(2026, 3, 8, 13)
    assert due.utcoffset() == timedelta(hours=-4)  # EDT


def test_calendar_24h_across_fall_back_lands_an_hour_earlier_on_the_wall_clock() -> None:
    due = NY_MIDNIGHT_TO_NOON.add(new_york(2026, 10, 31, 12), timedelta(hours=24), business=False)
    assert due.replace(tzinfo=None) == datetime(2026, 11, 1, 11)
    assert due.utcoffset() == timedelta(hours=-5)  # EST


def test_calendar_elapsed_is_absolute_time_not_wall_clock_difference() -> None:
    # Same tzinfo on both sides: plain subtraction would say 24h.
    start, end = new_york(2026, 3, 7, 12), new_york(2026, 3, 8, 12)
    assert NY_MIDNIGHT_TO_NOON.elapsed(start, end, business=False) == timedelta(hours=23)


def test_business_day_of_spring_forward_has_its_true_length() -> None:
    opens, closes = new_york(2026, 3, 8, 0), new_york(2026, 3, 8, 12)
    assert NY_MIDNIGHT_TO_NOON.elapsed(opens, closes, business=True) == timedelta(hours=11)
    assert NY_MIDNIGHT_TO_NOON.add(opens, timedelta(hours=11), business=True) == closes
    # The 12th hour of business time is the first hour of the next day.
    assert NY_MIDNIGHT_TO_NOON.add(opens, timedelta(hours=12), business=True) == (
        new_york(2026, 3, 9, 1)
    )


def test_business_day_of_fall_back_has_its_true_length() -> None:
    opens, closes = new_york(2026, 11, 1, 0), new_york(2026, 11, 1, 12)
    assert NY_MIDNIGHT_TO_NOON.elapsed(opens, closes, business=True) == timedelta(hours=13)
    assert NY_MIDNIGHT_TO_NOON.add(opens, timedelta(hours=13), business=True) == closes


def test_business_hours_swallowed_by_the_spring_gap_count_as_no_time() -> None:
    # 02:30-03:00 does not exist on 2026-03-08 in New York.
    in_the_gap = BusinessCalendar(
        tz=NEW_YORK, workdays=ALL_WEEK, day_start=time(2, 30), day_end=time(3)
    )
    day_before, day_after = new_york(2026, 3, 7, 12), new_york(2026, 3, 9, 0)
    assert in_the_gap.elapsed(day_before, day_after, business=True) == timedelta(0)
    assert in_the_gap.add(day_before, timedelta(minutes=10), business=True) == (
        new_york(2026, 3, 9, 2, 40)
    )


# -- holidays: a second country, and none -----------------------------------------------


def test_berlin_business_clock_skips_good_friday_and_easter_monday() -> None:
    de_2026 = holidays.country_holidays("DE", years=2026)
    assert date(2026, 4, 3) in de_2026  # Karfreitag
    assert date(2026, 4, 6) in de_2026  # Ostermontag

    # Thursday 16:00: 1h Thursday, then Tuesday from 09:00.
    due = DE.add(berlin(2026, 4, 2, 16), timedelta(hours=2), business=True)
    assert due == berlin(2026, 4, 7, 10)
    assert due.utcoffset() == timedelta(hours=2)  # CEST


def test_empty_holiday_country_means_no_holidays() -> None:
    no_holidays = BusinessCalendar.from_settings("Europe/Berlin", MON_FRI, "09:00-17:00", "")
    assert no_holidays.holiday_country == ""
    assert no_holidays.is_business_day(date(2026, 4, 3))
    assert not no_holidays.is_holiday(date(2026, 12, 25))
    assert no_holidays.add(berlin(2026, 4, 2, 16), timedelta(hours=2), business=True) == (
        berlin(2026, 4, 3, 10)
    )


def test_is_business_day_excludes_weekends_and_holidays() -> None:
    assert JP.is_business_day(date(2026, 11, 20))  # Friday
    assert not JP.is_business_day(date(2026, 11, 21))  # Saturday
    assert not JP.is_business_day(date(2026, 11, 22))  # Sunday
    assert not JP.is_business_day(date(2026, 11, 23))  # 勤労感謝の日
    assert JP.is_business_day(date(2026, 11, 24))


# -- business days ------------------------------------------------------------------------


def test_add_business_days_skips_weekend_and_jp_holiday() -> None:
    assert JP.add_business_days(date(2026, 11, 20), 2) == date(2026, 11, 25)


def test_add_business_days_zero_is_the_day_itself_even_on_a_weekend() -> None:
    assert JP.add_business_days(date(2026, 11, 21), 0) == date(2026, 11, 21)


def test_add_business_days_from_a_weekend_counts_from_the_next_business_day() -> None:
    assert JP.add_business_days(date(2026, 11, 14), 1) == date(2026, 11, 16)
    assert JP.add_business_days(date(2026, 11, 14), 2) == date(2026, 11, 17)


def test_add_business_days_over_year_end_follows_the_holidays_package() -> None:
    jp = holidays.country_holidays("JP", years=[2026, 2027])
    # The package lists 1/1 but not the 12/31-1/3 company break: we follow the package.
    assert date(2027, 1, 1) in jp
    assert date(2026, 12, 31) not in jp
    assert date(2027, 1, 4) not in jp

    # Thu 12/31 is a business day; Fri 1/1 holiday; weekend; Mon 1/4.
    assert JP.add_business_days(date(2026, 12, 30), 1) == date(2026, 12, 31)
    assert JP.add_business_days(date(2026, 12, 30), 2) == date(2027, 1, 4)


def test_add_business_days_refuses_a_negative_count() -> None:
    with pytest.raises(ValueError, match="-1"):
        JP.add_business_days(date(2026, 11, 20), -1)


def test_end_of_business_day_is_closing_time_in_owner_zone() -> None:
    end = JP.end_of_business_day(date(2026, 11, 25))
    assert end == tokyo(2026, 11, 25, 18)
    assert end.tzinfo == TOKYO


def test_local_shows_an_instant_in_owner_zone() -> None:
    assert JP.local(datetime(2026, 11, 20, 8, tzinfo=UTC)) == tokyo(2026, 11, 20, 17)
    assert JP.local(datetime(2026, 11, 20, 8, tzinfo=UTC)).tzinfo == TOKYO


# -- refusals -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda: JP.add(datetime(2026, 11, 20, 17), timedelta(hours=1), business=True),
        lambda: JP.add(datetime(2026, 11, 20, 17), timedelta(hours=1), business=False),
        lambda: JP.elapsed(datetime(2026, 11, 20, 17), tokyo(2026, 11, 21), business=True),
        lambda: JP.elapsed(tokyo(2026, 11, 20), datetime(2026, 11, 21), business=False),
        lambda: JP.local(datetime(2026, 11, 20, 17)),
    ],
)
def test_naive_datetimes_are_refused(call: object) -> None:
    assert callable(call)
    with pytest.raises(ValueError, match="timezone-aware"):
        call()


def test_calendar_without_workdays_fails_loudly_instead_of_spinning() -> None:
    idle = BusinessCalendar(tz=TOKYO, workdays=frozenset(), day_start=time(9), day_end=time(18))
    with pytest.raises(ValueError, match="no business time"):
        idle.add(tokyo(2026, 11, 20, 17), timedelta(hours=1), business=True)
    with pytest.raises(ValueError, match="no business time"):
        idle.add_business_days(date(2026, 11, 20), 1)


def test_a_year_of_business_time_is_computed_day_by_day_not_minute_by_minute() -> None:
    start = tokyo(2026, 1, 5, 9)
    due = JP.add(start, timedelta(hours=9 * 240), business=True)
    assert date(2026, 12, 1) < due.date() < date(2027, 2, 1)
    assert JP.elapsed(start, due, business=True) == timedelta(hours=9 * 240)


# -- from_settings ------------------------------------------------------------------------


def test_from_settings_reads_names_and_codes_leniently() -> None:
    cal = BusinessCalendar.from_settings("Asia/Tokyo", [" Mon", "TUE", "fri"], "9:00-18:30", "jp")
    assert cal.workdays == frozenset({0, 1, 4})
    assert (cal.day_start, cal.day_end) == (time(9), time(18, 30))
    assert cal.holiday_country == "JP"


def test_from_settings_gives_equal_calendars_for_equal_settings() -> None:
    again = BusinessCalendar.from_settings("Asia/Tokyo", MON_FRI, "09:00-18:00", "JP")
    assert again == JP
    assert hash(again) == hash(JP)


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"timezone": "Asia/Tokio"}, "'Asia/Tokio'"),
        ({"timezone": ""}, "''"),
        ({"timezone": "Asia"}, "'Asia'"),
        ({"timezone": "../etc/passwd"}, "'../etc/passwd'"),
        ({"business_hours": "25:00-18:00"}, "'25:00'"),
        ({"business_hours": "09:00-18:60"}, "'18:60'"),
        ({"business_hours": "18:00-09:00"}, "'18:00-09:00'"),
        ({"business_hours": "09:00-09:00"}, "'09:00-09:00'"),
        ({"business_hours": "9-18"}, "'9'"),
        ({"business_hours": "09:00"}, "'09:00'"),
        ({"workdays": ["mon", "funday"]}, "'funday'"),
        ({"workdays": "mon"}, "'mon'"),
        ({"workdays": []}, "workdays"),
        ({"holidays": "XX"}, "'XX'"),
    ],
)
def test_from_settings_errors_name_the_bad_value(overrides: dict[str, object], named: str) -> None:
    settings_: dict[str, object] = {
        "timezone": "Asia/Tokyo",
        "workdays": MON_FRI,
        "business_hours": "09:00-18:00",
        "holidays": "JP",
    }
    settings_.update(overrides)
    with pytest.raises(ValueError) as excinfo:
        BusinessCalendar.from_settings(**settings_)  # type: ignore[arg-type]
    assert named in str(excinfo.value)


def test_constructor_refuses_hours_that_end_before_they_start() -> None:
    with pytest.raises(ValueError, match="after start"):
        BusinessCalendar(tz=TOKYO, workdays=ALL_WEEK, day_start=time(18), day_end=time(9))


# -- add and elapsed agree ----------------------------------------------------------------

CALENDARS = st.sampled_from(
    [
        JP,
        DE,
        NY_MIDNIGHT_TO_NOON,
        BusinessCalendar.from_settings("America/New_York", MON_FRI, "08:30-17:15", "US"),
    ]
)
INSTANTS = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
)
DURATIONS = st.timedeltas(min_value=timedelta(microseconds=1), max_value=timedelta(days=40))


@settings(deadline=None, max_examples=200)
@given(cal=CALENDARS, start=INSTANTS, duration=DURATIONS)
def test_business_elapsed_of_add_gives_back_the_duration(
    cal: BusinessCalendar, start: datetime, duration: timedelta
) -> None:
    due = cal.add(start, duration, business=True)
    assert due > start
    assert cal.elapsed(start, due, business=True) == duration


@settings(deadline=None, max_examples=200)
@given(
    cal=CALENDARS,
    start=INSTANTS,
    gap=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=60)),
)
def test_business_add_of_elapsed_never_overshoots_the_end(
    cal: BusinessCalendar, start: datetime, gap: timedelta
) -> None:
    end = start + gap
    assert cal.add(start, cal.elapsed(start, end, business=True), business=True) <= end


@settings(deadline=None, max_examples=200)
@given(cal=CALENDARS, start=INSTANTS, duration=DURATIONS)
def test_calendar_elapsed_of_add_gives_back_the_duration(
    cal: BusinessCalendar, start: datetime, duration: timedelta
) -> None:
    due = cal.add(start, duration, business=False)
    assert cal.elapsed(start, due, business=False) == duration

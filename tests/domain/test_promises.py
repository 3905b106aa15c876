"""Commitment dates in my own mail, resolved in the owner's calendar (basic cases)."""

from __future__ import annotations

from datetime import date

import pytest

from inboxguard.domain.promises import earliest_promise, find_promises
from tests.domain.factories import JP_CALENDAR, jst

# Friday 2026-11-20 10:00 JST.
SENT = jst(2026, 11, 20, 10)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("11月25日(水)までに回答いたします", date(2026, 11, 25)),
        ("１１月２５日（水）までにご回答いたします。", date(2026, 11, 25)),
        ("25日(水)中にお送りします", date(2026, 11, 25)),
        ("明日中にお送りします", date(2026, 11, 21)),
        ("今週中にお送りします", date(2026, 11, 20)),
        ("I will send it by Friday.", date(2026, 11, 20)),
        ("I will send it by Nov 25.", date(2026, 11, 25)),
        ("I will send it by Wednesday, November 25.", date(2026, 11, 25)),
    ],
)
def test_deadline_phrases_name_a_date(text: str, expected: date) -> None:
    promise = earliest_promise(text, SENT, JP_CALENDAR)

    assert promise is not None
    assert promise.date == expected


def test_a_promise_runs_until_the_end_of_that_business_day() -> None:
    promise = earliest_promise("11月25日(水)までに回答いたします", SENT, JP_CALENDAR)

    assert promise is not None
    assert promise.due_at == jst(2026, 11, 25, 18)
    assert promise.phrase == "11月25日(水)までに"


def test_a_time_beside_the_date_is_the_deadline() -> None:
    promise = earliest_promise("11月25日 15時までにお送りします", SENT, JP_CALENDAR)

    assert promise is not None
    assert promise.due_at == jst(2026, 11, 25, 15)


def test_a_january_date_written_in_december_is_next_year() -> None:
    promise = earliest_promise("1月10日までに回答いたします", jst(2026, 12, 20, 10), JP_CALENDAR)

    assert promise is not None
    assert promise.date == date(2027, 1, 10)


def test_a_time_alone_is_today_while_still_ahead() -> None:
    promise = earliest_promise("15時までにお送りします", SENT, JP_CALENDAR)

    assert promise is not None
    assert promise.due_at == jst(2026, 11, 20, 15)
    assert find_promises("15時までにお送りします", jst(2026, 11, 20, 16), JP_CALENDAR) == []


@pytest.mark.parametrize(
    "text",
    [
        "11月25日(火)までに回答いたします",  # 2026-11-25 is a Wednesday: the weekday disagrees
        "11月25日に納品しました",  # a date, but not a deadline
        "25日に打ち合わせをお願いします",
        "By the way, the file is attached.",
        "11月19日までに回答いたします",  # already past
        "I sent it by Nov 19.",
        "",
    ],
)
def test_no_promise_when_in_doubt(text: str) -> None:
    assert find_promises(text, SENT, JP_CALENDAR) == []


def test_the_earliest_of_several_promises_wins() -> None:
    text = "見積は明日中に、請求書は11月25日(水)までにお送りします"

    promises = find_promises(text, SENT, JP_CALENDAR)
    promise = earliest_promise(text, SENT, JP_CALENDAR)

    assert [p.date for p in promises] == [date(2026, 11, 21), date(2026, 11, 25)]
    assert promise is not None
    assert promise.date == date(2026, 11, 21)

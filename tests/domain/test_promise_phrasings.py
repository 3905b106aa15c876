"""Commitment phrasings (issue 5 item 5): what each names, and what is no promise at all.

One row per phrasing: the text, when it was sent, and the promised date and due instant it
must give, or ``None`` twice when it must give no promise (a false promise hides a thread
that needs an answer, so doubt gives none). Dates are in Asia/Tokyo with the JP calendar:
2026-11-23 (Monday) is 勤労感謝の日, a holiday; business hours end at 18:00.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from inboxguard.domain.promises import earliest_promise
from inboxguard.drafting.dates import format_promise_date
from tests.domain.factories import JP_CALENDAR, jst

FRI = jst(2026, 11, 20, 10)  # Friday 10:00
WED = jst(2026, 11, 18, 10)  # Wednesday 10:00
DEC = jst(2026, 12, 20, 10)  # Sunday 10:00, near the year end


def _eod(year: int, month: int, day: int) -> datetime:
    return jst(year, month, day, 18)


def _nov(day: int) -> date:
    return date(2026, 11, day)


def _at(day: int, hour: int = 18, minute: int = 0) -> datetime:
    """An instant in November 2026; 18:00 is the end of that business day."""
    return jst(2026, 11, day, hour, minute)


Row = tuple[str, str, datetime, date | None, datetime | None]

_ROWS: list[Row] = [
    # -- ja: absolute dates -------------------------------------------------------------
    ("ja-date-weekday", "11月25日(水)までに回答いたします", FRI, _nov(25), _at(25)),
    ("ja-date", "11月25日までにお送りします", FRI, _nov(25), _at(25)),
    ("ja-date-full-width", "１１月２５日（水）までにご回答いたします", FRI, _nov(25), _at(25)),
    ("ja-date-year", "2026年11月25日までに提出いたします", FRI, _nov(25), _at(25)),
    ("ja-date-year-weekday", "2026年11月25日(水)までに", FRI, _nov(25), _at(25)),
    ("ja-slash", "11/25までにお送りします", FRI, _nov(25), _at(25)),
    ("ja-slash-weekday", "11/25(水)までにお送りします", FRI, _nov(25), _at(25)),
    ("ja-slash-year", "2026/11/25までに", FRI, _nov(25), _at(25)),
    ("ja-day-weekday-chuu", "25日(水)中にお送りします", FRI, _nov(25), _at(25)),
    ("ja-day-weekday-madeni", "25日(水)までにご連絡します", FRI, _nov(25), _at(25)),
    ("ja-day-alone", "25日までにお送りします", FRI, _nov(25), _at(25)),
    ("ja-made-niwa", "11月25日までにはご連絡します", FRI, _nov(25), _at(25)),
    ("ja-date-chuu", "11月25日中にお送りします", FRI, _nov(25), _at(25)),
    ("ja-bare-made-wait", "11月25日までお待ちください", FRI, _nov(25), _at(25)),
    ("ja-january-in-dec", "1月10日までに回答します", DEC, date(2027, 1, 10), _eod(2027, 1, 10)),
    # -- ja: relative days ---------------------------------------------------------------
    ("ja-honjitsu-chuu", "本日中にお送りします", FRI, _nov(20), _at(20)),
    ("ja-kyou-chuu", "今日中に返信します", FRI, _nov(20), _at(20)),
    ("ja-honjitsu-made", "本日までにお送りします", FRI, _nov(20), _at(20)),
    ("ja-ashita-chuu-saturday", "明日中にお送りします", FRI, _nov(21), _at(21)),
    ("ja-ashita-made", "明日までにお送りします", WED, _nov(19), _at(19)),
    ("ja-asatte-chuu", "明後日中にお送りします", WED, _nov(20), _at(20)),
    ("ja-asatte-made", "明後日までにご連絡します", WED, _nov(20), _at(20)),
    ("ja-konshuu-chuu", "今週中にお送りします", WED, _nov(20), _at(20)),
    ("ja-konshuu-chuu-on-friday", "今週中にお送りします", FRI, _nov(20), _at(20)),
    ("ja-konshuumatsu-made", "今週末までにお送りします", WED, _nov(20), _at(20)),
    ("ja-shuuake-skips-holiday", "週明けまでにお送りします", FRI, _nov(24), _at(24)),
    ("ja-shuuake-madeniwa", "週明けまでにはご連絡します", WED, _nov(24), _at(24)),
    ("ja-raishuu-getsuyou-holiday", "来週月曜までにお送りします", WED, _nov(23), _at(23)),
    ("ja-raishuu-no-kinyoubi", "来週の金曜日までに", FRI, _nov(27), _at(27)),
    ("ja-raishuu-chuu", "来週中にお送りします", FRI, _nov(27), _at(27)),
    ("ja-getsumatsu", "月末までにお送りします", FRI, _nov(30), _at(30)),
    ("ja-kongetsumatsu", "今月末までにご請求いたします", FRI, _nov(30), _at(30)),
    ("ja-kongetsu-chuu", "今月中にお送りします", FRI, _nov(30), _at(30)),
    # -- ja: time of day -----------------------------------------------------------------
    ("ja-time-alone-today", "15時までにお送りします", FRI, _nov(20), _at(20, 15)),
    ("ja-time-colon", "15:00までにお送りします", FRI, _nov(20), _at(20, 15)),
    ("ja-time-gogo", "午後3時までにお送りします", FRI, _nov(20), _at(20, 15)),
    ("ja-time-gozen", "午前11時までにお送りします", FRI, _nov(20), _at(20, 11)),
    ("ja-time-han", "16時半までにお送りします", FRI, _nov(20), _at(20, 16, 30)),
    ("ja-date-time", "11月25日15時までにお送りします", FRI, _nov(25), _at(25, 15)),
    ("ja-date-weekday-colon", "11月25日(水) 15:00までに", FRI, _nov(25), _at(25, 15)),
    ("ja-ashita-time", "明日15時までにお送りします", WED, _nov(19), _at(19, 15)),
    ("ja-ashita-no-time", "明日の15時までにお送りします", FRI, _nov(21), _at(21, 15)),
    ("ja-raishuu-getsuyou-time", "来週月曜15時までに", FRI, _nov(23), _at(23, 15)),
    ("ja-slash-time", "11/25 10時までに", FRI, _nov(25), _at(25, 10)),
    # -- en --------------------------------------------------------------------------------
    ("en-tomorrow", "I'll send it by tomorrow.", FRI, _nov(21), _at(21)),
    ("en-friday-same-day", "I'll send it by Friday.", FRI, _nov(20), _at(20)),
    ("en-friday", "I will reply by Friday.", WED, _nov(20), _at(20)),
    ("en-this-friday", "You will have it by this Friday.", WED, _nov(20), _at(20)),
    ("en-monday-holiday", "I'll answer by Monday.", FRI, _nov(23), _at(23)),
    ("en-weekday-abbreviated", "Expect it by Tue.", FRI, _nov(24), _at(24)),
    ("en-end-of-week", "I'll confirm by end of week.", WED, _nov(20), _at(20)),
    ("en-the-end-of-the-week", "by the end of the week", WED, _nov(20), _at(20)),
    ("en-eow", "Will send by EOW.", WED, _nov(20), _at(20)),
    ("en-eod", "Will send by EOD.", FRI, _nov(20), _at(20)),
    ("en-end-of-day", "I'll reply by end of day.", FRI, _nov(20), _at(20)),
    ("en-close-of-business", "by close of business", FRI, _nov(20), _at(20)),
    ("en-end-of-month", "I'll invoice by end of month.", FRI, _nov(30), _at(30)),
    ("en-nov-25", "I will send it by Nov 25.", FRI, _nov(25), _at(25)),
    ("en-november-25th", "I'll reply by November 25th.", FRI, _nov(25), _at(25)),
    ("en-weekday-month-day", "by Wednesday, November 25", FRI, _nov(25), _at(25)),
    ("en-day-month", "I'll reply by 25 November.", FRI, _nov(25), _at(25)),
    ("en-month-day-year", "by November 25, 2026", FRI, _nov(25), _at(25)),
    ("en-the-25th", "I'll have it to you by the 25th.", FRI, _nov(25), _at(25)),
    ("en-the-5th-next-month", "by the 5th", FRI, date(2026, 12, 5), _eod(2026, 12, 5)),
    ("en-us-slash", "I'll send the quote by 11/25.", FRI, _nov(25), _at(25)),
    ("en-no-later-than", "no later than November 25", FRI, _nov(25), _at(25)),
    ("en-jan-in-dec", "by Jan 10", DEC, date(2027, 1, 10), _eod(2027, 1, 10)),
    ("en-3pm", "I'll call you by 3pm.", FRI, _nov(20), _at(20, 15)),
    ("en-24h-clock", "by 15:00", FRI, _nov(20), _at(20, 15)),
    ("en-3-pm-tomorrow", "by 3 pm tomorrow", FRI, _nov(21), _at(21, 15)),
    ("en-friday-5pm", "I'll send it by Friday 5pm.", WED, _nov(20), _at(20, 17)),
    ("en-friday-at-5-p-m", "by Friday at 5 p.m.", WED, _nov(20), _at(20, 17)),
    ("en-time-on-weekday", "by 3pm on Monday", FRI, _nov(23), _at(23, 15)),
    ("en-noon-tomorrow", "by noon tomorrow", FRI, _nov(21), _at(21, 12)),
    ("en-date-at-time", "by Nov 25 at 10am", FRI, _nov(25), _at(25, 10)),
    # -- no promise ------------------------------------------------------------------------
    ("no-day-without-deadline", "25日に打ち合わせをお願いします", FRI, None, None),
    ("no-year-of-results", "2025年の実績をお送りします", FRI, None, None),
    ("no-delivered-on", "11月25日に納品しました", FRI, None, None),
    ("no-date-then-ni", "11月25日(水)に伺います", FRI, None, None),
    ("no-slash-then-ni", "11/25に打ち合わせです", FRI, None, None),
    ("no-by-the-way", "By the way, the file is attached.", FRI, None, None),
    ("no-by-email", "I'll send it by email.", FRI, None, None),
    ("no-by-phone", "Please reach me by phone.", FRI, None, None),
    ("no-by-a-year", "We aim to finish by 2025.", FRI, None, None),
    ("no-ja-weekday-disagrees", "11月25日(火)までに回答いたします", FRI, None, None),
    ("no-en-weekday-disagrees", "I'll reply by Tuesday, November 25.", FRI, None, None),
    ("no-day-weekday-disagrees", "25日(火)までにお送りします", FRI, None, None),
    ("no-ja-past", "11月19日までに回答いたします", FRI, None, None),
    ("no-en-past", "I sent it by Nov 19.", FRI, None, None),
    ("no-possessive-weekday", "It was sent by Friday's courier.", FRI, None, None),
    ("no-possessive-tomorrow", "It will be ready by tomorrow's meeting.", FRI, None, None),
    ("no-made-absence", "11月25日まで不在にしております", FRI, None, None),
    ("no-made-holiday", "11月25日まで休暇をいただいております", FRI, None, None),
    ("no-made-no-valid-until", "11月25日までの見積をお送りします", FRI, None, None),
    ("no-made-valid", "11月25日まで有効です", FRI, None, None),
    ("no-made-ga-deadline", "25日までが締切です", FRI, None, None),
    ("no-honjitsu-chuu-wa-away", "本日中は外出しております", FRI, None, None),
    ("no-chuujun", "今月中旬までにお送りします", FRI, None, None),
    ("no-raishuu-nakagoro", "来週中頃にご連絡します", FRI, None, None),
    ("no-raishuu-made", "来週までにお送りします", FRI, None, None),
    ("no-month-only", "11月中旬までに", FRI, None, None),
    ("no-ja-time-passed", "15時までにお送りします", _at(20, 16), None, None),
    ("no-en-time-passed", "by 3pm", _at(20, 16), None, None),
    ("no-honjitsu-after-hours", "本日中にお送りします", _at(20, 19), None, None),
    ("no-ja-ambiguous-hour", "3時までにお送りします", FRI, None, None),
    ("no-en-ambiguous-hour", "by 3:00", FRI, None, None),
    ("no-en-bare-number", "I'll call you by 3.", FRI, None, None),
    ("no-ja-invalid-hour", "25時までにお送りします", FRI, None, None),
    ("no-ja-gogo-13", "午後13時までに", FRI, None, None),
    ("no-too-far-ahead", "10月25日までにお送りします", FRI, None, None),
    ("no-invalid-date", "2月30日までにお送りします", FRI, None, None),
    ("no-european-order", "by 25/11", FRI, None, None),
    ("no-the-32nd", "by the 32nd", FRI, None, None),
    ("no-until", "I'm out of the office until Nov 25.", FRI, None, None),
    ("no-on-date", "Let's meet on Nov 25.", FRI, None, None),
    ("no-by-next-week", "I'll get back to you by next week.", FRI, None, None),
    ("no-approved-by-monday-s", "Approved by Monday's committee.", FRI, None, None),
    ("no-unrecognised-weekday-time", "金曜の15時までにお送りします", WED, None, None),
    ("no-sa-raishuu", "再来週月曜までにお送りします", FRI, None, None),
    ("no-raigetsu-matsu", "来月末までにお送りします", FRI, None, None),
    ("no-rainen-date", "来年11月25日までにお送りします", FRI, None, None),
    ("no-shiasatte", "明明後日までにお送りします", FRI, None, None),
    ("no-weekday-next-week", "I'll send it by Friday next week.", WED, None, None),
    ("no-time-next-weekday", "by 3pm next Monday", FRI, None, None),
    ("no-the-25th-of-next-month", "by the 25th of next month", FRI, None, None),
    ("no-ja-weekday-alone", "金曜までにお送りします", WED, None, None),
    ("no-recurring-day", "毎月25日までにお送りします", FRI, None, None),
    ("no-next-friday", "I'll reply by next Friday.", WED, None, None),
    ("no-time-chuu", "15時中にお送りします", FRI, None, None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "sent_at", "expected_date", "expected_due"),
    [row[1:] for row in _ROWS],
    ids=[row[0] for row in _ROWS],
)
def test_phrasing_names_the_promised_date_and_due_time_or_none(
    text: str, sent_at: datetime, expected_date: date | None, expected_due: datetime | None
) -> None:
    promise = earliest_promise(text, sent_at, JP_CALENDAR)

    assert (promise.date if promise else None) == expected_date
    assert (promise.due_at if promise else None) == expected_due


def test_the_table_is_large_and_a_third_of_it_negative() -> None:
    negatives = [row for row in _ROWS if row[3] is None]

    assert len(_ROWS) >= 80
    assert len(negatives) * 3 >= len(_ROWS)
    assert len({row[0] for row in _ROWS}) == len(_ROWS)


@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize("offset", range(30))
def test_the_holding_reply_wording_is_always_recognised(language: str, offset: int) -> None:
    sent_at = jst(2026, 12, 1, 10) + timedelta(days=offset)  # across the year end
    promised = JP_CALENDAR.add_business_days(sent_at.date(), 2)
    wording = format_promise_date(promised, language)
    text = f"{wording}までに回答いたします。" if language == "ja" else f"I'll answer by {wording}."

    promise = earliest_promise(text, sent_at, JP_CALENDAR)

    assert promise is not None
    assert promise.date == promised
    assert promise.due_at == JP_CALENDAR.end_of_business_day(promised)

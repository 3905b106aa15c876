"""Commitment phrasings (issue 5 item 5): what each names, and what is no promise at all;
and (issue 14) the dates I ask for, read side by side with the dates I promise.

One row per phrasing: the text, when it was sent, and the promised date and due instant it
must give, or ``None`` twice when it must give no promise (a false promise hides a thread
that needs an answer, so doubt gives none). Dates are in Asia/Tokyo with the JP calendar:
2026-11-23 (Monday) is 勤労感謝の日, a holiday; business hours end at 18:00.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from inboxguard.domain.promises import earliest_promise
from inboxguard.domain.requests import find_request
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


# -- promises and requests side by side (issue 14) --------------------------------------
#
# One row per text: what the promise reader must give (the due instant, or None) and what
# the request reader must give (the due instant of a dated ask, QUESTION for a question
# without a date, or None). A date I ask for is never also a date I promise.

QUESTION = "question"
SIGNED = "\n\nよろしくお願いいたします。\n\n山田 花子\n株式会社サンプル\nTEL: 03-1234-5678"
SIGNED_EN = "\n\nBest regards,\nHanako\n-- \nHanako Yamada\nTEL 03-1234-5678"
HISTORY_EN = (
    "\n\nOn Mon, Nov 16, 2026 at 10:00 Taro <taro@client.example> wrote:"
    "\n> Could you send it by Friday?"
)

Both = tuple[str, str, datetime, datetime | None, datetime | str | None]

_BOTH: list[Both] = [
    # -- asks: a date I ask for, no promise ----------------------------------------------
    (
        "ja-ask-itadakemasu",
        "ロゴのデータを11月25日(水)までにいただけますと幸いです",
        FRI,
        None,
        _at(25),
    ),
    ("ja-ask-gohenshin-kudasai", "11月25日(水)までにご返信ください。", FRI, None, _at(25)),
    ("ja-ask-konshuu-kakunin", "今週中にご確認いただけますか？", WED, None, _at(20)),
    ("ja-ask-ashita-kyouyuu", "明日中にご共有いただけますと助かります", WED, None, _at(19)),
    ("ja-ask-goshiteki", "25日までにご指摘ください", FRI, None, _at(25)),
    ("ja-ask-deshouka", "25日までにお送りいただけますでしょうか。", FRI, None, _at(25)),
    ("ja-ask-renraku-onegai", "25日までにご連絡をお願いいたします。", FRI, None, _at(25)),
    (
        "ja-ask-kudasaimasuyou",
        "25日までにご提出くださいますようお願い申し上げます",
        FRI,
        None,
        _at(25),
    ),
    ("ja-ask-itadakitaku", "11/25までにご回答いただきたく存じます", FRI, None, _at(25)),
    ("ja-ask-kanji-kudasai", "25日までにご返送下さい", FRI, None, _at(25)),
    (
        "ja-ask-full-width",
        "ロゴのデータを１１月２５日（水）までにいただけますと幸いです",
        FRI,
        None,
        _at(25),
    ),
    ("ja-ask-time", "明日15時までにご確認いただけますか", WED, None, _at(19, 15)),
    ("ja-ask-eigyoubi", "3営業日以内にご返信いただけますと幸いです", FRI, None, _at(26)),
    (
        "ja-ask-wrapped",
        "ロゴのデータを11月25日(水)までに\nいただけますと幸いです。",
        FRI,
        None,
        _at(25),
    ),
    ("ja-ask-cushion", "25日までに、お手数ですがご確認ください", FRI, None, _at(25)),
    ("ja-ask-onegai-only", "明日までにお願いします", WED, None, _at(19)),
    ("ja-ask-moraeru", "今週中に送ってもらえますか", WED, None, _at(20)),
    ("en-ask-could-you", "Could you send the files by Friday?", WED, None, _at(20)),
    ("en-ask-please-confirm", "Please confirm by Nov 25.", FRI, None, _at(25)),
    ("en-ask-can-you", "Can you review the draft by tomorrow?", FRI, None, _at(21)),
    ("en-ask-would-you", "Would you share the logo by Nov 25?", FRI, None, _at(25)),
    ("en-ask-let-me-know-time", "Let me know by Friday 5pm.", WED, None, _at(20, 17)),
    ("en-ask-appreciate", "I'd appreciate your feedback by Nov 25.", FRI, None, _at(25)),
    (
        "en-ask-no-later-than",
        "Please send the contract no later than November 25.",
        FRI,
        None,
        _at(25),
    ),
    ("en-ask-deadline-first", "By Friday, could you send me the files?", WED, None, _at(20)),
    (
        "en-ask-if-you-could",
        "It would help if you could send the photos by the 25th.",
        FRI,
        None,
        _at(25),
    ),
    ("en-ask-business-days", "Please reply within 3 business days.", FRI, None, _at(26)),
    ("ja-ask-conditional", "明日中にお送りいただければ、対応いたします", WED, None, _at(19)),
    ("ja-ask-meeting-time", "来週中にお打ち合わせのお時間をいただけますか", FRI, None, _at(27)),
    (
        "en-ask-then-my-promise",
        "Please send it by Friday, and I'll review it by Monday.",
        WED,
        _at(23),
        _at(20),
    ),
    (
        "ja-ask-then-my-promise",
        "明日までにご確認いただき、25日までに納品いたします",
        FRI,
        _at(25),
        _at(21),
    ),
    # -- promises: a date I keep, no ask -------------------------------------------------
    ("ja-promise-kaitou", "11月25日(水)までに回答いたします", FRI, _at(25), None),
    ("ja-promise-ookuri", "25日までにお送りします", FRI, _at(25), None),
    ("ja-promise-sasete", "25日までに納品させていただきます", FRI, _at(25), None),
    (
        "ja-promise-then-undated-ask",
        "25日までにお送りしますので、ご確認ください",
        FRI,
        _at(25),
        None,
    ),
    ("ja-promise-wait-for-me", "11月25日までお待ちいただけますでしょうか。", FRI, _at(25), None),
    ("ja-promise-time-for-me", "25日までお時間をいただけますと幸いです", FRI, _at(25), None),
    ("ja-promise-eigyoubi", "2営業日以内にご回答いたします", FRI, _at(25), None),
    ("en-promise-ill-send", "I'll send it by Friday.", WED, _at(20), None),
    ("en-promise-we-will", "We will deliver the files by Nov 25.", FRI, _at(25), None),
    (
        "en-promise-please-note",
        "Please note that I will send the invoice by Nov 25.",
        FRI,
        _at(25),
        None,
    ),
    ("en-promise-please-expect", "Please expect the draft by Friday.", WED, _at(20), None),
    (
        "en-promise-so-i-can",
        "Could you check the layout so I can send it by Friday?",
        WED,
        _at(20),
        QUESTION,
    ),
    # -- both in one message --------------------------------------------------------------
    (
        "ja-both",
        "見積は明日中にお送りします。ロゴのデータを25日までにいただけますと幸いです。",
        FRI,
        _at(21),
        _at(25),
    ),
    (
        "en-both",
        "I'll send the quote by tomorrow. Could you send the logo by Nov 25?",
        FRI,
        _at(21),
        _at(25),
    ),
    (
        "en-promise-and-question",
        "I'll send the quote by tomorrow. Is the logo final?",
        FRI,
        _at(21),
        QUESTION,
    ),
    (
        "ja-earliest-ask-wins",
        "ロゴは25日までに、写真は明日中にお送りください。",
        FRI,
        None,
        _at(21),
    ),
    (
        "ja-dated-ask-beats-question",
        "25日までにご返信ください。\n\nちなみに写真は使えますか？",
        FRI,
        None,
        _at(25),
    ),
    # -- questions without a date --------------------------------------------------------
    ("ja-question", "ロゴのデータはいつ頃いただけますか？", FRI, None, QUESTION),
    ("ja-question-half-width-mark", "ご都合いかがでしょうか?", FRI, None, QUESTION),
    (
        "ja-question-then-signature",
        f"来週の打ち合わせはオンラインでよろしいでしょうか？{SIGNED}",
        FRI,
        None,
        QUESTION,
    ),
    ("en-question", "Could you send me the latest logo files?", FRI, None, QUESTION),
    ("en-question-then-signature", f"Is Tuesday OK?{SIGNED_EN}", FRI, None, QUESTION),
    # -- neither --------------------------------------------------------------------------
    ("no-bare-date-onegai", "25日に打ち合わせをお願いします", FRI, None, None),
    ("no-until-absent", "25日まで不在にしておりますのでご了承ください", FRI, None, None),
    ("no-past-ask", "11月19日までにご返信ください", FRI, None, None),
    ("no-past-en-ask", "Please confirm by Nov 19.", FRI, None, None),
    ("no-ask-too-far", "10月25日までにご返信ください", FRI, None, None),
    ("no-explicit-year-too-far", "2027年11月25日までにご返信ください", FRI, None, None),
    ("no-ambiguous-hour-ask", "3時までにご確認ください", FRI, None, None),
    ("no-ambiguous-hour-en-ask", "Please confirm by 3:00.", FRI, None, None),
    ("no-by-next-week-ask", "Please send it by next week.", FRI, None, None),
    ("no-weekday-disagrees-ask", "25日(金)までにご返信ください", FRI, None, None),
    ("no-chuujun-ask", "今月中旬までにご返信ください", FRI, None, None),
    ("no-by-email-ask", "Please reply by email.", FRI, None, None),
    ("no-thanks-for-past", "ご返信いただきありがとうございました。", FRI, None, None),
    ("no-undated-ask-no-mark", "ご確認いただけますでしょうか", FRI, None, None),
    ("no-until-away-en", "I'm away until Nov 25, please contact Ken.", FRI, None, None),
    ("no-next-friday-ask", "Could you reply by next Friday.", WED, None, None),
    ("no-full-width-past-ask", "１１月１９日までにご返信ください", FRI, None, None),
    ("no-time-passed-ask", "15時までにご確認ください", _at(20, 16), None, None),
    ("no-honjitsu-after-hours-ask", "本日中にご確認ください", _at(20, 19), None, None),
    ("no-raishuu-made-ask", "来週までにご返信ください", FRI, None, None),
    ("no-made-no-estimate-ask", "25日までの見積をご確認ください", FRI, None, None),
    ("no-en-weekday-disagrees-ask", "Please reply by Tuesday, November 25.", FRI, None, None),
    ("no-ja-weekday-alone-ask", "金曜までにご返信ください", WED, None, None),
    (
        "no-question-in-forward",
        "ご参考まで。\n\n---------- Forwarded message ---------\nいつ届きますか？",
        FRI,
        None,
        None,
    ),
    ("no-self-question", "どうしようかな？", FRI, None, None),
    ("no-ja-opinion-question", "こちらの案の方が良いのではないでしょうか？", FRI, None, None),
    ("no-tag-question", "It looks great, right?", FRI, None, None),
    ("no-rhetorical", "Who knows?", FRI, None, None),
    ("no-wondering-aloud", "I wonder why the courier is late?", FRI, None, None),
    (
        "no-quoted-ja-question",
        "「いつ届きますか？」とのお問い合わせがありました。",
        FRI,
        None,
        None,
    ),
    ("no-quoted-en-question", 'They asked, "Can we move the meeting?"', FRI, None, None),
    ("no-question-not-last", "Did you get my mail? I'll send the rest tomorrow.", FRI, None, None),
    ("no-question-in-quote", "承知いたしました。\n\n> 資料はいつ届きますか？", FRI, None, None),
    ("no-question-in-history", f"Thanks, noted.{HISTORY_EN}", FRI, None, None),
    (
        "no-ask-in-history",
        "承知しました。\n\n-----Original Message-----\n25日までにご返信ください。",
        FRI,
        None,
        None,
    ),
]


@pytest.mark.parametrize(
    ("text", "sent_at", "promise_due", "request_due"),
    [row[1:] for row in _BOTH],
    ids=[row[0] for row in _BOTH],
)
def test_each_reader_takes_its_own_date_and_neither_takes_the_other(
    text: str, sent_at: datetime, promise_due: datetime | None, request_due: datetime | str | None
) -> None:
    promise = earliest_promise(text, sent_at, JP_CALENDAR)
    request = find_request(text, sent_at, JP_CALENDAR)

    assert (promise.due_at if promise else None) == promise_due
    if request_due == QUESTION:
        assert request is not None
        assert (request.date, request.due_at) == (None, None)
    else:
        assert (request.due_at if request else None) == request_due
        if request is not None and request.due_at is not None:
            assert request.date == request.due_at.date()


@pytest.mark.parametrize(
    ("text", "sent_at"), [row[1:3] for row in _ROWS], ids=[row[0] for row in _ROWS]
)
def test_a_promise_phrasing_is_never_a_request(text: str, sent_at: datetime) -> None:
    assert find_request(text, sent_at, JP_CALENDAR) is None


def test_the_side_by_side_table_covers_each_kind() -> None:
    ids = [row[0] for row in _BOTH]
    asks = [row for row in _BOTH if row[3] is None and isinstance(row[4], datetime)]
    promises = [row for row in _BOTH if row[3] is not None and row[4] is None]
    neither = [row for row in _BOTH if row[3] is None and row[4] is None]

    assert len(ids) == len(set(ids))
    assert not set(ids) & {row[0] for row in _ROWS}
    assert len(asks) >= 20
    assert len(promises) >= 10
    assert len(neither) * 3 >= len(_BOTH)

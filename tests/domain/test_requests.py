"""What my message asks the client for (issue 14): what was asked, which ask counts, and a
reader that never raises. The phrasing table, side by side with promises, is in
test_promise_phrasings.py."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inboxguard.domain.promises import earliest_promise, find_promises
from inboxguard.domain.requests import MAX_WHAT_CHARS, asks_question, find_request
from inboxguard.parse import parse_text
from tests.domain.factories import JP_CALENDAR, jst

FRI = jst(2026, 11, 20, 10)  # Friday 10:00; Monday 11-23 is a holiday


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ("ロゴのデータを11月25日(水)までにいただけますと幸いです", "ロゴのデータ"),
        ("修正案のご確認を11月25日までにお願いします", "修正案のご確認"),
        ("11月25日までに、ロゴのデータをお送りいただけますでしょうか", "ロゴのデータ"),
        ("お見積もりを25日までにお送りいただけますと助かります", "お見積もり"),
        ("添付の資料をご確認のうえ、25日までにご返信ください", "添付の資料"),
        ("先日お送りした資料を25日までにご確認いただけますか", "資料"),
        ("見積の件、25日までにご回答いただけますか", "見積"),
        ("デザイン案について、25日までにご返信をお願いします", "デザイン案"),
        ("「ご提案書」を25日までにお送りください", "「ご提案書」"),
        ("25日までにご確認ください", ""),
        ("こちらを25日までにご確認ください", ""),
        ("Could you send the files by Friday?", "the files"),
        ("Could you send me the signed contract by Nov 25?", "the signed contract"),
        ("Please send over the invoice no later than Nov 25.", "the invoice"),
        ("Let me know your availability by Nov 25.", "your availability"),
        ("I'd appreciate your feedback on the draft by Nov 25.", "your feedback on the draft"),
        ("Could you have a look at the mockups by Friday?", "the mockups"),
        ("Please confirm by Nov 25.", ""),
        ("Could you send it by Friday?", ""),
        ("Let me know by Friday whether the colours work.", ""),
    ],
)
def test_what_names_the_thing_asked_for_or_nothing(text: str, what: str) -> None:
    request = find_request(text, FRI, JP_CALENDAR)

    assert request is not None
    assert request.what == what


def test_a_noun_phrase_over_the_limit_gives_no_what_rather_than_a_cut_one() -> None:
    long_name = "サンプル株式会社第二営業部デザイン課" * 4 + "の資料"
    text = f"{long_name}を25日までにお送りください"

    request = find_request(text, FRI, JP_CALENDAR)

    assert len(long_name) > MAX_WHAT_CHARS
    assert request is not None
    assert request.what == ""


def test_a_dated_ask_gives_the_sentence_as_written_and_its_due() -> None:
    text = (
        "山田様\n\nお世話になっております。\nロゴのデータを１１月２５日（水）までに\n"
        "いただけますと幸いです。\n\nよろしくお願いいたします。"
    )

    request = find_request(text, FRI, JP_CALENDAR)

    assert request is not None
    assert request.phrase == "ロゴのデータを１１月２５日（水）までにいただけますと幸いです。"
    assert request.date == date(2026, 11, 25)
    assert request.due_at == JP_CALENDAR.end_of_business_day(date(2026, 11, 25))


def test_a_message_holds_a_promise_and_an_ask_and_each_reader_returns_its_own() -> None:
    text = "見積は明日中にお送りします。ロゴのデータを25日までにいただけますと幸いです。"

    promises = find_promises(text, FRI, JP_CALENDAR)
    request = find_request(text, FRI, JP_CALENDAR)

    assert [p.date for p in promises] == [date(2026, 11, 21)]
    assert request is not None
    assert request.date == date(2026, 11, 25)
    assert request.what == "ロゴのデータ"


def test_the_earliest_due_ask_wins() -> None:
    text = "Please send the logo by Nov 25. Could you also confirm the colours by tomorrow?"

    request = find_request(text, FRI, JP_CALENDAR)

    assert request is not None
    assert request.date == date(2026, 11, 21)
    assert request.phrase == "Could you also confirm the colours by tomorrow?"
    assert request.what == "the colours"


def test_a_dated_ask_wins_over_a_closing_question() -> None:
    text = "25日までにご返信ください。\n\nちなみに写真は使えますか？"

    request = find_request(text, FRI, JP_CALENDAR)

    assert request is not None
    assert request.date == date(2026, 11, 25)
    assert asks_question(text) == "ちなみに写真は使えますか？"


def test_a_closing_question_is_a_request_without_a_date() -> None:
    text = (
        "Hi Taro,\n\nThanks for the update. Could you send me the latest logo files?"
        "\n\nBest,\nHanako"
    )

    request = find_request(text, FRI, JP_CALENDAR)

    assert request is not None
    assert request.phrase == "Could you send me the latest logo files?"
    assert request.what == "the latest logo files"
    assert (request.date, request.due_at) == (None, None)


@pytest.mark.parametrize(
    "tail",
    [
        "\n\nよろしくお願いいたします。",
        "\nよろしくお願いします。\n山田",
        "\n\n何卒よろしくお願い申し上げます。\n\n━━━━━━━━━━━━\n山田 花子\n株式会社サンプル"
        "\nTEL: 03-1234-5678\nhanako@example.jp",
        "\n\n以上、よろしくお願いいたします。",
        "\n\nThanks,\nHanako",
        "\n\nKind regards,\nHanako Yamada\nStudio Sample\nhttps://studio.example",
        "\n-- \nHanako Yamada | TEL 03-1234-5678",
        "\n\nHanako",
        "\n\nBest,\nHanako Yamada\nStudio Sample Inc.\nMobile: 090-1234-5678\nhanako@example.jp",
    ],
)
def test_closing_lines_and_the_signature_do_not_hide_the_question(tail: str) -> None:
    text = f"お世話になっております。\n\n次回の打ち合わせは来週火曜でいかがでしょうか？{tail}"

    assert asks_question(text) == "次回の打ち合わせは来週火曜でいかがでしょうか？"


@pytest.mark.parametrize(
    "text",
    [
        "資料はいつ届きますか？\n\n明日お送りいたします。",  # answered in the next sentence
        "Did you get my mail? I'll send the rest tomorrow.",
        "どうしようかな？",
        "It looks great, right?",
        "「いつ届きますか？」とのお問い合わせがありました。",
        "承知いたしました。\n\n> 資料はいつ届きますか？",
        "ご確認いただけますでしょうか",  # no question mark: not read as a question
        "Can you check?\nThe mobile layout looks off.",  # a sentence after it, not a signature
        "ご確認いただけますか？\n以上の点、ご承知おきください。",
        "",
    ],
)
def test_no_question_when_the_last_sentence_is_not_one_to_the_reader(text: str) -> None:
    assert asks_question(text) is None
    assert find_request(text, FRI, JP_CALENDAR) is None


def test_quoted_history_from_the_parser_holds_no_request() -> None:
    raw = (
        b"From: Hanako <hanako@example.jp>\r\n"
        b"To: Taro <taro@client.example>\r\n"
        b"Subject: Re: logo\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n"
        b"\r\n"
        b"Thanks, noted. I'll send the invoice by Nov 25.\r\n"
        b"\r\n"
        b"On Mon, Nov 16, 2026 at 10:00 Taro <taro@client.example> wrote:\r\n"
        b"> Could you send the logo by Friday?\r\n"
        b"> Is the colour final?\r\n"
    )

    text = parse_text(raw).text

    assert find_request(text, FRI, JP_CALENDAR) is None
    assert find_request(raw.decode(), FRI, JP_CALENDAR) is None  # whole body: still none
    promise = earliest_promise(text, FRI, JP_CALENDAR)
    assert promise is not None
    assert promise.date == date(2026, 11, 25)


_TEXT = st.one_of(
    st.text(max_size=300),
    st.lists(
        st.sampled_from(
            [
                *("11月25日", "25日", "(水)", "(金)", "までに", "まで", "中に", "今週", "明日"),
                *("15時", "3時", "午後", "3営業日以内に", "いただけますと幸いです", "ください"),
                *("お願いします", "ご確認", "を", "、", "。", "？", "?", "\n", "\n\n", "> "),
                *("Could you send ", "the files ", "by ", "Friday", "Nov 25", "3pm ", "please "),
                *("I'll ", "no later than ", "within 2 business days", "-- \n", "Thanks,\n"),
                *("2026年", "12/31", "１１月２５日", "the 25th", "tomorrow", "EOD", "right?"),
            ]
        ),
        max_size=30,
    ).map("".join),
)


@settings(max_examples=300, deadline=None)
@given(
    text=_TEXT,
    # Any instant a Date header can give, the ends of the calendar included.
    sent_at=st.datetimes(
        min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
    ),
)
def test_the_readers_never_raise_and_an_ask_is_due_ahead_within_200_days(
    text: str, sent_at: datetime
) -> None:
    promises = find_promises(text, sent_at, JP_CALENDAR)
    request = find_request(text, sent_at, JP_CALENDAR)
    asks_question(text)

    horizon = timedelta(days=201)  # 200 days ahead, to the end of that day
    for promise in promises:
        assert sent_at < promise.due_at <= sent_at + horizon
    if request is not None:
        assert len(request.what) <= MAX_WHAT_CHARS
        assert request.phrase
        if request.due_at is not None:
            assert sent_at < request.due_at <= sent_at + horizon
            assert request.date == JP_CALENDAR.local(request.due_at).date()
        else:
            assert request.date is None


@pytest.mark.parametrize(
    "sent_at",
    [datetime(9999, 12, 20, 10, tzinfo=UTC), datetime(1, 1, 2, 10, tzinfo=UTC)],
    ids=["year-9999", "year-1"],
)
@pytest.mark.parametrize(
    "text",
    ["月末までにお送りします", "今週中にご確認ください", "by the end of the month", "週明けまでに"],
)
def test_a_date_header_at_the_end_of_the_calendar_gives_nothing_and_no_error(
    text: str, sent_at: datetime
) -> None:
    assert find_promises(text, sent_at, JP_CALENDAR) == []
    assert find_request(text, sent_at, JP_CALENDAR) is None

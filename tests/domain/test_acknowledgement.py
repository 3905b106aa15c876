"""Acknowledgement-only mail, judged with the shipped rules/acknowledgements.toml."""

from __future__ import annotations

import pytest

from inboxguard.domain.acknowledgement import AcknowledgementRules
from inboxguard.rules import load_rules

# 500 characters that open with thanks and go on to real content.
LONG_THANKS = ("ありがとうございます。" + "本件について詳しくご説明いたします。" * 30)[:500]


@pytest.fixture(scope="module")
def rules() -> AcknowledgementRules:
    return load_rules(None).acknowledgements


@pytest.mark.parametrize(
    "text",
    [
        "承知しました。",
        "佐藤様\nお世話になっております。\n承知しました。\nよろしくお願いいたします。\n山田",
        "ありがとうございました！",
        "Thanks!",
        "Got it, thanks.",
        "了解です",
        "承知です。",
        "ＴＨＡＮＫＳ！",
        "Hi Hanako,\nThanks!\nTaro",
    ],
)
def test_short_acknowledgements_need_no_reply(rules: AcknowledgementRules, text: str) -> None:
    assert rules.is_acknowledgement(text)


@pytest.mark.parametrize(
    "text",
    [
        "承知しました。ところで見積はいつ頃になりますか？",
        "Thanks! Could you also send the invoice?",
        "Please book the room",
        "",
        "   \n  ",
        LONG_THANKS,
        "ありがとうございます。添付の資料をご確認いただき、修正点をお知らせください。",
        "山田です。",
        "Hi Hanako, thanks, please call me tomorrow",
    ],
)
def test_questions_requests_and_long_mail_need_a_reply(
    rules: AcknowledgementRules, text: str
) -> None:
    assert not rules.is_acknowledgement(text)


def test_the_long_case_is_500_characters_opening_with_thanks() -> None:
    assert len(LONG_THANKS) == 500
    assert LONG_THANKS.startswith("ありがとうございます")


def test_a_line_holding_a_phrase_is_not_dropped_as_filler(rules: AcknowledgementRules) -> None:
    # "了解です" also reads as a self-introduction line ("<name>です"); it must still count.
    assert rules.is_acknowledgement("了解です")
    assert not rules.is_acknowledgement("山田です。")

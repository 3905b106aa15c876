"""Incident detection (SPEC §7): the older keyword rule type, word-aware, on the new text.

The shapes of the shipped signals are pinned in tests/incidents/test_signals.py."""

from __future__ import annotations

import pytest

from inboxguard.domain.incidents import IncidentRules, IncidentScore, incident_for, score_incident
from inboxguard.domain.message import Address, Message
from inboxguard.rules import load_rules


@pytest.fixture(scope="module")
def rules() -> IncidentRules:
    return load_rules(None).incident


def found(result: IncidentScore) -> tuple[str, ...]:
    return tuple(signal.evidence for signal in result.signals)


SMALL = IncidentRules(
    keywords={"障害": 4, "down": 1, "is down": 4, "エラー": 2},
    exclude=("障害者", "down payment"),
    threshold=4,
    subject_weight=2,
)


def test_a_failure_word_in_the_body_opens_an_incident() -> None:
    result = score_incident("ご連絡", "本番環境で障害が発生しています。", SMALL)
    assert result.opens and result.score == 4 and found(result) == ("障害",)
    assert result.keywords == ("keyword:障害=4",)


def test_subject_keywords_count_subject_weight_times() -> None:
    assert score_incident("エラー", "", SMALL).score == 4
    assert score_incident("", "エラー", SMALL).score == 2


def test_a_keyword_counts_once_per_message_at_its_strongest_place() -> None:
    result = score_incident("エラー", "エラー、またエラーです。", SMALL)
    assert result.score == 2 * 2
    assert found(result) == ("エラー",) and result.signals[0].where == "subject"


def test_an_excluded_compound_leaves_nothing_for_the_keyword() -> None:
    assert score_incident("障害者雇用のご案内", "障害者雇用について", SMALL).score == 0


def test_latin_keywords_match_whole_words_only() -> None:
    text = "markdown, countdown, breakdown and a down payment"
    assert found(score_incident("", text, SMALL)) == ()


def test_latin_keywords_match_beside_japanese_and_in_full_width() -> None:
    assert found(score_incident("", "サーバーがdownしています", SMALL)) == ("down",)
    assert found(score_incident("", "ＳＩＴＥ ＩＳ ＤＯＷＮ", SMALL)) == ("is down",)


def test_a_japanese_keyword_wrapped_across_lines_still_matches() -> None:
    assert found(score_incident("", "本番環境で障\n害が発生しています。", SMALL)) == ("障害",)


def test_a_longer_keyword_uses_up_its_span() -> None:
    result = score_incident("", "The site is down.", SMALL)
    assert found(result) == ("is down",) and result.score == 4


def test_a_space_in_a_keyword_also_matches_a_hyphen_and_line_breaks() -> None:
    assert found(score_incident("", "site is\ndown", SMALL)) == ("is down",)
    assert found(score_incident("", "a down-payment", SMALL)) == ()


def test_a_keyword_apostrophe_also_matches_the_typographic_one() -> None:
    rules = IncidentRules(keywords={"can't log in": 3})
    assert found(score_incident("", "We can\u2019t log in.", rules)) == ("can't log in",)


def test_the_shipped_shapes_read_the_typographic_apostrophe(rules: IncidentRules) -> None:
    assert "failure:log=4" in score_incident("", "We can\u2019t log in.", rules).keywords


def test_automated_mail_never_opens_an_incident() -> None:
    message = Message(
        message_id="<n@status.example>",
        subject="【障害】サービス停止のお知らせ",
        sender=Address("", "status@status.example"),
        text="障害が発生し、サービスがダウンしています。",
    )
    assert incident_for(message, None, SMALL).opens
    automated = incident_for(message, "List-Id header", SMALL)
    assert not automated.opens and automated.score == 0 and automated.keywords == ()


@pytest.mark.parametrize(
    ("subject", "text"),
    [
        ("障害者雇用のご案内", "障害者雇用に関するセミナーのご案内です。"),
        ("運動会", "障害物競走があります。"),
        ("資料", "資料はこちらからダウンロードできます。"),
        ("見積", "至急ではありませんので、今週中で大丈夫です。"),
        ("Down payment", "Attached is the invoice for the down payment."),
        ("Docs", "Please write the docs in Markdown."),
        ("Small change", "No urgent need, but please update the footer."),
    ],
)
def test_shipped_rules_ignore_false_friends(rules: IncidentRules, subject: str, text: str) -> None:
    assert not score_incident(subject, text, rules).opens


@pytest.mark.parametrize(
    ("subject", "text"),
    [
        ("【障害】本番サイト", "サイトが表示されません。"),
        ("ご連絡", "サーバーダウンのため、サービスを提供できておりません。"),
        ("Re: sprint", "The checkout page is down and customers are calling us."),
        ("Outage", "We saw a full outage this morning."),
    ],
)
def test_shipped_rules_open_on_real_incidents(
    rules: IncidentRules, subject: str, text: str
) -> None:
    assert score_incident(subject, text, rules).opens


def test_one_urgency_word_alone_never_opens_one_even_in_the_subject(rules: IncidentRules) -> None:
    assert not score_incident("【至急】見積書のご送付", "本日中にお願いします。", rules).opens
    assert not score_incident("URGENT: quote", "Please send it today.", rules).opens

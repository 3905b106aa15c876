"""The labelled incident set: precision and recall of detection stay at 0.9 or better."""

from __future__ import annotations

from inboxguard.domain.incidents import IncidentRules, incident_for, score_incident
from inboxguard.parse import parse_message
from inboxguard.rules import load_rules
from tests.incidents.labelled import load_cases


def _rules() -> IncidentRules:
    return load_rules(None).incident


def test_the_set_has_50_cases_in_both_languages_with_near_misses() -> None:
    cases = load_cases()
    assert len(cases) >= 50
    assert len({case.name for case in cases}) == len(cases)
    english = [case for case in cases if case.name.startswith("en_")]
    japanese = [case for case in cases if case.name.startswith("ja_")]
    for group in (english, japanese):
        assert sum(case.incident for case in group) >= 10
        assert sum(not case.incident for case in group) >= 10


def test_precision_and_recall_are_at_least_0_9() -> None:
    rules = _rules()
    tp = fp = fn = 0
    for case in load_cases():
        result = score_incident(case.subject, case.text, rules)
        predicted = result.opens and case.automated is None
        tp += predicted and case.incident
        fp += predicted and not case.incident
        fn += not predicted and case.incident
    assert tp / (tp + fp) >= 0.9
    assert tp / (tp + fn) >= 0.9


def test_labelled_automated_mail_never_opens_one() -> None:
    rules = _rules()
    for case in load_cases():
        if case.automated is not None:
            message = parse_message(
                f"From: x@status.example\nSubject: {case.subject}\n\n{case.text}\n".encode()
            )
            assert not incident_for(message, case.automated, rules).opens, case.name


def test_quoted_incident_words_in_a_real_message_do_not_count() -> None:
    raw = (
        "From: =?UTF-8?B?5L2Q6Jek?= <taro@client.example>\n"
        "To: hanako@example.jp\n"
        "Subject: =?UTF-8?B?5pyI5qyh5a6a5L6L44Gu5pel56iL?=\n"  # 月次定例の日程
        "Message-ID: <q1@client.example>\n"
        "Date: Fri, 20 Nov 2026 10:00:00 +0900\n"
        "MIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "Content-Transfer-Encoding: 8bit\n\n"
        "来週の定例は木曜でお願いします。\n\n"
        "2026年11月19日(木) 9:00 Hanako <hanako@example.jp>:\n"
        "> 先日のサーバー障害の件、復旧しました。\n"
        "> 至急ご確認ください。システム停止はありません。\n"
    ).encode()
    message = parse_message(raw)
    assert "障害" not in message.text
    result = incident_for(message, None, _rules())
    assert result.score == 0 and not result.opens

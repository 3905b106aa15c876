"""Machine-sent mail, judged from headers with the shipped rules/automated.toml."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from inboxguard.domain.automation import AutomationRules, automated_reason
from inboxguard.domain.message import Address, AutomationHeaders, Message
from inboxguard.rules import load_rules

PERSON = Address("佐藤 太郎", "taro@client.example")
OWNER = Address("山田 花子", "hanako@example.jp")


@pytest.fixture(scope="module")
def rules() -> AutomationRules:
    return load_rules(None).automation


def message(
    *,
    sender: Address = PERSON,
    subject: str = "見積のご依頼",
    content_type: str = "text/plain",
    **headers: str,
) -> Message:
    return Message(
        message_id="<m1@client.example>",
        subject=subject,
        sender=sender,
        to=(OWNER,),
        date=datetime(2026, 11, 16, 10, tzinfo=ZoneInfo("Asia/Tokyo")),
        automation=AutomationHeaders(**headers),
        content_type=content_type,
        text="お世話になっております。",
    )


def test_a_plain_human_message_is_not_automated(rules: AutomationRules) -> None:
    assert automated_reason(message(), rules) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("auto-replied", "Auto-Submitted: auto-replied"),
        ("auto-generated", "Auto-Submitted: auto-generated"),
        ("Auto-Replied; owner-email=hanako@example.jp", "Auto-Submitted: auto-replied"),
    ],
)
def test_auto_submitted_other_than_no_is_automated(
    rules: AutomationRules, value: str, expected: str
) -> None:
    assert automated_reason(message(auto_submitted=value), rules) == expected


def test_auto_submitted_no_is_a_person(rules: AutomationRules) -> None:
    assert automated_reason(message(auto_submitted="no"), rules) is None


@pytest.mark.parametrize("value", ["bulk", "junk", "list", "auto_reply", "Bulk"])
def test_bulk_precedence_is_automated(rules: AutomationRules, value: str) -> None:
    assert automated_reason(message(precedence=value), rules) == f"Precedence: {value.lower()}"


def test_list_id_is_automated(rules: AutomationRules) -> None:
    reason = automated_reason(message(list_id="<proj-x.lists.client.example>"), rules)

    assert reason is not None
    assert "List-Id" in reason


def test_list_unsubscribe_is_automated(rules: AutomationRules) -> None:
    reason = automated_reason(message(list_unsubscribe="<mailto:unsub@client.example>"), rules)

    assert reason is not None
    assert "List-Unsubscribe" in reason


@pytest.mark.parametrize("value", ["<>", "< >"])
def test_empty_return_path_is_automated(rules: AutomationRules, value: str) -> None:
    reason = automated_reason(message(return_path=value), rules)

    assert reason is not None
    assert "Return-Path" in reason


def test_a_normal_return_path_is_not_automated(rules: AutomationRules) -> None:
    assert automated_reason(message(return_path="<taro@client.example>"), rules) is None


def test_delivery_report_is_automated(rules: AutomationRules) -> None:
    reason = automated_reason(message(content_type="multipart/report"), rules)

    assert reason is not None
    assert "multipart/report" in reason


@pytest.mark.parametrize(
    "address",
    [
        "MAILER-DAEMON@mx.client.example",
        "postmaster@client.example",
        "no-reply@service.example",
        "noreply+x@service.example",
    ],
)
def test_machine_sender_names_are_automated(rules: AutomationRules, address: str) -> None:
    reason = automated_reason(message(sender=Address("", address.lower())), rules)

    assert reason is not None
    assert "looks automated" in reason


@pytest.mark.parametrize(
    "subject",
    [
        "不在通知：11月25日まで不在にしております",
        "Automatic reply: 見積のご依頼",
        "Out of Office: back on Monday",
    ],
)
def test_auto_reply_subjects_are_a_weak_signal(rules: AutomationRules, subject: str) -> None:
    reason = automated_reason(message(subject=subject), rules)

    assert reason is not None
    assert "weak signal" in reason


def test_header_evidence_is_reported_before_the_weak_subject_signal(
    rules: AutomationRules,
) -> None:
    reason = automated_reason(
        message(subject="Automatic reply: 見積", auto_submitted="auto-replied"), rules
    )

    assert reason == "Auto-Submitted: auto-replied"


def test_x_auto_response_suppress_alone_does_not_make_mail_automated(
    rules: AutomationRules,
) -> None:
    assert automated_reason(message(x_auto_response_suppress="All"), rules) is None


def test_a_person_whose_display_name_says_noreply_is_not_automated(
    rules: AutomationRules,
) -> None:
    sender = Address("Noreply Tanaka", "tanaka@client.example")

    assert automated_reason(message(sender=sender), rules) is None


def test_a_bare_mailer_daemon_sender_without_an_address_is_automated() -> None:
    message = Message(
        message_id="<b@x>", subject="Undelivered Mail", sender=Address("MAILER-DAEMON", "")
    )
    reason = automated_reason(message, load_rules(None).automation)
    assert reason is not None and "mailer-daemon" in reason

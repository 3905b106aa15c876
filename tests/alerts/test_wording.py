"""An alert's words: a lock screen's worth, in the owner's language, never a mail body."""

from __future__ import annotations

from datetime import datetime, timedelta

from inboxguard.alerts.wording import AlertMessage, compose, trial_message
from inboxguard.domain.alert_events import AlertEvent, AlertFacts, AlertKind, Urgency
from tests.domain.factories import JP_CALENDAR, jst

NOW = jst(2026, 11, 21, 3, 10)
DUE = jst(2026, 11, 21, 9, 5)
IDS = {"t7e275035dcc2dac": "t7e2750"}


def event(
    kind: AlertKind = AlertKind.AT_RISK, *, key: str = "k", due: datetime = DUE, **facts: object
) -> AlertEvent:
    values: dict[str, object] = {
        "account": "work",
        "thread_id": "t7e275035dcc2dac",
        "who": "山田 太郎",
        "subject": "見積のご依頼",
        "due_at": due,
    }
    values.update(facts)
    return AlertEvent.of(kind, key, AlertFacts(**values))  # type: ignore[arg-type]


def words(events: list[AlertEvent], language: str = "ja", now: datetime = NOW) -> AlertMessage:
    return compose(events, language=language, now=now, calendar=JP_CALENDAR, ids=IDS)


def test_one_event_is_a_title_and_three_short_lines_with_the_short_thread_id() -> None:
    message = words([event(holding_draft=True)])
    assert message.title == "InboxGuard — 期限間近"
    assert message.body.splitlines() == [
        "【期限間近】山田 太郎「見積のご依頼」",
        "残り5h55m（期限 11月21日(土) 09:05）・Draftsに保留返信あり",
        "ID t7e2750",
    ]
    assert message.urgency is Urgency.NORMAL


def test_english_for_an_english_speaking_owner() -> None:
    message = words(
        [event(AlertKind.OVERDUE, holding_draft=True)], "en", now=DUE + timedelta(hours=2)
    )
    assert message.title == "InboxGuard — Overdue"
    assert message.body.splitlines() == [
        '[Overdue] 山田 太郎: "見積のご依頼"',
        "2h overdue (due Sat, Nov 21 09:05) · holding reply in Drafts",
        "id t7e2750",
    ]
    assert message.urgency is Urgency.HIGH


def test_time_left_is_counted_when_the_message_is_worded() -> None:
    # An at-risk alert held through quiet hours until after the deadline says so.
    message = words([event(AlertKind.AT_RISK)], now=DUE + timedelta(minutes=30))
    assert "30m超過" in message.body


def test_many_events_make_one_message_most_urgent_first_within_three_lines() -> None:
    events = [event(AlertKind.AT_RISK, key=f"a{n}", subject=f"件名{n}") for n in range(4)]
    events.append(event(AlertKind.OVERDUE, key="o", subject="遅れている件", due=NOW))
    message = words(events)
    assert message.title == "InboxGuard — 5件（至急1件）"
    lines = message.body.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("【期限超過】山田 太郎「遅れている件」")
    assert lines[0].endswith("· t7e2750")
    assert lines[2] == "ほか3件（inboxguard status）"
    assert message.urgency is Urgency.HIGH


def test_a_stranger_s_subject_is_neutralised_and_shortened() -> None:
    hostile = "請求書\u202eexe.pdf" + "長い件名" * 40
    line = words([event(subject=hostile)]).body.splitlines()[0]
    assert "\u202e" not in line and line.endswith("…」") and len(line) < 40


def test_account_and_digest_events_say_what_failed() -> None:
    since = jst(2026, 11, 21, 1)
    failing = AlertEvent.of(
        AlertKind.ACCOUNT_FAILING,
        "f",
        AlertFacts(account="work", since=since, detail="login refused"),
    )
    assert words([failing]).body.splitlines() == [
        "【受信できません】アカウント work",
        "11月21日(土) 01:00から読めていません: login refused",
    ]
    digest = AlertEvent.of(
        AlertKind.DIGEST_FAILED, "d", AlertFacts(day=since.date(), detail="SMTP refused")
    )
    assert words([digest], "en").body.splitlines() == [
        "[Digest not sent] 2026-11-21",
        "SMTP refused",
    ]


def test_the_test_message_names_the_channel() -> None:
    assert "phone" in trial_message("phone", "ja").body
    assert trial_message("phone", "en").title == "InboxGuard — test alert"

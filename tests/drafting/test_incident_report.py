"""The incident report skeletons, read back the way the protocol reads the owner's mail."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from inboxguard.domain.calendar import BusinessCalendar
from inboxguard.domain.draft_ids import draft_message_id
from inboxguard.domain.incident_protocol import OpenedBy, Stage, open_incident
from inboxguard.domain.promises import earliest_promise
from inboxguard.drafting.incident_report import build_incident_report
from inboxguard.drafting.reply_draft import to_bytes
from inboxguard.drafting.templates import TemplateRenderer, text_renderer
from inboxguard.parse import parse_message, parse_text
from inboxguard.rules import load_rules
from tests.drafting.test_reply_draft import RECEIVED, TOKYO, make_input

RULES = load_rules(None)
CALENDAR = BusinessCalendar.from_settings(
    "Asia/Tokyo", ("mon", "tue", "wed", "thu", "fri"), "09:00-18:00", "JP"
)
INCIDENT = open_incident(RECEIVED, OpenedBy.MARK)
SECTIONS = {
    ("ja", Stage.FIRST_REPORT): ("発生事象（事実）", "影響範囲", "現在の対応", "次回のご報告予定"),
    ("ja", Stage.ROOT_CAUSE): ("発生経緯（時系列）", "直接原因", "根本原因", "事実と推測の区別"),
    ("ja", Stage.REMEDIATION): ("恒久対策", "再発防止策", "実施スケジュール", "ご迷惑への対応"),
    ("en", Stage.FIRST_REPORT): ("confirmed facts", "Impact and scope", "doing now", "Next report"),
    ("en", Stage.ROOT_CAUSE): ("Timeline", "Direct cause", "Root cause", "assumptions"),
    ("en", Stage.REMEDIATION): ("Permanent fix", "recurrence", "Schedule", "Making it right"),
}
# Sent as written, a skeleton completes its own stage and no later one (the first report
# is "any message from me", so its text must name no cause and no plan).
OWN_MARKERS = {
    Stage.FIRST_REPORT: set(),
    Stage.ROOT_CAUSE: {"root_cause"},
    Stage.REMEDIATION: {"remediation"},
}


@pytest.fixture(scope="module")
def templates() -> TemplateRenderer:
    return text_renderer()


@pytest.mark.parametrize(("language", "stage"), list(SECTIONS))
def test_a_skeleton_has_its_sections_and_completes_exactly_its_stage(
    templates: TemplateRenderer, language: str, stage: Stage
) -> None:
    message_id = draft_message_id("work", "thread-1", INCIDENT.opened_at, stage.value)
    due = INCIDENT.report_due_at(stage)
    inp = make_input(language=language, message_id=message_id, promised_date=due.date())
    draft = build_incident_report(inp, templates, incident=INCIDENT, stage=stage)
    assert draft["X-InboxGuard-Purpose"] == stage.value
    raw = to_bytes(draft, crlf=True)
    body = parse_message(raw).text
    for heading in SECTIONS[(language, stage)]:
        assert heading in body
    new_text = parse_text(raw).text  # what the protocol reads once the owner sends it
    assert set(RULES.reports.stages_in(new_text)) == OWN_MARKERS[stage]


@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize("stage", [Stage.FIRST_REPORT, Stage.ROOT_CAUSE])
def test_the_next_report_time_is_written_as_a_promise(
    templates: TemplateRenderer, language: str, stage: Stage
) -> None:
    message_id = draft_message_id("work", "thread-1", INCIDENT.opened_at, stage.value)
    due = INCIDENT.report_due_at(stage)
    inp = make_input(language=language, message_id=message_id, promised_date=due.date())
    draft = build_incident_report(inp, templates, incident=INCIDENT, stage=stage)
    text = parse_text(to_bytes(draft, crlf=True)).text
    promise = earliest_promise(text, RECEIVED + timedelta(hours=2), CALENDAR)
    assert promise is not None and promise.date == due.astimezone(TOKYO).date()


def test_report_due_dates_point_at_the_next_stage() -> None:
    assert INCIDENT.report_due_at(Stage.FIRST_REPORT) == RECEIVED + timedelta(hours=72)
    assert INCIDENT.report_due_at(Stage.ROOT_CAUSE) == RECEIVED + timedelta(hours=168)
    assert INCIDENT.report_due_at(Stage.REMEDIATION) == RECEIVED + timedelta(hours=168)


def test_a_hostile_subject_cannot_inject_into_a_report(templates: TemplateRenderer) -> None:
    original = replace(make_input().original, subject="障害=?utf-8?q?x=0D=0ABcc:_evil@x?=")
    message_id = draft_message_id("work", "thread-1", INCIDENT.opened_at, "first_report")
    inp = make_input(original=original, message_id=message_id)
    draft = build_incident_report(inp, templates, incident=INCIDENT, stage=Stage.FIRST_REPORT)
    assert "bcc" not in {name.lower() for name in draft}

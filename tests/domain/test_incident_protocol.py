"""The incident protocol (SPEC §7): opening, the three reports, dismissal, closing."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from inboxguard.domain.incident_protocol import (
    INCIDENT_KEYWORD,
    Incident,
    IncidentMark,
    IncidentState,
    OpenedBy,
    Stage,
    evaluate_incident,
)
from inboxguard.domain.marks import MarkAction
from inboxguard.domain.tracked import FolderRole, IncidentFacts, TrackedMessage
from inboxguard.rules import load_rules
from tests.domain.factories import IDENTITY, OWNER, jst, msg, thread

T0 = jst(2026, 11, 20, 10)
THRESHOLD = 4.0


def report(hours: float, score: float = 6.0) -> TrackedMessage:
    """The client's message, ``hours`` after T0, with an incident score."""
    return replace(
        msg(T0 + timedelta(hours=hours)),
        incident=IncidentFacts(score=score, keywords=("障害",)),
    )


def mine(hours: float, *stages: Stage) -> TrackedMessage:
    return replace(
        msg(T0 + timedelta(hours=hours), sender=OWNER),
        incident=IncidentFacts(stages=frozenset(s.value for s in stages)),
    )


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def evaluate(
    *messages: TrackedMessage, hours: float = 500, marks: tuple[IncidentMark, ...] = ()
) -> Incident | None:
    return evaluate_incident(
        thread(*messages),
        now=T0 + timedelta(hours=hours),
        identity=IDENTITY,
        threshold=THRESHOLD,
        marks=marks,
    )


def mark(action: str, hours: float, stage: Stage | None = None) -> IncidentMark:
    return IncidentMark(
        MarkAction(action), T0 + timedelta(hours=hours), stage.value if stage else None
    )


def test_a_scoring_message_opens_with_the_three_reports_due_in_calendar_hours() -> None:
    incident = evaluate(report(0), hours=1)
    assert incident is not None and incident.state is IncidentState.OPEN
    assert incident.opened_at == T0 and incident.opened_by is OpenedBy.SCORE
    assert incident.keywords == ("障害",) and incident.score == 6.0
    # T0 is a Friday: the root cause is still due Monday 10:00, weekend or not.
    assert [(s.name, s.due_at, s.done_at) for s in incident.stages] == [
        (Stage.FIRST_REPORT, jst(2026, 11, 21, 10), None),
        (Stage.ROOT_CAUSE, jst(2026, 11, 23, 10), None),
        (Stage.REMEDIATION, jst(2026, 11, 27, 10), None),
    ]
    assert incident.next_stage is not None and incident.next_stage.name is Stage.FIRST_REPORT


def test_below_the_threshold_or_unread_nothing_opens() -> None:
    assert evaluate(report(0, score=3.9)) is None
    assert evaluate(msg(T0)) is None  # text not read: no score, no incident


def test_a_score_from_my_own_message_opens_nothing() -> None:
    assert evaluate(replace(mine(0), incident=IncidentFacts(score=9))) is None


def test_any_message_from_me_after_opening_is_the_first_report() -> None:
    incident = evaluate(report(0), mine(5))
    assert incident is not None and incident.is_open
    assert incident.stage(Stage.FIRST_REPORT).done_at == at(5)
    assert incident.next_stage is not None and incident.next_stage.name is Stage.ROOT_CAUSE


def test_my_messages_before_the_opening_do_not_count() -> None:
    incident = evaluate(mine(-2, Stage.ROOT_CAUSE), report(0))
    assert incident is not None and incident.stage(Stage.FIRST_REPORT).done_at is None


def test_reports_complete_their_stages_and_the_remediation_plan_closes() -> None:
    incident = evaluate(
        report(0), mine(5), mine(40, Stage.ROOT_CAUSE), mine(100, Stage.REMEDIATION)
    )
    assert incident is not None and incident.state is IncidentState.CLOSED
    assert [s.done_at for s in incident.stages] == [at(5), at(40), at(100)]
    assert incident.ended_at == at(100) and incident.next_stage is None


def test_one_full_report_can_complete_every_stage_at_once() -> None:
    incident = evaluate(report(0), mine(20, Stage.ROOT_CAUSE, Stage.REMEDIATION))
    assert incident is not None and incident.state is IncidentState.CLOSED
    assert {s.done_at for s in incident.stages} == {at(20)}


def test_a_remediation_plan_without_a_root_cause_closes_and_shows_the_gap() -> None:
    incident = evaluate(report(0), mine(5), mine(60, Stage.REMEDIATION))
    assert incident is not None and incident.state is IncidentState.CLOSED
    assert incident.stage(Stage.ROOT_CAUSE).done_at is None


def test_what_has_not_happened_at_now_does_not_count() -> None:
    messages = (report(0), mine(5), mine(40, Stage.ROOT_CAUSE))
    incident = evaluate(*messages, hours=30)
    assert incident is not None and incident.stage(Stage.ROOT_CAUSE).done_at is None
    assert evaluate(*messages, hours=-1) is None


def test_follow_ups_of_an_open_incident_do_not_reopen_it() -> None:
    incident = evaluate(report(0), report(3), mine(5))
    assert incident is not None and incident.opened_at == T0


def test_dismissed_never_reopens_from_the_same_message_but_does_from_a_later_one() -> None:
    dismissed = evaluate(report(0), marks=(mark("dismiss", 1),))
    assert dismissed is not None and dismissed.state is IncidentState.DISMISSED
    assert dismissed.ended_at == at(1)
    # A second scoring message that was already there when dismissed: still dismissed.
    both = evaluate(report(0), report(0.5), marks=(mark("dismiss", 1),))
    assert both is not None and both.state is IncidentState.DISMISSED
    later = evaluate(report(0), report(30), marks=(mark("dismiss", 1),))
    assert later is not None and later.is_open and later.opened_at == at(30)


def test_thanks_after_the_final_report_do_not_open_a_new_incident() -> None:
    incident = evaluate(report(0), mine(20, Stage.ROOT_CAUSE, Stage.REMEDIATION), report(30))
    assert incident is not None and incident.state is IncidentState.CLOSED
    # ... but the owner's flag on a later message does.
    flagged = replace(msg(at(50)), keywords=frozenset({INCIDENT_KEYWORD}))
    again = evaluate(report(0), mine(20, Stage.ROOT_CAUSE, Stage.REMEDIATION), flagged)
    assert again is not None and again.is_open and again.opened_by is OpenedBy.KEYWORD


def test_the_incident_keyword_opens_at_the_flagged_message() -> None:
    flagged = replace(msg(at(2)), keywords=frozenset({INCIDENT_KEYWORD}))
    incident = evaluate(msg(T0), flagged)
    assert incident is not None and incident.opened_at == at(2)
    assert incident.opened_by is OpenedBy.KEYWORD and incident.score is None


def test_the_owners_mark_opens_at_the_mark_and_only_later_mail_reports() -> None:
    incident = evaluate(msg(T0), mine(1), mine(3), marks=(mark("incident", 2),))
    assert incident is not None and incident.opened_at == at(2)
    assert incident.opened_by is OpenedBy.MARK and incident.opening_message is None
    assert incident.stage(Stage.FIRST_REPORT).done_at == at(3)


def test_a_mark_on_an_open_incident_changes_nothing() -> None:
    incident = evaluate(report(0), marks=(mark("incident", 2),))
    assert incident is not None and incident.opened_at == T0


def test_stage_done_marks_complete_one_stage_and_remediation_closes() -> None:
    marks = (mark("stage-done", 3, Stage.ROOT_CAUSE),)
    incident = evaluate(report(0), marks=marks)
    assert incident is not None and incident.is_open
    assert incident.stage(Stage.ROOT_CAUSE).done_at == at(3)
    assert incident.next_stage is not None and incident.next_stage.name is Stage.FIRST_REPORT
    closed = evaluate(report(0), marks=(*marks, mark("stage-done", 4, Stage.REMEDIATION)))
    assert closed is not None and closed.state is IncidentState.CLOSED


def test_marks_without_an_open_incident_do_nothing() -> None:
    assert (
        evaluate(msg(T0), marks=(mark("dismiss", 1), mark("stage-done", 2, Stage.ROOT_CAUSE)))
        is None
    )


def test_a_mark_reopens_a_dismissed_incident_from_the_mark() -> None:
    incident = evaluate(report(0), marks=(mark("dismiss", 1), mark("incident", 5)))
    assert incident is not None and incident.is_open and incident.opened_at == at(5)


def test_drafts_in_the_thread_are_no_report() -> None:
    draft = replace(mine(3, Stage.ROOT_CAUSE), role=FolderRole.DRAFTS, folder="Drafts")
    incident = evaluate(report(0), draft)
    assert incident is not None and incident.stage(Stage.FIRST_REPORT).done_at is None


# --- which stages my text reports ---------------------------------------------------------

REPORTS = load_rules(None).reports

STAGE_TEXTS = [
    # (text, stages)
    ("確認いたします。少々お待ちください。", set()),
    ("原因は設定ファイルの記述誤りでした。", {"root_cause"}),
    ("原因を調査中です。判明次第ご連絡いたします。", set()),
    ("原因を調査\n中です。", set()),  # hard-wrapped mid-word
    ("原因については追ってご報告いたします。", set()),
    ("原因は現時点で不明です。", set()),
    ("直接の原因は、証明書の期限切れです。", {"root_cause"}),
    ("本件はバッチ処理の二重起動に起因するものでした。", {"root_cause"}),
    ("・原因：設定ミス\n・対策：手順書の改訂", {"root_cause", "remediation"}),
    ("再発防止策として、\nリリース前のレビューを必須といたしました。", {"remediation"}),
    ("今後の対策につきましては、追ってご報告いたします。", set()),
    ("対策を検討中です。", set()),
    ("恒久対策は12月1日に実施いたします。", {"remediation"}),
    ("The root cause was an expired certificate.", {"root_cause"}),
    ("We are still investigating the root cause.", set()),
    ("The outage was caused by a failed disk. We replaced it.", {"root_cause"}),
    ("To prevent recurrence, we added monitoring on certificate expiry.", {"remediation"}),
    ("Our remediation plan will follow next week.", set()),
    ("The cause is unknown at this point.", set()),
    ("Thanks for your patience, I'm looking into it.", set()),
]


@pytest.mark.parametrize(("text", "stages"), STAGE_TEXTS)
def test_stage_markers_in_my_text(text: str, stages: set[str]) -> None:
    assert set(REPORTS.stages_in(text)) == stages

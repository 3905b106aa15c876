"""The owner's corrections (SPEC §7): dismiss / incident marks re-weigh exactly the signals
that fired, for that owner; evaluate_incident applies them before the threshold."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from inboxguard.domain.incident_adjustments import (
    CEILING,
    DISMISS_FACTOR,
    FLOOR,
    NO_ADJUSTMENTS,
    Adjustments,
    owner_adjustments,
)
from inboxguard.domain.incident_protocol import OpenedBy, evaluate_incident
from inboxguard.domain.marks import Mark, MarkAction
from inboxguard.domain.tracked import IncidentFacts, TrackedMessage
from tests.domain.factories import IDENTITY, jst, msg, thread

T0 = jst(2026, 11, 20, 10)
FORM = ("failure:届く=4", "impact:お客様=1.5")


def mark(action: MarkAction, *signals: str, thread_id: str = "t-old") -> Mark:
    return Mark(
        account="work",
        thread_id=thread_id,
        action=action,
        stage=None,
        at=T0 - timedelta(days=3),
        signals=signals,
    )


def client(score: float, keywords: tuple[str, ...]) -> TrackedMessage:
    return replace(msg(T0), incident=IncidentFacts(score=score, keywords=keywords))


def opens(message: TrackedMessage, adjustments: Adjustments) -> bool:
    incident = evaluate_incident(
        thread(message),
        now=T0 + timedelta(hours=1),
        identity=IDENTITY,
        threshold=4.0,
        adjustments=adjustments,
    )
    return incident is not None and incident.opened_by is OpenedBy.SCORE


def test_no_marks_no_adjustment() -> None:
    assert owner_adjustments([]) == NO_ADJUSTMENTS
    assert not owner_adjustments([mark(MarkAction.STAGE_DONE, *FORM)])
    assert NO_ADJUSTMENTS.rescore(5.5, FORM).score == 5.5


def test_a_dismissal_lowers_the_signals_that_decided_and_only_those() -> None:
    adjustments = owner_adjustments([mark(MarkAction.DISMISS, *FORM)])
    assert set(adjustments.by_key) == {"failure:届く", "impact:お客様"}
    assert adjustments.by_key["failure:届く"].factor == DISMISS_FACTOR
    rescored = adjustments.rescore(5.5, FORM)
    assert rescored.score == pytest.approx(5.5 * DISMISS_FACTOR)
    assert {a.key for a in rescored.applied} == {"failure:届く", "impact:お客様"}
    # Another failure shape is untouched.
    other = ("failure:ログイン=4", "impact:お客様=1.5")
    assert adjustments.rescore(5.5, other).score == pytest.approx(4 + 1.5 * DISMISS_FACTOR)


def test_after_a_dismissal_the_same_shape_no_longer_opens_but_a_stronger_report_does() -> None:
    adjustments = owner_adjustments([mark(MarkAction.DISMISS, *FORM)])
    assert opens(client(5.5, FORM), NO_ADJUSTMENTS)
    assert not opens(client(5.5, FORM), adjustments)
    stronger = (*FORM, "urgency:至急=1", "damage:返金=3")
    assert opens(client(9.5, stronger), adjustments)


def test_an_incident_mark_raises_the_weak_signals_that_had_fired() -> None:
    weak = ("wrong_data:間違う=2", "impact:印刷=1.5")
    assert not opens(client(3.5, weak), NO_ADJUSTMENTS)
    adjustments = owner_adjustments([mark(MarkAction.INCIDENT, *weak)])
    assert adjustments.by_key["wrong_data:間違う"].marked == 1
    assert opens(client(3.5, weak), adjustments)


def test_a_dismissal_strengthens_the_counter_signals_that_fired() -> None:
    signals = ("failure:届く=4", "draft_review:初稿=-4", "impact:お客様=1.5")
    adjustments = owner_adjustments([mark(MarkAction.DISMISS, *signals)])
    assert adjustments.rescore(1.5, signals).score < 1.5 * DISMISS_FACTOR


def test_corrections_accumulate_within_bounds_and_cancel_out() -> None:
    many = owner_adjustments([mark(MarkAction.DISMISS, *FORM) for _ in range(10)])
    assert many.by_key["failure:届く"].factor == FLOOR
    up = owner_adjustments([mark(MarkAction.INCIDENT, *FORM) for _ in range(10)])
    assert up.by_key["failure:届く"].factor == CEILING
    both = owner_adjustments([mark(MarkAction.DISMISS, *FORM), mark(MarkAction.INCIDENT, *FORM)])
    assert both.by_key["failure:届く"].factor == pytest.approx(1.0)


def test_a_signal_counts_once_per_mark_and_old_bare_keywords_are_ignored() -> None:
    adjustments = owner_adjustments([mark(MarkAction.DISMISS, *FORM, *FORM, "障害")])
    assert adjustments.by_key["failure:届く"].dismissed == 1
    assert "障害" not in adjustments.by_key
    assert adjustments.rescore(6.0, ("障害",)).score == 6.0

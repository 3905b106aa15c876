"""The incident protocol of SPEC §7: an incident's life in a thread, evaluated at ``now``.

An incident opens when a counterpart's message scores at or above the threshold, when the
owner flags a message ``$Incident``, or when the owner runs ``mark THREAD incident``. Three
reports are then due, counted from the opening in calendar hours (a client in trouble does
not wait for Monday): the first report in 24 hours, the root cause in 72, the remediation
plan in a week. A message from me after the opening is the first report; its text
completes the later stages when a sentence in it names the cause or the prevention and does
not say that work is still pending ("原因を調査中です" reports no cause). The owner can
complete a stage by hand, or dismiss a false alarm: a dismissed incident never re-opens
from the messages it was opened by, only from a later one.

Once an incident is closed (its remediation plan sent), the thank-you mails that usually
follow mention the failure again; they do not open a new incident. A new one in the same
thread opens only by the owner's mark or flag.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

from inboxguard.domain.identity import Identity
from inboxguard.domain.incident_adjustments import NO_ADJUSTMENTS, Adjustments
from inboxguard.domain.incidents import phrase_pattern
from inboxguard.domain.marks import Mark, MarkAction
from inboxguard.domain.normalise import normalise_for_matching
from inboxguard.domain.threading import Thread
from inboxguard.domain.tracked import FolderRole, TrackedMessage

INCIDENT_KEYWORD = "$Incident"


class Stage(StrEnum):
    FIRST_REPORT = "first_report"
    ROOT_CAUSE = "root_cause"
    REMEDIATION = "remediation"


STAGES = tuple(Stage)
STAGE_DUE_AFTER: Mapping[Stage, timedelta] = {
    Stage.FIRST_REPORT: timedelta(hours=24),
    Stage.ROOT_CAUSE: timedelta(hours=72),
    Stage.REMEDIATION: timedelta(hours=168),
}


class IncidentState(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    DISMISSED = "dismissed"


class OpenedBy(StrEnum):
    SCORE = "score"
    KEYWORD = "keyword"
    MARK = "mark"


# --- which stages a text of mine reports --------------------------------------------------

# A new line that starts with one of these begins a new item even without a full stop:
# reports are written as lists ("・原因：設定ミス").
_ITEM_START = re.compile(r"^\s*(?:[・•●○◆◇■□▪▶→※\-*+>]|\d+[.)）]|[①-⑳]|[【\[(（])")
_SENTENCE_END = re.compile(r"(?<=[。．！？!?])|(?<=\.)\s+")
_NON_ASCII_EDGE = re.compile(r"[^\x00-\x7f]$")


@dataclass(frozen=True, slots=True)
class ReportRules:
    """Data from the ``[reports]`` table of rules/incident.toml."""

    root_cause: tuple[str, ...]
    remediation: tuple[str, ...]
    pending: tuple[str, ...]
    _markers: tuple[tuple[Stage, re.Pattern[str]], ...] = field(
        default=(), compare=False, repr=False
    )
    _pending: tuple[re.Pattern[str], ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        markers = [(Stage.ROOT_CAUSE, phrase_pattern(m)) for m in self.root_cause if m.strip()]
        markers += [(Stage.REMEDIATION, phrase_pattern(m)) for m in self.remediation if m.strip()]
        object.__setattr__(self, "_markers", tuple(markers))
        pending = tuple(phrase_pattern(p) for p in self.pending if p.strip())
        object.__setattr__(self, "_pending", pending)

    def stages_in(self, text: str) -> frozenset[str]:
        """The later report stages ``text`` (my new text) covers."""
        found: set[str] = set()
        for sentence in sentences(text):
            if any(p.search(sentence) for p in self._pending):
                continue
            found.update(stage.value for stage, p in self._markers if p.search(sentence))
        return frozenset(found)


def sentences(text: str) -> list[str]:
    """``text`` as normalised sentences: hard-wrapped lines joined, list items kept apart."""
    items: list[str] = []
    current = ""
    for raw_line in text.replace("\r\n", "\n").split("\n"):
        line = raw_line.strip()
        if not line or _ITEM_START.match(line):
            if current:
                items.append(current)
            current = line
            continue
        if not current:
            current = line
        # Japanese is wrapped mid-word with no space to keep; English wraps at a space.
        elif _NON_ASCII_EDGE.search(current) and not line[0].isascii():
            current += line
        else:
            current += " " + line
    if current:
        items.append(current)
    out = []
    for item in items:
        for piece in _SENTENCE_END.split(item):
            normalised = normalise_for_matching(piece)
            if normalised:
                out.append(normalised)
    return out


# --- an incident's life ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IncidentMark:
    """The owner's hand: ``incident``, ``dismiss`` or ``stage-done`` (with its stage)."""

    action: MarkAction
    at: datetime
    stage: str | None = None


def incident_marks(marks: Iterable[Mark]) -> list[IncidentMark]:
    """The thread's marks that the incident protocol replays."""
    return [
        IncidentMark(action=m.action, at=m.at, stage=m.stage)
        for m in marks
        if m.action.is_incident_action
    ]


@dataclass(frozen=True, slots=True)
class StageStatus:
    name: Stage
    due_at: datetime
    done_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Incident:
    opened_at: datetime
    opened_by: OpenedBy
    state: IncidentState
    stages: tuple[StageStatus, ...]
    # The message that opened it (score or keyword); None when opened by a mark.
    opening_message: TrackedMessage | None = None
    score: float | None = None
    keywords: tuple[str, ...] = ()
    ended_at: datetime | None = None  # when it was closed or dismissed

    @property
    def is_open(self) -> bool:
        return self.state is IncidentState.OPEN

    @property
    def next_stage(self) -> StageStatus | None:
        """The first stage not done yet, while the incident is open."""
        if not self.is_open:
            return None
        return next((s for s in self.stages if s.done_at is None), None)

    def stage(self, name: Stage) -> StageStatus:
        return next(s for s in self.stages if s.name is name)

    def report_due_at(self, stage: Stage) -> datetime:
        """When the report after ``stage`` is due (for the last stage: its own due time).

        A report promises the next one; its draft pre-fills that time so that, once sent,
        the promise is recognised like any other.
        """
        following = next_stage_after(stage)
        return self.stage(following if following is not None else stage).due_at


def next_stage_after(stage: Stage) -> Stage | None:
    index = STAGES.index(stage)
    return STAGES[index + 1] if index + 1 < len(STAGES) else None


def open_incident(
    at: datetime,
    by: OpenedBy,
    message: TrackedMessage | None = None,
) -> Incident:
    facts = message.incident if message is not None else None
    return Incident(
        opened_at=at,
        opened_by=by,
        state=IncidentState.OPEN,
        stages=tuple(StageStatus(s, at + STAGE_DUE_AFTER[s]) for s in STAGES),
        opening_message=message,
        score=facts.score if facts is not None else None,
        keywords=facts.keywords if facts is not None else (),
    )


def complete(incident: Incident, stages: Iterable[str], at: datetime) -> Incident:
    """``incident`` with ``stages`` done at ``at`` (earlier completions kept); closed once
    the remediation plan is done."""
    wanted = set(stages)
    updated = tuple(
        replace(s, done_at=at) if s.name.value in wanted and s.done_at is None else s
        for s in incident.stages
    )
    closed = next(s for s in updated if s.name is Stage.REMEDIATION).done_at is not None
    if closed:
        return replace(incident, stages=updated, state=IncidentState.CLOSED, ended_at=at)
    return replace(incident, stages=updated)


@dataclass(frozen=True, slots=True)
class _Event:
    at: datetime
    order: int  # at one instant: messages first, then the owner's marks
    message: TrackedMessage | None = None
    mark: IncidentMark | None = None


def evaluate_incident(
    thread: Thread,
    *,
    now: datetime,
    identity: Identity,
    threshold: float,
    marks: Sequence[IncidentMark] = (),
    adjustments: Adjustments = NO_ADJUSTMENTS,
) -> Incident | None:
    """The thread's current incident (or its latest closed/dismissed one) at ``now``.

    ``adjustments``: the owner's corrections (``owner_adjustments`` over all their marks),
    re-weighing the stored signals of each counterpart message before the threshold."""
    events = [
        _Event(m.date, 0, message=m)
        for m in thread.messages
        if m.role is not FolderRole.DRAFTS and m.date <= now
    ]
    events += [_Event(mark.at, 1, mark=mark) for mark in marks if mark.at <= now]
    events.sort(key=lambda e: (e.at, e.order))

    current: Incident | None = None
    latest: Incident | None = None
    # Messages up to this instant (a dismissal, a closing) cannot open an incident again.
    quiet_until: datetime | None = None
    for event in events:
        if event.mark is not None:
            current = _apply_mark(current, event.mark)
        elif event.message is not None:
            current = _apply_message(
                current,
                latest,
                event.message,
                quiet_until,
                identity=identity,
                threshold=threshold,
                adjustments=adjustments,
            )
        if current is not None and not current.is_open:
            latest, current = current, None
            quiet_until = latest.ended_at
    return current if current is not None else latest


def _apply_message(
    current: Incident | None,
    latest: Incident | None,
    message: TrackedMessage,
    quiet_until: datetime | None,
    *,
    identity: Identity,
    threshold: float,
    adjustments: Adjustments,
) -> Incident | None:
    if identity.is_mine(message):
        if current is None or message.date <= current.opened_at:
            return current
        stages = {Stage.FIRST_REPORT.value}
        if message.incident is not None:
            stages |= message.incident.stages
        return complete(current, stages, message.date)
    if current is not None or (quiet_until is not None and message.date <= quiet_until):
        return current
    opener = _opener(message, identity, threshold, adjustments)
    if opener is OpenedBy.SCORE and latest is not None and latest.state is IncidentState.CLOSED:
        # After the remediation plan, thanks that mention the failure again are no new
        # incident; the owner's flag or mark still opens one.
        return current
    if opener is not None:
        return open_incident(message.date, opener, message)
    return current


def _opener(
    message: TrackedMessage, identity: Identity, threshold: float, adjustments: Adjustments
) -> OpenedBy | None:
    if INCIDENT_KEYWORD in message.keywords:
        return OpenedBy.KEYWORD
    facts = message.incident
    if facts is None or not identity.is_counterpart(message):
        return None
    score = adjustments.rescore(facts.score, facts.keywords).score
    return OpenedBy.SCORE if score >= threshold else None


def _apply_mark(current: Incident | None, mark: IncidentMark) -> Incident | None:
    if mark.action is MarkAction.INCIDENT:
        return current if current is not None else open_incident(mark.at, OpenedBy.MARK)
    if current is None:
        return None
    if mark.action is MarkAction.DISMISS:
        return replace(current, state=IncidentState.DISMISSED, ended_at=mark.at)
    if mark.action is MarkAction.STAGE_DONE and mark.stage is not None:
        return complete(current, (mark.stage,), mark.at)
    return current

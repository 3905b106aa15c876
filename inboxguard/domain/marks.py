"""The owner's marks on a thread (`inboxguard mark`): a fact with a time, replayed at every
assessment. Stored as the action's value (``no-reply`` …), so the words on the command line,
in the store and in the code are one vocabulary."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from inboxguard.domain.tracked import Occurrence


class MarkAction(StrEnum):
    NO_REPLY = "no-reply"
    REOPEN = "reopen"
    INCIDENT = "incident"
    DISMISS = "dismiss"
    STAGE_DONE = "stage-done"
    NO_FOLLOW_UP = "no-follow-up"  # what I asked for is no longer chased
    MEETING = "meeting"  # a meeting arranged in plain mail, with its start and end

    @property
    def is_incident_action(self) -> bool:
        """Marks the incident protocol replays (the others belong to the reply clock)."""
        return self in _INCIDENT_ACTIONS


_INCIDENT_ACTIONS = frozenset({MarkAction.INCIDENT, MarkAction.DISMISS, MarkAction.STAGE_DONE})


@dataclass(frozen=True, slots=True)
class Mark:
    account: str
    thread_id: str
    action: MarkAction
    stage: str | None  # with STAGE_DONE: the Stage value it completes
    at: datetime
    occurrence: Occurrence | None = None  # with MEETING: when it sits
    # With INCIDENT / DISMISS: the incident signals that had fired in the thread then (the
    # owner's correction of exactly those, SPEC §7).
    signals: tuple[str, ...] = ()

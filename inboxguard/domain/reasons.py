"""Why a thread is in its state: a code with its parameters, worded only where shown.

The domain records *why* as data (Mailman's rules record ``(template, args)``); the digest,
`status` and `explain` turn it into Japanese or English at display time
(``drafting/wording.py``). No sentence is ever built by matching another sentence.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ReasonCode(StrEnum):
    CLOCK_RUNNING = "clock_running"
    AT_RISK = "at_risk"
    OVERDUE = "overdue"
    PROMISE_BROKEN = "promise_broken"  # a promise passed while a new clock runs
    PROMISED = "promised"
    PROMISE_OVERDUE = "promise_overdue"
    MARKED_NO_REPLY = "marked_no_reply"
    ACKNOWLEDGEMENT_ONLY = "acknowledgement_only"
    ANSWERED = "answered"
    AWAITING = "awaiting"  # I asked them for something by {date}
    AWAITING_QUESTION = "awaiting_question"  # I asked a question; they have until {date}
    AWAITING_OVERDUE = "awaiting_overdue"  # what I asked for by {date} has not come
    CALENDAR = "calendar"  # an invitation, update, cancellation or calendar reply
    MINUTES_DUE = "minutes_due"  # the meeting {summary} ended and no minutes were sent


@dataclass(frozen=True, slots=True)
class Reason:
    code: ReasonCode
    # Values the wording fills in (a promised date as YYYY-MM-DD, the promise's phrase).
    params: tuple[tuple[str, str], ...] = ()

    def param(self, name: str) -> str | None:
        return dict(self.params).get(name)

    @classmethod
    def of(cls, code: ReasonCode, **params: str) -> Reason:
        return cls(code, tuple(sorted(params.items())))

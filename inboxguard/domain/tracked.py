"""What the core remembers of one message, after parsing and classification.

A ``TrackedMessage`` is what the state store keeps (no body) and what threading and the
reply clock read. Everything that needed the message text (acknowledgement-only, promises)
was decided once at ingest and is carried here as a fact.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from inboxguard.domain.message import Address, Message


class FolderRole(StrEnum):
    """Why a folder is read: client mail arrives in INCOMING, my answers sit in SENT."""

    INCOMING = "incoming"
    SENT = "sent"
    DRAFTS = "drafts"


@dataclass(frozen=True, slots=True)
class Promise:
    """A commitment found in a message from me: the phrase and the date it names."""

    phrase: str
    date: date
    due_at: datetime


@dataclass(frozen=True, slots=True)
class Request:
    """Something I asked the counterpart for in my message (相手ボール), and by when.

    ``date``/``due_at`` are None for a question without a date: its clock is
    ``sla.follow_up_after`` from sending, decided at evaluation (the setting may change).
    """

    phrase: str  # the sentence that asks, as written (shown, and quoted in the follow-up)
    what: str  # what was asked for (「ロゴのデータ」, "the files"), "" when not named
    date: date | None = None
    due_at: datetime | None = None


class CalendarMethod(StrEnum):
    """The iTIP method of an invitation part (RFC 5546)."""

    REQUEST = "REQUEST"  # an invitation or an update of one
    CANCEL = "CANCEL"
    REPLY = "REPLY"  # an attendee's answer (Accepted / Declined)
    PUBLISH = "PUBLISH"  # a calendar shared with no reply expected


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One sitting of a meeting: aware instants."""

    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class Invitation:
    """A calendar part (text/calendar, .ics) of one message, as the domain needs it.

    ``occurrences`` are the sittings from a little before the message was sent to at most
    200 days after it (a recurring meeting expanded, capped), already in absolute time:
    floating times were read in the owner's zone, Windows zone names resolved.
    """

    uid: str
    sequence: int
    method: CalendarMethod
    cancelled: bool  # METHOD:CANCEL or STATUS:CANCELLED
    summary: str
    organizer: str | None  # address, lower case
    attendees: tuple[str, ...]  # addresses, lower case, organizer included when listed
    occurrences: tuple[Occurrence, ...]
    # An update of one sitting of a recurring meeting (RECURRENCE-ID), else None.
    recurrence_id: datetime | None = None


@dataclass(frozen=True, slots=True)
class IncidentFacts:
    """What a message's text says for the incident protocol (SPEC §7).

    For a counterpart's message: its incident score and the keywords that made it (whether
    it opens one is decided at evaluation, against the threshold in force then). For a
    message from me: the report stages its text covers (``root_cause``, ``remediation``).
    """

    score: float = 0.0
    keywords: tuple[str, ...] = ()
    stages: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class TextFacts:
    """What a message's text decided, for the message at (folder, uid)."""

    folder: str
    uid: str
    ack_only: bool
    promise: Promise | None
    incident: IncidentFacts | None = None
    request: Request | None = None
    invitation: Invitation | None = None


@dataclass(frozen=True, slots=True)
class TrackedMessage:
    account: str
    folder: str
    uid: str
    role: FolderRole
    message_id: str
    subject: str
    sender: Address
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    date: datetime
    in_reply_to: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    provider_thread_id: str | None = None
    automated_reason: str | None = None
    ack_only: bool = False
    promise: Promise | None = None
    keywords: frozenset[str] = frozenset()
    # False until the text was read (or found not to matter): ack_only and promise are then
    # the conservative defaults, "needs an answer" and "no promise".
    text_read: bool = True
    # The thread id stored for this message by the last evaluation (None before the first):
    # threading keeps ids stable by reusing it.
    thread_id: str | None = None
    # None until the text was read for the incident protocol (only recent mail is).
    incident: IncidentFacts | None = None
    # What my message asks the counterpart for (None: nothing, or text not read).
    request: Request | None = None
    # The calendar part of the message (an invitation, update, cancellation or reply).
    invitation: Invitation | None = None

    @classmethod
    def from_message(
        cls,
        message: Message,
        *,
        account: str,
        folder: str,
        uid: str,
        role: FolderRole,
        date: datetime,
        provider_thread_id: str | None = None,
        automated_reason: str | None = None,
        ack_only: bool = False,
        promise: Promise | None = None,
        keywords: frozenset[str] = frozenset(),
        text_read: bool = True,
    ) -> TrackedMessage:
        """The parsed message's identifiers and addresses, plus where it lives and the
        facts decided from its text at ingest."""
        return cls(
            account=account,
            folder=folder,
            uid=uid,
            role=role,
            message_id=message.message_id,
            subject=message.subject,
            sender=message.sender,
            to=message.to,
            cc=message.cc,
            date=date,
            in_reply_to=message.in_reply_to,
            references=message.references,
            provider_thread_id=provider_thread_id,
            automated_reason=automated_reason,
            ack_only=ack_only,
            promise=promise,
            keywords=keywords,
            text_read=text_read,
        )

    @property
    def parents(self) -> tuple[str, ...]:
        """Every id this message names as an ancestor (References order, then In-Reply-To)."""
        seen: dict[str, None] = dict.fromkeys(self.references)
        seen.update(dict.fromkeys(self.in_reply_to))
        seen.pop(self.message_id, None)
        return tuple(seen)

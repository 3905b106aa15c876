"""Meetings as they stand now, from every invitation seen (SPEC §6 Meetings, §5 minutes_due).

Pure: messages in, meetings out; nothing here reads a clock or a mailbox. The rules follow
iTIP (RFC 5546) the way Google, Outlook and Apple apply it:

- Invitations are grouped by UID, across threads and folders: an update rarely threads
  under the original ("Updated invitation: ..." is a new subject), and a sitting's change
  comes as its own message.
- For the whole series, the invitation with the highest SEQUENCE wins, ties going to the
  later message; a winning CANCEL (or STATUS:CANCELLED) cancels the meeting.
- A message for one sitting (RECURRENCE-ID) moves or cancels that sitting, when it is newer
  than the series invitation by the same order (a later series update with a higher
  SEQUENCE resets such exceptions, as Outlook does; Google repeats them in the update).
- A REPLY (an attendee's Accepted/Declined) never changes a meeting.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, time

from inboxguard.domain.automation import AutomationRules
from inboxguard.domain.calendar import BusinessCalendar
from inboxguard.domain.tracked import (
    CalendarMethod,
    FolderRole,
    Invitation,
    Occurrence,
    TrackedMessage,
)

# When a meeting ends too late for the owner's minutes time, its minutes are due that night.
END_OF_DAY = time(23, 59, 59)

# Calendar systems write from and invite these; nobody there reads minutes. Matched on the
# domain, since the local parts are generated ("c_1a2b...@group.calendar.google.com").
_MACHINE_DOMAINS = (
    "resource.calendar.google.com",
    "group.calendar.google.com",
    "group.v.calendar.google.com",
    "calendar-server.bounces.google.com",
)
_MACHINE_ADDRESSES = frozenset({"calendar-notification@google.com"})


@dataclass(frozen=True, slots=True)
class Meeting:
    """One meeting (one UID) after every update and cancellation seen.

    ``occurrences`` are the current sittings, sorted: moved sittings at their new time,
    cancelled ones gone. ``message`` is the latest invitation message of the UID (not a
    REPLY): drafts about the meeting are threaded under it. ``cancelled`` is the whole
    meeting's cancellation; a cancelled sitting just leaves ``occurrences``.
    """

    uid: str
    summary: str
    organizer: str | None
    attendees: tuple[str, ...]
    occurrences: tuple[Occurrence, ...]
    message: TrackedMessage
    cancelled: bool


@dataclass(frozen=True, slots=True)
class Sitting:
    """One occurrence of a meeting."""

    meeting: Meeting
    occurrence: Occurrence


def current_meetings(messages: Iterable[TrackedMessage]) -> list[Meeting]:
    """Every meeting the messages' invitations describe, sorted by first sitting then UID."""
    by_uid: dict[str, list[tuple[TrackedMessage, Invitation]]] = defaultdict(list)
    for message in messages:
        invitation = message.invitation
        if invitation is None or invitation.method is CalendarMethod.REPLY:
            continue
        by_uid[invitation.uid].append((message, invitation))
    meetings = [_meeting(uid, seen) for uid, seen in by_uid.items()]
    return sorted(meetings, key=_meeting_order)


def _meeting_order(meeting: Meeting) -> tuple[bool, datetime, str]:
    first = meeting.occurrences[0].start if meeting.occurrences else meeting.message.date
    return (not meeting.occurrences, first, meeting.uid)


def _rank(pair: tuple[TrackedMessage, Invitation]) -> tuple[int, datetime]:
    message, invitation = pair
    return (invitation.sequence, message.date)


def _meeting(uid: str, seen: list[tuple[TrackedMessage, Invitation]]) -> Meeting:
    series = [pair for pair in seen if pair[1].recurrence_id is None]
    base = max(series, key=_rank) if series else None
    # The latest word on each sitting, kept only when newer than the series invitation.
    sittings: dict[datetime, tuple[TrackedMessage, Invitation]] = {}
    for pair in seen:
        recurrence_id = pair[1].recurrence_id
        if recurrence_id is None or (base is not None and _rank(pair) <= _rank(base)):
            continue
        current = sittings.get(recurrence_id)
        if current is None or _rank(pair) > _rank(current):
            sittings[recurrence_id] = pair
    occurrences = list(base[1].occurrences) if base is not None else []
    for recurrence_id, (_, change) in sittings.items():
        occurrences = [o for o in occurrences if o.start != recurrence_id]
        if not change.cancelled:
            occurrences.extend(change.occurrences)
    shown = base if base is not None else max(seen, key=_rank)
    latest = max(seen, key=lambda pair: pair[0].date)
    return Meeting(
        uid=uid,
        summary=shown[1].summary,
        organizer=shown[1].organizer,
        attendees=shown[1].attendees,
        occurrences=tuple(sorted(set(occurrences), key=lambda o: (o.start, o.end))),
        message=latest[0],
        cancelled=base is not None and base[1].cancelled,
    )


def sittings_between(meetings: Iterable[Meeting], start: datetime, end: datetime) -> list[Sitting]:
    """Sittings of meetings not cancelled that overlap ``[start, end)``, sorted by start."""
    found = [
        Sitting(meeting, occurrence)
        for meeting in meetings
        if not meeting.cancelled
        for occurrence in meeting.occurrences
        if occurrence.start < end and occurrence.end > start
    ]
    return sorted(found, key=lambda s: (s.occurrence.start, s.meeting.uid))


def counterparts(
    meeting: Meeting,
    is_me: Callable[[str], bool],
    is_automated_address: Callable[[str], bool],
) -> tuple[str, ...]:
    """The people minutes go to: organizer and attendees, neither me nor machines.

    Organizer first, then attendees as invited; lower case, each once.
    """
    everyone = ((meeting.organizer,) if meeting.organizer else ()) + meeting.attendees
    return tuple(
        dict.fromkeys(
            address
            for address in (a.lower() for a in everyone)
            if not is_me(address) and not is_automated_address(address)
        )
    )


def machine_address(rules: AutomationRules) -> Callable[[str], bool]:
    """A predicate for ``counterparts``: no-reply style senders (rules/automated.toml, the
    same local parts that make a sender automated) and calendar-system addresses.

    Mailing lists cannot be told from an address alone: a caller that knows list addresses
    (from List-Id / List-Post of mail seen) combines its own check with this one.
    """
    names = tuple(name.lower() for name in rules.sender_local_parts)

    def is_machine(address: str) -> bool:
        lowered = address.strip().lower()
        local, _, domain = lowered.rpartition("@")
        if lowered in _MACHINE_ADDRESSES or domain.endswith(_MACHINE_DOMAINS):
            return True
        return any(
            local == name or local.startswith((f"{name}+", f"{name}-", f"{name}."))
            for name in names
        )

    return is_machine


def minutes_sent(
    sitting: Sitting, messages: Iterable[TrackedMessage], is_mine: Callable[[str], bool]
) -> TrackedMessage | None:
    """My first sent message dated at or after the sitting's end, To/Cc any of its people.

    Its people are the organizer and attendees other than me (``is_mine`` is the owner's
    address check). Mail to them about anything counts: after a meeting, the first thing
    the owner sends them is the follow-up, whatever its subject.
    """
    people = set(counterparts(sitting.meeting, is_mine, lambda _: False))
    if not people:
        return None
    candidates = [
        message
        for message in messages
        if message.role is FolderRole.SENT
        and is_mine(message.sender.address)
        and message.date >= sitting.occurrence.end
        and any(a.address.lower() in people for a in (*message.to, *message.cc))
    ]
    return min(candidates, key=lambda m: (m.date, m.message_id), default=None)


def minutes_due_at(
    sitting: Sitting, calendar: BusinessCalendar, minutes_by: time | None
) -> datetime:
    """When the minutes of ``sitting`` are due, in the owner's zone.

    The day is the owner's local day on which the sitting ends. Minutes are due at
    ``minutes_by`` that day (None: the end of business hours, ``calendar.day_end``, also on a
    day that is not a business day: a meeting held on Saturday is minuted on Saturday). A
    sitting that ends after that time (an evening meeting) is due at 23:59:59 that day.
    """
    ends = calendar.local(sitting.occurrence.end)
    by = calendar.day_end if minutes_by is None else minutes_by
    due = datetime.combine(ends.date(), by, tzinfo=calendar.tz)
    if ends > due:
        return datetime.combine(ends.date(), END_OF_DAY, tzinfo=calendar.tz)
    return due

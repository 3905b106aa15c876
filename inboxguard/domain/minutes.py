"""Meetings on the threads (SPEC §5 ``minutes_due``, §6 Meetings): which thread a meeting
belongs to, where its minutes stand today, and the 議事録 draft it is owed.

A meeting is found by its invitations across the whole account (``meetings.current_meetings``)
or marked by hand on a thread (`mark THREAD meeting START [END]`, for meetings arranged in
plain mail). It belongs to the thread of its latest invitation (or the marked thread). The
sitting watched is the one of the owner's today, else yesterday's (the morning digest still
asks for yesterday's missing minutes): the latest one that has ended, else the next one.

Minutes are owed once a sitting with at least one counterpart has ended and nothing went
from me to its attendees since; the draft is written once per sitting, up to the end of the
next local day (a service that was down when the meeting ended still writes it then).
Past ``minutes_by`` with nothing sent the thread is ``minutes_due``, that day.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from inboxguard.domain.automation import may_carry_invitation
from inboxguard.domain.calendar import BusinessCalendar
from inboxguard.domain.clients import ClientRule
from inboxguard.domain.drafts import DraftPurpose
from inboxguard.domain.durations import Allowance
from inboxguard.domain.duties import DraftDuty, unwritten_id
from inboxguard.domain.identity import Identity
from inboxguard.domain.marks import Mark, MarkAction
from inboxguard.domain.meetings import (
    Meeting,
    Sitting,
    counterparts,
    current_meetings,
    minutes_due_at,
    minutes_sent,
    sittings_between,
)
from inboxguard.domain.message import Address
from inboxguard.domain.threading import Thread
from inboxguard.domain.tracked import FolderRole, Occurrence, TrackedMessage

MARKED_UID_PREFIX = "mark:"
# An invitation's sittings are read up to 200 days after it was sent: a weekly meeting
# invited two months ago still sits today, so invitations stay in the window that long.
INVITATION_REACH = timedelta(days=201)


def in_window(message: TrackedMessage, since: datetime) -> bool:
    """Whether ``message`` belongs to the window starting at ``since`` (the store's
    snapshot reads exactly these: recent mail, and invitations whose sittings may come)."""
    return message.date >= since or (
        message.invitation is not None and message.date >= since - INVITATION_REACH
    )


@dataclass(frozen=True, slots=True)
class WatchedSitting:
    """A sitting of the thread's meeting around today, with what its minutes need."""

    sitting: Sitting
    attendees: tuple[str, ...]  # counterparts: neither me nor machines
    due_at: datetime
    sent: TrackedMessage | None

    def owes_draft(self, now: datetime, calendar: BusinessCalendar) -> bool:
        ended = self.sitting.occurrence.end
        last_day = calendar.local(ended).date() + timedelta(days=1)
        until = datetime.combine(last_day, time.max, tzinfo=calendar.tz)
        return self.sent is None and bool(self.attendees) and ended <= now <= until


def meetings_by_thread(
    threads: Sequence[Thread], marks: Iterable[Mark], *, identity: Identity
) -> dict[str, list[Meeting]]:
    """Every meeting of the account, filed under the thread it belongs to."""
    thread_of: dict[str, str] = {}
    for thread in threads:
        for message in thread.messages:
            thread_of.setdefault(message.message_id, thread.id)
    out: dict[str, list[Meeting]] = {}
    everything = [m for t in threads for m in t.messages if m.role is not FolderRole.DRAFTS]
    for meeting in current_meetings(everything):
        message = meeting.message
        automated = message.automated_reason
        if automated is not None and not may_carry_invitation(automated):
            continue  # a list's or a booking system's invitation: nobody to minute it for
        thread_id = thread_of.get(message.message_id)
        if thread_id is not None:
            out.setdefault(thread_id, []).append(meeting)
    by_id = {t.id: t for t in threads}
    for mark in marks:
        marked = by_id.get(mark.thread_id)
        if mark.action is MarkAction.MEETING and mark.occurrence is not None and marked:
            out.setdefault(marked.id, []).append(_marked(marked, mark.occurrence, identity))
    return out


def _marked(thread: Thread, occurrence: Occurrence, identity: Identity) -> Meeting:
    """A meeting arranged in plain mail: the thread's people are its attendees."""
    people: dict[str, None] = {}
    for message in thread.messages:
        if message.role is FolderRole.DRAFTS or message.automated_reason is not None:
            continue
        for address in (message.sender, *message.to, *message.cc):
            if address.address and not identity.is_me(address):
                people.setdefault(address.address.lower(), None)
    live = [m for m in thread.messages if m.role is not FolderRole.DRAFTS]
    return Meeting(
        uid=f"{MARKED_UID_PREFIX}{thread.id}:{occurrence.start.isoformat()}",
        summary=thread.subject,
        organizer=None,
        attendees=tuple(people),
        occurrences=(occurrence,),
        message=live[-1] if live else thread.messages[-1],
        cancelled=False,
    )


def watched_sitting(
    meetings: Sequence[Meeting],
    messages: Sequence[TrackedMessage],
    *,
    now: datetime,
    calendar: BusinessCalendar,
    identity: Identity,
    is_machine: Callable[[str], bool],
    minutes_by: time | None,
) -> WatchedSitting | None:
    """The sitting of these meetings to watch at ``now`` (see the module docstring)."""
    today = calendar.local(now).date()
    start = datetime.combine(today - timedelta(days=1), time(0), tzinfo=calendar.tz)
    end = datetime.combine(today + timedelta(days=1), time(0), tzinfo=calendar.tz)
    sittings = [
        s
        for s in sittings_between(meetings, start, end)
        if counterparts(s.meeting, identity.is_me, is_machine)
    ]
    if not sittings:
        return None
    ended = [s for s in sittings if s.occurrence.end <= now]
    unsent = [s for s in ended if minutes_sent(s, messages, identity.is_me) is None]
    # The latest ended sitting still missing minutes, else the latest ended, else the next.
    chosen = (unsent or ended or sittings[:1])[-1 if (unsent or ended) else 0]
    return WatchedSitting(
        sitting=chosen,
        attendees=counterparts(chosen.meeting, identity.is_me, is_machine),
        due_at=minutes_due_at(chosen, calendar, minutes_by),
        sent=minutes_sent(chosen, messages, identity.is_me),
    )


def all_sittings(
    meetings: Mapping[str, Sequence[Meeting]],
    messages: Sequence[TrackedMessage],
    *,
    since: datetime,
    now: datetime,
    identity: Identity,
    is_machine: Callable[[str], bool],
) -> list[tuple[str, Sitting, TrackedMessage | None]]:
    """Every sitting with a counterpart that ended in ``(since, now]``, per thread id, with
    my first mail to its attendees after it (the trust figures count them)."""
    out = []
    for thread_id, group in meetings.items():
        for sitting in sittings_between(group, since, now):
            if sitting.occurrence.end > now:
                continue
            if not counterparts(sitting.meeting, identity.is_me, is_machine):
                continue
            out.append((thread_id, sitting, minutes_sent(sitting, messages, identity.is_me)))
    return out


def minutes_duty(
    thread: Thread,
    watch: WatchedSitting,
    *,
    names: Mapping[str, str],
    client: ClientRule | None,
    language: str | None,
    ledger: Collection[str],
    identity: Identity,
    calendar: BusinessCalendar,
    reply_within: Allowance | None,
    now: datetime,
) -> DraftDuty | None:
    """The 議事録 skeleton owed for ``watch`` now, unless the ledger has it (once per
    sitting: the anchor is the sitting's start). ``names``: display names by address, from
    the mail seen, for the greeting and the To header."""
    if not watch.owes_draft(now, calendar):
        return None
    occurrence = watch.sitting.occurrence
    purpose = DraftPurpose.MINUTES
    message_id = unwritten_id(thread, purpose, occurrence.start, ledger)
    if message_id is None:
        return None
    recipients = tuple(Address(names.get(a, ""), a) for a in watch.attendees)
    reply_by = (
        calendar.local(calendar.allowance_end(occurrence.end, reply_within, business=False)).date()
        if reply_within is not None
        else None
    )
    meeting_day = calendar.local(occurrence.start).date()
    target = watch.sitting.meeting.message
    return DraftDuty(
        purpose=purpose,
        message_id=message_id,
        account=thread.account,
        thread_id=thread.id,
        anchor=occurrence.start,
        reply_to=target,
        promised_date=reply_by or meeting_day,
        language=language,
        addressee=(client.honorific if client is not None and client.honorific else "")
        or recipients[0].name
        or recipients[0].address.partition("@")[0],
        from_address=_my_address(target, identity),
        client=client,
        recipients=recipients,
        sitting=watch.sitting,
        reply_by=reply_by,
    )


def _my_address(message: TrackedMessage, identity: Identity) -> str | None:
    """The address of mine the meeting was arranged with: its sender when I sent it."""
    if identity.is_me(message.sender):
        return message.sender.address
    return next((a.address for a in (*message.to, *message.cc) if identity.is_me(a)), None)

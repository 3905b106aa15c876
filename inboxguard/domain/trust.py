"""The promise kept, measured (the trust figures a freelancer can show a client).

Per client and overall, over a window ending at ``now``:

- **promises**: dates I promised (「〇日までに回答いたします」) that fell due in the window, and how
  many of them I kept: a later message of mine in the thread by that date;
- **follow-ups sent**: asks of mine whose date passed with nothing from them, after which I
  wrote to them again (the 催促, drafted by InboxGuard or not) before they answered;
- **minutes**: meetings with a counterpart that ended in the window, and how many had mail
  from me to an attendee the same local day.

Pure: threads and meetings in, counts out. A promise or ask still inside its time counts
nowhere yet, as in the response statistics.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from inboxguard.domain.assessment import AssessmentRules, threads_of
from inboxguard.domain.calendar import BusinessCalendar
from inboxguard.domain.durations import Allowance
from inboxguard.domain.identity import Identity
from inboxguard.domain.meetings import list_addresses, or_list
from inboxguard.domain.minutes import all_sittings, meetings_by_thread
from inboxguard.domain.reply_clock import thread_counterpart
from inboxguard.domain.requests import silence_agrees
from inboxguard.domain.snapshot import AccountSnapshot
from inboxguard.domain.threading import Thread
from inboxguard.domain.tracked import FolderRole, TrackedMessage


@dataclass(frozen=True, slots=True)
class MeetingRecord:
    """One sitting with a counterpart, and when (if) minutes went to its attendees."""

    client: str | None
    ended_at: datetime
    minutes_at: datetime | None


@dataclass(frozen=True, slots=True)
class TrustFigures:
    promises_due: int = 0
    promises_kept: int = 0
    follow_ups_sent: int = 0
    meetings_held: int = 0
    minutes_same_day: int = 0

    def __add__(self, other: TrustFigures) -> TrustFigures:
        return TrustFigures(
            self.promises_due + other.promises_due,
            self.promises_kept + other.promises_kept,
            self.follow_ups_sent + other.follow_ups_sent,
            self.meetings_held + other.meetings_held,
            self.minutes_same_day + other.minutes_same_day,
        )

    @property
    def empty(self) -> bool:
        return not (self.promises_due or self.follow_ups_sent or self.meetings_held)


def trust_figures(
    threads: Iterable[Thread],
    meetings: Iterable[MeetingRecord],
    *,
    client_of: Callable[[Thread], str | None],
    identity: Identity,
    calendar: BusinessCalendar,
    follow_up_after: Allowance | None,
    business: bool,
    since: datetime,
    now: datetime,
) -> dict[str | None, TrustFigures]:
    """The figures per client name (None: senders no client rule names), window
    ``(since, now]``."""
    out: dict[str | None, TrustFigures] = defaultdict(TrustFigures)
    for thread in threads:
        live = [m for m in thread.messages if m.role is not FolderRole.DRAFTS and m.date <= now]
        figures = _thread_figures(
            live,
            identity=identity,
            calendar=calendar,
            follow_up_after=follow_up_after,
            business=business,
            since=since,
            now=now,
        )
        if not figures.empty:
            client = client_of(thread)
            out[client] = out[client] + figures
    for meeting in meetings:
        if not since < meeting.ended_at <= now:
            continue
        same_day = meeting.minutes_at is not None and (
            calendar.local(meeting.minutes_at).date() == calendar.local(meeting.ended_at).date()
        )
        out[meeting.client] = out[meeting.client] + TrustFigures(
            meetings_held=1, minutes_same_day=int(same_day)
        )
    return dict(out)


def overall(figures: dict[str | None, TrustFigures]) -> TrustFigures:
    total = TrustFigures()
    for item in figures.values():
        total = total + item
    return total


def _thread_figures(
    live: list[TrackedMessage],
    *,
    identity: Identity,
    calendar: BusinessCalendar,
    follow_up_after: Allowance | None,
    business: bool,
    since: datetime,
    now: datetime,
) -> TrustFigures:
    due = kept = follow_ups = 0
    for index, message in enumerate(live):
        if not identity.is_mine(message):
            continue
        later = live[index + 1 :]
        promise = message.promise
        if promise is not None and since < promise.due_at <= now:
            due += 1
            # Kept: I wrote again in the thread by the promised time (the answer).
            kept += any(identity.is_mine(m) and m.date <= promise.due_at for m in later)
        request = message.request
        if request is None or message.invitation is not None or silence_agrees(request.phrase):
            continue  # minutes ask for objections only: writing again after is no follow-up
        until = request.due_at
        if until is None and follow_up_after is not None:
            until = calendar.allowance_end(message.date, follow_up_after, business=business)
        if until is None or until > now:
            continue
        for following in later:
            if not identity.is_mine(following) and following.automated_reason is None:
                break  # they answered first
            if identity.is_mine(following) and following.date > until:
                follow_ups += since < following.date <= now
                break
    return TrustFigures(promises_due=due, promises_kept=kept, follow_ups_sent=follow_ups)


def account_trust(
    snapshot: AccountSnapshot,
    rules: AssessmentRules,
    *,
    windows: Sequence[datetime],
    now: datetime,
) -> list[dict[str | None, TrustFigures]]:
    """One account's trust figures over each window ``(start, now]``, from one snapshot
    threaded once (it must reach back from the earliest start)."""
    threads = threads_of(snapshot, rules)
    identity = rules.identity
    marks = [m for m in snapshot.marks if m.at <= now]
    meetings = meetings_by_thread(threads, marks, identity=identity)
    mail = [m for t in threads for m in t.messages if m.role is not FolderRole.DRAFTS]
    by_id = {t.id: t for t in threads}
    is_machine = or_list(rules.is_machine, list_addresses(mail, identity.is_me))

    def client_of(thread: Thread) -> str | None:
        client = rules.clients.lookup(thread_counterpart(thread, identity))
        return client.name if client is not None else None

    records = [
        MeetingRecord(
            client=client_of(by_id[thread_id]),
            ended_at=sitting.occurrence.end,
            minutes_at=sent.date if sent is not None else None,
        )
        for thread_id, sitting, sent in all_sittings(
            meetings, mail, since=min(windows), now=now, identity=identity, is_machine=is_machine
        )
    ]
    return [
        trust_figures(
            threads,
            records,
            client_of=client_of,
            identity=identity,
            calendar=rules.calendar,
            follow_up_after=rules.sla.follow_up_after,
            business=rules.sla.business,
            since=since,
            now=now,
        )
        for since in windows
    ]


def merged(parts: Iterable[dict[str | None, TrustFigures]]) -> dict[str | None, TrustFigures]:
    """Several accounts' figures as one owner's."""
    out: dict[str | None, TrustFigures] = defaultdict(TrustFigures)
    for part in parts:
        for client, figures in part.items():
            out[client] = out[client] + figures
    return dict(out)

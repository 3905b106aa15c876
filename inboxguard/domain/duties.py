"""Which draft a thread is owed now (SPEC §6, §7): pure policy, no composing, no I/O.

While an incident is open, the next report is owed (the report is the answer, so no
holding reply then). Otherwise a holding reply is owed once the clock has run for
``holding_draft_after``, unless the owner is already writing a reply in that thread.
With no clock running, a follow-up (催促) is owed once what I asked the client for is
overdue (``awaiting_overdue``), once per ask: it is anchored at my message that asked.
Minutes (議事録) after a meeting are owed by the meeting model (``minutes_duty``).
A duty already in the draft ledger (written, found, or claimed by a cycle that died) is
not owed again: its deterministic Message-ID is the key, so a restarted process, a second
process or a what-if all compute the same duty and the ledger decides once.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime

from inboxguard.domain.calendar import BusinessCalendar
from inboxguard.domain.clients import ClientRule
from inboxguard.domain.draft_ids import DRAFT_ID_PREFIX, draft_message_id, is_ours
from inboxguard.domain.drafts import DraftPurpose
from inboxguard.domain.identity import Identity
from inboxguard.domain.incident_protocol import Incident, Stage
from inboxguard.domain.meetings import Sitting
from inboxguard.domain.message import Address
from inboxguard.domain.reply_clock import ThreadStatus
from inboxguard.domain.threading import Thread
from inboxguard.domain.tracked import FolderRole, Request, TrackedMessage


@dataclass(frozen=True, slots=True)
class DraftDuty:
    """A draft owed now, with everything composing it needs to know about the thread.

    ``anchor`` is the instant the draft counts from (the clock start of a holding reply,
    the incident's opening for a report): with the account, thread and purpose it makes
    the Message-ID, so one clock or one incident stage is owed one draft, ever.
    """

    purpose: DraftPurpose
    message_id: str
    account: str
    thread_id: str
    anchor: datetime
    reply_to: TrackedMessage
    promised_date: date  # the holding reply's promised date; a report's next report day
    # "ja" | "en" from the client rule; None: answer in the language the client wrote in
    # (decided when composing, from the text of ``reply_to``).
    language: str | None
    addressee: str  # the name the draft opens with (a client's honorific, else theirs)
    from_address: str | None  # which of my addresses the client wrote to
    client: ClientRule | None = None
    incident: Incident | None = None
    stage: Stage | None = None
    # Who the draft goes to; empty: the sender of ``reply_to`` (a reply). A follow-up goes
    # to those my asking message went to, minutes to the meeting's attendees.
    recipients: tuple[Address, ...] = ()
    request: Request | None = None  # with FOLLOW_UP: what I asked for
    sitting: Sitting | None = None  # with MINUTES: the meeting and its occurrence
    # With MINUTES: the date objections are asked by (None: the minutes name none).
    reply_by: date | None = None


@dataclass(frozen=True, slots=True)
class DraftSettings:
    """The owner's drafting choices the duty needs (from the configuration)."""

    promise_business_days: int


def owed_drafts(
    thread: Thread,
    status: ThreadStatus,
    incident: Incident | None,
    *,
    client: ClientRule | None,
    language: str | None,
    ledger: Collection[str],
    identity: Identity,
    calendar: BusinessCalendar,
    settings: DraftSettings,
    now: datetime,
) -> tuple[DraftDuty, ...]:
    """The drafts ``thread`` is owed at ``now`` that the ledger (Message-IDs) lacks."""
    plan = _plan(thread, status, incident, identity=identity, ledger=ledger)
    if plan is None:
        follow_up = _follow_up(
            thread,
            status,
            client=client,
            language=language,
            ledger=ledger,
            identity=identity,
            calendar=calendar,
            settings=settings,
            now=now,
        )
        return (follow_up,) if follow_up is not None else ()
    purpose, anchor, reply_to, stage = plan
    message_id = unwritten_id(thread, purpose, anchor, ledger)
    if message_id is None:
        return ()
    if stage is not None and incident is not None:
        promised = calendar.local(incident.report_due_at(stage)).date()
    else:
        today = calendar.local(now).date()
        promised = calendar.add_business_days(today, settings.promise_business_days)
    duty = DraftDuty(
        purpose=purpose,
        message_id=message_id,
        account=thread.account,
        thread_id=thread.id,
        anchor=anchor,
        reply_to=reply_to,
        promised_date=promised,
        language=language,
        addressee=_addressee(reply_to, client),
        from_address=_my_address_in(reply_to, identity),
        client=client,
        incident=incident if stage is not None else None,
        stage=stage,
    )
    return (duty,)


def _follow_up(
    thread: Thread,
    status: ThreadStatus,
    *,
    client: ClientRule | None,
    language: str | None,
    ledger: Collection[str],
    identity: Identity,
    calendar: BusinessCalendar,
    settings: DraftSettings,
    now: datetime,
) -> DraftDuty | None:
    """The 催促 owed when what I asked for is overdue and no clock of theirs runs."""
    awaiting = status.awaiting
    if awaiting is None or not awaiting.overdue or status.clock_message is not None:
        return None
    if owner_draft_in_thread(thread, identity, ledger) is not None:
        return None  # the owner is already writing to them
    asked = awaiting.message
    recipients = tuple(a for a in (*asked.to, *asked.cc) if a.address and not identity.is_me(a))
    if not recipients:
        return None
    purpose = DraftPurpose.FOLLOW_UP
    message_id = unwritten_id(thread, purpose, asked.date, ledger)
    if message_id is None:
        return None
    today = calendar.local(now).date()
    first = recipients[0]
    return DraftDuty(
        purpose=purpose,
        message_id=message_id,
        account=thread.account,
        thread_id=thread.id,
        anchor=asked.date,
        reply_to=asked,
        promised_date=calendar.add_business_days(today, settings.promise_business_days),
        language=language,
        addressee=(client.honorific if client is not None and client.honorific else None)
        or first.name
        or first.address.partition("@")[0],
        from_address=asked.sender.address or None,
        client=client,
        recipients=recipients,
        request=awaiting.request,
    )


def _plan(
    thread: Thread,
    status: ThreadStatus,
    incident: Incident | None,
    *,
    identity: Identity,
    ledger: Collection[str],
) -> tuple[DraftPurpose, datetime, TrackedMessage, Stage | None] | None:
    if incident is not None and incident.is_open:
        stage = incident.next_stage
        reply_to = incident_reply_target(thread, status, incident)
        if stage is None or reply_to is None:
            return None
        return DraftPurpose(stage.name.value), incident.opened_at, reply_to, stage.name
    if (
        status.needs_holding_draft
        and status.clock_message is not None
        and status.clock_started_at is not None
        and owner_draft_in_thread(thread, identity, ledger) is None
    ):
        return DraftPurpose.HOLDING, status.clock_started_at, status.clock_message, None
    return None


def unwritten_id(
    thread: Thread, purpose: DraftPurpose, anchor: datetime, ledger: Collection[str]
) -> str | None:
    """The Message-ID of the draft for ``purpose`` counted from ``anchor``, or None when it
    was written before (in the ledger, perhaps deleted by the owner since: never again) or
    one of ours for it already sits in Drafts."""
    message_id = draft_message_id(thread.account, thread.id, anchor, purpose.value)
    if message_id in ledger or ours_in_drafts(thread, purpose, anchor, owed=message_id):
        return None
    return message_id


def ours_in_drafts(thread: Thread, purpose: DraftPurpose, anchor: datetime, *, owed: str) -> bool:
    """Another of our drafts for ``purpose``, written since ``anchor``, sits in Drafts in
    this thread: one written under another account name (an account renamed, the demo run
    twice on one Maildir), whose Message-ID differs from the ``owed`` one. It counts all the
    same. (The owed one itself, found in Drafts, is recorded by the cycle's search.)"""
    prefix = f"{DRAFT_ID_PREFIX}{purpose.value}-"
    return any(
        m.role is FolderRole.DRAFTS
        and m.message_id != owed
        and m.message_id.startswith(prefix)
        and m.date >= anchor
        for m in thread.messages
    )


def owner_draft_in_thread(
    thread: Thread, identity: Identity, ledger: Collection[str]
) -> TrackedMessage | None:
    """A draft the owner is already writing in this thread (not one of ours)."""
    for message in thread.messages:
        if message.role is not FolderRole.DRAFTS:
            continue
        if message.message_id in ledger or is_ours(message.message_id):
            continue
        if identity.is_mine(message) or not message.sender.address:
            return message
    return None


def incident_reply_target(
    thread: Thread, status: ThreadStatus, incident: Incident
) -> TrackedMessage | None:
    """A report answers the client's latest message; the opening one, else any of theirs."""
    theirs = [
        m
        for m in thread.messages
        if m.role is not FolderRole.DRAFTS and status.counterpart == m.sender.address
    ]
    if theirs:
        return theirs[-1]
    return incident.opening_message


def _addressee(message: TrackedMessage, client: ClientRule | None) -> str:
    if client is not None and client.honorific:
        return client.honorific
    sender = message.sender
    if sender.name:
        return sender.name
    return sender.address.partition("@")[0] or sender.address


def _my_address_in(message: TrackedMessage, identity: Identity) -> str | None:
    for address in (*message.to, *message.cc):
        if identity.is_me(address):
            return address.address
    return None

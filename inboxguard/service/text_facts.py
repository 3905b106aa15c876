"""Reading message text only where it can still decide something (SPEC §13).

A header tells whether a message is mine, automated or a counterpart's; only the *text*
tells whether a counterpart merely acknowledged, whether I promised a date, whether a
client reports an incident and which reports I sent. Those facts matter for few messages:
my latest message in a thread (its promise), the counterpart messages after it
(acknowledgement-only or not), the counterpart's mail of the last ``INCIDENT_HORIZON``
(incident scores), and my recent mail in threads that may hold an incident (reports).
Older messages are superseded, so on a first scan of a large mailbox most texts are never
fetched. A message whose text was not read counts as "not an acknowledgement, no promise,
no incident": the conservative reading, which never hides a thread that needs an answer.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from inboxguard.backends.base import Folder, MailBackend
from inboxguard.domain.automation import may_carry_invitation
from inboxguard.domain.identity import Identity
from inboxguard.domain.incident_protocol import INCIDENT_KEYWORD
from inboxguard.domain.incidents import NO_INCIDENT, score_incident
from inboxguard.domain.promises import earliest_promise
from inboxguard.domain.requests import find_request
from inboxguard.domain.threading import Thread
from inboxguard.domain.tracked import FolderRole, IncidentFacts, TextFacts, TrackedMessage
from inboxguard.parse import parse_text
from inboxguard.parse.invitations import invitation_in
from inboxguard.service.context import Context

# Enough for the new text of any human reply, with the usual multipart preamble before it.
TEXT_PREFIX_BYTES = 64 * 1024
# The incident protocol runs a week from the opening; a report older than twice that is
# history. On a first scan, only this much mail is read for incidents (new mail always is).
INCIDENT_HORIZON = timedelta(days=14)


def deciding_messages(
    threads: Iterable[Thread], identity: Identity, now: datetime
) -> list[TrackedMessage]:
    """Unread messages whose text can change a thread's state or open an incident."""
    recent = now - INCIDENT_HORIZON
    wanted = []
    for thread in threads:
        live = [m for m in thread.messages if m.role is not FolderRole.DRAFTS]
        last_mine = max((i for i, m in enumerate(live) if identity.is_mine(m)), default=None)
        if last_mine is not None and not live[last_mine].text_read:
            wanted.append(live[last_mine])
        for index, message in enumerate(live):
            if index == last_mine or not identity.is_counterpart(message):
                continue
            after_mine = last_mine is None or index > last_mine
            if (after_mine and not message.text_read) or (
                message.incident is None and message.date >= recent
            ):
                wanted.append(message)
        # Generated mail (Google Calendar's invitations) is read while recent: only its
        # calendar part matters, and only for meetings still to come or just held.
        wanted.extend(
            m
            for m in live
            if not m.text_read and m.date >= recent and may_carry_invitation(m.automated_reason)
        )
    return wanted


def report_messages(
    threads: Iterable[Thread],
    identity: Identity,
    now: datetime,
    *,
    threshold: float,
    marked: Collection[str],
) -> list[TrackedMessage]:
    """My recent unread messages in threads that may hold an incident: their text tells
    which reports were sent. Asked after ``deciding_messages`` were read, when the
    counterpart's scores are known."""
    recent = now - INCIDENT_HORIZON
    wanted: list[TrackedMessage] = []
    for thread in threads:
        if thread.id not in marked and not any(
            INCIDENT_KEYWORD in m.keywords
            or (m.incident is not None and m.incident.score >= threshold)
            for m in thread.messages
        ):
            continue
        wanted.extend(
            m
            for m in thread.messages
            if m.role is not FolderRole.DRAFTS
            and m.incident is None
            and m.date >= recent
            and identity.is_mine(m)
        )
    return wanted


def read_facts(
    ctx: Context,
    backend: MailBackend,
    messages: Sequence[TrackedMessage],
    *,
    reports: bool = False,
) -> list[TextFacts]:
    """Fetch the texts (batched per folder) and decide the text facts of each message;
    with ``reports``, also the report stages of mine (see ``decide``)."""
    by_folder: dict[tuple[str, FolderRole], list[TrackedMessage]] = defaultdict(list)
    for message in messages:
        by_folder[(message.folder, message.role)].append(message)
    facts = []
    for (name, role), group in by_folder.items():
        by_uid = {m.uid: m for m in group}
        uids = list(by_uid)
        for uid, raw in backend.fetch_texts(Folder(name, role), uids, max_bytes=TEXT_PREFIX_BYTES):
            text = parse_text(raw).text if raw else ""
            facts.append(decide(ctx, by_uid[uid], text, reports=reports, raw=raw))
    return facts


def decide(
    ctx: Context,
    message: TrackedMessage,
    text: str,
    *,
    reports: bool = False,
    raw: bytes = b"",
) -> TextFacts:
    """The facts of one text. The report stages of my message are decided only when asked
    (``reports``): they matter in the few threads that hold an incident, and a message
    whose stages were not decided is asked again if its thread becomes one. ``raw``: the
    message's first bytes, where a calendar part (an invitation) is looked for."""
    mine = ctx.identity.is_mine(message)
    invitation = invitation_in(raw, tz=ctx.calendar.tz, sent_at=message.date) if raw else None
    incident: IncidentFacts | None
    if mine:
        incident = IncidentFacts(stages=ctx.rules.reports.stages_in(text)) if reports else None
    else:
        score = (
            NO_INCIDENT
            if message.automated_reason is not None
            else score_incident(message.subject, text, ctx.rules.incident)
        )
        incident = IncidentFacts(score=score.score, keywords=score.keywords)
    if invitation is not None and not mine:
        # An invitation's words describe a meeting (「障害振り返り会」), not a report of one.
        incident = IncidentFacts()
    # What an invitation's text says is the calendar's, not mine: no promise, no ask.
    writes = mine and invitation is None
    return TextFacts(
        folder=message.folder,
        uid=message.uid,
        ack_only=(not mine) and ctx.rules.acknowledgements.is_acknowledgement(text),
        promise=earliest_promise(text, message.date, ctx.calendar) if writes else None,
        incident=incident,
        request=find_request(text, message.date, ctx.calendar) if writes else None,
        invitation=invitation,
    )


def needs_no_text(role: FolderRole, automated: str | None) -> bool:
    """Messages whose facts are final without text: drafts and automated mail (but for
    generated mail, which may be a calendar invitation)."""
    return role is FolderRole.DRAFTS or (
        automated is not None and not may_carry_invitation(automated)
    )


def with_facts(threads: Sequence[Thread], facts: Sequence[TextFacts]) -> list[Thread]:
    """The threads with the facts just read applied, as the store now holds them."""
    by_location = {(f.folder, f.uid): f for f in facts}
    if not by_location:
        return list(threads)
    out = []
    for thread in threads:
        messages = tuple(_apply(m, by_location.get((m.folder, m.uid))) for m in thread.messages)
        out.append(replace(thread, messages=messages))
    return out


def _apply(message: TrackedMessage, fact: TextFacts | None) -> TrackedMessage:
    if fact is None:
        return message
    return replace(
        message,
        ack_only=fact.ack_only,
        promise=fact.promise,
        text_read=True,
        incident=fact.incident,
        request=fact.request,
        invitation=fact.invitation,
    )

"""A duty of the domain (``DraftDuty``) composed into the bytes of a draft.

The duty says which draft, to whom, in which language and with which date; this module
only words it: the holding reply or the incident report skeleton, threaded and quoted
under the original, in the owner's name.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from inboxguard.domain.drafts import DraftPurpose
from inboxguard.domain.duties import DraftDuty
from inboxguard.domain.language import written_language
from inboxguard.domain.message import Message
from inboxguard.domain.tracked import TrackedMessage
from inboxguard.drafting.follow_up import build_follow_up
from inboxguard.drafting.incident_report import build_incident_report
from inboxguard.drafting.minutes import build_minutes
from inboxguard.drafting.reply_draft import ReplyDraftInput, build_holding_reply, to_bytes
from inboxguard.drafting.templates import TemplateRenderer


def compose_draft(
    duty: DraftDuty,
    original: Message | None,
    *,
    owner_name: str,
    owner_address: str,
    signature: str,
    default_language: str,
    templates: TemplateRenderer,
    tz: ZoneInfo,
    now: datetime,
) -> bytes:
    """The draft's bytes. ``original``: the message replied to, parsed from its stored
    text (None, or another message than the duty's: its headers stand in, nothing quoted).
    Without a client rule's language, the draft answers in the language the client wrote
    in (its new text, else its subject), else in ``default_language``."""
    target = duty.reply_to
    if original is None or original.message_id != target.message_id:
        # The file moved or changed under us: quote nothing rather than the wrong mail.
        original = stand_in(target)
    chosen = (
        duty.language
        or written_language(original.text)
        or written_language(original.subject)
        or default_language
    )
    language: Literal["ja", "en"] = "ja" if chosen == "ja" else "en"
    inp = ReplyDraftInput(
        original=original,
        counterpart=duty.recipients[0] if duty.recipients else target.sender,
        counterpart_display_name=duty.addressee,
        company=duty.client.company if duty.client else None,
        owner_name=owner_name,
        owner_address=duty.from_address or owner_address,
        signature=signature,
        language=language,
        promised_date=duty.promised_date,
        message_id=duty.message_id,
        now=now,
        tz=tz,
        original_received=target.date,
        recipients=duty.recipients,
    )
    if duty.stage is not None and duty.incident is not None:
        draft = build_incident_report(inp, templates, incident=duty.incident, stage=duty.stage)
    elif duty.purpose is DraftPurpose.FOLLOW_UP:
        draft = build_follow_up(inp, templates, request=duty.request)
    elif duty.purpose is DraftPurpose.MINUTES and duty.sitting is not None:
        draft = build_minutes(
            inp, templates, sitting=duty.sitting, reply_by=duty.reply_by is not None
        )
    else:
        draft = build_holding_reply(inp, templates)
    return to_bytes(draft, crlf=False)


def stand_in(message: TrackedMessage) -> Message:
    """The stored headers of ``message`` as a Message with no text to quote."""
    return Message(
        message_id=message.message_id,
        subject=message.subject,
        sender=message.sender,
        to=message.to,
        cc=message.cc,
        date=message.date,
        in_reply_to=message.in_reply_to,
        references=message.references,
    )

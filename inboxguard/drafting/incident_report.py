"""Incident report drafts (SPEC §7): the skeleton of the next report the protocol asks for.

A report to a client in trouble is written to a shape: what is known kept apart from what
is guessed, the impact and who is affected, what is being done now, and when the next
report comes. The skeletons give that shape, pre-filled with what InboxGuard knows (when
the report came in, when each report is due); the owner writes the facts. The message
itself is a reply draft like the holding reply: threaded, quoted, never injectable.
"""

from __future__ import annotations

from email.message import EmailMessage

from inboxguard.domain.incident_protocol import Incident, Stage, next_stage_after
from inboxguard.drafting.dates import format_due
from inboxguard.drafting.reply_draft import ReplyDraftInput, attribution_date, build_reply_draft
from inboxguard.drafting.templates import TemplateRenderer


def report_template(stage: Stage, language: str) -> str:
    return f"incident_{stage.value}.{language}.txt.j2"


def build_incident_report(
    inp: ReplyDraftInput,
    templates: TemplateRenderer,
    *,
    incident: Incident,
    stage: Stage,
) -> EmailMessage:
    """The draft for ``stage`` of ``incident``; ``inp.promised_date`` is the next report's day."""
    tz = inp.tz
    following = next_stage_after(stage)
    reported = incident.opening_message.date if incident.opening_message else incident.opened_at
    extra: dict[str, object] = {
        "stage": stage.value,
        "reported_at": attribution_date(reported.astimezone(tz), inp.language),
        "opened_at": attribution_date(incident.opened_at.astimezone(tz), inp.language),
        "stage_due": format_due(incident.stage(stage).due_at.astimezone(tz), inp.language),
        "next_report": (
            format_due(incident.stage(following).due_at.astimezone(tz), inp.language)
            if following is not None
            else None
        ),
    }
    return build_reply_draft(
        inp,
        templates,
        template=report_template(stage, inp.language),
        purpose=stage.value,
        extra=extra,
    )

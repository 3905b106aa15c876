"""`inboxguard explain FILE.eml`: how one message is read, with the reasons (SPEC §10).

It reads no store and no mailbox: the message is parsed and classified by the functions
the cycle uses, so what it prints is what the cycle would decide of that message.

A person may hand it any file. So it reads a bounded prefix (``read_for_explain``: a 30 MB
attachment-laden mail is explained from its first 2 MiB, and says so), and refuses bytes
that do not start like a mail message instead of printing them as mojibake. The dict it
returns is what ``--json`` prints, raw; ``display_lines`` is the form for a person, with
strangers' text neutralised as everywhere the owner reads it.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from inboxguard.domain.automation import AutomationRules, automated_reason
from inboxguard.domain.display import neutralised
from inboxguard.domain.incident_adjustments import NO_ADJUSTMENTS, Adjustments
from inboxguard.domain.incidents import IncidentRules, IncidentScore, incident_for
from inboxguard.domain.message import Address
from inboxguard.domain.promises import find_promises
from inboxguard.domain.requests import find_request
from inboxguard.domain.tracked import FolderRole, Invitation, Request, TrackedMessage
from inboxguard.errors import InboxGuardError
from inboxguard.parse import parse_message
from inboxguard.parse.header_block import looks_like_mail
from inboxguard.parse.invitations import invitation_in
from inboxguard.rules import load_rules
from inboxguard.service.context import Context
from inboxguard.service.text_facts import decide

# What is explained of a file: every header block and the start of any body. More would
# only cost memory (the MIME parser holds several copies of what it reads).
MAX_EXPLAIN_BYTES = 2 * 1024 * 1024
_MIB = 1024 * 1024


class NotMailError(InboxGuardError):
    """``explain`` was given bytes that do not start with a mail header block."""

    def __init__(self, source: str) -> None:
        self.source = source
        super().__init__(f"{source} does not look like a mail message (no header block)")


class UnreadableFileError(InboxGuardError):
    """The file to explain could not be read (permissions, a directory, an I/O error)."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        super().__init__(f"{path}: cannot be read ({reason})")


def read_for_explain(path: Path) -> bytes:
    """The bytes of ``path`` that ``explain_message`` needs, refusing a file that is not mail.

    At most ``MAX_EXPLAIN_BYTES`` + 1 are read: the one byte more tells ``explain_message``
    that the file was longer, so its answer can say it explained a prefix.
    """
    try:
        with path.open("rb") as file:
            raw = file.read(MAX_EXPLAIN_BYTES + 1)
    except OSError as error:
        raise UnreadableFileError(path, error.strerror or type(error).__name__) from None
    if not looks_like_mail(raw):
        raise NotMailError(str(path))
    return raw


def _address(address: Address) -> dict[str, str]:
    return {"name": address.name, "address": address.address}


UTC_ZONE = ZoneInfo("UTC")


def _request(request: Request) -> dict[str, Any]:
    return {
        "phrase": request.phrase,
        "what": request.what,
        "date": request.date.isoformat() if request.date else None,
    }


def _invitation(invitation: Invitation) -> dict[str, Any]:
    return {
        "uid": invitation.uid,
        "method": invitation.method.value,
        "sequence": invitation.sequence,
        "cancelled": invitation.cancelled,
        "summary": invitation.summary,
        "organizer": invitation.organizer,
        "attendees": list(invitation.attendees),
        "occurrences": [
            {"start": o.start.isoformat(), "end": o.end.isoformat()}
            for o in invitation.occurrences[:20]
        ],
    }


def explain_message(
    raw: bytes,
    ctx: Context | None,
    *,
    now: datetime,
    adjustments: Adjustments = NO_ADJUSTMENTS,
) -> dict[str, Any]:
    """How the cycle reads ``raw`` (SPEC §10's object). Raises ``NotMailError`` for bytes
    without a header block; explains only the first ``MAX_EXPLAIN_BYTES`` of longer input.
    ``adjustments``: the owner's corrections from their marks (``owner_adjustments``)."""
    cut = len(raw) > MAX_EXPLAIN_BYTES
    if cut:
        raw = raw[:MAX_EXPLAIN_BYTES]
    if not looks_like_mail(raw):
        raise NotMailError("the input")
    message = parse_message(raw)
    rules = ctx.rules.automation if ctx is not None else AutomationRules()
    reason = automated_reason(message, rules)
    date = message.effective_date(None, now)
    tracked = TrackedMessage.from_message(
        message,
        account="explain",
        folder="INBOX",
        uid="0",
        role=FolderRole.INCOMING,
        date=date,
        automated_reason=reason,
    )
    # Without a configuration the shipped rules still say how the message would score.
    rules_in_force = ctx.rules if ctx is not None else load_rules(None)
    incident = incident_for(message, reason, rules_in_force.incident)
    # Were this message mine in an open incident's thread: the reports it would complete.
    report_stages = sorted(rules_in_force.reports.stages_in(message.text))
    if ctx is not None:
        counterpart_reason = ctx.identity.counterpart_reason(tracked)
        # The same decision the cycle makes from the same text (``text_facts.decide``).
        ack = decide(ctx, tracked, message.text).ack_only
        promises = [
            {"phrase": p.phrase, "date": p.date.isoformat()}
            for p in find_promises(message.text, date, ctx.calendar)
        ]
        request = find_request(message.text, date, ctx.calendar)
    else:
        counterpart_reason = "no configuration: owner addresses unknown"
        ack = False
        promises = []
        request = None
    # A calendar part reads the same without a configuration; floating times then in UTC.
    invitation = invitation_in(
        raw, tz=ctx.calendar.tz if ctx is not None else UTC_ZONE, sent_at=date
    )
    return {
        "message_id": message.message_id,
        "message_id_synthesized": message.message_id_synthesized,
        "subject": message.subject,
        "from": _address(message.sender),
        "to": [_address(a) for a in message.to],
        "cc": [_address(a) for a in message.cc],
        "date": message.date.isoformat() if message.date else None,
        "in_reply_to": list(message.in_reply_to),
        "references": list(message.references),
        "content_type": message.content_type,
        "automated": reason is not None,
        "automated_reason": reason,
        "counterpart": counterpart_reason is None,
        "counterpart_reason": counterpart_reason,
        "acknowledgement_only": ack,
        "text": message.text,
        "charset_repairs": list(message.charset_repairs),
        "defects": list(message.defects),
        "incident": incident_explained(incident, rules_in_force.incident, adjustments),
        "report_stages": report_stages,
        "promises": promises,
        # Were this message mine: what it asks the client for (SPEC §5 awaiting).
        "requests": [_request(request)] if request is not None else [],
        "invitation": _invitation(invitation) if invitation is not None else None,
        # None, or how many bytes of a longer input were explained.
        "explained_prefix_bytes": MAX_EXPLAIN_BYTES if cut else None,
    }


def incident_explained(
    incident: IncidentScore, rules: IncidentRules, adjustments: Adjustments
) -> dict[str, Any]:
    """The incident part of ``explain --json``: the score, every signal that fired with its
    weight and reason, the threshold, and the owner's adjustments that changed the score.

    ``keywords`` is what the store keeps: each signal encoded ``"name:evidence=weight"``.
    """
    why = {rule.name: (rule.kind, rule.why) for rule in rules.signals}
    rescored = adjustments.rescore(incident.score, incident.keywords)
    return {
        "score": incident.score,
        "keywords": list(incident.keywords),
        "threshold": rules.threshold,
        "subject_weight": rules.subject_weight,
        "signals": [
            {
                "name": signal.name,
                "kind": why.get(signal.name, ("keyword", ""))[0],
                "evidence": signal.evidence,
                "where": signal.where,
                "weight": signal.weight,
                "why": why.get(signal.name, ("", "a weighted keyword"))[1],
            }
            for signal in incident.signals
        ],
        "adjustments": [
            {
                "signal": a.key,
                "factor": a.factor,
                "dismissed": a.dismissed,
                "marked_incident": a.marked,
            }
            for a in rescored.applied
        ],
        "adjusted_score": rescored.score,
        # Machine-sent mail scores nothing; the threshold is met or not after adjustment.
        "opens": bool(incident.signals) and rescored.score >= rules.threshold,
    }


def display_lines(result: dict[str, Any]) -> list[str]:
    """``explain_message``'s result for a person: one ``key: value`` line per field and the
    text indented, strangers' text neutralised (``--json`` prints ``result`` itself, raw).

    A bidi override or control character in a subject would otherwise reorder or colour
    the owner's terminal; a note names the fields that held one, since ``explain`` is where
    the owner looks to see what a mail really holds.
    """
    lines: list[str] = []
    prefix = result.get("explained_prefix_bytes")
    if prefix:
        lines.append(
            f"note: the file is larger than {prefix // _MIB} MiB; "
            f"explained from its first {prefix // _MIB} MiB"
        )
    altered: list[str] = []
    body: list[str] = []
    for key, value in result.items():
        if key == "explained_prefix_bytes":
            continue
        if key == "text":
            body.append("text:")
            for line in str(value).splitlines():
                clean = neutralised(line, multiline=True)
                if clean != line and key not in altered:
                    altered.append(key)
                body.append(f"  | {clean}")
            continue
        clean_value = _neutralised_values(value)
        if clean_value != value:
            altered.append(key)
        body.append(f"{key}: {json.dumps(clean_value, ensure_ascii=False)}")
    if altered:
        lines.append(
            "note: invisible, bidi or control characters not shown in: " + ", ".join(altered)
        )
    return lines + body


def _neutralised_values(value: Any) -> Any:
    # Spacing kept (multiline): explain shows a value as it is, less only what hides.
    if isinstance(value, str):
        return neutralised(value, multiline=True)
    if isinstance(value, dict):
        return {key: _neutralised_values(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_neutralised_values(item) for item in value]
    return value

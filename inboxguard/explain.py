"""`inboxguard explain FILE.eml`: how one message is read, with the reasons (SPEC §10).

It reads no store and no mailbox: the message is parsed and classified by the functions
the cycle uses, so what it prints is what the cycle would decide of that message.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from inboxguard.domain.automation import AutomationRules, automated_reason
from inboxguard.domain.incidents import incident_for
from inboxguard.domain.message import Address
from inboxguard.domain.promises import find_promises
from inboxguard.domain.tracked import FolderRole, TrackedMessage
from inboxguard.parse import parse_message
from inboxguard.rules import load_rules
from inboxguard.service.context import Context
from inboxguard.service.text_facts import decide


def _address(address: Address) -> dict[str, str]:
    return {"name": address.name, "address": address.address}


def explain_message(raw: bytes, ctx: Context | None, *, now: datetime) -> dict[str, Any]:
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
    else:
        counterpart_reason = "no configuration: owner addresses unknown"
        ack = False
        promises = []
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
        "incident": {"score": incident.score, "keywords": list(incident.keywords)},
        "report_stages": report_stages,
        "promises": promises,
    }

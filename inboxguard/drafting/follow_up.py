"""The follow-up draft (催促): what I asked a client for has not come by the date I asked.

Polite and without blame, the way the practice asks: it names what was asked and when,
asks again with a new date, and quotes my own message that asked. Sent, its 「〇日までに
ご確認いただけますと幸いです」 is itself a date I ask for, so the thread waits again.
"""

from __future__ import annotations

from email.message import EmailMessage

from inboxguard.domain.display import neutralised
from inboxguard.domain.tracked import Request
from inboxguard.drafting.dates import format_promise_date
from inboxguard.drafting.reply_draft import ReplyDraftInput, attribution_date, build_reply_draft
from inboxguard.drafting.templates import TemplateRenderer

PURPOSE = "follow_up"
# What was asked for, quoted into the sentence: a noun phrase, never a paragraph.
MAX_WHAT_CHARS = 60


def build_follow_up(
    inp: ReplyDraftInput, templates: TemplateRenderer, *, request: Request | None
) -> EmailMessage:
    """The 催促 for ``request`` (my message that asked is ``inp.original``); the date asked
    for anew is ``inp.promised_date``."""
    what = " ".join(neutralised(request.what).split())[:MAX_WHAT_CHARS] if request else ""
    extra: dict[str, object] = {
        "asked_what": what or None,
        "asked_at": attribution_date(inp.original_received.astimezone(inp.tz), inp.language),
        # The date I had asked for (None for a question without one).
        "asked_date": (
            format_promise_date(request.date, inp.language)
            if request is not None and request.date is not None
            else None
        ),
    }
    return build_reply_draft(
        inp, templates, template=f"follow_up.{inp.language}.txt.j2", purpose=PURPOSE, extra=extra
    )

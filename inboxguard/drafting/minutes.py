"""The 議事録 skeleton drafted when a meeting with a client ends (SPEC §6 Meetings).

The practice: minutes the same day, with 決定事項 / 未決定事項 / 次のアクション（担当・期限）, and
a closing 「本メールをもって合意とさせていただきます。相違点がございましたら〇月〇日(〇)までに
ご指摘ください。」 — the date asks for objections, so once sent the thread waits on them. The
skeleton fills in what InboxGuard knows (when, who) and leaves the facts to the owner. It
is a reply in the meeting's thread (under its invitation), to the attendees, never to me.
"""

from __future__ import annotations

from email.message import EmailMessage

from inboxguard.domain.display import neutralised
from inboxguard.domain.meetings import Sitting
from inboxguard.domain.message import Address
from inboxguard.drafting.dates import format_promise_date
from inboxguard.drafting.reply_draft import ReplyDraftInput, attribution_date, build_reply_draft
from inboxguard.drafting.templates import TemplateRenderer

PURPOSE = "minutes"
MAX_NAMED = 3  # more attendees than this: 「関係者各位」 / "Dear all"
MAX_LINE_CHARS = 200


def build_minutes(
    inp: ReplyDraftInput,
    templates: TemplateRenderer,
    *,
    sitting: Sitting,
    reply_by: bool,
) -> EmailMessage:
    """The skeleton for ``sitting``; with ``reply_by``, ``inp.promised_date`` is the date
    objections are asked by."""
    start = sitting.occurrence.start.astimezone(inp.tz)
    end = sitting.occurrence.end.astimezone(inp.tz)
    people = [inp.counterpart, *(a for a in inp.recipients if a.address != inp.counterpart.address)]
    extra: dict[str, object] = {
        "meeting_summary": _line(sitting.meeting.summary) or _line(inp.original.subject),
        "meeting_when": f"{attribution_date(start, inp.language)}–{end:%H:%M}",
        "attendees": [_person(a) for a in people],
        "addressees": [_person(a, name_only=True) for a in people[:MAX_NAMED]]
        if len(people) <= MAX_NAMED
        else [],
        "reply_by": format_promise_date(inp.promised_date, inp.language) if reply_by else None,
    }
    summary = str(extra["meeting_summary"])
    day = format_promise_date(start.date(), inp.language)
    subject = (
        f"【議事録】{summary}（{day}）" if inp.language == "ja" else f"Minutes: {summary} ({day})"
    )
    return build_reply_draft(
        inp,
        templates,
        template=f"minutes.{inp.language}.txt.j2",
        purpose=PURPOSE,
        extra=extra,
        subject=subject,
    )


def _line(text: str) -> str:
    return " ".join(neutralised(text).split())[:MAX_LINE_CHARS]


def _person(address: Address, *, name_only: bool = False) -> str:
    name = _line(address.name)
    if name_only:
        return name or address.address.partition("@")[0]
    return f"{name} <{address.address}>" if name else address.address

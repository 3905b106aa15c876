"""From a backend's header block (and, when needed, a bounded text prefix) to a
``TrackedMessage``: the one place where message text is read, and then dropped."""

from __future__ import annotations

from datetime import datetime

import structlog

from inboxguard.backends.base import FetchedHeaders, Folder, MailBackend
from inboxguard.domain.automation import automated_reason
from inboxguard.domain.message import Message
from inboxguard.domain.promises import earliest_promise
from inboxguard.domain.threading import thread_index_root
from inboxguard.domain.tracked import FolderRole, TrackedMessage
from inboxguard.parse import parse_message
from inboxguard.service.context import Context

log = structlog.get_logger(__name__)

# Enough for the new text of any human reply, with the usual multipart preamble before it.
TEXT_PREFIX_BYTES = 128 * 1024


def needs_text(message: Message, role: FolderRole, automated: str | None) -> bool:
    """Text is fetched only where a rule reads it: acknowledgements and promises."""
    return role is not FolderRole.DRAFTS and automated is None


def ingest(
    ctx: Context,
    backend: MailBackend,
    folder: Folder,
    fetched: FetchedHeaders,
    *,
    now: datetime,
) -> TrackedMessage:
    headers = parse_message(fetched.header_bytes)
    automated = automated_reason(headers, ctx.rules.automation)
    date = headers.effective_date(fetched.received_at, now)
    text = ""
    defects = list(headers.defects)
    if needs_text(headers, folder.role, automated):
        full = parse_message(backend.fetch_text(folder, fetched.uid, max_bytes=TEXT_PREFIX_BYTES))
        text = full.text
        defects.extend(full.defects)
    mine = ctx.identity.is_me(headers.sender)
    if defects or headers.message_id_synthesized or headers.date is None:
        log.warning(
            "message read with defects",
            account=backend.account,
            folder=folder.name,
            uid=fetched.uid,
            defects=defects[:5],
            synthesized_message_id=headers.message_id_synthesized,
            missing_date=headers.date is None,
        )
    return TrackedMessage.from_message(
        headers,
        account=backend.account,
        folder=folder.name,
        uid=fetched.uid,
        role=folder.role,
        date=date,
        provider_thread_id=fetched.provider_thread_id or thread_index_root(headers.thread_index),
        automated_reason=automated,
        ack_only=(not mine) and ctx.rules.acknowledgements.is_acknowledgement(text),
        promise=earliest_promise(text, date, ctx.calendar) if mine else None,
        keywords=fetched.keywords,
    )

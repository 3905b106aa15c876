"""From a backend's header blocks to ``TrackedMessage``s (headers only).

Each header block is parsed once. Whether a message is mine, automated or a counterpart's
is decided here; what only its text can tell (acknowledgement, promise) is decided later,
and only for the messages where it still matters (``text_facts``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import structlog

from inboxguard.backends.base import FetchedHeaders, Folder, MailBackend
from inboxguard.domain.automation import automated_reason
from inboxguard.domain.threading import thread_index_root
from inboxguard.domain.tracked import TrackedMessage
from inboxguard.parse import parse_message
from inboxguard.service.context import Context
from inboxguard.service.text_facts import needs_no_text

log = structlog.get_logger(__name__)


def ingest_batch(
    ctx: Context,
    backend: MailBackend,
    folder: Folder,
    batch: Sequence[FetchedHeaders],
    *,
    now: datetime,
) -> list[TrackedMessage]:
    return [_track(ctx, backend.account, folder, item, now=now) for item in batch]


def _track(
    ctx: Context, account: str, folder: Folder, item: FetchedHeaders, *, now: datetime
) -> TrackedMessage:
    message = parse_message(item.header_bytes)
    automated = automated_reason(message, ctx.rules.automation)
    date = message.effective_date(item.received_at, now)
    if message.defects or message.message_id_synthesized or message.date is None:
        log.warning(
            "message read with defects",
            account=account,
            folder=folder.name,
            uid=item.uid,
            defects=list(message.defects[:5]),
            synthesized_message_id=message.message_id_synthesized,
            missing_date=message.date is None,
        )
    return TrackedMessage.from_message(
        message,
        account=account,
        folder=folder.name,
        uid=item.uid,
        role=folder.role,
        date=date,
        provider_thread_id=item.provider_thread_id or thread_index_root(message.thread_index),
        automated_reason=automated,
        keywords=item.keywords,
        text_read=needs_no_text(folder.role, automated),
    )

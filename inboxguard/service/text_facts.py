"""Reading message text only where it can still decide something (SPEC §13).

A header tells whether a message is mine, automated or a counterpart's; only the *text*
tells whether a counterpart merely acknowledged, or whether I promised a date. Those facts
matter for few messages: my latest message in a thread (its promise), and the counterpart
messages after it (acknowledgement-only or not). Older messages are superseded, so on a
first scan of a large mailbox most texts are never fetched. A message whose text was not
read counts as "not an acknowledgement, no promise": the conservative reading, which never
hides a thread that needs an answer.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace

from inboxguard.backends.base import Folder, MailBackend
from inboxguard.domain.identity import Identity
from inboxguard.domain.promises import earliest_promise
from inboxguard.domain.threading import Thread
from inboxguard.domain.tracked import FolderRole, TextFacts, TrackedMessage
from inboxguard.parse import parse_text
from inboxguard.service.context import Context

# Enough for the new text of any human reply, with the usual multipart preamble before it.
TEXT_PREFIX_BYTES = 64 * 1024


def deciding_messages(threads: Iterable[Thread], identity: Identity) -> list[TrackedMessage]:
    """Unread messages whose text can change a thread's state."""
    wanted = []
    for thread in threads:
        live = [m for m in thread.messages if m.role is not FolderRole.DRAFTS]
        last_mine = max((i for i, m in enumerate(live) if identity.is_mine(m)), default=None)
        if last_mine is not None and not live[last_mine].text_read:
            wanted.append(live[last_mine])
        after = live[last_mine + 1 :] if last_mine is not None else live
        wanted.extend(m for m in after if not m.text_read and identity.is_counterpart(m))
    return wanted


def read_facts(
    ctx: Context, backend: MailBackend, messages: Sequence[TrackedMessage]
) -> list[TextFacts]:
    """Fetch the texts (batched per folder) and decide the text facts of each message."""
    by_folder: dict[tuple[str, FolderRole], list[TrackedMessage]] = defaultdict(list)
    for message in messages:
        by_folder[(message.folder, message.role)].append(message)
    facts = []
    for (name, role), group in by_folder.items():
        by_uid = {m.uid: m for m in group}
        uids = list(by_uid)
        for uid, raw in backend.fetch_texts(Folder(name, role), uids, max_bytes=TEXT_PREFIX_BYTES):
            facts.append(decide(ctx, by_uid[uid], parse_text(raw).text if raw else ""))
    return facts


def decide(ctx: Context, message: TrackedMessage, text: str) -> TextFacts:
    mine = ctx.identity.is_mine(message)
    return TextFacts(
        folder=message.folder,
        uid=message.uid,
        ack_only=(not mine) and ctx.rules.acknowledgements.is_acknowledgement(text),
        promise=earliest_promise(text, message.date, ctx.calendar) if mine else None,
    )


def needs_no_text(role: FolderRole, automated: str | None) -> bool:
    """Messages whose facts are final without text: drafts and automated mail."""
    return role is FolderRole.DRAFTS or automated is not None


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
    return replace(message, ack_only=fact.ack_only, promise=fact.promise, text_read=True)

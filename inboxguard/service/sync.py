"""Reading a mailbox into the store: what is new in each folder, then the texts that still
decide something (SPEC §13: new mail costs in proportion to the new mail).

A folder's marker moves only with its last batch, and every batch is stored before the
next is read, so a cycle stopped (or killed) half-way reads only what is not stored yet.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from itertools import islice

from inboxguard.backends.base import MailBackend
from inboxguard.domain.draft_ids import is_ours
from inboxguard.domain.marks import Mark, MarkAction
from inboxguard.domain.threading import Thread
from inboxguard.domain.tracked import TextFacts, TrackedMessage
from inboxguard.service.context import Context
from inboxguard.service.ingest import ingest_batch
from inboxguard.service.text_facts import (
    deciding_messages,
    read_facts,
    report_messages,
    with_facts,
)
from inboxguard.store import StateStore

BATCH = 500  # messages per transaction on a long first scan
# New messages carried to the incremental assessment; past this many, the whole snapshot
# is assessed anyway (a first scan), so holding them twice would buy nothing.
CARRIED = 5_000
TEXT_CHUNK = 200  # texts read between two looks at a stop request
Progress = Callable[[str, int, int], None]  # (what, done, total)
StopRequested = Callable[[], bool]


class CycleInterrupted(Exception):
    """The service is stopping: the cycle ends at a point where nothing is half-written."""


@dataclass(slots=True)
class SyncOutcome:
    """What one poll read into the store."""

    new_messages: int = 0  # the owner's news: our own drafts read back do not count
    changed: bool = False  # any folder changed at all
    added: list[TrackedMessage] = field(default_factory=list)  # every message stored
    # Messages vanished, a folder reset, keywords changed: an earlier assessment of the
    # account's threads cannot be carried forward (``incremental``), only redone.
    reshaped: bool = False


def sync_account(
    ctx: Context,
    store: StateStore,
    backend: MailBackend,
    *,
    now: datetime,
    progress: Progress | None = None,
    should_stop: StopRequested | None = None,
) -> SyncOutcome:
    """Read what is new in every folder into the store."""
    account = backend.account
    outcome = SyncOutcome()
    for folder in backend.folders():
        check_stop(should_stop)
        marker = store.folder_marker(account, folder.name)
        changes = backend.changes(
            folder,
            marker,
            since=now - ctx.lookback,
            known_uids=partial(store.known_uids, account, folder.name),
        )
        encoded = changes.marker.encode()
        if changes.unchanged:
            if marker != encoded:
                store.apply_folder_sync(account, folder.name, marker=encoded, added=(), at=now)
            continue
        outcome.changed = True
        if changes.vanished_uids or changes.reset or changes.keyword_updates:
            outcome.reshaped = True
        # Before the marker moves (with the last batch below): a crash in between reads
        # the same flag changes again, and applying them twice changes nothing.
        store.update_keywords(account, folder.name, changes.keyword_updates)
        uids = list(changes.new_uids)
        fetched = backend.fetch_headers(folder, uids)
        first = True
        done = 0
        while True:
            batch = ingest_batch(ctx, backend, folder, list(islice(fetched, BATCH)), now=now)
            done += len(batch)
            last = done >= len(uids) or not batch
            store.apply_folder_sync(
                account,
                folder.name,
                marker=encoded if last else None,
                added=batch,
                removed=changes.vanished_uids if first else (),
                replace_all=changes.reset and first,
                at=now,
            )
            first = False
            # Our own drafts, read back from Drafts, are not news to the owner.
            outcome.new_messages += sum(1 for m in batch if not is_ours(m.message_id))
            if not outcome.reshaped:
                outcome.added.extend(batch)
                if len(outcome.added) > CARRIED:
                    outcome.added, outcome.reshaped = [], True
            if progress is not None:
                progress(f"{account}/{folder.name}", done, len(uids))
            if last:
                break
            # The folder's marker moves only with its last batch: the next cycle reads
            # only the messages not stored yet.
            check_stop(should_stop)
    return outcome


def read_deciding_texts(
    ctx: Context,
    store: StateStore,
    backend: MailBackend,
    threads: list[Thread],
    marks: Sequence[Mark],
    *,
    now: datetime,
    should_stop: StopRequested | None = None,
) -> list[Thread]:
    """Read the texts that decide states and incidents, in two rounds: the counterpart's
    scores first, then my reports in the threads those scores (or marks) made incidents."""
    marked = {m.thread_id for m in marks if m.action is MarkAction.INCIDENT}
    rounds: list[tuple[Callable[[list[Thread]], list[TrackedMessage]], bool]] = [
        (lambda ts: deciding_messages(ts, ctx.identity, now), False),
        (
            lambda ts: report_messages(
                ts, ctx.identity, now, threshold=ctx.rules.incident.threshold, marked=marked
            ),
            True,
        ),
    ]
    for wanted_in, reports in rounds:
        wanted = wanted_in(threads)
        read: list[TextFacts] = []
        # In chunks, each one stored: a first scan stopped half-way does not read again.
        for start in range(0, len(wanted), TEXT_CHUNK):
            check_stop(should_stop)
            chunk = wanted[start : start + TEXT_CHUNK]
            facts = read_facts(ctx, backend, chunk, reports=reports)
            store.apply_text_facts(backend.account, facts)
            read.extend(facts)
        # Applied once a round (the next round reads them), not once a chunk: rebuilding
        # every thread of the window per chunk made a first scan quadratic.
        threads = with_facts(threads, read)
    return threads


def check_stop(should_stop: StopRequested | None) -> None:
    if should_stop is not None and should_stop():
        raise CycleInterrupted

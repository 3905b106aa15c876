"""One cycle per account: sync → assess → act → record, under that account's lock.

For each account, under its lock (a second process waits a few seconds, then skips it):
read what is new into the store, take a snapshot, read the texts that still decide
something, assess (pure domain code), then for each draft owed: claim it in the ledger,
search Drafts for it, append it, settle the claim. One error boundary per account: a
broken mailbox or a failing store ends that account's cycle with one line, is recorded
for `status` and the digest when the store can record it, and the other accounts go on.

"Never twice" is the ledger's: a draft is claimed (a unique row) before its APPEND, in the
transaction that checks for it. A claim whose APPEND outcome is unknown (killed, cut
connection) is settled on the next cycle by the Message-ID search, never by a blind
second APPEND.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import structlog

from inboxguard.backends.base import Folder, MailBackend, OutgoingDraft, ReplyTarget
from inboxguard.domain.assessment import ThreadAssessment, assess, threads_of
from inboxguard.domain.drafts import DraftRecord, DraftStatus
from inboxguard.domain.duties import DraftDuty
from inboxguard.domain.snapshot import AccountSnapshot
from inboxguard.domain.threading import Thread
from inboxguard.domain.tracked import FolderRole
from inboxguard.drafting.compose import compose_draft
from inboxguard.drafting.templates import TemplateRenderer, text_renderer
from inboxguard.errors import AccountBusyError, InboxGuardError
from inboxguard.parse import parse_message
from inboxguard.service import cycle_records
from inboxguard.service.alerting import after_assessment
from inboxguard.service.assessing import EvaluationCache
from inboxguard.service.backoff import retry_delay
from inboxguard.service.context import Context
from inboxguard.service.incremental import AccountView, as_assigned, full_view
from inboxguard.service.sync import (
    CycleInterrupted,
    Progress,
    StopRequested,
    SyncOutcome,
    check_stop,
    read_deciding_texts,
    sync_account,
)
from inboxguard.service.text_facts import TEXT_PREFIX_BYTES
from inboxguard.store import EpisodeRow, StateStore

log = structlog.get_logger(__name__)

# Messages stay a little past the window so a thread straddling its edge keeps its start;
# response episodes stay long enough for the digest's 30-day statistics.
PRUNE_MARGIN = timedelta(days=7)
STATISTICS_KEPT = timedelta(days=90)
# How long a second process waits for an account's cycle before it skips the account.
LOCK_WAIT = 5.0
WallClock = Callable[[], datetime]


@dataclass(slots=True)
class AccountResult:
    account: str
    error: str | None = None
    new_messages: int = 0
    drafts_written: list[DraftRecord] = field(default_factory=list)
    # Owed drafts already in Drafts (an earlier process appended them, or a lost store):
    # recorded, not written again.
    drafts_found: list[DraftRecord] = field(default_factory=list)
    states: Counter[str] = field(default_factory=Counter)
    # Not polled: an earlier failure set a retry time still ahead (not an error in itself).
    skipped_until: datetime | None = None
    busy: bool = False  # another process holds this account's cycle: skipped, not an error
    evaluated: bool = True  # False: nothing new and the last assessment still held
    retry_at: datetime | None = None  # after a failure: when the account is tried again
    interrupted: bool = False  # stopped part-way for a shutdown; resumes next start

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def skipped(self) -> bool:
        return self.skipped_until is not None or self.busy


@dataclass(frozen=True, slots=True)
class _Cycle:
    """What one cycle of one account works with."""

    ctx: Context
    store: StateStore
    backend: MailBackend
    now: datetime
    templates: TemplateRenderer | None  # None: read and assess only (`status`)
    progress: Progress | None
    cache: EvaluationCache | None
    should_stop: StopRequested | None
    wall_clock: WallClock
    honour_backoff: bool = True


def run_cycle(
    ctx: Context,
    store: StateStore,
    backends: Sequence[MailBackend],
    *,
    now: datetime,
    write_drafts: bool = True,
    progress: Progress | None = None,
    cache: EvaluationCache | None = None,
    should_stop: StopRequested | None = None,
    lock_wait: float = LOCK_WAIT,
    wall_clock: WallClock = lambda: datetime.now(UTC),
    honour_backoff: bool = True,
) -> list[AccountResult]:
    """One cycle per backend. ``write_drafts``: the service's cycle (drafts, pruning);
    without it only reading and assessing (`status`). ``should_stop`` is asked between
    batches: when it says yes, the account's cycle ends there (what was read is kept) and
    the remaining accounts are not polled. ``honour_backoff`` False: a person asked now
    (`run --once` after fixing a password), so an account backing off is tried anyway."""
    templates = text_renderer(ctx.config.templates_dir) if write_drafts else None
    results = []
    for backend in backends:
        if should_stop is not None and should_stop():
            break
        cycle = _Cycle(
            ctx,
            store,
            backend,
            now,
            templates,
            progress,
            cache,
            should_stop,
            wall_clock,
            honour_backoff=honour_backoff,
        )
        result = one_account(cycle, lock_wait=lock_wait)
        results.append(result)
        if result.interrupted:
            break
    return results


def one_account(cycle: _Cycle, *, lock_wait: float) -> AccountResult:
    """The account's error boundary: whatever happens, one result and no traceback."""
    account = cycle.backend.account
    result = AccountResult(account)
    try:
        with cycle.store.account_lock(account, wait=lock_wait):
            _locked(cycle, result)
    except AccountBusyError:
        result.busy = True
        log.info("another cycle is running; skipped", account=account)
    except CycleInterrupted:
        result.interrupted = True
        log.info("cycle interrupted for shutdown", account=account)
    except InboxGuardError as exc:  # the store could not even record the failure
        result.error = str(exc)
        log.error("account cycle failed", account=account, error=result.error)
    except Exception as exc:  # a defect of ours: one line for the user, details at debug
        result.error = f"unexpected {type(exc).__name__}"
        log.error("account cycle failed", account=account, error=result.error)
        log.debug("account cycle failed", account=account, exc_info=True)
    return result


def _locked(cycle: _Cycle, result: AccountResult) -> None:
    store, account, now = cycle.store, cycle.backend.account, cycle.now
    health = store.account_health(account)
    if (
        cycle.honour_backoff
        and health is not None
        and health.next_attempt_at is not None
        and health.next_attempt_at > now
    ):
        result.skipped_until = health.next_attempt_at
        log.info(
            "account backing off; not polled this cycle",
            account=account,
            until=health.next_attempt_at.isoformat(),
            last_error=health.last_error,
        )
        return
    failure: BaseException | None = None
    try:
        with cycle.backend:
            _sync_assess_act(cycle, result)
    except CycleInterrupted:
        raise
    except InboxGuardError as exc:
        result.error, failure = str(exc), exc
    except Exception as exc:  # one account's failure must not stop the others
        result.error, failure = f"unexpected {type(exc).__name__}", exc
        log.debug("account cycle failed", account=account, exc_info=True)
    if result.error:
        failures = (health.consecutive_failures if health is not None else 0) + 1
        result.retry_at = now + retry_delay(failure, failures)
        log.error(
            "account cycle failed",
            account=account,
            error=result.error,
            retry_at=result.retry_at.isoformat(),
        )
    store.record_poll(account, at=now, error=result.error, next_attempt_at=result.retry_at)
    if not result.error:
        # Every two minutes per account: worth an info line only when something happened.
        eventful = result.new_messages or result.drafts_written or result.drafts_found
        (log.info if eventful else log.debug)(
            "account cycle done",
            account=account,
            new_messages=result.new_messages,
            drafts_written=len(result.drafts_written),
            drafts_found=len(result.drafts_found),
            **dict(result.states),
        )


def _sync_assess_act(cycle: _Cycle, result: AccountResult) -> None:
    """Read what is new, read the texts that decide something, assess, write drafts.

    With a cache (the long-running service), a poll with nothing new costs one status
    answer per folder until a thread's next change, and a poll with new mail reassesses
    only the threads it touched (``incremental``); otherwise the whole window is assessed.
    """
    ctx, store, account, now, cache = (
        cycle.ctx,
        cycle.store,
        cycle.backend.account,
        cycle.now,
        cycle.cache,
    )
    synced = sync_account(
        ctx,
        store,
        cycle.backend,
        now=now,
        progress=cycle.progress,
        should_stop=cycle.should_stop,
    )
    result.new_messages = synced.new_messages
    view = _view_to_carry(cache, store, account, synced)
    if not synced.changed and _nothing_due(cycle, view):
        result.evaluated = False
        if cache is not None and view is not None:
            cache.remember(view)
        return
    snapshot, threads, replaced = _what_to_assess(cycle, view, synced)
    threads = read_deciding_texts(
        ctx, store, cycle.backend, threads, snapshot.marks, now=now, should_stop=cycle.should_stop
    )
    store.assign_threads(account, threads)
    if cache is not None:
        threads = as_assigned(threads)  # the view holds them as a snapshot would read them
    # Claims not settled yet (a cycle died between claim and settle) stay owed here, so the
    # act step settles them by a search; everywhere else a claim counts as written.
    settled = replace(snapshot, drafts=[d for d in snapshot.drafts if d.settled])
    # Reassessing some threads only: the facts across threads come from all the window.
    mail = view.mail(replaced, threads) if view is not None and replaced is not None else None
    reassessed = assess(settled, ctx.assessment, now, threads, mail=mail)
    _log_assessed(account, reassessed)
    store.save_episodes(account, episode_rows(account, reassessed))
    assessed = reassessed
    if cache is not None and cache.keep_views:
        view = _carried(cycle, view, replaced=replaced, threads=threads, reassessed=reassessed)
        assessed = view.all_assessed(now)
    result.states = Counter(a.status.state.value for a in assessed)
    if cycle.templates is not None:
        # The threads not reassessed had their duties done by the cycle that assessed them.
        for duty in (duty for a in reassessed for duty in a.duties):
            check_stop(cycle.should_stop)
            _act(cycle, duty, cycle.templates, result)
        _prune(cycle, snapshot, assessed)
        # Alerts say "a holding reply is in Drafts" of the drafts this very cycle wrote too.
        after_assessment(ctx, store, account, _with_drafts(assessed, result), now)
    if cache is not None and view is not None:
        _with_ledger(cycle, view, result)
        cache.remember(view)
    if cycle.templates is not None:
        # Only a cycle that acted on every duty may tell the next process nothing is due.
        cycle_records.record(ctx, store, account, now=now, assessed=assessed)


def _with_ledger(cycle: _Cycle, view: AccountView, result: AccountResult) -> None:
    """The threads this cycle wrote (or found) drafts for, assessed again with the ledger
    as it is now: the view holds no duty already done."""
    done = {d.thread_id for d in (*result.drafts_written, *result.drafts_found)}
    if not done:
        return
    store, account = cycle.store, cycle.backend.account
    threads = [view.threads[t] for t in done if t in view.threads]
    drafts = store.drafts(account)
    snapshot = AccountSnapshot(
        account, [], marks=store.marks(account), drafts=[d for d in drafts if d.settled]
    )
    reassessed = assess(
        snapshot, cycle.ctx.assessment, cycle.now, threads, mail=view.mail(done, threads)
    )
    view.replace_threads(done, threads, reassessed, cycle.ctx.assessment.identity.other_party)


def _view_to_carry(
    cache: EvaluationCache | None, store: StateStore, account: str, synced: SyncOutcome
) -> AccountView | None:
    """The last assessment, when this poll can carry it forward: kept by the service, no
    mark made since (another process's `mark`), and no message vanished or re-read."""
    if cache is None:
        return None
    view = cache.take(account, store.last_mark_id(account))
    return None if view is None or synced.reshaped else view


def _nothing_due(cycle: _Cycle, view: AccountView | None) -> bool:
    """No folder changed, and the last assessment holds at ``now``: this process's view,
    or (a fresh process) the store's record of the last cycle that acted."""
    if view is not None:
        until = view.next_change_at()
        return until is None or cycle.now < until
    if cycle.cache is None or cycle.templates is None:
        # No cache: a caller that wants every thread assessed (`status`, a test); only a
        # cycle that acts, and whose caller delivers held alerts (after_poll), skips.
        return False
    return cycle_records.still_holds(cycle.ctx, cycle.store, cycle.backend.account, cycle.now)


def _what_to_assess(
    cycle: _Cycle, view: AccountView | None, synced: SyncOutcome
) -> tuple[AccountSnapshot, list[Thread], frozenset[str] | None]:
    """The snapshot and threads to assess, and the thread ids they replace in the view
    (None: the whole window, every thread)."""
    ctx, store, account, now = cycle.ctx, cycle.store, cycle.backend.account, cycle.now
    other_party = ctx.assessment.identity.other_party
    if view is None:
        snapshot = store.snapshot(account, now - ctx.lookback)
        return snapshot, threads_of(snapshot, ctx.assessment), None
    rework = view.rework(synced.added, since=now - ctx.lookback, now=now, other_party=other_party)
    snapshot = AccountSnapshot(
        account, rework.messages, marks=store.marks(account), drafts=store.drafts(account)
    )
    return snapshot, view.rethread(rework, other_party), rework.replaced


def _carried(
    cycle: _Cycle,
    view: AccountView | None,
    *,
    replaced: frozenset[str] | None,
    threads: Sequence[Thread],
    reassessed: Sequence[ThreadAssessment],
) -> AccountView:
    """The view after this cycle: the reassessed threads in place of those they replace."""
    other_party = cycle.ctx.assessment.identity.other_party
    if view is None or replaced is None:
        last_mark = cycle.store.last_mark_id(cycle.backend.account)
        return full_view(cycle.backend.account, last_mark, threads, reassessed, other_party)
    view.replace_threads(replaced, threads, reassessed, other_party)
    return view


def _with_drafts(
    assessed: Sequence[ThreadAssessment], result: AccountResult
) -> list[ThreadAssessment]:
    new: dict[str, list[DraftRecord]] = {}
    for record in (*result.drafts_written, *result.drafts_found):
        new.setdefault(record.thread_id, []).append(record)
    if not new:
        return list(assessed)
    return [
        replace(a, drafts=(*a.drafts, *new[a.thread.id])) if a.thread.id in new else a
        for a in assessed
    ]


def _log_assessed(account: str, assessed: Sequence[ThreadAssessment]) -> None:
    """Every decision at debug level (subjects and addresses are allowed there only)."""
    if not logging.getLogger(__name__).isEnabledFor(logging.DEBUG):
        return
    for a in assessed:
        log.debug(
            "thread assessed",
            account=account,
            thread=a.thread.id,
            subject=a.thread.subject,
            counterpart=a.status.counterpart,
            state=a.status.state.value,
            reason=a.status.reason.code.value,
            clock_started_at=_iso(a.status.clock_started_at),
            due_at=_iso(a.status.due_at),
            backlog=a.backlog,
            incident=a.incident.state.value if a.incident is not None else None,
            owed=[d.purpose.value for d in a.duties],
            next_change_at=_iso(a.next_change_at),
        )


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _act(
    cycle: _Cycle, duty: DraftDuty, templates: TemplateRenderer, result: AccountResult
) -> None:
    """Claim, find, append, settle: one owed draft, at most once ever."""
    store, backend = cycle.store, cycle.backend
    claim = DraftRecord(
        message_id=duty.message_id,
        account=duty.account,
        thread_id=duty.thread_id,
        purpose=duty.purpose,
        clock_started_at=duty.anchor,
        created_at=cycle.now,
        folder=_drafts_folder(backend).name,
        status=DraftStatus.CLAIMED,
    )
    if store.claim_draft(claim) is None:
        existing = store.draft(duty.message_id)
        if existing is None or existing.settled:
            return  # the ledger has it: written, found, or deleted by the owner since
        # Our own claim from a cycle that died: whether its APPEND happened is unknown.
        claim = existing
    location = backend.find_draft(duty.message_id)
    if location is not None:
        store.settle_draft(duty.message_id, status=DraftStatus.FOUND, location=location)
        result.drafts_found.append(replace(claim, status=DraftStatus.FOUND, location=location))
        log.info("draft found in Drafts; recorded", account=duty.account, thread=duty.thread_id)
        return
    location = backend.append_draft(_outgoing(cycle, duty, templates))
    store.settle_draft(duty.message_id, status=DraftStatus.WRITTEN, location=location)
    result.drafts_written.append(replace(claim, status=DraftStatus.WRITTEN, location=location))
    log.info(
        "draft written", account=duty.account, thread=duty.thread_id, purpose=duty.purpose.value
    )


def _outgoing(cycle: _Cycle, duty: DraftDuty, templates: TemplateRenderer) -> OutgoingDraft:
    target = duty.reply_to
    folder = Folder(target.folder, target.role)
    raw = cycle.backend.fetch_text(folder, target.uid, max_bytes=TEXT_PREFIX_BYTES)
    owner = cycle.ctx.config.owner
    data = compose_draft(
        duty,
        parse_message(raw) if raw else None,
        owner_name=owner.name,
        owner_address=owner.addresses[0],
        signature=owner.signature or owner.name,
        default_language=owner.language,
        templates=templates,
        tz=cycle.ctx.calendar.tz,
        now=cycle.now,
    )
    reply_to = ReplyTarget(target.message_id, folder, target.uid, target.provider_thread_id)
    return OutgoingDraft(message_id=duty.message_id, raw=data, reply_to=reply_to)


def _drafts_folder(backend: MailBackend) -> Folder:
    return next(f for f in backend.folders() if f.role is FolderRole.DRAFTS)


def _prune(cycle: _Cycle, snapshot: AccountSnapshot, assessed: Sequence[ThreadAssessment]) -> None:
    """Forget mail that left the window, by the wall clock (a what-if far ahead must not
    empty the store), never a thread still open or holding an incident; the store keeps
    threads with a draft or a mark itself."""
    horizon = min(cycle.now, cycle.wall_clock())
    keep = {a.thread.id for a in assessed if a.needs_attention or a.incident is not None}
    cycle.store.prune(
        snapshot.account,
        messages_before=horizon - cycle.ctx.lookback - PRUNE_MARGIN,
        episodes_before=horizon - STATISTICS_KEPT,
        keep_threads=keep,
    )


def episode_rows(account: str, assessed: Iterable[ThreadAssessment]) -> Iterator[EpisodeRow]:
    """The response episodes for the statistics, as the assessment dated them."""
    for assessment in assessed:
        for episode in assessment.episodes:
            yield EpisodeRow(
                account=account,
                thread_id=assessment.thread.id,
                started_at=episode.started_at,
                answered_at=episode.answered_at,
                due_at=episode.due_at,
                counterpart=assessment.status.counterpart,
                client=assessment.client.name if assessment.client else None,
            )

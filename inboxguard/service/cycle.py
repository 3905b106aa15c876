"""One cycle for every account: poll → evaluate → act (drafts) → record.

Each account runs in its own error boundary: a broken mailbox ends that account's cycle,
is recorded with its time for `status` and the digest, and the other accounts carry on.
A draft (holding reply or incident report) is written at most once per (account, thread,
clock start or incident opening, purpose): recorded in the store, searched for in Drafts
before appending, and never written again, even when the owner deleted it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from itertools import islice

import structlog

from inboxguard.backends.base import Folder, MailBackend
from inboxguard.domain.incident_protocol import Incident, Stage
from inboxguard.domain.message import Address, Message
from inboxguard.domain.threading import Thread
from inboxguard.domain.tracked import FolderRole, TrackedMessage
from inboxguard.drafting.incident_report import build_incident_report, report_due_date
from inboxguard.drafting.message_ids import draft_message_id
from inboxguard.drafting.reply_draft import ReplyDraftInput, build_holding_reply, to_bytes
from inboxguard.drafting.templates import TemplateRenderer, text_renderer
from inboxguard.errors import InboxGuardError
from inboxguard.parse import parse_message
from inboxguard.service.backoff import retry_delay
from inboxguard.service.context import Context
from inboxguard.service.evaluation import (
    EvaluationCache,
    ThreadView,
    account_threads,
    evaluate_account,
    next_change_at,
)
from inboxguard.service.ingest import ingest_batch
from inboxguard.service.text_facts import (
    TEXT_PREFIX_BYTES,
    deciding_messages,
    read_facts,
    report_messages,
    with_facts,
)
from inboxguard.store import DraftRecord, StateStore
from inboxguard.store.state_store import EpisodeRow

log = structlog.get_logger(__name__)

BATCH = 500  # messages per transaction on a long first scan
# Messages stay a little past the window so a thread straddling its edge keeps its start;
# response episodes stay long enough for the digest's 30-day statistics.
PRUNE_MARGIN = timedelta(days=7)
STATISTICS_KEPT = timedelta(days=90)
Progress = Callable[[str, int, int], None]  # (what, done, total)
StopRequested = Callable[[], bool]
TEXT_CHUNK = 200  # texts read between two looks at a stop request


class CycleInterrupted(Exception):
    """The service is stopping: the cycle ends at a point where nothing is half-written."""


@dataclass(slots=True)
class AccountResult:
    account: str
    error: str | None = None
    new_messages: int = 0
    drafts_written: list[DraftRecord] = field(default_factory=list)
    states: Counter[str] = field(default_factory=Counter)
    # Not polled: an earlier failure set a retry time still ahead (not an error in itself).
    skipped_until: datetime | None = None
    evaluated: bool = True  # False: nothing new and the last evaluation still held
    retry_at: datetime | None = None  # after a failure: when the account is tried again
    interrupted: bool = False  # stopped part-way for a shutdown; resumes next start

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def skipped(self) -> bool:
        return self.skipped_until is not None


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
) -> list[AccountResult]:
    """One cycle per backend. ``should_stop`` is asked between batches: when it says yes,
    the account's cycle ends there (what was read is kept) and the remaining accounts are
    not polled."""
    templates = text_renderer(ctx.config.templates_dir)
    results = []
    for backend in backends:
        if should_stop is not None and should_stop():
            break
        result = AccountResult(backend.account)
        health = store.account_health(backend.account)
        if (
            health is not None
            and health.next_attempt_at is not None
            and health.next_attempt_at > now
        ):
            result.skipped_until = health.next_attempt_at
            log.info(
                "account backing off; not polled this cycle",
                account=backend.account,
                until=health.next_attempt_at.isoformat(),
                last_error=health.last_error,
            )
            results.append(result)
            continue
        failure: BaseException | None = None
        try:
            with backend:
                _poll_and_act(
                    ctx,
                    store,
                    backend,
                    result,
                    now=now,
                    templates=templates if write_drafts else None,
                    progress=progress,
                    cache=cache,
                    should_stop=should_stop,
                )
        except CycleInterrupted:
            result.interrupted = True
            log.info("cycle interrupted for shutdown", account=backend.account)
            results.append(result)
            break
        except InboxGuardError as exc:
            result.error = str(exc)
            failure = exc
        except Exception as exc:  # one account's failure must not stop the others
            result.error = f"unexpected {type(exc).__name__}"
            failure = exc
            log.exception("account cycle failed", account=backend.account)
        if result.error:
            failures = (health.consecutive_failures if health is not None else 0) + 1
            result.retry_at = now + retry_delay(failure, failures)
        store.record_poll(
            backend.account, at=now, error=result.error, next_attempt_at=result.retry_at
        )
        if result.error:
            log.error(
                "account cycle failed",
                account=backend.account,
                error=result.error,
                retry_at=result.retry_at.isoformat() if result.retry_at else None,
            )
        else:
            log.info(
                "account cycle done",
                account=backend.account,
                new_messages=result.new_messages,
                drafts_written=len(result.drafts_written),
                **dict(result.states),
            )
        results.append(result)
    return results


def _poll_and_act(
    ctx: Context,
    store: StateStore,
    backend: MailBackend,
    result: AccountResult,
    *,
    now: datetime,
    templates: TemplateRenderer | None,
    progress: Progress | None,
    cache: EvaluationCache | None,
    should_stop: StopRequested | None = None,
) -> None:
    """Read what is new, read the texts that decide something, evaluate, write drafts.

    With a cache (the long-running service) and nothing new in any folder, the last
    evaluation holds until the next instant a clock or promise crosses a line: the poll
    then costs one status answer per folder and nothing more.
    """
    account = backend.account
    result.new_messages, changed = sync_account(
        ctx, store, backend, now=now, progress=progress, should_stop=should_stop
    )
    last_mark = store.last_mark_id(account) if cache is not None else 0
    if cache is not None and not changed and cache.still_valid(account, now, last_mark):
        result.evaluated = False
        return
    store.prune(
        account,
        messages_before=now - ctx.lookback - PRUNE_MARGIN,
        episodes_before=now - STATISTICS_KEPT,
    )
    threads = account_threads(ctx, store, account, now)
    threads = _read_deciding_texts(ctx, store, backend, threads, now=now, should_stop=should_stop)
    store.assign_threads(account, threads)
    views = evaluate_account(ctx, store, account, now, threads)
    record_episodes(ctx, store, account, views)
    result.states = Counter(v.status.state.value for v in views)
    if templates is not None:
        result.drafts_written = write_drafts(ctx, store, backend, views, templates, now=now)
    if cache is not None:
        # Drafts just written change nothing until the next crossing either.
        cache.remember(account, next_change_at(ctx, views, now), last_mark)


def _read_deciding_texts(
    ctx: Context,
    store: StateStore,
    backend: MailBackend,
    threads: list[Thread],
    *,
    now: datetime,
    should_stop: StopRequested | None = None,
) -> list[Thread]:
    """Read the texts that decide states and incidents, in two rounds: the counterpart's
    scores first, then my reports in the threads those scores (or marks) made incidents."""
    account = backend.account
    marked = {m.thread_id for m in store.marks(account) if m.action == "incident"}
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
        # In chunks, each one stored: a first scan stopped half-way does not read again.
        for start in range(0, len(wanted), TEXT_CHUNK):
            _check_stop(should_stop)
            facts = read_facts(ctx, backend, wanted[start : start + TEXT_CHUNK], reports=reports)
            store.apply_text_facts(account, facts)
            threads = with_facts(threads, facts)
    return threads


def sync_account(
    ctx: Context,
    store: StateStore,
    backend: MailBackend,
    *,
    now: datetime,
    progress: Progress | None = None,
    should_stop: StopRequested | None = None,
) -> tuple[int, bool]:
    """Read what is new in every folder into the store: (new messages, anything changed)."""
    account = backend.account
    total_new = 0
    changed = False
    for folder in backend.folders():
        _check_stop(should_stop)
        marker = store.folder_marker(account, folder.name)
        changes = backend.changes(
            folder,
            marker,
            since=now - ctx.lookback,
            known_uids=partial(store.known_uids, account, folder.name),
        )
        if changes.unchanged:
            if marker != dict(changes.marker):
                store.apply_folder_sync(
                    account, folder.name, marker=changes.marker, added=(), at=now
                )
            continue
        changed = True
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
                marker=changes.marker if last else None,
                added=batch,
                removed=changes.vanished_uids if first else (),
                replace_all=changes.reset and first,
                at=now,
            )
            first = False
            total_new += len(batch)
            if progress is not None:
                progress(f"{account}/{folder.name}", done, len(uids))
            if last:
                break
            # The folder's marker moves only with its last batch: the next cycle reads
            # only the messages not stored yet.
            _check_stop(should_stop)
    return total_new, changed


def _check_stop(should_stop: StopRequested | None) -> None:
    if should_stop is not None and should_stop():
        raise CycleInterrupted


def record_episodes(
    ctx: Context, store: StateStore, account: str, views: Iterable[ThreadView]
) -> None:
    store.save_episodes(account, _episode_rows(ctx, account, views))


def _episode_rows(ctx: Context, account: str, views: Iterable[ThreadView]) -> Iterator[EpisodeRow]:
    for view in views:
        policy = ctx.policy_for(view.client)
        for episode in view.status.episodes:
            yield EpisodeRow(
                account=account,
                thread_id=view.thread.id,
                started_at=episode.started_at,
                answered_at=episode.answered_at,
                due_at=ctx.calendar.add(
                    episode.started_at, policy.reply_within, business=policy.business
                ),
                counterpart=view.status.counterpart,
                client=view.client.name if view.client else None,
            )


def owner_draft_in_thread(view: ThreadView, ctx: Context, ours: set[str]) -> TrackedMessage | None:
    """A draft the owner is already writing in this thread (not one of ours)."""
    for message in view.thread.messages:
        ours_or_foreign = (
            message.message_id in ours
            or message.message_id.startswith("<ig-")
            or not (ctx.identity.is_mine(message) or not message.sender.address)
        )
        if message.role is FolderRole.DRAFTS and not ours_or_foreign:
            return message
    return None


@dataclass(frozen=True, slots=True)
class DraftPlan:
    """A draft a thread is owed now: its purpose, the instant it counts from (clock start
    or incident opening), the message it replies to, and the incident stage if any."""

    view: ThreadView
    purpose: str
    anchor: datetime
    reply_to: TrackedMessage
    stage: Stage | None = None


def planned_drafts(view: ThreadView) -> list[DraftPlan]:
    """The drafts ``view`` is owed: the next incident report while an incident is open
    (the report is the answer, so no holding reply then), else a holding reply once the
    clock has run long enough."""
    incident = view.open_incident
    if incident is not None:
        stage = incident.next_stage
        reply_to = incident_reply_target(view, incident)
        if stage is None or reply_to is None:
            return []
        return [DraftPlan(view, stage.name.value, incident.opened_at, reply_to, stage.name)]
    status = view.status
    if (
        status.needs_holding_draft
        and status.clock_message is not None
        and status.clock_started_at is not None
    ):
        return [DraftPlan(view, "holding", status.clock_started_at, status.clock_message)]
    return []


def incident_reply_target(view: ThreadView, incident: Incident) -> TrackedMessage | None:
    """A report answers the client's latest message; the opening one, else any of theirs."""
    theirs = [
        m
        for m in view.thread.messages
        if m.role is not FolderRole.DRAFTS and view.status.counterpart == m.sender.address
    ]
    if theirs:
        return theirs[-1]
    return incident.opening_message


def write_drafts(
    ctx: Context,
    store: StateStore,
    backend: MailBackend,
    views: Sequence[ThreadView],
    templates: TemplateRenderer,
    *,
    now: datetime,
) -> list[DraftRecord]:
    """Append the drafts the threads are owed, each at most once (SPEC §6, §7)."""
    written = []
    ours = {d.message_id for d in store.drafts(backend.account)}
    drafts_folder = next(f for f in backend.folders() if f.role is FolderRole.DRAFTS)
    for view in views:
        for plan in planned_drafts(view):
            message_id = draft_message_id(
                backend.account, view.thread.id, plan.anchor, plan.purpose
            )
            if store.draft(message_id) is not None:
                continue  # written before (and perhaps deleted by the owner since): never again
            if plan.stage is None and owner_draft_in_thread(view, ctx, ours) is not None:
                log.info("owner already drafting a reply; no holding draft", thread=view.thread.id)
                continue
            location = backend.find_draft(message_id)
            if location is None:
                raw = _draft_bytes(ctx, backend, plan, templates, message_id, now=now)
                location = backend.append_draft(raw, message_id)
                log.info(
                    "draft written",
                    account=backend.account,
                    thread=view.thread.id,
                    purpose=plan.purpose,
                )
            else:
                log.info("draft found in Drafts; recording it", thread=view.thread.id)
            record = DraftRecord(
                message_id=message_id,
                account=backend.account,
                thread_id=view.thread.id,
                purpose=plan.purpose,
                clock_started_at=plan.anchor,
                created_at=now,
                folder=drafts_folder.name,
                location=location,
            )
            store.record_draft(record)
            written.append(record)
    return written


def _draft_bytes(
    ctx: Context,
    backend: MailBackend,
    plan: DraftPlan,
    templates: TemplateRenderer,
    message_id: str,
    *,
    now: datetime,
) -> bytes:
    target = plan.reply_to
    raw = backend.fetch_text(
        Folder(target.folder, target.role), target.uid, max_bytes=TEXT_PREFIX_BYTES
    )
    original = parse_message(raw) if raw else None
    if original is None or original.message_id != target.message_id:
        # The file moved or changed under us: quote nothing rather than the wrong mail.
        original = _stand_in(target)
    view = plan.view
    client = view.client
    owner = ctx.config.owner
    language = ctx.language_for(client)
    local_today = ctx.calendar.local(now).date()
    incident = view.open_incident
    if plan.stage is not None and incident is not None:
        promised = ctx.calendar.local(report_due_date(incident, plan.stage)).date()
    else:
        promised = ctx.calendar.add_business_days(local_today, ctx.config.sla.promise_business_days)
    inp = ReplyDraftInput(
        original=original,
        counterpart=target.sender,
        counterpart_display_name=_display_name(target.sender, client.honorific if client else None),
        company=client.company if client else None,
        owner_name=owner.name,
        owner_address=_my_address_in(target, ctx) or owner.addresses[0],
        signature=owner.signature or owner.name,
        language="ja" if language == "ja" else "en",
        promised_date=promised,
        message_id=message_id,
        now=now,
        tz=ctx.calendar.tz,
        original_received=target.date,
    )
    if plan.stage is not None and incident is not None:
        draft = build_incident_report(inp, templates, incident=incident, stage=plan.stage)
    else:
        draft = build_holding_reply(inp, templates)
    return to_bytes(draft, crlf=False)


def _display_name(sender: Address, honorific: str | None) -> str:
    if honorific:
        return honorific
    if sender.name:
        return sender.name
    return sender.address.partition("@")[0] or sender.address


def _my_address_in(message: TrackedMessage, ctx: Context) -> str | None:
    for address in (*message.to, *message.cc):
        if ctx.identity.is_me(address):
            return address.address
    return None


def _stand_in(clock: TrackedMessage) -> Message:
    return Message(
        message_id=clock.message_id,
        subject=clock.subject,
        sender=clock.sender,
        to=clock.to,
        cc=clock.cc,
        date=clock.date,
        in_reply_to=clock.in_reply_to,
        references=clock.references,
    )

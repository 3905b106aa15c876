"""Alerts from the service's polls: enqueue what became true, deliver what may go now.

After a cycle assessed an account (``after_assessment``, called by the cycle) and after
every poll (``after_poll``, called by the daemon and by ``run --once``):

1. **enqueue**: the events true at ``now`` (``domain.alert_events``) go into the store's
   outbox once per channel that wants them (its ``events``, its ``min_urgency``): one row
   per (channel, event key), an insert that does nothing the second time. Unsent events
   whose subject was settled meanwhile (the thread answered) are dropped.
2. **deliver**, per channel, all channels at once: everything waiting that may go now (not
   in the channel's quiet hours, unless high and ``quiet_high = "send"``; the channel not
   backing off) as ONE message; on success the rows are marked sent, on failure the
   channel backs off as accounts do (``backoff.retry_delay``) and one line is logged. A
   channel's delivery is held by one process at a time (a lock beside the store), so two
   polls never send the same rows.

Nothing here stops a cycle: the time a channel can take is bounded in ``alerts.sending``,
and a failure of the alerts is logged, not raised. A read-only store (a what-if) records
and sends nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Protocol

import structlog

from inboxguard.alerts.sending import SendOutcome, send
from inboxguard.alerts.wording import AlertMessage, compose, trial_message
from inboxguard.config import AlertChannelConfig
from inboxguard.credentials import resolve_alert_url
from inboxguard.domain.alert_events import (
    AlertEvent,
    AlertKind,
    Urgency,
    digest_failed_event,
    health_events,
    live_subjects,
    next_alert_change,
    thread_events,
)
from inboxguard.domain.assessment import ThreadAssessment
from inboxguard.errors import AccountBusyError, AlertChannelError, ConfigError, InboxGuardError
from inboxguard.log_setup import redact_text
from inboxguard.service.assessing import assess_account
from inboxguard.service.backoff import retry_delay
from inboxguard.service.context import Context
from inboxguard.service.status_view import short_ids
from inboxguard.store import StateStore

log = structlog.get_logger(__name__)

Sender = Callable[[str, AlertMessage], SendOutcome]

# Failures told longer ago than this get no recovery message (the owner has long known).
RECOVERY_WINDOW = timedelta(days=30)
# Sent and dropped rows are forgotten after this: long past anything they said being true
# again, so nothing is sent twice.
OUTBOX_KEPT = timedelta(days=90)
PRUNE_EVERY = timedelta(days=1)


class PollResult(Protocol):
    """What ``after_poll`` needs of an account's cycle (``cycle.AccountResult``)."""

    @property
    def account(self) -> str: ...

    @property
    def ok(self) -> bool: ...

    @property
    def evaluated(self) -> bool: ...

    @property
    def skipped(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class ChannelOutcome:
    channel: str
    sent: int = 0  # events in the message that went out
    waiting: int = 0  # events held: quiet hours, backing off, another process delivering
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class _ProcessState:
    """What one process remembers between polls (never needed for correctness across a
    restart: the store holds that): per account, the next instant an alert may arise with
    no new mail (the service's evaluation cache does not assess before its own next
    crossing), and when the outbox was last pruned."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._crossings: dict[tuple[str, str], datetime | None] = {}
        self._pruned: dict[str, datetime] = {}

    def remember_crossing(self, store: str, account: str, at: datetime | None) -> None:
        with self._lock:
            self._crossings[(store, account)] = at

    def crossing_passed(self, store: str, account: str, now: datetime) -> bool:
        with self._lock:
            at = self._crossings.get((store, account))
        return at is not None and now >= at

    def prune_due(self, store: str, now: datetime) -> bool:
        with self._lock:
            last = self._pruned.get(store)
            if last is not None and now - last < PRUNE_EVERY:
                return False
            self._pruned[store] = now
            return True


_process = _ProcessState()


def _active(ctx: Context, store: StateStore) -> bool:
    return bool(ctx.config.alerts) and not store.read_only


@contextmanager
def _contained(what: str) -> Iterator[None]:
    """Alerts never end a cycle or a poll: a failure is one line in the log."""
    try:
        yield
    except InboxGuardError as exc:
        log.error("alerts failed", step=what, error=str(exc))
    except Exception as exc:  # a defect of ours: one line, details at debug
        log.error("alerts failed", step=what, error=f"unexpected {type(exc).__name__}")
        log.debug("alerts failed", step=what, exc_info=True)


# -- the hooks -----------------------------------------------------------------------------


def after_assessment(
    ctx: Context,
    store: StateStore,
    account: str,
    assessed: Sequence[ThreadAssessment],
    now: datetime,
    *,
    sender: Sender = send,
) -> list[ChannelOutcome]:
    """The cycle assessed ``account``: enqueue its events (and any account's health
    events: this one is evidently reachable), then deliver."""
    if not _active(ctx, store):
        return []
    with _contained("enqueue"):
        _enqueue_account(ctx, store, account, assessed, now)
        enqueue(ctx, store, _health(ctx, store, now, healthy={account}), now)
        if _process.prune_due(store.name, now):
            # By the wall clock too, as the cycle prunes mail: a run far ahead of today
            # (INBOXGUARD_NOW) must not forget what today's runs need to send nothing twice.
            store.prune_alerts(before=min(now, datetime.now(UTC)) - OUTBOX_KEPT)
    with _contained("deliver"):
        return deliver(ctx, store, now, sender=sender)
    return []  # the delivery failed as a whole (logged)


def after_poll(
    ctx: Context,
    store: StateStore,
    now: datetime,
    results: Sequence[PollResult] = (),
    *,
    sender: Sender = send,
) -> list[ChannelOutcome]:
    """After a poll (the daemon) or a run (``run --once``): account health, the events of
    an account whose assessment the evaluation cache kept past an alert's instant, and
    whatever waits (quiet hours over, a channel's retry time come)."""
    if not _active(ctx, store):
        return []
    with _contained("enqueue"):
        for result in results:
            kept = result.ok and not result.skipped and not result.evaluated
            if kept and _process.crossing_passed(store.name, result.account, now):
                assessed = assess_account(ctx, store, result.account, now)
                _enqueue_account(ctx, store, result.account, assessed, now)
        healthy = {r.account for r in results if r.ok and not r.skipped}
        enqueue(ctx, store, _health(ctx, store, now, healthy=healthy), now)
    with _contained("deliver"):
        return deliver(ctx, store, now, sender=sender)
    return []  # the delivery failed as a whole (logged)


def digest_failed(
    ctx: Context, store: StateStore, *, day: date, now: datetime, error: str, sender: Sender = send
) -> None:
    """The digest of ``day`` could not be delivered: tell the owner once that day."""
    if not _active(ctx, store):
        return
    with _contained("digest"):
        enqueue(ctx, store, [digest_failed_event(day, redact_text(error))], now)
        deliver(ctx, store, now, sender=sender)


def _enqueue_account(
    ctx: Context,
    store: StateStore,
    account: str,
    assessed: Sequence[ThreadAssessment],
    now: datetime,
) -> None:
    enqueue(ctx, store, thread_events(assessed, now=now, calendar=ctx.calendar), now)
    dropped = store.drop_resolved_alerts(account, live_subjects(assessed), at=now)
    if dropped:
        log.info("alerts no longer true, not sent", account=account, dropped=dropped)
    crossing = next_alert_change(assessed, now=now, calendar=ctx.calendar)
    _process.remember_crossing(store.name, account, crossing)


def _health(
    ctx: Context, store: StateStore, now: datetime, *, healthy: Collection[str]
) -> list[AlertEvent]:
    told = store.alerts_of_kinds(
        (AlertKind.ACCOUNT_FAILING, AlertKind.ACCOUNT_RECOVERED), since=now - RECOVERY_WINDOW
    )

    def failures(kind: AlertKind) -> set[tuple[str, datetime]]:
        return {
            (q.event.facts.account, q.event.facts.since)
            for q in told
            if q.event.kind is kind
            and q.event.facts.account is not None
            and q.event.facts.since is not None
        }

    alerted = failures(AlertKind.ACCOUNT_FAILING) - failures(AlertKind.ACCOUNT_RECOVERED)
    names = {a.name for a in ctx.config.accounts}
    health = [
        replace(h, last_error=redact_text(h.last_error) if h.last_error else None)
        for h in store.health()
        if h.account in names
    ]
    return health_events(health, now=now, alerted=alerted, healthy=healthy)


def enqueue(ctx: Context, store: StateStore, events: Sequence[AlertEvent], now: datetime) -> int:
    """Queue each event for every channel that wants it; how many rows were new."""
    items = [
        (channel.name, event)
        for event in events
        for channel in ctx.config.alerts
        if channel.wants(event.kind, event.urgency)
    ]
    added = store.enqueue_alerts(items, at=now)
    if added:
        log.info("alerts queued", alerts=added)
    return added


# -- delivery ------------------------------------------------------------------------------


def deliver(
    ctx: Context, store: StateStore, now: datetime, *, sender: Sender = send
) -> list[ChannelOutcome]:
    """Every channel's waiting alerts that may go now, one message per channel, the
    channels side by side (a slow one delays only itself)."""
    channels = ctx.config.alerts
    if len(channels) == 1:
        return [_deliver_channel(ctx, store, channels[0], now, sender)]
    with ThreadPoolExecutor(max_workers=len(channels), thread_name_prefix="alerts") as pool:
        futures = [pool.submit(_deliver_channel, ctx, store, c, now, sender) for c in channels]
        return [future.result() for future in futures]


def may_send_now(
    channel: AlertChannelConfig, urgency: Urgency, now: datetime, ctx: Context
) -> bool:
    """Outside the channel's quiet hours anything goes; inside only high urgency, and only
    when the channel says ``quiet_high = "send"``."""
    quiet = channel.quiet_hours
    if quiet is None or not quiet.contains(ctx.calendar.local(now).time()):
        return True
    return urgency is Urgency.HIGH and channel.quiet_high == "send"


def _deliver_channel(
    ctx: Context, store: StateStore, channel: AlertChannelConfig, now: datetime, sender: Sender
) -> ChannelOutcome:
    name = channel.name
    try:
        # Account names cannot hold ":", so this lock is no account's.
        with store.account_lock(f"alerts:{name}", wait=0):
            return _deliver_locked(ctx, store, channel, now, sender)
    except AccountBusyError:
        return ChannelOutcome(name)  # another poll is delivering this channel right now
    except InboxGuardError as exc:
        log.error("alert delivery failed", channel=name, error=str(exc))
        return ChannelOutcome(name, error=str(exc))


def _deliver_locked(
    ctx: Context, store: StateStore, channel: AlertChannelConfig, now: datetime, sender: Sender
) -> ChannelOutcome:
    name = channel.name
    waiting = store.pending_alerts(name)
    if not waiting:
        return ChannelOutcome(name)
    health = store.alert_channel(name)
    if health is not None and health.next_attempt_at is not None and health.next_attempt_at > now:
        return ChannelOutcome(name, waiting=len(waiting), error=health.last_error)
    due = [q for q in waiting if may_send_now(channel, q.event.urgency, now, ctx)]
    if not due:
        return ChannelOutcome(name, waiting=len(waiting))
    message = compose(
        [q.event for q in due],
        language=ctx.config.owner.language,
        now=now,
        calendar=ctx.calendar,
        ids=short_ids(store.thread_ids()),
    )
    outcome = _send(channel, message, sender)
    keys = [q.key for q in due]
    held = len(waiting) - len(due)
    if outcome.ok:
        store.record_alert_delivery(name, keys, at=now, error=None)
        log.info("alert sent", channel=name, events=len(keys), urgency=message.urgency.value)
        return ChannelOutcome(name, sent=len(keys), waiting=held)
    failures = (health.consecutive_failures if health is not None else 0) + 1
    retry_at = now + retry_delay(None, failures)
    error = outcome.reason or "not delivered"
    store.record_alert_delivery(name, keys, at=now, error=error, next_attempt_at=retry_at)
    log.error("alert channel failed", channel=name, error=error, retry_at=retry_at.isoformat())
    return ChannelOutcome(name, waiting=len(waiting), error=error)


def _send(channel: AlertChannelConfig, message: AlertMessage, sender: Sender) -> SendOutcome:
    # Resolved for each message, never kept: only a poll with something to send pays it.
    try:
        url = resolve_alert_url(channel)  # registers the URL's secrets with the redactor
    except AlertChannelError as exc:
        return SendOutcome(False, exc.message)
    return sender(url, message)


# -- `inboxguard alert --test` ---------------------------------------------------------------


def try_channels(
    ctx: Context, name: str | None = None, *, sender: Sender = send
) -> list[tuple[str, SendOutcome]]:
    """Send a test message to every channel (or the one named), now, whatever the quiet
    hours or a backoff say; the store is not touched."""
    channels = ctx.config.alerts
    if not channels:
        raise ConfigError("alerts", "no [[alerts]] channel is configured (see docs/alerts.md)")
    if name is not None:
        channels = [c for c in channels if c.name == name]
        if not channels:
            known = ", ".join(c.name for c in ctx.config.alerts)
            raise ConfigError("alerts", f"no alert channel named {name!r} (channels: {known})")
    language = ctx.config.owner.language

    def one(channel: AlertChannelConfig) -> tuple[str, SendOutcome]:
        return channel.name, _send(channel, trial_message(channel.name, language), sender)

    with ThreadPoolExecutor(max_workers=len(channels), thread_name_prefix="alerts") as pool:
        return list(pool.map(one, channels))

"""`inboxguard run`: the long-running service on APScheduler 3 (SPEC §11).

One poll job per account (interval with jitter, the first polls spread evenly over one
interval; never two polls of one account at once; missed runs coalesced into one), run in
a pool of ``service.max_parallel`` threads so a slow server holds up one poll and no other,
each followed by evaluation and drafts. An IMAP account's connection stays open from one
poll to the next (``KeptBackends``: logged in again when it drops, logged out after 25
minutes idle, on reload and stop, and when another worker takes the account). Several
workers may share one store: an account is polled by the worker holding its lease
(``leases``); the digest job at
``digest.time`` in the owner's zone, plus a catch-up on start for a digest missed while the
service was down, and retries after a failed delivery.

Signals are taken in the main thread, which only waits: SIGTERM (or SIGINT) asks running
cycles to stop at their next batch boundary, waits for them and exits 0; SIGHUP reloads the
configuration, and a new configuration that does not validate leaves the old one running.
systemd hears READY=1 after the first successful poll, WATCHDOG=1 after every cycle (and
between batches of a long first scan) and a STATUS= line with the counts.
"""

from __future__ import annotations

import signal
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

import structlog
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from inboxguard.backends import KeptBackends
from inboxguard.config import Config, load_config
from inboxguard.digest.sending import DigestStatus, send_digest
from inboxguard.errors import InboxGuardError
from inboxguard.service import sd_notify
from inboxguard.service.alerting import after_poll
from inboxguard.service.assessing import EvaluationCache
from inboxguard.service.context import Context
from inboxguard.service.cycle import AccountResult, run_cycle
from inboxguard.service.leases import WorkerLeases
from inboxguard.store import StateStore

log = structlog.get_logger(__name__)

Clock = Callable[[], datetime]
DIGEST_JOB = "digest"
DIGEST_RETRY_JOB = "digest-retry"
HEARTBEAT_JOB = "heartbeat"
HOUSEKEEPING = "housekeeping"
EXTEND_START_USEC = 5 * 60 * 1_000_000  # per batch of a first scan: five more minutes


@dataclass(slots=True)
class _Counts:
    """The latest cycle's outcome per account, for the STATUS= line."""

    states: dict[str, Counter[str]] = field(default_factory=dict)
    failing: set[str] = field(default_factory=set)

    def line(self) -> str:
        total: Counter[str] = Counter()
        for states in self.states.values():
            total.update(states)
        order = ("overdue", "promise_overdue", "at_risk", "waiting", "promised")
        parts = [f"{total[name]} {name}" for name in order if total[name]]
        text = f"{len(self.states)} account(s) polled"
        if parts:
            text += "; " + ", ".join(parts)
        if self.failing:
            text += f"; failing: {', '.join(sorted(self.failing))}"
        return text


class Daemon:
    def __init__(self, config_path: Path, config: Config, store: StateStore, clock: Clock) -> None:
        self.config_path = config_path
        self.ctx = Context.build(config)
        self.store = store
        self.clock = clock
        self.cache = EvaluationCache()
        self.stopping = threading.Event()
        self.reload_requested = threading.Event()
        self._wake = threading.Event()
        self._ready = False
        self._counts = _Counts()
        self._lock = threading.Lock()
        self.leases = WorkerLeases(store, config.service.poll_interval)
        self.connections = KeptBackends()
        self.scheduler = BackgroundScheduler(
            executors={
                "default": ThreadPoolExecutor(max_workers=config.service.max_parallel),
                # The digest and the heartbeat never wait behind the polls.
                HOUSEKEEPING: ThreadPoolExecutor(max_workers=2),
            },
            job_defaults={"coalesce": True, "max_instances": 1},
            timezone=self.ctx.calendar.tz,
        )

    # -- the main thread ------------------------------------------------------------------

    def run(self) -> int:
        """Serve until SIGTERM/SIGINT; returns the exit status."""
        previous = {
            sig: signal.signal(sig, self._on_signal)
            for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
        }
        try:
            self._schedule(self.ctx)
            self.scheduler.start()
            log.info("service started", accounts=[a.name for a in self.ctx.config.accounts])
            while not self.stopping.is_set():
                self._wake.wait()
                self._wake.clear()
                if self.reload_requested.is_set() and not self.stopping.is_set():
                    self.reload_requested.clear()
                    self.reload()
        finally:
            sd_notify.notify("STOPPING=1")
            # wait=True: the cycles in flight see `stopping` at their next batch and end.
            self.scheduler.shutdown(wait=True)
            self.leases.release_all()  # the other workers take the accounts over now
            self.connections.close_all()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        log.info("service stopped")
        return 0

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        # Only flags here: the main thread acts on them outside the handler.
        if signum == signal.SIGHUP:
            self.reload_requested.set()
        else:
            self.stopping.set()
        self._wake.set()

    def stop(self) -> None:
        """Stop from another thread (tests, embedding)."""
        self.stopping.set()
        self._wake.set()

    def reload(self) -> None:
        """Read the configuration again; keep the running one when the new one is invalid."""
        sd_notify.notify("RELOADING=1")
        try:
            config = load_config(self.config_path)
            ctx = Context.build(config)
        except InboxGuardError as exc:
            log.error("configuration reload failed; keeping the running one", error=str(exc))
            sd_notify.notify("READY=1", f"STATUS=reload failed: {exc}")
            return
        if config.state.url != self.ctx.config.state.url:
            log.warning("state.url changed; it takes effect on restart")
        with self._lock:
            self.ctx = ctx
            self.cache = EvaluationCache()
            self._counts = _Counts()
        # A connection in use is logged out when its poll ends; the next one opens anew.
        self.connections.close_all()
        for job in self.scheduler.get_jobs():
            job.remove()
        self._schedule(ctx)
        log.info("configuration reloaded", accounts=[a.name for a in config.accounts])
        sd_notify.notify("READY=1", f"STATUS=configuration reloaded; {self._counts.line()}")

    # -- jobs -----------------------------------------------------------------------------

    def _schedule(self, ctx: Context) -> None:
        service = ctx.config.service
        interval = service.poll_interval.total_seconds()
        accounts = ctx.config.accounts
        start = datetime.now(UTC)
        # The first polls spread evenly over one interval: a thousand accounts do not log
        # in at the same second (the jitter then keeps them apart).
        step = service.poll_interval / max(len(accounts), 1)
        self._heartbeat()
        self.scheduler.add_job(
            self._heartbeat,
            IntervalTrigger(seconds=max(interval / 3, 1.0), timezone=ctx.calendar.tz),
            id=HEARTBEAT_JOB,
            name="worker heartbeat",
            executor=HOUSEKEEPING,
            replace_existing=True,
        )
        for index, account in enumerate(accounts):
            self.scheduler.add_job(
                self._poll,
                IntervalTrigger(
                    seconds=interval,
                    jitter=int(service.poll_jitter.total_seconds()) or None,
                    timezone=ctx.calendar.tz,
                ),
                args=(account.name,),
                id=f"poll:{account.name}",
                name=f"poll {account.name}",
                next_run_time=start + step * index,
                misfire_grace_time=int(interval),
                replace_existing=True,
            )
        hour, minute = ctx.config.digest.hour_minute
        self.scheduler.add_job(
            self._digest,
            CronTrigger(hour=hour, minute=minute, timezone=ctx.calendar.tz),
            id=DIGEST_JOB,
            name="daily digest",
            executor=HOUSEKEEPING,
            misfire_grace_time=None,  # late is better than never: once the same day
            replace_existing=True,
        )
        # A digest missed while the service was down goes out now (send_digest knows
        # whether today's is due and not sent yet).
        self.scheduler.add_job(
            self._digest,
            DateTrigger(run_date=datetime.now(UTC)),
            id=DIGEST_RETRY_JOB,
            name="digest catch-up",
            executor=HOUSEKEEPING,
            misfire_grace_time=None,
            replace_existing=True,
        )

    def _heartbeat(self) -> None:
        closed = self.connections.close_idle()
        if closed:
            log.debug("idle connections logged out", count=closed)
        try:
            self.leases.heartbeat()
        except InboxGuardError as exc:  # the store is down: the polls say so too
            log.warning("worker heartbeat not recorded", error=str(exc))

    def _poll(self, account_name: str) -> None:
        if self.stopping.is_set():
            return
        with self._lock:
            ctx, cache = self.ctx, self.cache
        try:
            if not self.leases.take(account_name):
                # Another live worker polls it: this one's part is done for this round.
                log.debug("another worker holds the account", account=account_name)
                self.connections.release(account_name)
                self._after_cycle(AccountResult(account_name, busy=True))
                return
        except InboxGuardError as exc:
            log.error("account lease not taken; not polled", account=account_name, error=str(exc))
            return
        try:
            backend = self.connections.backend(ctx.config.account(account_name))
        except InboxGuardError as exc:
            log.error("account cannot be opened", account=account_name, error=str(exc))
            return
        renew = self.leases.renewer(account_name)

        def should_stop() -> bool:
            # Asked between batches: a long first scan keeps its lease while it works.
            renew()
            return self.stopping.is_set()

        now = self.clock()
        (result,) = run_cycle(
            ctx,
            self.store,
            [backend],
            now=now,
            cache=cache,
            should_stop=should_stop,
            progress=self._progress,
        ) or [AccountResult(account_name, interrupted=True)]
        self._after_cycle(result)
        # Account health, alerts held by quiet hours or a channel's backoff (bounded: seconds).
        after_poll(ctx, self.store, now, [result])
        self._share_out(ctx, account_name)

    def _share_out(self, ctx: Context, account_name: str) -> None:
        """Holding more than a fair share of the accounts among the live workers: give
        this one up, for a worker that started later to take."""
        try:
            if self.leases.over_share([a.name for a in ctx.config.accounts]):
                self.leases.give_up(account_name)
                self.connections.release(account_name)
                with self._lock:
                    self.cache.forget(account_name)
                log.info("account handed to another worker", account=account_name)
        except InboxGuardError as exc:
            log.warning("lease not handed over", account=account_name, error=str(exc))

    def _progress(self, _what: str, _done: int, _total: int) -> None:
        # A long first scan is alive as long as batches keep coming; before READY=1 it also
        # asks systemd for more start-up time, batch by batch, rather than a huge timeout.
        if self._ready:
            sd_notify.notify("WATCHDOG=1")
        else:
            sd_notify.notify("WATCHDOG=1", f"EXTEND_TIMEOUT_USEC={EXTEND_START_USEC}")

    def _after_cycle(self, result: AccountResult) -> None:
        if result.interrupted:
            return
        if result.busy:
            # A manual `run --once` or another worker holds the account: the service is
            # up and doing its part.
            with self._lock:
                first_ready, self._ready = not self._ready, True
            sd_notify.notify(*(["READY=1"] if first_ready else []), "WATCHDOG=1")
            return
        with self._lock:
            counts = self._counts
            if result.ok:
                counts.failing.discard(result.account)
                if result.evaluated:
                    counts.states[result.account] = result.states
            else:
                counts.failing.add(result.account)
            status = counts.line()
            first_ready = result.ok and not result.skipped and not self._ready
            if first_ready:
                self._ready = True
        lines = ["WATCHDOG=1", f"STATUS={status}"]
        if first_ready:
            lines.insert(0, "READY=1")
            log.info("first poll done; service ready", account=result.account)
        sd_notify.notify(*lines)

    def _digest(self) -> None:
        if self.stopping.is_set():
            return
        with self._lock:
            ctx = self.ctx
        outcome = send_digest(ctx, self.store, self.clock())
        record = outcome.record
        if outcome.status is DigestStatus.FAILED and record is not None and record.next_attempt_at:
            self.scheduler.add_job(
                self._digest,
                # The store's clock may be INBOXGUARD_NOW; the wait is real time.
                DateTrigger(run_date=datetime.now(UTC) + (record.next_attempt_at - self.clock())),
                id=DIGEST_RETRY_JOB,
                name="digest retry",
                executor=HOUSEKEEPING,
                misfire_grace_time=None,
                replace_existing=True,
            )

    def jobs(self) -> list[dict[str, Any]]:
        """What is scheduled (for tests and `--verbose` start-up logs)."""
        return [
            {"id": job.id, "next_run_time": job.next_run_time} for job in self.scheduler.get_jobs()
        ]

"""Composing and sending the daily digest: once a day, retried with backoff, never twice.

The store keeps one row per (day, recipient). A digest counts as sent when the delivery
reported success; until then each failure is recorded with its error and the time of the
next attempt (2, 4, 8 … minutes, at most an hour), and `status` and the logs say so. A
digest missed while the service was down is sent when it comes back, the same day.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from enum import StrEnum

import structlog

from inboxguard.config import Config
from inboxguard.delivery import DeliveryReceipt, deliver
from inboxguard.digest.content import DigestContent, build_content
from inboxguard.digest.render import build_message, digest_message_id, render
from inboxguard.domain.trust import TrustFigures, account_trust, merged, overall
from inboxguard.errors import InboxGuardError
from inboxguard.service.alerting import digest_failed
from inboxguard.service.assessing import assess_all
from inboxguard.service.context import Context
from inboxguard.store import ChannelHealth, DigestRecord, StateStore

log = structlog.get_logger(__name__)

STATISTICS_WINDOW = timedelta(days=30)
FIRST_RETRY = timedelta(minutes=2)
LONGEST_RETRY = timedelta(hours=1)

Deliver = Callable[..., DeliveryReceipt]


@dataclass(frozen=True, slots=True)
class Digest:
    content: DigestContent
    html: str
    text: str
    message: EmailMessage


class DigestStatus(StrEnum):
    SENT = "sent"
    SKIPPED_EMPTY = "skipped-empty"
    ALREADY_SENT = "already-sent"
    NOT_YET = "not-yet"
    BACKING_OFF = "backing-off"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class DigestOutcome:
    status: DigestStatus
    day: date
    record: DigestRecord | None = None
    error: str | None = None


def recipient(config: Config) -> str:
    return config.digest.to or config.owner.addresses[0]


def compose(ctx: Context, store: StateStore, now: datetime) -> Digest:
    """The digest at ``now`` from the store (read-only: mail is not polled here)."""
    content = build_content(
        assess_all(ctx, store, now),
        store.health(),
        store.episodes(now - STATISTICS_WINDOW),
        now=now,
        calendar=ctx.calendar,
        language=ctx.config.owner.language,
        channels=_configured_channels(ctx, store),
        trust=trust_rows(ctx, store, now),
    )
    html, text = render(content, ctx.config.templates_dir)
    owner = ctx.config.owner
    message = build_message(
        content,
        html=html,
        text=text,
        sender_name=owner.name,
        sender=owner.addresses[0],
        recipient=recipient(ctx.config),
        now=now,
        tz=ctx.calendar.tz,
    )
    return Digest(content, html, text, message)


def trust_rows(
    ctx: Context, store: StateStore, now: datetime
) -> list[tuple[str | None, TrustFigures]]:
    """The digest's trust figures: overall for 7 and 30 days, then per client for 30."""
    windows = (now - timedelta(days=7), now - timedelta(days=30))
    # One snapshot per account, threaded once, for both windows.
    per_account = [
        account_trust(
            store.snapshot(account.name, min(windows) - ctx.lookback),
            ctx.assessment,
            windows=windows,
            now=now,
        )
        for account in ctx.config.accounts
    ]
    per_window = [merged(figures[i] for figures in per_account) for i in range(len(windows))]
    rows: list[tuple[str | None, TrustFigures]] = [(None, overall(f)) for f in per_window]
    month = per_window[-1]
    clients = sorted(
        ((name, f) for name, f in month.items() if name is not None and not f.empty),
        key=lambda row: (-(row[1].promises_due + row[1].meetings_held), row[0] or ""),
    )
    return rows + [(name, figures) for name, figures in clients]


def _configured_channels(ctx: Context, store: StateStore) -> list[ChannelHealth]:
    names = {channel.name for channel in ctx.config.alerts}
    return [c for c in store.alert_channels() if c.channel in names] if names else []


def scheduled_at(ctx: Context, day: date) -> datetime:
    """When ``day``'s digest is due, as an aware instant in the owner's zone."""
    hour, minute = ctx.config.digest.hour_minute
    naive = datetime(day.year, day.month, day.day, hour, minute)
    return naive.replace(tzinfo=ctx.calendar.tz)


def send_digest(
    ctx: Context,
    store: StateStore,
    now: datetime,
    *,
    force: bool = False,
    deliver_with: Deliver = deliver,
    environ: Mapping[str, str] | None = None,
) -> DigestOutcome:
    """Send today's digest if it is due and not sent yet (``force``: now, regardless)."""
    day = ctx.calendar.local(now).date()
    to = recipient(ctx.config)
    record = store.digest(day, to)
    if not force:
        if record is not None and record.sent_at is not None:
            return DigestOutcome(DigestStatus.ALREADY_SENT, day, record)
        if now < scheduled_at(ctx, day):
            return DigestOutcome(DigestStatus.NOT_YET, day, record)
        if (
            record is not None
            and record.next_attempt_at is not None
            and record.next_attempt_at > now
        ):
            return DigestOutcome(DigestStatus.BACKING_OFF, day, record, record.last_error)
    message_id = digest_message_id(day.isoformat(), to)
    try:
        digest = compose(ctx, store, now)
        if ctx.config.digest.skip_if_empty and digest.content.empty and not force:
            record = store.record_digest(
                day, to, message_id, at=now, delivered_to="nothing to report (skip_if_empty)"
            )
            log.info("digest skipped: nothing to report", day=day.isoformat())
            return DigestOutcome(DigestStatus.SKIPPED_EMPTY, day, record)
        receipt = deliver_with(digest.message, ctx.config, day=day, environ=environ)
    except Exception as exc:
        if isinstance(exc, InboxGuardError):
            error, retryable = str(exc), getattr(exc, "retryable", True)
        else:  # a broken owner template must not stop the service
            log.exception("digest failed", day=day.isoformat())
            error, retryable = f"unexpected {type(exc).__name__}", True
        outcome = _failed(
            store,
            day=day,
            to=to,
            message_id=message_id,
            now=now,
            error=error,
            previous=record,
            retryable=retryable,
        )
        digest_failed(ctx, store, day=day, now=now, error=error)  # once a day, to [[alerts]]
        return outcome
    record = store.record_digest(day, to, message_id, at=now, delivered_to=receipt.where)
    log.info("digest sent", day=day.isoformat(), kind=receipt.kind, where=receipt.where)
    return DigestOutcome(DigestStatus.SENT, day, record)


def _failed(
    store: StateStore,
    *,
    day: date,
    to: str,
    message_id: str,
    now: datetime,
    error: str,
    previous: DigestRecord | None,
    retryable: bool,
) -> DigestOutcome:
    attempts = (previous.attempts if previous is not None else 0) + 1
    # A refused login or a rejected address needs the owner (and a reload): try hourly.
    delay = FIRST_RETRY * 2 ** (attempts - 1) if retryable else LONGEST_RETRY
    retry = now + min(delay, LONGEST_RETRY)
    record = store.record_digest(day, to, message_id, at=now, error=error, next_attempt_at=retry)
    log.error(
        "digest delivery failed",
        day=day.isoformat(),
        error=error,
        attempts=attempts,
        retry_at=retry.isoformat(),
    )
    return DigestOutcome(DigestStatus.FAILED, day, record, error)

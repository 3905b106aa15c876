"""What an account's last assessment leaves in the store for the next process (SPEC §13).

A fresh process (cron's `run --once`, a restarted service, another worker) whose poll
finds every folder unchanged reads one row to know that nothing is due: the record says
until when the last assessment holds by the clock alone, and its fingerprint names what
that assessment saw — the folders' sync markers, the owner's last mark, the configuration
and rules, the code's version. Anything else (new mail a crashed cycle stored but never
assessed, a mark, an edited rule) gives another fingerprint, and the window is assessed.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Mapping, Sequence
from datetime import datetime

from inboxguard import __version__
from inboxguard.domain.alert_events import next_alert_change
from inboxguard.domain.assessment import ThreadAssessment, next_change_at
from inboxguard.service.context import Context
from inboxguard.store import StateStore

_lock = threading.Lock()
# Context → the digest of its configuration and rules: computed once per configuration,
# not once per poll (a fleet's configuration holds hundreds of accounts). The context is
# kept with its digest so its id is never reused for another one while cached.
_settings: dict[int, tuple[Context, str]] = {}


def fingerprint(ctx: Context, markers: Mapping[str, str], last_mark: int) -> str:
    """What an assessment of one account depends on, besides the clock."""
    digest = hashlib.sha256(_settings_digest(ctx).encode())
    for folder in sorted(markers):
        digest.update(f"\0{folder}\0{markers[folder]}".encode())
    digest.update(f"\0mark {last_mark}".encode())
    return digest.hexdigest()


def still_holds(ctx: Context, store: StateStore, account: str, now: datetime) -> bool:
    """The account's last recorded assessment holds at ``now``: it saw what the store
    holds now, and no clock of it crosses a line before ``now``."""
    record = store.last_cycle(account)
    if record is None or record.assessed_at > now:  # a what-if in the past sees afresh
        return False
    if record.next_change_at is not None and record.next_change_at <= now:
        return False
    return record.fingerprint == current(ctx, store, account)


def current(ctx: Context, store: StateStore, account: str) -> str:
    return fingerprint(ctx, store.folder_markers(account), store.last_mark_id(account))


def record(
    ctx: Context,
    store: StateStore,
    account: str,
    *,
    now: datetime,
    assessed: Sequence[ThreadAssessment],
) -> None:
    """The cycle assessed every thread of ``account`` and acted: until when that holds."""
    until = next_change_at(assessed)
    if ctx.config.alerts:
        # An alert may come due before any thread changes state (a fresh process has no
        # memory of the instant, as the long-running service's alerting has).
        alert = next_alert_change(assessed, now=now, calendar=ctx.calendar)
        until = min((t for t in (until, alert) if t is not None), default=None)
    store.record_cycle(
        account,
        next_change_at=until,
        assessed_at=now,
        fingerprint=current(ctx, store, account),
    )


def _settings_digest(ctx: Context) -> str:
    with _lock:
        cached = _settings.get(id(ctx))
        if cached is not None and cached[0] is ctx:
            return cached[1]
        text = "\0".join((__version__, ctx.config.model_dump_json(), repr(ctx.rules)))
        value = hashlib.sha256(text.encode()).hexdigest()
        if len(_settings) > 8:  # reloads: only the live configuration matters
            _settings.clear()
        _settings[id(ctx)] = (ctx, value)
        return value

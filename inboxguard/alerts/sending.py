"""One alert message to one Apprise URL, bounded in time, with a reason when it fails.

Apprise does the talking (ntfy, Slack, Discord, Telegram, LINE, Pushover, mail, and
Chatwork through ``form://``); this module only adds what InboxGuard needs around it:

- **time bounds**: connect and read timeouts of at most a few seconds, and Apprise's own
  deadline for the whole call, so a channel that is down or hangs costs a cycle seconds,
  never minutes;
- **urgency**: Apprise's notify type (``warning`` for high, ``info`` for normal: colours,
  icons, the ``type`` of a JSON webhook), and, where a service has its own priority and the
  owner's URL sets none, that priority (``PRIORITY``: ntfy's ``X-Priority``, Pushover's);
- **a reason** for a failure in one line, from what Apprise logged, with no URL in it and
  every registered secret redacted; that line is the failure's only log line (Apprise's
  own warnings are not logged again, its debug lines are, at -vv).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass

from inboxguard.alerts.wording import AlertMessage
from inboxguard.domain.alert_events import Urgency
from inboxguard.log_setup import redact_text

CONNECT_TIMEOUT = 3.0  # seconds, per connection attempt
READ_TIMEOUT = 3.0  # seconds, per read
DEADLINE = 5.0  # seconds for the whole call: then Apprise stops waiting for the service
REASON_CHARS = 200

# The URL's priority argument per urgency, for services that have one; a URL that names
# its own priority keeps it (the owner asked for that). A table, not a branch per service.
PRIORITY: Mapping[str, Mapping[Urgency, str]] = {
    "ntfy": {Urgency.NORMAL: "default", Urgency.HIGH: "high"},
    "ntfys": {Urgency.NORMAL: "default", Urgency.HIGH: "high"},
    "pover": {Urgency.NORMAL: "normal", Urgency.HIGH: "high"},
    "gotify": {Urgency.NORMAL: "normal", Urgency.HIGH: "high"},
    "gotifys": {Urgency.NORMAL: "normal", Urgency.HIGH: "high"},
}

_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://\S*", re.IGNORECASE)


class _DebugOnly(logging.Handler):
    """Apprise's debug lines, passed on to InboxGuard's logging (vetted and redacted
    there, shown at -vv). Its warnings are not: each failure is already one line of ours
    quoting what Apprise said (``reason``), and two lines for one failure is noise."""

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno < logging.INFO:
            logging.getLogger().handle(record)


def _route_apprise_logging() -> None:
    logger = logging.getLogger("apprise")
    if not any(isinstance(h, _DebugOnly) for h in logger.handlers):
        logger.addHandler(_DebugOnly())
        # Apprise still captures every record for the call's result: its own handler.
        logger.propagate = False


@dataclass(frozen=True, slots=True)
class SendOutcome:
    ok: bool
    reason: str | None = None  # why it failed, in one line, without the URL


def with_priority(url: str, urgency: Urgency) -> str:
    """``url`` with the service's priority for ``urgency``, unless it names one."""
    scheme = url.partition("://")[0].lower()
    table = PRIORITY.get(scheme)
    if table is None:
        return url
    query = url.partition("?")[2].partition("#")[0]
    if any(pair.partition("=")[0].lower() == "priority" for pair in query.split("&")):
        return url
    return f"{url}{'&' if '?' in url else '?'}priority={table[urgency]}"


def send(url: str, message: AlertMessage, *, deadline: float | None = None) -> SendOutcome:
    """Send ``message`` to the Apprise ``url`` within ``deadline`` seconds (``DEADLINE``)."""
    deadline = DEADLINE if deadline is None else deadline
    # Imported here: ~0.2 s of start-up that only a process with alerts to send pays.
    import apprise  # noqa: PLC0415

    _route_apprise_logging()
    asset = apprise.AppriseAsset(storage_mode=apprise.PersistentStoreMode.MEMORY)
    plugin = apprise.Apprise.instantiate(with_priority(url, message.urgency), asset=asset)
    if plugin is None:
        return SendOutcome(False, "Apprise does not recognise this URL (see docs/alerts.md)")
    # A URL may ask for longer timeouts; a cycle waits a few seconds at most.
    plugin.socket_connect_timeout = min(plugin.socket_connect_timeout, CONNECT_TIMEOUT)
    plugin.socket_read_timeout = min(plugin.socket_read_timeout, READ_TIMEOUT)
    notifier = apprise.Apprise(asset=asset)
    notifier.add(plugin)
    notify_type = (
        apprise.NotifyType.WARNING if message.urgency is Urgency.HIGH else apprise.NotifyType.INFO
    )
    result = notifier.notify(
        body=message.body,
        title=message.title,
        notify_type=notify_type,
        body_format=apprise.NotifyFormat.TEXT,
        timeout=deadline,
    )
    if result:
        return SendOutcome(True)
    if result.status == apprise.AppriseResultStatus.TIMEOUT:
        return SendOutcome(False, f"no answer within {deadline:g}s")
    said = [e.message for e in result.logs() if e.level in ("WARNING", "ERROR", "CRITICAL")]
    return SendOutcome(False, reason(said[-1]) if said else "the service refused the message")


def reason(text: str) -> str:
    """One line of Apprise's words, fit for a log, an error, the store and the digest."""
    line = (text.strip().splitlines() or [""])[0]
    line = _URL.sub("<url>", redact_text(line))
    return line[:REASON_CHARS] or "the service refused the message"

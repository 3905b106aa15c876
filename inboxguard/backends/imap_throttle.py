"""Reading "slow down" out of an IMAP server's answer.

Microsoft 365 answers ``NO ... Suggested Backoff Time: 92415 milliseconds``; RFC 5530 servers
(Gmail among them) say ``[OVERQUOTA]``, some others ``[THROTTLED]``. Any of them, anywhere in a
failed command's answer (or a BYE), turns a plain ``BackendError`` into a ``ThrottledError``
carrying how long to leave the account alone.
"""

from __future__ import annotations

import re
from datetime import timedelta

from inboxguard.errors import BackendError, ThrottledError

THROTTLED_DEFAULT = timedelta(minutes=5)
OVERQUOTA_DEFAULT = timedelta(hours=1)
# A server's own figure is honoured, but a garbled one must not park the account for months.
LONGEST_SUGGESTED = timedelta(days=1)

_SUGGESTED = re.compile(r"suggested\s+backoff\s+time\s*:\s*(\d{1,12})\s*milli", re.IGNORECASE)
_CODE = re.compile(r"\[(THROTTLED|OVERQUOTA)\b", re.IGNORECASE)


def backoff_in(text: str) -> timedelta | None:
    """How long the server asks us to wait, or None when ``text`` is no throttling answer."""
    if match := _SUGGESTED.search(text):
        return min(timedelta(milliseconds=int(match.group(1))), LONGEST_SUGGESTED)
    if match := _CODE.search(text):
        return THROTTLED_DEFAULT if match.group(1).upper() == "THROTTLED" else OVERQUOTA_DEFAULT
    return None


def throttled(error: BackendError) -> ThrottledError | None:
    """``error`` as a ``ThrottledError`` when its message is a throttling answer."""
    if isinstance(error, ThrottledError):
        return error
    delay = backoff_in(error.message)
    return ThrottledError(error.account, error.message, delay) if delay is not None else None

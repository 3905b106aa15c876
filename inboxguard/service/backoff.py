"""When to try a failing account again.

A server's own figure (``ThrottledError.retry_after``) is honoured as given. Otherwise the
pause doubles with each failure in a row: 2, 4, 8 … minutes, at most an hour. A refused
login starts at 15 minutes, so a wrong password is never retried in a tight loop (and never
locks the account on servers that count failed logins).
"""

from __future__ import annotations

from datetime import timedelta

from inboxguard.errors import LoginFailedError, ThrottledError

FIRST_RETRY = timedelta(minutes=2)
FIRST_LOGIN_RETRY = timedelta(minutes=15)
LONGEST_RETRY = timedelta(hours=1)


def retry_delay(error: BaseException | None, failures: int) -> timedelta:
    """The pause after the ``failures``-th failure in a row (1: the first), ended by ``error``."""
    if isinstance(error, ThrottledError):
        return max(error.retry_after, timedelta(0))
    first = FIRST_LOGIN_RETRY if isinstance(error, LoginFailedError) else FIRST_RETRY
    doublings = min(max(failures, 1) - 1, 16)  # 2**16 times anything here is past the cap
    return min(first * (1 << doublings), LONGEST_RETRY)

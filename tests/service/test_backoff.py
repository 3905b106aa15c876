"""How long a failing account is left alone before the next attempt."""

from __future__ import annotations

from datetime import timedelta

from inboxguard.errors import BackendError, LoginFailedError, ThrottledError
from inboxguard.service.backoff import retry_delay

MIN = timedelta(minutes=1)


def test_failures_in_a_row_double_the_pause_from_two_minutes_up_to_an_hour() -> None:
    error = BackendError("work", "connection lost")
    delays = [retry_delay(error, n) for n in range(1, 9)]
    assert delays == [2 * MIN, 4 * MIN, 8 * MIN, 16 * MIN, 32 * MIN, 60 * MIN, 60 * MIN, 60 * MIN]
    assert retry_delay(RuntimeError("bug"), 1) == 2 * MIN
    assert retry_delay(error, 10_000) == 60 * MIN


def test_a_refused_login_waits_fifteen_minutes_first_then_longer() -> None:
    error = LoginFailedError("work", "login failed")
    assert [retry_delay(error, n) for n in (1, 2, 3, 4)] == [15 * MIN, 30 * MIN, 60 * MIN, 60 * MIN]


def test_the_servers_suggested_pause_is_kept_as_given() -> None:
    short = ThrottledError(
        "work", "NO Suggested Backoff Time: 1500 milliseconds", timedelta(0, 1.5)
    )
    assert retry_delay(short, 5) == timedelta(seconds=1.5)
    long = ThrottledError("work", "NO [OVERQUOTA]", timedelta(hours=3))
    assert retry_delay(long, 1) == timedelta(hours=3)

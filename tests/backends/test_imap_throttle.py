"""Throttling answers read out of IMAP server text (the live suite sends them through Dovecot)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from inboxguard.backends.imap_throttle import (
    LONGEST_SUGGESTED,
    OVERQUOTA_DEFAULT,
    THROTTLED_DEFAULT,
    backoff_in,
    throttled,
)
from inboxguard.errors import BackendError, ThrottledError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Microsoft 365, as imaplib words a failed command
        (
            "reading INBOX: UID command error: BAD [b'User is authenticated but not connected.'] "
            "NO [b'Request is throttled. Suggested Backoff Time: 92415 milliseconds']",
            timedelta(milliseconds=92415),
        ),
        ("NO Suggested backoff time: 1500 Milliseconds", timedelta(milliseconds=1500)),
        ("writing a draft into Drafts: APPEND command error: NO [b'[THROTTLED] slow down']",
         THROTTLED_DEFAULT),
        ("connection to imap.gmail.com:993 lost (BYE [b'[OVERQUOTA] Account exceeded command or "
         "bandwidth limits.'])", OVERQUOTA_DEFAULT),
        ("NO [overquota] Quota exceeded (mailbox for user is full)", OVERQUOTA_DEFAULT),
        # The server's figure wins over a code in the same answer.
        ("NO [THROTTLED] Suggested Backoff Time: 30000 milliseconds", timedelta(seconds=30)),
        ("NO Suggested Backoff Time: 99999999999 milliseconds", LONGEST_SUGGESTED),
    ],
)  # fmt: skip
def test_throttling_answers_give_the_pause_to_keep(text: str, expected: timedelta) -> None:
    assert backoff_in(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "reading INBOX: connection to 127.0.0.1:143 lost (socket error: EOF)",
        "NO [NONEXISTENT] Mailbox doesn't exist: Drafts",
        "NO Suggested Backoff Time: soon",
        "Subject mentions THROTTLED but not as a response code",
        "",
    ],
)
def test_other_failures_are_not_throttling(text: str) -> None:
    assert backoff_in(text) is None


def test_a_backend_error_becomes_a_throttled_error_keeping_account_and_message() -> None:
    error = BackendError("work", "reading INBOX: FETCH command error: NO [b'[THROTTLED] wait']")
    slow_down = throttled(error)
    assert isinstance(slow_down, ThrottledError)
    assert (slow_down.account, slow_down.message) == ("work", error.message)
    assert str(slow_down) == str(error)
    assert slow_down.retry_after == THROTTLED_DEFAULT
    assert throttled(slow_down) is slow_down
    assert throttled(BackendError("work", "connection refused")) is None

"""Whether a failure from the shared login code is worth another try."""

from __future__ import annotations

import ssl
from datetime import timedelta

import httpx
import pytest

from inboxguard.delivery.login import from_backend_error
from inboxguard.errors import BackendError, LoginFailedError, ThrottledError


def raised_from(cause: BaseException | None, error: BackendError) -> BackendError:
    """``error`` as the shared code raises it: ``from None``, the cause kept as context."""
    try:
        try:
            if cause is not None:
                raise cause
            raise error
        except BackendError:
            raise
        except BaseException:
            raise error from None
    except BackendError as caught:
        return caught


@pytest.mark.parametrize(
    ("cause", "error", "retryable"),
    [
        (TimeoutError(), BackendError("work", "no answer"), True),
        (ConnectionResetError(), BackendError("work", "lost"), True),
        (httpx.ConnectError("down"), BackendError("work", "token endpoint unreachable"), True),
        (OSError(101, "Network is unreachable"), BackendError("work", "network error"), True),
        (None, ThrottledError("work", "slow down", timedelta(minutes=5)), True),
        (None, BackendError("work", "NO [THROTTLED] try later"), True),
        (None, LoginFailedError("work", "login failed"), False),
        (None, BackendError("work", "password_env: variable unset"), False),
        (FileNotFoundError(2, "No such file"), BackendError("work", "ca_file missing"), False),
        (ssl.SSLCertVerificationError("bad"), BackendError("work", "certificate"), False),
    ],
)
def test_only_failures_that_may_heal_by_themselves_are_retryable(
    cause: BaseException | None, error: BackendError, retryable: bool
) -> None:
    delivery_error = from_backend_error(raised_from(cause, error))
    assert delivery_error.retryable is retryable
    assert delivery_error.message == str(error)

"""One root for every error InboxGuard raises on purpose; each carries its data."""

from __future__ import annotations

from datetime import timedelta


class InboxGuardError(Exception):
    """Root of InboxGuard's own errors. The CLI turns these into one-line messages."""

    exit_code = 1


class ConfigError(InboxGuardError):
    """The configuration (or a rule file) is wrong: names the key so a person can fix it."""

    exit_code = 2

    def __init__(self, key: str, message: str) -> None:
        self.key = key
        self.message = message
        super().__init__(f"{key}: {message}")


class TemplateError(InboxGuardError):
    """A draft or digest template is missing or broke while rendering."""


class UnknownThreadError(InboxGuardError):
    """`mark` was given a thread id that the state store does not know."""

    exit_code = 2

    def __init__(self, thread_id: str) -> None:
        self.thread_id = thread_id
        super().__init__(f"unknown thread id {thread_id!r} (see `inboxguard status --all`)")


class BackendError(InboxGuardError):
    """A mailbox could not be read or written; the account's cycle ends, others go on."""

    def __init__(self, account: str, message: str) -> None:
        self.account = account
        self.message = message
        super().__init__(f"account {account!r}: {message}")


class ThrottledError(BackendError):
    """The server asked us to slow down (``[THROTTLED]``, ``[OVERQUOTA]``, a suggested backoff).

    ``retry_after`` is how long to leave the account alone: the server's own figure when it
    gave one, else a default for the kind of answer.
    """

    def __init__(self, account: str, message: str, retry_after: timedelta) -> None:
        super().__init__(account, message)
        self.retry_after = retry_after


class LoginFailedError(BackendError):
    """The server refused the credentials: retried only after a growing pause, never at once."""

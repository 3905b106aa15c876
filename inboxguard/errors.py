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


class AlertChannelError(InboxGuardError):
    """An alert channel could not be reached or configured (its URL never in the message):
    that channel retries later, the others and the cycle go on."""

    def __init__(self, channel: str, message: str) -> None:
        self.channel = channel
        self.message = message
        super().__init__(f"alert channel {channel!r}: {message}")


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


class StoreError(InboxGuardError):
    """The state store failed. The message names the store and says what happened in one
    line, from the first line of the database's own message only: SQL, parameters and a
    server's DETAIL lines carry client addresses and subjects, and stay out of it."""

    def __init__(self, store: str, message: str) -> None:
        self.store = store
        self.message = message
        super().__init__(f"state store {store}: {message}")


class StoreVersionError(StoreError):
    """The store's schema is not this code's: newer (refused), or older in a read-only
    open (which may not upgrade it). A runtime failure (exit 1) like every store error: the
    configuration is valid, the file it names is what must change."""


class StoreUnreachableError(StoreError):
    """``state.url`` names a server that cannot be used as given: the login refused, no such
    role or database. Found when the store is opened; the owner must fix the URL, so it is a
    configuration error (exit 2) like a malformed URL. (A server that does not answer is a
    ``StoreConnectionError``: it may be starting, and is tried again.)"""

    exit_code = 2


class StoreConnectionError(StoreError):
    """The connection to the store's server was lost (a restart, a cut connection) and
    did not come back on the one retry; the cycle fails and the next one tries again."""


class StoreConflictError(StoreError):
    """The server aborted a transaction to keep concurrent ones consistent (serialization
    failure, deadlock) and its one retry hit the same; nothing of it was written."""


class StoreCommitUnknownError(StoreConnectionError):
    """The connection was lost while the transaction committed: it may or may not have
    been written, so it is not retried (a retry could do the same thing twice)."""


class StoreReadOnlyError(StoreError):
    """A write was asked of a store opened read-only (a what-if): refused, never done."""

    def __init__(self, store: str) -> None:
        super().__init__(store, "opened read-only (a what-if): nothing is written")


class AccountBusyError(InboxGuardError):
    """Another process holds this account's cycle lock: this cycle skips the account."""

    def __init__(self, account: str) -> None:
        self.account = account
        super().__init__(f"account {account!r}: another cycle is running; skipped")

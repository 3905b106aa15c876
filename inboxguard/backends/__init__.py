"""Mailbox backends: one interface (``base.MailBackend``), thin adapters per kind.

The kinds are a table: adding a backend is adding a row. Each row names a module and a class,
imported only when an account of that kind is opened, so a user with IMAP accounts alone
never loads exchangelib, msal or httpx for it.

``KeptBackends`` is the long-running service's: one backend per account, kept between polls
so a kind that can keep its connection open (IMAP) logs in once rather than every poll.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Mapping
from datetime import timedelta
from typing import Protocol, cast, runtime_checkable

from inboxguard.backends.base import MailBackend
from inboxguard.config import AccountConfig
from inboxguard.errors import ConfigError

# account.kind → (module, class); the class is built from the account's configuration.
KINDS: Mapping[str, tuple[str, str]] = {
    "imap": ("inboxguard.backends.imap", "ImapBackend"),
    "maildir": ("inboxguard.backends.maildir", "MaildirBackend"),
    "ews": ("inboxguard.backends.ews", "EwsBackend"),
    "graph": ("inboxguard.backends.graph", "GraphBackend"),
}


# The kinds whose connection can stay open between uses (their class takes ``keep_open``).
KEEPS_CONNECTION = frozenset({"imap"})
# Servers drop an idle IMAP session after 30 minutes at the earliest (RFC 3501 §5.4).
IDLE_LIFETIME = timedelta(minutes=25)


def open_backend(account: AccountConfig, *, keep_open: timedelta | None = None) -> MailBackend:
    """The adapter for an account's ``kind`` (not yet connected: use it as a context manager).

    ``keep_open``: leaving the context keeps the connection for the next use, up to that long
    idle (kinds in ``KEEPS_CONNECTION``; the others connect per use whatever it says)."""
    row = KINDS.get(account.kind)
    if row is None:
        raise ConfigError(f"accounts.{account.name}.kind", f"unknown account kind {account.kind!r}")
    module, name = row
    backend_class = getattr(importlib.import_module(module), name)
    if keep_open is not None and account.kind in KEEPS_CONNECTION:
        return cast(MailBackend, backend_class(account, keep_open=keep_open))
    return cast(MailBackend, backend_class(account))


@runtime_checkable
class KeptConnection(Protocol):
    """A backend that keeps its connection between uses (``ImapBackend(keep_open=…)``)."""

    def close_idle(self) -> bool: ...

    def release(self) -> None: ...


class KeptBackends:
    """One backend per account for the service, reused poll after poll (thread-safe).

    A backend is replaced when its account's configuration changes; ``release`` logs out of
    an account this worker no longer polls, ``close_idle`` of connections idle too long (the
    heartbeat calls it), ``close_all`` of everything (stop, reload).
    """

    def __init__(self, idle_lifetime: timedelta = IDLE_LIFETIME) -> None:
        self.idle_lifetime = idle_lifetime
        self._kept: dict[str, tuple[AccountConfig, MailBackend]] = {}
        self._lock = threading.Lock()

    def backend(self, account: AccountConfig) -> MailBackend:
        """The account's kept backend, or a new one (not connected until entered)."""
        with self._lock:
            kept = self._kept.get(account.name)
            if kept is not None and kept[0] == account:
                return kept[1]
        backend = open_backend(account, keep_open=self.idle_lifetime)
        if not isinstance(backend, KeptConnection):
            return backend  # connects per use: nothing to keep
        with self._lock:
            old = self._kept.get(account.name)
            self._kept[account.name] = (account, backend)
        if old is not None:
            _release(old[1])
        return backend

    def release(self, name: str) -> None:
        with self._lock:
            kept = self._kept.pop(name, None)
        if kept is not None:
            _release(kept[1])

    def close_idle(self) -> int:
        """Log out of the connections idle longer than the lifetime; how many were."""
        with self._lock:
            backends = [backend for _, backend in self._kept.values()]
        return sum(1 for b in backends if isinstance(b, KeptConnection) and b.close_idle())

    def close_all(self) -> None:
        with self._lock:
            kept, self._kept = self._kept, {}
        for _, backend in kept.values():
            _release(backend)


def _release(backend: MailBackend) -> None:
    if isinstance(backend, KeptConnection):
        backend.release()

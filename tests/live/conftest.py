"""Fixtures of the live suite: the Dovecot of tests/live/dovecot_server.py, per session.

The PostgreSQL of tests/live/postgres_server.py is the ``postgres`` fixture of
tests/conftest.py (the store tests everywhere use it, through ``store`` and ``backend``).
In CI a missing Dovecot or PostgreSQL (or a run without root) is a failure, never a skip.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.live.dovecot_server import (
    DOVECOT,
    HOST,
    PASSWORD,
    Dovecot,
    Mailbox,
    TlsDovecot,
    _wait_for_listener,
    running,
)
from tests.live.tls import openssl_available
from tests.oauth_server import FakeGoogle, fake_google

__all__ = [
    "DOVECOT",
    "ENV_PASSWORD",
    "HOST",
    "PASSWORD",
    "Dovecot",
    "Mailbox",
    "TlsDovecot",
    "_wait_for_listener",
]


# The live accounts read their password from here (password_env), never from a file.
ENV_PASSWORD = "INBOXGUARD_LIVE_PASSWORD"


@pytest.fixture
def now() -> datetime:
    # The server files mail by its own clock (SEARCH SINCE), so cycles run at real time.
    return datetime.now(UTC).replace(microsecond=0)


@pytest.fixture(autouse=True)
def _password_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_PASSWORD, PASSWORD)


def _unavailable(message: str) -> None:
    """Skip on a developer's machine; in CI a missing server is a failure, never a skip."""
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def _preconditions() -> None:
    if not Path(DOVECOT).exists():
        _unavailable("live IMAP tests need Dovecot: sudo apt-get install dovecot-imapd")
    if os.geteuid() != 0:
        # This layout (static userdb as the dovecot user) needs Dovecot's master started as root.
        _unavailable("live IMAP tests start Dovecot and need root (CI runs them as root)")


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    _preconditions()
    with running("inboxguard-dovecot-") as started:
        yield Dovecot(HOST, started.port, PASSWORD, started.root)


@pytest.fixture(scope="session")
def tls_dovecot() -> Iterator[TlsDovecot]:
    _preconditions()
    if not openssl_available():
        _unavailable("live TLS tests make a throwaway CA with openssl: apt-get install openssl")
    with running("inboxguard-dovecot-tls-", tls=True) as started:
        assert started.certificates is not None
        yield TlsDovecot(
            HOST, started.port, PASSWORD, started.root, started.tls_port, started.certificates
        )


# Servers offering less than Dovecot does: Microsoft 365 and Yahoo (no CONDSTORE), servers
# without UNSELECT (RFC 3691), and both at once.
CUT_DOWN = {
    "no-condstore": frozenset({"CONDSTORE"}),
    "no-unselect": frozenset({"UNSELECT"}),
    "neither": frozenset({"CONDSTORE", "UNSELECT"}),
}


@pytest.fixture(scope="session")
def cut_down_dovecots() -> Iterator[dict[str, Dovecot]]:
    """One Dovecot per entry of ``CUT_DOWN``, started when first asked for, for the session."""
    _preconditions()
    with ExitStack() as stack:

        class Servers(dict[str, Dovecot]):
            def __missing__(self, name: str) -> Dovecot:
                started = stack.enter_context(
                    running(f"inboxguard-dovecot-{name}-", capability_without=CUT_DOWN[name])
                )
                server = self[name] = Dovecot(HOST, started.port, PASSWORD, started.root)
                return server

        yield Servers()


@pytest.fixture(params=["full", *CUT_DOWN])
def any_mailbox(request: pytest.FixtureRequest, dovecot: Dovecot) -> Iterator[Mailbox]:
    """A fresh mailbox on full Dovecot and on each cut-down one."""
    name = request.param
    server = dovecot if name == "full" else request.getfixturevalue("cut_down_dovecots")[name]
    box = Mailbox(server, server.new_user())
    yield box
    box.close()


@pytest.fixture
def mailbox(dovecot: Dovecot) -> Iterator[Mailbox]:
    box = Mailbox(dovecot, dovecot.new_user())
    yield box
    box.close()


@pytest.fixture(scope="session")
def oauth_provider() -> Iterator[FakeGoogle]:
    """The local Google stand-in: token endpoint for InboxGuard, introspection for Dovecot."""
    with fake_google() as fake:
        yield fake


@pytest.fixture(scope="session")
def oauth_dovecot(oauth_provider: FakeGoogle) -> Iterator[Dovecot]:
    """A Dovecot that also takes XOAUTH2, asking ``oauth_provider`` whether a token is live."""
    _preconditions()
    url = f"{oauth_provider.base_url}/introspect"
    with running("inboxguard-dovecot-oauth-", oauth2_introspection_url=url) as started:
        yield Dovecot(HOST, started.port, PASSWORD, started.root)

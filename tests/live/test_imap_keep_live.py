"""The service's IMAP connection kept open between polls, against the real Dovecot.

Logins are counted where the server writes them (Dovecot's log, one ``Login: user=<…>``
line per session) and commands by the recording client: three polls are one login, and an
unchanged poll on the kept connection is one STATUS per folder. A connection cut while idle,
cut under the next poll's first command, or a server restarted between polls is logged in
again and the poll succeeds; a connection idle past its lifetime is logged out, not reused.
"""

from __future__ import annotations

import re
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from inboxguard.backends.imap import ImapBackend
from inboxguard.config import Config
from inboxguard.service.context import Context
from inboxguard.service.cycle import AccountResult, run_cycle
from inboxguard.service.daemon import Daemon
from inboxguard.store import StateStore
from tests.live.dovecot_server import Dovecot, Mailbox
from tests.live.proxy import TO_SERVER, Cut, CuttingProxy
from tests.live.test_imap_faults import client_thread, draft_ids, restart
from tests.live.test_imap_live import Recorder, account_of, imap_config

pytestmark = pytest.mark.live

LIFETIME = timedelta(minutes=25)
FOLDERS = 3  # INBOX, Sent, Drafts
DOVEADM = "/usr/bin/doveadm"  # Debian's dovecot-core, beside /usr/sbin/dovecot


def logins(server: Dovecot, user: str) -> int:
    """Sessions Dovecot opened for ``user`` (its log names each login once)."""
    text = (server.root / "dovecot.log").read_text(errors="replace")
    return len(re.findall(rf"Login: user=<{re.escape(user)}>", text))


def logouts(server: Dovecot, user: str) -> int:
    text = (server.root / "dovecot.log").read_text(errors="replace")
    return len(re.findall(rf"imap\({re.escape(user)}\).*Disconnected: Logged out", text))


def kick(server: Dovecot, user: str) -> None:
    """End the user's sessions as a stopping Dovecot does (``shutdown_clients``): the
    session process says ``* BYE Server shutting down.`` and exits. (This Dovecot's `stop`
    leaves running sessions alone, so a restart alone would not show it.)"""
    conf = str(server.root / "dovecot.conf")
    subprocess.run([DOVEADM, "-c", conf, "kick", user], check=True, capture_output=True)


class Clock:
    def __init__(self) -> None:
        self.at = 1000.0

    def __call__(self) -> float:
        return self.at


@pytest.fixture
def proxy(dovecot: Dovecot) -> Iterator[CuttingProxy]:
    with CuttingProxy(dovecot.host, dovecot.port) as proxy:
        yield proxy


def kept(
    config: Config, recorder: Recorder | None = None, clock: Clock | None = None
) -> ImapBackend:
    return ImapBackend(
        account_of(config),
        client_factory=(recorder or Recorder()).factory,
        keep_open=LIFETIME,
        clock=clock or time.monotonic,
    )


def poll(config: Config, store: StateStore, backend: ImapBackend, now: datetime) -> AccountResult:
    (result,) = run_cycle(Context.build(config), store, [backend], now=now)
    assert result.ok, result.error
    return result


def test_three_polls_on_a_kept_connection_are_one_login_and_unchanged_ones_one_status_each(
    dovecot: Dovecot, mailbox: Mailbox, tmp_path: Path, store: StateStore, now: datetime
) -> None:
    mailbox.client_mail("INBOX", now - timedelta(hours=20))
    config = imap_config(mailbox, tmp_path)
    recorder = Recorder()
    backend = kept(config, recorder)
    first = poll(config, store, backend, now)
    assert len(first.drafts_written) == 1
    assert backend.connected  # left open for the next poll
    poll(config, store, backend, now + timedelta(minutes=2))  # reads the draft it wrote
    recorder.commands.clear()
    for minutes in (4, 6):
        poll(config, store, backend, now + timedelta(minutes=minutes))
    assert recorder.commands == Counter({"STATUS": 2 * FOLDERS})
    assert backend.logins == 1
    assert logins(dovecot, mailbox.user) == 1 + 1  # ours, and the helper's that set mail up
    # New mail on the kept connection: read and drafted, still no login.
    client_thread(mailbox, 2, now - timedelta(hours=19))
    third = poll(config, store, backend, now + timedelta(minutes=8))
    assert third.new_messages == 1 and len(third.drafts_written) == 1
    assert backend.logins == 1
    ids = draft_ids(mailbox)
    assert len(ids) == len(set(ids)) == 2
    backend.release()
    assert not backend.connected


def test_run_once_style_use_still_logs_out_when_the_cycle_ends(
    mailbox: Mailbox, tmp_path: Path, store: StateStore, now: datetime
) -> None:
    config = imap_config(mailbox, tmp_path)
    recorder = Recorder()
    backend = ImapBackend(account_of(config), client_factory=recorder.factory)
    poll(config, store, backend, now)
    assert not backend.connected and recorder.commands["LOGOUT"] == 1


@pytest.mark.parametrize("how", ["idle", "first_command"])
def test_a_cut_connection_is_logged_in_again_and_the_poll_succeeds(
    how: str,
    *,
    mailbox: Mailbox,
    proxy: CuttingProxy,
    tmp_path: Path,
    store: StateStore,
    now: datetime,
) -> None:
    mailbox.client_mail("INBOX", now - timedelta(hours=20))
    config = imap_config(mailbox, tmp_path, port=proxy.port)
    backend = kept(config)
    poll(config, store, backend, now)
    if how == "idle":
        assert proxy.cut_open() == 1  # dropped while idle, between polls
    else:  # the next poll's first command dies on the way to the server
        cut = proxy.arm(Cut(b"STATUS", watch=TO_SERVER, cut=TO_SERVER))
    client_thread(mailbox, 2, now - timedelta(hours=19))
    second = poll(config, store, backend, now + timedelta(minutes=2))
    if how == "first_command":
        assert cut.fired.is_set()
    assert second.new_messages == 1 and len(second.drafts_written) == 1
    assert backend.logins == 2 and proxy.connections == 2
    ids = draft_ids(mailbox)
    assert len(ids) == len(set(ids)) == 2


def test_a_server_restarted_between_polls_is_logged_in_again_with_no_duplicate_draft(
    dovecot: Dovecot, mailbox: Mailbox, tmp_path: Path, store: StateStore, now: datetime
) -> None:
    mailbox.client_mail("INBOX", now - timedelta(hours=20))
    config = imap_config(mailbox, tmp_path)
    backend = kept(config)
    poll(config, store, backend, now)
    mailbox.close()  # the helper's own connection dies with the server
    kick(dovecot, mailbox.user)  # BYE to the kept connection, closed
    restart(dovecot)
    client_thread(mailbox, 2, now - timedelta(hours=19))
    second = poll(config, store, backend, now + timedelta(minutes=2))
    assert len(second.drafts_written) == 1
    assert backend.logins == 2
    ids = draft_ids(mailbox)
    assert len(ids) == len(set(ids)) == 2


def test_an_append_first_on_a_cut_kept_connection_is_sent_once_after_a_noop(
    mailbox: Mailbox, proxy: CuttingProxy, tmp_path: Path
) -> None:
    config = imap_config(mailbox, tmp_path, port=proxy.port)
    recorder = Recorder()
    backend = kept(config, recorder)
    with backend.open_inbox():
        backend.probe_inbox()
    before = len(mailbox.messages("INBOX"))
    proxy.cut_open()
    recorder.commands.clear()
    with backend.open_inbox():
        backend.append_to_inbox(b"Subject: digest\r\nMessage-ID: <d1@example.jp>\r\n\r\nhi\r\n")
    assert recorder.commands["NOOP"] == 2  # the one that found the cut, then on the new one
    assert recorder.commands["APPEND"] == 1 and backend.logins == 2
    assert len(mailbox.messages("INBOX")) == before + 1


def test_a_connection_idle_past_its_lifetime_is_logged_out_not_reused(
    mailbox: Mailbox, tmp_path: Path, store: StateStore, now: datetime
) -> None:
    config = imap_config(mailbox, tmp_path)
    clock = Clock()
    backend = kept(config, clock=clock)
    poll(config, store, backend, now)
    clock.at += LIFETIME.total_seconds() - 1
    assert not backend.close_idle() and backend.connected  # not idle long enough yet
    poll(config, store, backend, now + timedelta(minutes=2))
    assert backend.logins == 1
    clock.at += LIFETIME.total_seconds() + 1
    assert backend.close_idle() and not backend.connected  # the service's sweep
    poll(config, store, backend, now + timedelta(minutes=30))
    clock.at += LIFETIME.total_seconds() + 1
    poll(config, store, backend, now + timedelta(minutes=60))  # stale on entry: a new login
    assert backend.logins == 3


def test_the_service_polls_on_one_login_and_logs_out_when_it_stops(
    dovecot: Dovecot, mailbox: Mailbox, tmp_path: Path, store: StateStore, now: datetime
) -> None:
    mailbox.client_mail("INBOX", now - timedelta(hours=20))
    mailbox.close()
    config = imap_config(mailbox, tmp_path)
    daemon = Daemon(tmp_path / "config.toml", config, store, clock=lambda: now)
    for _ in range(3):
        daemon._poll("work")
    assert logins(dovecot, mailbox.user) == 2  # the helper's, and the service's one
    assert len(draft_ids(mailbox)) == 1
    mailbox.close()
    daemon.connections.close_all()
    # The helper's two sessions and the service's one, each ended by LOGOUT (Dovecot may
    # write the line just after answering).
    deadline = time.monotonic() + 5
    while logouts(dovecot, mailbox.user) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert logouts(dovecot, mailbox.user) == 3

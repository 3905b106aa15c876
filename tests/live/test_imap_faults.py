"""Faults against a real Dovecot: connections cut mid-FETCH and mid-APPEND, a server restart,
throttling answers and a refused login (each retried only after its backoff), and a
connection cut during LOGIN, which is a lost connection and not a refused login.

Each fault ends the account's cycle with an error recorded and nothing half-written; the next
clean cycle then gives exactly the drafts an undisturbed run gives (SPEC §1 guarantees 3, 4).
The cuts come from a small TCP proxy in front of the server (``tests/live/proxy.py``).
"""

from __future__ import annotations

import re
import socket
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.parser import BytesParser
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest
from imapclient import IMAPClient

from inboxguard.backends.imap import ImapBackend
from inboxguard.config import Config
from inboxguard.domain.drafts import DraftStatus
from inboxguard.errors import BackendError, LoginFailedError
from inboxguard.service.context import Context
from inboxguard.service.cycle import AccountResult, run_cycle
from inboxguard.store import StateStore
from tests.live.conftest import ENV_PASSWORD
from tests.live.dovecot_server import DOVECOT, PASSWORD, Dovecot, Mailbox, _wait_for_listener
from tests.live.proxy import TO_CLIENT, TO_SERVER, Cut, CuttingProxy, Rewrite
from tests.live.test_imap_live import Recorder, account_of, imap_config
from tests.mailboxes import CLIENT, OWNER

pytestmark = pytest.mark.live

LATER = timedelta(minutes=30)  # past any backoff the failed cycle asked for


@pytest.fixture
def proxy(dovecot: Dovecot) -> Iterator[CuttingProxy]:
    with CuttingProxy(dovecot.host, dovecot.port) as proxy:
        yield proxy


def run_once(
    config: Config, store: StateStore, now: datetime, recorder: Recorder | None = None
) -> AccountResult:
    ctx = Context.build(config)
    factory = recorder.factory if recorder else IMAPClient
    backend = ImapBackend(account_of(config), client_factory=factory)
    (result,) = run_cycle(ctx, store, [backend], now=now)
    return result


def draft_ids(mailbox: Mailbox) -> list[str]:
    """Message-IDs of everything in Drafts, sorted (duplicates kept)."""
    parser = BytesParser(policy=default_policy)
    return sorted(
        str(parser.parsebytes(raw)["Message-ID"]) for _, raw in mailbox.messages("Drafts").values()
    )


def client_thread(mailbox: Mailbox, n: int, received: datetime) -> None:
    """A client's mail starting thread ``n`` (its own subject, so its own thread)."""
    mailbox.add(
        "INBOX",
        sender=f"山田 太郎 <{CLIENT}>",
        to=f"佐藤 花子 <{OWNER}>",
        subject=f"案件{n}のご相談",
        date=received,
        message_id=f"<q{n}@client.example>",
        body=f"佐藤様\n\n案件{n}についてご相談です。\n\n山田\n",
    )


def fill(mailbox: Mailbox, now: datetime) -> int:
    """Client threads of several ages; returns how many are old enough for a holding draft."""
    old = 0
    for n in range(10):
        hours = 20 if n % 3 else 2  # 20 h old: past holding_draft_after (16 h); 2 h: not yet
        old += hours == 20
        client_thread(mailbox, n, now - timedelta(hours=hours, minutes=n))
    return old


def assert_failed_cleanly(result: AccountResult, store: StateStore, now: datetime) -> None:
    assert not result.ok
    assert "lost" in (result.error or "") or "network error" in (result.error or "")
    (health,) = store.health()
    assert health.failing_since == now and health.last_error == result.error
    # A draft may be claimed in the ledger (its APPEND was under way); none is settled.
    assert not [d for d in store.drafts() if d.settled]


def test_connection_cut_mid_fetch_then_a_clean_cycle_gives_the_drafts_of_an_undisturbed_run(
    mailbox: Mailbox,
    proxy: CuttingProxy,
    tmp_path: Path,
    store: StateStore,
    now: datetime,
) -> None:
    twin = Mailbox(mailbox.server, mailbox.server.new_user())
    try:
        expected = fill(mailbox, now)
        assert fill(twin, now) == expected
        config = imap_config(mailbox, tmp_path, port=proxy.port, batch_size=3)
        cut = proxy.arm(Cut(b"FETCH", watch=TO_SERVER, cut=TO_CLIENT, after=700))
        failed = run_once(config, store, now)
        assert cut.fired.is_set()
        assert_failed_cleanly(failed, store, now)
        # The folder being read when the line died recorded nothing: no marker, no rows.
        assert store.folder_marker("work", "INBOX") is None
        assert store.messages("work") == []
        assert mailbox.messages("Drafts") == {}

        recovered = run_once(config, store, now + LATER)
        assert recovered.ok, recovered.error
        assert proxy.connections == 2
        twin_store = StateStore.open(f"sqlite:///{tmp_path / 'twin.db'}")
        try:
            twin_config = imap_config(twin, tmp_path / "twin")
            undisturbed = run_once(twin_config, twin_store, now + LATER)
            assert undisturbed.ok, undisturbed.error
            twin_drafts = sorted(d.message_id for d in twin_store.drafts())
        finally:
            twin_store.close()
        assert len(recovered.drafts_written) == len(undisturbed.drafts_written) == expected
        assert sorted(d.message_id for d in store.drafts()) == twin_drafts
        assert draft_ids(mailbox) == draft_ids(twin) == twin_drafts
        assert recovered.states == undisturbed.states
        (health,) = store.health()
        assert health.failing_since is None and health.last_success_at == now + LATER
    finally:
        twin.close()


def test_connection_cut_mid_append_literal_then_a_clean_cycle_writes_exactly_one_draft(
    mailbox: Mailbox, proxy: CuttingProxy, tmp_path: Path, store: StateStore, now: datetime
) -> None:
    mailbox.client_mail("INBOX", now - timedelta(hours=20))
    config = imap_config(mailbox, tmp_path, port=proxy.port)
    # 300 bytes from the start of "APPEND": the command line and the first part of the literal.
    cut = proxy.arm(Cut(b"APPEND", watch=TO_SERVER, cut=TO_SERVER, after=300))
    failed = run_once(config, store, now)
    assert cut.fired.is_set()
    assert_failed_cleanly(failed, store, now)
    assert mailbox.messages("Drafts") == {}  # the server threw the half literal away

    recovered = run_once(config, store, now + LATER)
    assert recovered.ok, recovered.error
    (draft,) = recovered.drafts_written
    assert draft_ids(mailbox) == [draft.message_id]
    again = run_once(config, store, now + 2 * LATER)
    assert again.ok and again.drafts_written == []
    assert draft_ids(mailbox) == [draft.message_id]


def test_append_answer_lost_then_the_clean_cycle_finds_the_draft_and_appends_nothing(
    mailbox: Mailbox, proxy: CuttingProxy, tmp_path: Path, store: StateStore, now: datetime
) -> None:
    mailbox.client_mail("INBOX", now - timedelta(hours=20))
    config = imap_config(mailbox, tmp_path, port=proxy.port)
    # The server stored the draft; its "OK [APPENDUID ...]" never reaches us.
    cut = proxy.arm(Cut(b"[APPENDUID", watch=TO_CLIENT, cut=TO_CLIENT, after=0))
    failed = run_once(config, store, now)
    assert cut.fired.is_set()
    assert_failed_cleanly(failed, store, now)
    (written,) = draft_ids(mailbox)

    recorder = Recorder()
    recovered = run_once(config, store, now + LATER, recorder)
    assert recovered.ok, recovered.error
    assert recorder.commands["APPEND"] == 0
    assert recovered.drafts_written == []
    assert [d.message_id for d in recovered.drafts_found] == [written]
    assert [d.message_id for d in store.drafts()] == [written]
    assert draft_ids(mailbox) == [written]


def restart(server: Dovecot) -> None:
    """Stop the session's Dovecot and start it again from the same configuration file."""
    conf = str(server.root / "dovecot.conf")
    quiet: dict[str, Any] = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    subprocess.run([DOVECOT, "-c", conf, "stop"], check=True, **quiet)
    end = time.monotonic() + 15
    while True:  # `stop` returns before the master has let go of the port
        started = subprocess.run([DOVECOT, "-c", conf], check=False, **quiet)
        if started.returncode == 0:
            break
        if time.monotonic() > end:
            pytest.fail("Dovecot did not start again after `stop`")
        time.sleep(0.1)
    _wait_for_listener(server.port, server.root / "dovecot.log")


def _refused(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return False
    except OSError:
        return True


def test_dovecot_restarted_between_cycles_the_next_cycle_succeeds_with_no_duplicate_draft(
    dovecot: Dovecot, mailbox: Mailbox, tmp_path: Path, store: StateStore, now: datetime
) -> None:
    mailbox.client_mail("INBOX", now - timedelta(hours=20))
    config = imap_config(mailbox, tmp_path)
    first = run_once(config, store, now)
    assert first.ok and len(first.drafts_written) == 1
    mailbox.close()  # the helper's own connection dies with the server
    restart(dovecot)
    client_thread(mailbox, 2, now - timedelta(hours=19))
    second = run_once(config, store, now + timedelta(minutes=2))
    assert second.ok, second.error
    assert len(second.drafts_written) == 1  # for the new thread only
    ids = draft_ids(mailbox)
    assert len(ids) == len(set(ids)) == 2
    assert sorted(d.message_id for d in store.drafts()) == ids


def test_dovecot_restarted_in_the_middle_of_a_cycle_the_next_cycle_writes_the_one_draft(
    mailbox: Mailbox,
    proxy: CuttingProxy,
    tmp_path: Path,
    store: StateStore,
    now: datetime,
) -> None:
    dovecot = mailbox.server
    mailbox.client_mail("INBOX", now - timedelta(hours=20))
    mailbox.close()
    config = imap_config(mailbox, tmp_path, port=proxy.port)
    # The APPEND is held at the proxy while the server restarts under the open connection.
    cut = proxy.arm(
        Cut(b"APPEND", watch=TO_SERVER, cut=TO_SERVER, before_cut=lambda: restart(dovecot))
    )
    failed = run_once(config, store, now)
    assert cut.fired.is_set()
    assert_failed_cleanly(failed, store, now)
    assert not _refused(dovecot.port)
    assert mailbox.messages("Drafts") == {}

    recovered = run_once(config, store, now + LATER)
    assert recovered.ok, recovered.error
    (draft,) = recovered.drafts_written
    assert draft_ids(mailbox) == [draft.message_id]


# Dovecot's own tagged answers, which the proxy turns into a throttling server's.
FETCH_OK = re.compile(rb"(\w+) OK Fetch completed[^\r\n]*")
APPEND_OK = re.compile(rb"(\w+) OK \[APPENDUID [^\r\n]*")
LOGIN_OK = re.compile(rb"(\w+) OK Logged in[^\r\n]*")


def test_suggested_backoff_on_a_fetch_ends_the_cycle_and_the_account_waits_that_long(
    mailbox: Mailbox, proxy: CuttingProxy, tmp_path: Path, store: StateStore, now: datetime
) -> None:
    mailbox.client_mail("INBOX", now - timedelta(hours=20))
    config = imap_config(mailbox, tmp_path, port=proxy.port)
    answer = rb"\1 NO Request is throttled. Suggested Backoff Time: 180000 milliseconds"
    rewrite = proxy.rewrite(Rewrite(FETCH_OK, answer))
    failed = run_once(config, store, now)
    assert rewrite.done.is_set()
    assert not failed.ok and "Suggested Backoff Time" in (failed.error or "")
    assert failed.retry_at == now + timedelta(minutes=3)
    assert store.messages("work") == [] and store.drafts() == []

    waiting = run_once(config, store, now + timedelta(minutes=2))
    assert waiting.ok and waiting.skipped_until == now + timedelta(minutes=3)
    assert proxy.connections == 1  # the server was left alone
    (health,) = store.health()
    assert health.failing_since == now and health.next_attempt_at == now + timedelta(minutes=3)

    recovered = run_once(config, store, now + timedelta(minutes=3))
    assert recovered.ok, recovered.error
    assert len(recovered.drafts_written) == 1 and len(draft_ids(mailbox)) == 1
    (health,) = store.health()
    assert health.failing_since is None and health.next_attempt_at is None


def test_overquota_answer_to_an_append_waits_an_hour_then_finds_the_draft_instead_of_a_second(
    mailbox: Mailbox, proxy: CuttingProxy, tmp_path: Path, store: StateStore, now: datetime
) -> None:
    mailbox.client_mail("INBOX", now - timedelta(hours=20))
    config = imap_config(mailbox, tmp_path, port=proxy.port)
    # The server stored the draft, yet we are told NO: the outcome is unknown to us.
    answer = rb"\1 NO [OVERQUOTA] Quota exceeded (mailbox for user is full)"
    proxy.rewrite(Rewrite(APPEND_OK, answer))
    failed = run_once(config, store, now)
    assert not failed.ok and "[OVERQUOTA]" in (failed.error or "")
    assert failed.retry_at == now + timedelta(hours=1)
    (claim,) = store.drafts()  # claimed before the APPEND, its outcome unknown
    assert not claim.settled
    (stored,) = draft_ids(mailbox)

    assert run_once(config, store, now + timedelta(minutes=30)).skipped
    recorder = Recorder()
    later = run_once(config, store, now + timedelta(hours=1), recorder)
    assert later.ok, later.error
    assert recorder.commands["APPEND"] == 0
    assert [d.message_id for d in store.drafts()] == [stored] == draft_ids(mailbox)
    assert [d.status for d in store.drafts()] == [DraftStatus.FOUND]


def test_throttled_login_backs_off_five_minutes(
    mailbox: Mailbox, proxy: CuttingProxy, tmp_path: Path, store: StateStore, now: datetime
) -> None:
    config = imap_config(mailbox, tmp_path, port=proxy.port)
    proxy.rewrite(Rewrite(LOGIN_OK, rb"\1 NO [THROTTLED] Too many logins, try later"))
    failed = run_once(config, store, now)
    assert not failed.ok and "the server asks us to wait" in (failed.error or "")
    assert failed.retry_at == now + timedelta(minutes=5)
    assert run_once(config, store, now + timedelta(minutes=4)).skipped
    assert run_once(config, store, now + timedelta(minutes=5)).ok


def test_a_refused_login_is_recorded_and_not_tried_again_for_15_then_30_minutes(
    mailbox: Mailbox,
    proxy: CuttingProxy,
    tmp_path: Path,
    store: StateStore,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    monkeypatch.setenv(ENV_PASSWORD, "Wr0ng-but-secret-7731")
    config = imap_config(mailbox, tmp_path, port=proxy.port)
    first = run_once(config, store, now)
    assert not first.ok and "login failed" in (first.error or "")
    assert first.retry_at == now + timedelta(minutes=15)
    for minutes in (1, 2, 5, 14):
        assert run_once(config, store, now + timedelta(minutes=minutes)).skipped
    assert proxy.connections == 1
    second = run_once(config, store, now + timedelta(minutes=15))
    assert not second.ok and second.retry_at == now + timedelta(minutes=45)
    (health,) = store.health()
    assert health.consecutive_failures == 2 and health.failing_since == now
    assert "Wr0ng" not in (health.last_error or "")
    monkeypatch.setenv(ENV_PASSWORD, PASSWORD)  # the owner fixed it
    assert run_once(config, store, now + timedelta(minutes=30)).skipped
    assert run_once(config, store, now + timedelta(minutes=45)).ok
    assert proxy.connections == 3


def test_a_connection_cut_right_after_login_is_sent_is_a_lost_connection_retried_in_2_minutes(
    mailbox: Mailbox, proxy: CuttingProxy, tmp_path: Path, store: StateStore, now: datetime
) -> None:
    # imapclient words every failure inside login() as LoginError; this one is the network's.
    config = imap_config(mailbox, tmp_path, port=proxy.port)
    cut = proxy.arm(Cut(b" LOGIN ", watch=TO_SERVER, cut=TO_SERVER, after=0))
    failed = run_once(config, store, now)
    assert cut.fired.is_set()
    assert not failed.ok
    assert "login: connection to" in (failed.error or "") and "lost" in (failed.error or "")
    assert "login failed" not in (failed.error or "")
    assert PASSWORD not in (failed.error or "")
    assert failed.retry_at == now + timedelta(minutes=2)  # not the 15 of a refused login
    assert run_once(config, store, now + timedelta(minutes=2)).ok


def test_a_connection_cut_during_login_is_not_a_login_failed_error(
    mailbox: Mailbox, proxy: CuttingProxy, tmp_path: Path
) -> None:
    config = imap_config(mailbox, tmp_path, port=proxy.port)
    proxy.arm(Cut(b" LOGIN ", watch=TO_SERVER, cut=TO_SERVER, after=0))
    with pytest.raises(BackendError) as caught, ImapBackend(account_of(config)):
        pass
    assert not isinstance(caught.value, LoginFailedError)


def test_a_bad_answer_to_login_is_a_refused_login_like_a_wrong_password(
    mailbox: Mailbox, proxy: CuttingProxy, tmp_path: Path, store: StateStore, now: datetime
) -> None:
    config = imap_config(mailbox, tmp_path, port=proxy.port)
    proxy.rewrite(Rewrite(LOGIN_OK, rb"\1 BAD Error in IMAP command LOGIN: Invalid arguments."))
    failed = run_once(config, store, now)
    assert not failed.ok and "login failed" in (failed.error or "")
    assert failed.retry_at == now + timedelta(minutes=15)


def test_a_wrong_password_is_still_a_refused_login_backed_off_15_minutes(
    mailbox: Mailbox,
    tmp_path: Path,
    store: StateStore,
    now: datetime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(ENV_PASSWORD, "Wr0ng-but-secret-7731")
    config = imap_config(mailbox, tmp_path)
    with pytest.raises(LoginFailedError), ImapBackend(account_of(config)):
        pass
    failed = run_once(config, store, now)
    assert not failed.ok and "login failed" in (failed.error or "")
    assert failed.retry_at == now + timedelta(minutes=15)

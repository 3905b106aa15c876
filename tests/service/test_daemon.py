"""`inboxguard run` as systemd runs it: a real process, a real notify socket, real signals."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from inboxguard.config import parse_config
from inboxguard.service.daemon import Daemon
from inboxguard.store import StateStore, schema
from tests.cli.test_cli import NOW, thread
from tests.mailboxes import Maildir, config_dict, write_config

INBOXGUARD = Path(sys.executable).with_name("inboxguard")


class NotifySocket:
    """What systemd would hear: the datagrams sent to $NOTIFY_SOCKET."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.sock.settimeout(0.2)
        self.received: list[str] = []

    def wait_for(self, line: str, timeout: float = 60) -> list[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                datagram = self.sock.recv(4096).decode()
            except TimeoutError:
                continue
            self.received.append(datagram)
            if line in datagram.split("\n"):
                return datagram.split("\n")
        raise AssertionError(f"no {line!r} within {timeout}s; heard {self.received}")

    def drain(self) -> None:
        """Forget what an earlier process said."""
        while True:
            try:
                self.sock.recv(4096)
            except TimeoutError:
                return

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def notify(tmp_path: Path) -> Iterator[NotifySocket]:
    listener = NotifySocket(tmp_path / "notify.sock")
    yield listener
    listener.close()


def service_config(mail: Maildir, tmp_path: Path, **digest: Any) -> dict[str, Any]:
    data = config_dict(mail.root, tmp_path)
    data["digest"] = {"delivery": "file", "path": str(tmp_path / "digests"), "time": "08:00"}
    data["digest"].update(digest)
    return data


def start(config: Path, notify: NotifySocket, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "INBOXGUARD_NOW": NOW.isoformat(),  # 12:00 Tokyo: today's 08:00 digest is due
        "NOTIFY_SOCKET": str(notify.path),
    }
    env.pop("JOURNAL_STREAM", None)
    return subprocess.Popen(
        [str(INBOXGUARD), "--config", str(config), "--log-format", "json", "run"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
    )


def events(log: Path) -> list[dict[str, Any]]:
    lines = log.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.startswith("{")]


def wait_for_event(log: Path, event: str, timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for item in events(log):
            if item.get("event") == event:
                return item
        time.sleep(0.1)
    raise AssertionError(f"no {event!r} logged within {timeout}s: {log.read_text()}")


def stop(process: subprocess.Popen[bytes]) -> float:
    """SIGTERM; the seconds it took to exit."""
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=15)
    return time.monotonic() - started


def digest_attempts(tmp_path: Path) -> list[tuple[str, int]]:
    store = StateStore.open(f"sqlite:///{tmp_path / 'state.db'}")
    try:
        with store.engine.connect() as c:
            rows = c.execute(select(schema.digests.c.day, schema.digests.c.attempts)).all()
    finally:
        store.close()
    return [(row.day.isoformat(), row.attempts) for row in rows]


def test_ready_after_the_first_poll_digest_caught_up_reload_and_a_clean_stop(
    tmp_path: Path, notify: NotifySocket
) -> None:
    mail = Maildir(tmp_path / "Mail")
    thread(mail, "q", "質問", 30)
    config = write_config(tmp_path / "config.toml", service_config(mail, tmp_path))
    log = tmp_path / "service.log"
    process = start(config, notify, log)
    try:
        ready = notify.wait_for("READY=1")
        assert "WATCHDOG=1" in ready
        status = next(line for line in ready if line.startswith("STATUS="))
        assert "1 account(s) polled" in status and "1 overdue" in status
        wait_for_event(log, "digest sent")
        assert (tmp_path / "digests" / "digest-2026-11-20.eml").exists()

        # An invalid configuration is refused and the service keeps running.
        write_config(config, service_config(mail, tmp_path, time="25:00"))
        process.send_signal(signal.SIGHUP)
        failed = wait_for_event(log, "configuration reload failed; keeping the running one")
        assert "digest.time" in failed["error"]
        assert process.poll() is None
        write_config(config, service_config(mail, tmp_path, time="09:00"))
        process.send_signal(signal.SIGHUP)
        wait_for_event(log, "configuration reloaded")
        assert process.poll() is None
        assert stop(process) < 10
        assert process.returncode == 0
        wait_for_event(log, "service stopped")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert digest_attempts(tmp_path) == [("2026-11-20", 1)]

    # Started again the same day: the digest is not sent a second time.
    log2 = tmp_path / "service2.log"
    notify.drain()
    process = start(config, notify, log2)
    try:
        notify.wait_for("READY=1")
        time.sleep(1)
        assert stop(process) < 10 and process.returncode == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert digest_attempts(tmp_path) == [("2026-11-20", 1)]
    assert not any(e.get("event") == "digest sent" for e in events(log2))


def test_sigterm_during_a_long_first_scan_exits_0_within_10_seconds(
    tmp_path: Path, notify: NotifySocket
) -> None:
    mail = Maildir(tmp_path / "Mail")
    for index in range(4000):
        mail.add(
            "INBOX",
            sender=f"c{index}@client.example",
            to="hanako@example.jp",
            subject=f"件名 {index}",
            date=NOW - timedelta(minutes=5 * index + 1),
            message_id=f"<m{index}@client.example>",
        )
    config = write_config(tmp_path / "config.toml", service_config(mail, tmp_path))
    log = tmp_path / "service.log"
    process = start(config, notify, log)
    try:
        wait_for_event(log, "service started")
        time.sleep(1.0)  # inside the first scan
        took = stop(process)
        assert process.returncode == 0
        assert took < 10
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_poll_jobs_never_overlap_and_coalesce_missed_runs(tmp_path: Path) -> None:
    mail = Maildir(tmp_path / "Mail")
    config = parse_config(service_config(mail, tmp_path))
    store = StateStore.open(f"sqlite:///{tmp_path / 'state.db'}")
    daemon = Daemon(tmp_path / "config.toml", config, store, lambda: NOW)
    try:
        daemon._schedule(daemon.ctx)  # the schedule is what is tested here
        daemon.scheduler.start(paused=True)  # jobs get their settings when it starts
        jobs = {job.id: job for job in daemon.scheduler.get_jobs()}
        poll = jobs["poll:work"]
        assert poll.max_instances == 1 and poll.coalesce
        assert poll.trigger.interval == timedelta(minutes=2)
        assert poll.trigger.jitter == 20
        digest = jobs["digest"]
        assert str(digest.trigger.timezone) == "Asia/Tokyo"
        assert "hour='8'" in str(digest.trigger) and "minute='0'" in str(digest.trigger)
    finally:
        if daemon.scheduler.running:
            daemon.scheduler.shutdown(wait=False)
        store.close()

"""Several `inboxguard run` workers on one store and many mailboxes, killed at random: every
account is polled, each by one worker at a time, and every draft is written exactly once."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from inboxguard.store import StateStore
from tests.conftest import Backend
from tests.mailboxes import OWNER, Maildir, config_dict, write_config

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
ACCOUNTS = 12
WORKERS = 3
# Leases last three poll intervals of 30 s: the survivor takes a killed worker's accounts
# over within about 90 s of its last renewal.
DEADLINE = 180.0


def mailboxes(tmp_path: Path) -> list[Maildir]:
    boxes = []
    for n in range(ACCOUNTS):
        box = Maildir(tmp_path / f"Mail{n}")
        for t in range(3):  # 20 h old: each thread is owed a holding draft
            box.add(
                "INBOX",
                sender=f"client{t} <c{t}@client{n}.example>",
                to=OWNER,
                subject=f"見積のご依頼 {n}-{t}",
                date=NOW - timedelta(hours=20, minutes=t),
                message_id=f"<q{n}.{t}@client.example>",
            )
        boxes.append(box)
    return boxes


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(10)


def start(config: Path, tmp_path: Path, index: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "INBOXGUARD_NOW": NOW.isoformat()}
    env.pop("NOTIFY_SOCKET", None)
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from inboxguard.cli import main; main()",
            "--config",
            str(config),
            "run",
        ],
        env=env,
        stdout=(tmp_path / f"worker{index}.out").open("wb"),
        stderr=(tmp_path / f"worker{index}.err").open("wb"),
    )


def drafts_of(box: Maildir) -> list[str]:
    return [str(message_from_bytes(p.read_bytes())["Message-ID"]) for p in box.drafts()]


def test_workers_killed_at_random_leave_every_account_polled_and_no_draft_twice(
    tmp_path: Path, backend: Backend, workers: list[subprocess.Popen[bytes]]
) -> None:
    boxes = mailboxes(tmp_path)
    data: dict[str, Any] = config_dict(boxes[0].root, tmp_path)
    data["accounts"] = [
        {"name": f"acct{n}", "kind": "maildir", "path": str(box.root)}
        for n, box in enumerate(boxes)
    ]
    url = backend.url()
    data["state"] = {"url": url}
    data["service"] = {"poll_interval": "30s", "poll_jitter": "1s", "max_parallel": 4}
    config = write_config(tmp_path / "config.toml", data)
    workers.extend(start(config, tmp_path, i) for i in range(WORKERS))
    rng = random.Random(os.getpid())  # noqa: S311 -- when to kill, not a secret
    time.sleep(rng.uniform(1.0, 6.0))  # the first polls are under way
    doomed = rng.sample(workers, WORKERS - 1)
    for process in doomed:
        process.send_signal(signal.SIGKILL)
        time.sleep(rng.uniform(0.5, 4.0))
    survivor = next(p for p in workers if p not in doomed)

    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        if all(len(drafts_of(box)) >= 3 for box in boxes):
            break
        time.sleep(1.0)
    time.sleep(2.0)  # a second worker writing a duplicate would have done so by now
    survivor.send_signal(signal.SIGTERM)
    assert survivor.wait(60) == 0
    for box in boxes:
        ids = drafts_of(box)
        assert len(ids) == 3 and len(set(ids)) == 3, (box.root, ids)
    for index in range(WORKERS):
        said = (tmp_path / f"worker{index}.err").read_text() + (
            tmp_path / f"worker{index}.out"
        ).read_text()
        assert "Traceback" not in said
    store = StateStore.open(url)
    try:
        # The survivor stopped cleanly: it handed every lease back.
        live = [
            lease
            for lease in store.leases(datetime.now(UTC))
            if not lease.expired(datetime.now(UTC))
        ]
        assert not [lease for lease in live if lease.holder.endswith(f":{survivor.pid}")]
    finally:
        store.close()

"""Cycle cost on a local Maildir: first scan, unchanged poll, 100 new messages, peak RSS.

Run: .venv/bin/python bench/maildir_cycle.py [N ...]   (default: 1000 10000)
Cycles keep an evaluation cache, as the long-running service does.
Prints a table; asserts nothing (speed is measured here, never in tests).
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from inboxguard.backends.maildir import MaildirBackend
from inboxguard.config import MaildirAccount, parse_config
from inboxguard.service.assessing import EvaluationCache
from inboxguard.service.context import Context
from inboxguard.service.cycle import run_cycle
from inboxguard.store import StateStore

OWNER = "hanako@example.jp"
NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


def write_mail(folder: Path, index: int, age: timedelta, *, reply_to: int | None) -> None:
    message = EmailMessage()
    mine = reply_to is not None and index % 2 == 1
    message["From"] = OWNER if mine else f"client{index % 97}@client{index % 13}.example"
    message["To"] = f"client{index % 97}@client{index % 13}.example" if mine else OWNER
    subject = f"見積のご依頼 {index // 4}"
    message["Subject"] = f"Re: {subject}" if reply_to is not None else subject
    message["Date"] = format_datetime(NOW - age)
    message["Message-ID"] = f"<m{index}@bench.example>"
    if reply_to is not None:
        message["In-Reply-To"] = f"<m{reply_to}@bench.example>"
        message["References"] = f"<m{reply_to}@bench.example>"
    message.set_content("お世話になっております。\n" + "本文の行です。\n" * 20)
    stamp = int((NOW - age).timestamp())
    (folder / "cur" / f"{stamp}.B{index}.bench:2,S").write_bytes(message.as_bytes())


def build(root: Path, count: int, start: int = 0) -> None:
    for name in ("INBOX", "Sent", "Drafts"):
        for sub in ("cur", "new", "tmp"):
            (root / name / sub).mkdir(parents=True, exist_ok=True)
    for index in range(start, start + count):
        position = index % 4  # threads of four: client, me, client, me
        age = timedelta(minutes=(count + start - index) * 3)
        folder = root / ("Sent" if position % 2 == 1 else "INBOX")
        write_mail(folder, index, age, reply_to=index - 1 if position else None)


def measure(count: int) -> tuple[float, float, float, int]:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        build(base / "Mail", count)
        config = {
            "owner": {"name": "Bench", "addresses": [OWNER]},
            "accounts": [{"name": "bench", "kind": "maildir", "path": str(base / "Mail")}],
            "state": {"url": f"sqlite:///{base / 'state.db'}"},
            "sla": {"lookback": "400d"},
        }
        ctx = Context.build(parse_config(config))
        store = StateStore.open(f"sqlite:///{base / 'state.db'}")
        account = ctx.config.accounts[0]
        assert isinstance(account, MaildirAccount)
        cache = EvaluationCache()  # as the long-running service (`inboxguard run`) keeps one

        def timed(now: datetime) -> float:
            start = time.perf_counter()
            backends = [MaildirBackend(account)]
            (result,) = run_cycle(ctx, store, backends, now=now, cache=cache)
            assert result.ok, result.error
            return time.perf_counter() - start

        first = timed(NOW)
        timed(NOW + timedelta(minutes=1))  # reads the drafts the first cycle wrote
        unchanged = timed(NOW + timedelta(minutes=2))
        build(base / "Mail", 100, start=count)
        new_100 = timed(NOW + timedelta(minutes=3))
        store.close()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    return first, unchanged, new_100, rss_mb


def main(sizes: list[int]) -> None:
    print("| messages | first scan (s) | unchanged poll (ms) | +100 new (s) | peak RSS (MB) |")
    print("|---:|---:|---:|---:|---:|")
    for size in sizes:
        first, unchanged, new_100, rss = measure(size)
        print(f"| {size:,} | {first:.2f} | {unchanged * 1000:.1f} | {new_100:.2f} | {rss} |")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1000, 10000])

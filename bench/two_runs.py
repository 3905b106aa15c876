"""Two `inboxguard run --once` started together on one state, against a real Dovecot.

Run as root (Dovecot is started from a temporary directory, as in tests/live):
    .venv/bin/python bench/two_runs.py [--trials 20] [--messages 2000] [--threads 700]

Each trial gets a fresh mailbox (client mail 16-40 hours old, so every thread is owed a
holding draft) and a fresh state, then starts two processes at once: a manual run beside the
service, or cron beside systemd. Counts the drafts in Drafts, the duplicates among them, the
processes that failed or printed a traceback, and how many skipped the account because the
other held it. Prints a table; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.utils import format_datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from imapclient import IMAPClient

from tests.live.dovecot_server import HOST, PASSWORD, running
from tests.two_runs import run_twice_at_once

OWNER = "hanako@example.jp"
ENV_PASSWORD = "INBOXGUARD_BENCH_PASSWORD"  # noqa: S105 -- a variable name, not a secret


def _mail(index: int, thread: int, when: datetime) -> bytes:
    return (
        f"From: client{thread} <c{thread}@client.example>\r\n"
        f"To: 佐藤 花子 <{OWNER}>\r\n"
        f"Subject: =?utf-8?b?{_b64(f'見積のご依頼 {thread}')}?=\r\n"
        f"Date: {format_datetime(when)}\r\n"
        f"Message-ID: <m{index}.t{thread}@client.example>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n"
        "佐藤様\r\n\r\nお見積りをお願いできますでしょうか。\r\n"
    ).encode()


def _b64(text: str) -> str:
    import base64  # noqa: PLC0415 -- only the subject encoder needs it

    return base64.b64encode(text.encode()).decode()


def populate(host: str, port: int, user: str, messages: int, threads: int) -> None:
    now = datetime.now(UTC)
    client = IMAPClient(host, port, ssl=False)
    client.login(user, PASSWORD)
    for index in range(messages):
        thread = index % threads
        when = now - timedelta(hours=40) + timedelta(minutes=(index * 24 * 60) // messages)
        client.append("INBOX", _mail(index, thread, when), flags=(), msg_time=when)
    client.logout()


def drafts(host: str, port: int, user: str) -> list[str]:
    client = IMAPClient(host, port, ssl=False)
    client.login(user, PASSWORD)
    client.select_folder("Drafts", readonly=True)
    uids = client.search(["ALL"])
    ids = []
    if uids:
        for item in client.fetch(uids, ["BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"]).values():
            header = item[b"BODY[HEADER.FIELDS (MESSAGE-ID)]"]
            ids.append(str(message_from_bytes(header)["Message-ID"]))
    client.logout()
    return ids


def config(directory: Path, host: str, port: int, user: str) -> Path:
    path = directory / "config.toml"
    path.write_text(
        f"""[owner]
name = "佐藤 花子"
addresses = ["{OWNER}"]
timezone = "Asia/Tokyo"

[[accounts]]
name = "work"
kind = "imap"
host = "{host}"
port = {port}
security = "none"
username = "{user}"
password_env = "{ENV_PASSWORD}"

[digest]
delivery = "file"
path = "{directory / "digest.eml"}"

[state]
url = "sqlite:///{directory / "state.db"}"
""",
        encoding="utf-8",
    )
    return path


def trial(host: str, port: int, user: str, args: argparse.Namespace) -> dict[str, float]:
    populate(host, port, user, args.messages, args.threads)
    with tempfile.TemporaryDirectory(prefix="ig-two-runs-") as tmp:
        path = config(Path(tmp), host, port, user)
        started = time.monotonic()
        runs = run_twice_at_once(path, {ENV_PASSWORD: PASSWORD})
        seconds = time.monotonic() - started
    ids = drafts(host, port, user)
    counts = Counter(ids)
    failed = sum(1 for r in runs if r.returncode != 0 or "Traceback" in r.stdout + r.stderr)
    skipped = sum(1 for r in runs if "another cycle is running" in r.stdout)
    return {
        "drafts": len(ids),
        "distinct": len(counts),
        "duplicates": sum(n - 1 for n in counts.values()),
        "failed": failed,
        "skipped": skipped,
        "seconds": seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=700)
    args = parser.parse_args()
    rows = []
    with running("ig-bench-two-runs-") as server:
        for number in range(args.trials):
            user = f"two{number}-{os.getpid()}"
            rows.append(trial(HOST, server.port, user, args))
            print(f"trial {number + 1}/{args.trials}: {rows[-1]}", file=sys.stderr)
    print(f"\n{args.trials} trials, {args.messages} messages in {args.threads} threads each\n")
    print("| trial | drafts | distinct | duplicates | failed processes | skipped | seconds |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for number, row in enumerate(rows, 1):
        print(
            f"| {number} | {row['drafts']:.0f} | {row['distinct']:.0f} | "
            f"{row['duplicates']:.0f} | {row['failed']:.0f} | {row['skipped']:.0f} | "
            f"{row['seconds']:.1f} |"
        )
    total = sum(r["duplicates"] for r in rows)
    with_duplicates = sum(1 for r in rows if r["duplicates"])
    failed = sum(r["failed"] for r in rows)
    print(f"\ntrials with duplicates: {with_duplicates}/{len(rows)}; duplicates: {total:.0f}; ")
    print(f"failed processes: {failed:.0f}/{2 * len(rows)}")


if __name__ == "__main__":
    main()

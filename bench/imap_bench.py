"""InboxGuard against a bare imaplib loop on a real Dovecot: 10,000 and 100,000 messages.

Run as root (Dovecot is started from a temporary directory, as in tests/live):
    .venv/bin/python bench/imap_bench.py [N ...]        (default: 10000 100000)

For each size it builds one mailbox (threads of 1-6 messages, all inside the look-back
window, client mail in INBOX and my replies in Sent), warms Dovecot's header cache with one
throwaway fetch when asked (--warm; by default both sides meet a cold index, as a real
first start does), then runs each side in a child process
(so peak RSS is that side's alone):
- first scan: InboxGuard's sync into its store (drafts off) vs SELECT + SEARCH SINCE +
  UID FETCH of the same header fields in batches, with imaplib (the floor) and with
  imapclient (the library InboxGuard uses: the floor plus its pure-Python response parser);
- unchanged poll: wall time, client CPU, IMAP commands sent;
- poll after 100 new messages arrive.
Prints a table; asserts nothing.
"""

from __future__ import annotations

import argparse
import base64
import imaplib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from imapclient import IMAPClient

from tests.live.dovecot_server import PASSWORD, running

OWNER = "hanako@example.jp"
USER = "bench"
HEADER_FIELDS = (
    "MESSAGE-ID IN-REPLY-TO REFERENCES FROM TO CC REPLY-TO SUBJECT DATE AUTO-SUBMITTED "
    "PRECEDENCE LIST-ID LIST-UNSUBSCRIBE RETURN-PATH X-AUTO-RESPONSE-SUPPRESS X-AUTOREPLY "
    "THREAD-INDEX CONTENT-TYPE"
)
FLOOR_ITEM = f"(BODY.PEEK[HEADER.FIELDS ({HEADER_FIELDS})] INTERNALDATE FLAGS)"


_BODY = base64.encodebytes(
    ("お世話になっております。\n" + "本文の行です。\n" * 15).encode()
).decode()


def _mail(index: int, thread: int, position: int, when: datetime) -> tuple[str, bytes]:
    """Raw bytes written directly (the email package would make populating 100,000 slow)."""
    mine = position % 2 == 1
    client = f"client{thread % 211}@client{thread % 17}.example"
    subject = f"見積のご依頼 {thread}"
    if position:
        subject = f"Re: {subject}"
    encoded = base64.b64encode(subject.encode()).decode()
    lines = [
        f"From: {OWNER if mine else client}",
        f"To: {client if mine else OWNER}",
        f"Subject: =?UTF-8?B?{encoded}?=",
        f"Date: {format_datetime(when)}",
        f"Message-ID: <b{index}@bench.example>",
    ]
    if position:
        lines += [
            f"In-Reply-To: <b{index - 1}@bench.example>",
            f"References: <b{index - 1}@bench.example>",
        ]
    lines += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8",
              "Content-Transfer-Encoding: base64", "", _BODY]  # fmt: skip
    return ("Sent" if mine else "INBOX"), "\r\n".join(lines).encode()


def populate(maildir: Path, count: int, now: datetime) -> None:
    """Files written straight into the user's Maildir++ (Dovecot picks them up)."""
    folders = {"INBOX": maildir / "cur", "Sent": maildir / ".Sent" / "cur"}
    index = thread = 0
    while index < count:
        size = 1 + thread % 6
        for position in range(min(size, count - index)):
            when = now - timedelta(days=25) + timedelta(seconds=index * (25 * 86400 // count))
            folder, raw = _mail(index, thread, position, when)
            path = folders[folder] / f"{int(when.timestamp())}.B{index}.bench:2,S"
            path.write_bytes(raw)
            os.utime(path, (when.timestamp(), when.timestamp()))
            index += 1
        thread += 1
    for path in [maildir, *maildir.rglob("*")]:
        shutil.chown(path, "dovecot", "dovecot")


def append_new(port: int, count: int, start: int, now: datetime) -> None:
    client = IMAPClient("127.0.0.1", port, ssl=False)
    client.login(USER, PASSWORD)
    for offset in range(count):
        _, raw = _mail(start + offset, 10**6 + offset, 0, now)
        client.append("INBOX", raw, flags=(), msg_time=now)
    client.logout()


def warm(port: int, since: datetime) -> None:
    """One throwaway fetch of the header fields so Dovecot's cache is warm for both sides."""
    for folder in ("INBOX", "Sent"):
        imap = imaplib.IMAP4("127.0.0.1", port)
        imap.login(USER, PASSWORD)
        imap.select(folder, readonly=True)
        _, data = imap.uid("SEARCH", "SINCE", since.strftime("%d-%b-%Y"))
        uids = data[0].split()
        for start in range(0, len(uids), 500):
            imap.uid("FETCH", b",".join(uids[start : start + 500]).decode(), FLOOR_ITEM)
        imap.logout()


# -- the two sides, each run in a child process ---------------------------------------------


def floor(port: int, since: datetime, new: int, count: int) -> dict[str, Any]:
    commands: Counter[str] = Counter()

    def run(imap: imaplib.IMAP4, *args: str) -> Any:
        commands[args[0] if args[0] != "UID" else args[1]] += 1
        if args[0] == "UID":
            return imap.uid(*args[1:])
        return getattr(imap, args[0].lower())(*args[1:])

    imap = imaplib.IMAP4("127.0.0.1", port)
    imap.login(USER, PASSWORD)
    start = time.perf_counter()
    uidnext = {}
    for folder in ("INBOX", "Sent"):
        imap.select(folder, readonly=True)
        _, data = imap.uid("SEARCH", "SINCE", since.strftime("%d-%b-%Y"))
        uids = data[0].split()
        for first in range(0, len(uids), 200):
            imap.uid("FETCH", b",".join(uids[first : first + 200]).decode(), FLOOR_ITEM)
        uidnext[folder] = int(uids[-1]) + 1 if uids else 1
        imap.unselect()
    first_scan = time.perf_counter() - start

    commands.clear()
    cpu, start = time.process_time(), time.perf_counter()
    for folder in ("INBOX", "Sent"):
        run(imap, "STATUS", folder, "(UIDVALIDITY UIDNEXT HIGHESTMODSEQ)")
    unchanged = (time.perf_counter() - start, time.process_time() - cpu, sum(commands.values()))

    append_new(port, new, count, datetime.now(UTC))
    start = time.perf_counter()
    imap.select("INBOX", readonly=True)
    _, data = imap.uid("SEARCH", "UID", f"{uidnext['INBOX']}:*")
    fresh = data[0].split()
    imap.uid("FETCH", b",".join(fresh).decode(), FLOOR_ITEM)
    imap.uid("FETCH", b",".join(fresh).decode(), "(BODY.PEEK[]<0.65536>)")
    imap.unselect()
    imap.status("Sent", "(UIDVALIDITY UIDNEXT HIGHESTMODSEQ)")
    with_new = time.perf_counter() - start
    imap.logout()
    return _result(first_scan, unchanged, with_new)


def imapclient_floor(port: int, since: datetime, new: int, count: int) -> dict[str, Any]:
    """The same loop through imapclient, the library InboxGuard must use: its response
    parser is pure Python, so this shows what the library alone costs above imaplib."""
    client = IMAPClient("127.0.0.1", port, ssl=False)
    client.login(USER, PASSWORD)
    items = [f"BODY.PEEK[HEADER.FIELDS ({HEADER_FIELDS})]", "INTERNALDATE", "FLAGS"]
    start = time.perf_counter()
    uidnext = {}
    for folder in ("INBOX", "Sent"):
        client.select_folder(folder, readonly=True)
        uids = client.search(["SINCE", since.date()])
        for first in range(0, len(uids), 200):
            client.fetch(uids[first : first + 200], items)
        uidnext[folder] = max(uids) + 1 if uids else 1
        client.unselect_folder()
    first_scan = time.perf_counter() - start
    cpu, start = time.process_time(), time.perf_counter()
    for folder in ("INBOX", "Sent"):
        client.folder_status(folder, ["UIDVALIDITY", "UIDNEXT", "HIGHESTMODSEQ"])
    unchanged = (time.perf_counter() - start, time.process_time() - cpu, 2)
    append_new(port, new, count, datetime.now(UTC))
    start = time.perf_counter()
    client.select_folder("INBOX", readonly=True)
    fresh = [u for u in client.search(["UID", f"{uidnext['INBOX']}:*"]) if u >= uidnext["INBOX"]]
    client.fetch(fresh, items)
    client.fetch(fresh, ["BODY.PEEK[]<0.65536>"])
    client.unselect_folder()
    client.folder_status("Sent", ["UIDVALIDITY", "UIDNEXT", "HIGHESTMODSEQ"])
    with_new = time.perf_counter() - start
    client.logout()
    return _result(first_scan, unchanged, with_new)


def inboxguard(port: int, since: datetime, new: int, count: int, workdir: str) -> dict[str, Any]:
    import logging  # noqa: PLC0415

    import structlog  # noqa: PLC0415 -- the child configures logging before importing the app

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR))
    from inboxguard.backends.imap import ImapBackend  # noqa: PLC0415
    from inboxguard.config import parse_config  # noqa: PLC0415
    from inboxguard.service.assessing import EvaluationCache  # noqa: PLC0415
    from inboxguard.service.context import Context  # noqa: PLC0415
    from inboxguard.service.cycle import run_cycle  # noqa: PLC0415
    from inboxguard.store import StateStore  # noqa: PLC0415

    os.environ["BENCH_PASSWORD"] = PASSWORD
    config = parse_config(
        {
            "owner": {"name": "Bench", "addresses": [OWNER]},
            "accounts": [
                {
                    "name": "bench", "kind": "imap", "host": "127.0.0.1", "port": port,
                    "security": "none", "username": USER, "password_env": "BENCH_PASSWORD",
                }
            ],
            "sla": {"lookback": "30d"},
        }
    )  # fmt: skip
    ctx = Context.build(config)
    store = StateStore.open(f"sqlite:///{workdir}/state.db")
    cache = EvaluationCache()  # as the long-running service keeps one
    commands: Counter[str] = Counter()

    class Counting(IMAPClient):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            send = self._imap._command

            def counted(name: str, *rest: Any) -> Any:
                commands[str(rest[0]) if name.upper() == "UID" and rest else name] += 1
                return send(name, *rest)

            self._imap._command = counted

    def cycle() -> None:
        backend = ImapBackend(config.accounts[0], client_factory=Counting)  # type: ignore[arg-type]
        now = datetime.now(UTC)
        (result,) = run_cycle(ctx, store, [backend], now=now, write_drafts=False, cache=cache)
        if not result.ok:
            raise SystemExit(result.error)

    start = time.perf_counter()
    cycle()
    first_scan = time.perf_counter() - start
    cycle()  # settles the markers of folders the first scan touched
    commands.clear()
    cpu, start = time.process_time(), time.perf_counter()
    cycle()
    login = commands["LOGIN"] + commands["CAPABILITY"] + commands["LOGOUT"] + commands["ENABLE"]
    per_poll = sum(commands.values()) - login
    unchanged = (time.perf_counter() - start, time.process_time() - cpu, per_poll)
    print(json.dumps({"unchanged_poll_commands": dict(commands)}), file=sys.stderr)
    append_new(port, new, count + 1000, datetime.now(UTC))
    start = time.perf_counter()
    cycle()
    with_new = time.perf_counter() - start
    store.close()
    return _result(first_scan, unchanged, with_new)


def _result(first: float, unchanged: tuple[float, float, int], new: float) -> dict[str, Any]:
    return {
        "first_scan_s": first,
        "unchanged_ms": unchanged[0] * 1000,
        "unchanged_cpu_ms": unchanged[1] * 1000,
        "unchanged_commands": unchanged[2],
        "new_100_s": new,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def child(args: argparse.Namespace) -> None:
    since = datetime.fromisoformat(args.since)
    if args.child == "floor":
        result = floor(args.port, since, 100, args.count)
    elif args.child == "imapclient":
        result = imapclient_floor(args.port, since, 100, args.count)
    else:
        result = inboxguard(args.port, since, 100, args.count, args.workdir)
    print(json.dumps(result))


SIDES = ("floor", "imapclient", "inboxguard")


def measure(count: int, *, warm_cache: bool, sides: list[str]) -> dict[str, dict[str, Any]]:
    now = datetime.now(UTC)
    since = now - timedelta(days=30)
    results = {}
    for side in sides:
        # A fresh server and mailbox per side: neither inherits the other's new mail.
        with running("inboxguard-bench-") as server, tempfile.TemporaryDirectory() as work:
            probe = IMAPClient("127.0.0.1", server.port, ssl=False)
            probe.login(USER, PASSWORD)
            for folder in ("INBOX", "Sent", "Drafts"):  # Dovecot creates the maildirs lazily
                probe.folder_status(folder, ["MESSAGES"])
            probe.logout()
            populate(server.root / "mail" / USER / "Maildir", count, now)
            if warm_cache:
                warm(server.port, since)
            out = subprocess.run(
                [sys.executable, __file__, "--child", side, "--port", str(server.port),
                 "--since", since.isoformat(), "--count", str(count), "--workdir", work],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            results[side] = json.loads(out.stdout.strip().splitlines()[-1])
            if out.stderr.strip():
                print(out.stderr.strip().splitlines()[-1], file=sys.stderr)
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("sizes", nargs="*", type=int, default=[10000, 100000])
    parser.add_argument("--child")
    parser.add_argument("--port", type=int)
    parser.add_argument("--since")
    parser.add_argument("--count", type=int)
    parser.add_argument("--workdir")
    parser.add_argument("--warm", action="store_true", help="warm Dovecot's cache first")
    parser.add_argument("--sides", default=",".join(SIDES), help="comma-separated subset")
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    print("| messages | side | first scan (s) | unchanged poll (ms) | its client CPU (ms) "
          "| its IMAP commands | +100 new (s) | peak RSS (MB) |")  # fmt: skip
    print("|---:|---|---:|---:|---:|---:|---:|---:|")
    for size in args.sizes:
        chosen = [side for side in args.sides.split(",") if side in SIDES]
        for side, r in measure(size, warm_cache=args.warm, sides=chosen).items():
            print(
                f"| {size:,} | {side} | {r['first_scan_s']:.2f} | {r['unchanged_ms']:.1f} | "
                f"{r['unchanged_cpu_ms']:.1f} | {r['unchanged_commands']} | "
                f"{r['new_100_s']:.2f} | {r['peak_rss_mb']:.0f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()

"""Many mailboxes on one Dovecot, two workers sharing one store; and one large mailbox.

Run as root (Dovecot is started from a temporary directory, as in tests/live):
    .venv/bin/python bench/fleet.py [--mailboxes 1000] [--messages 200] [--large 100000]

Fleet: N users on one Dovecot (static passdb), M messages each (threads of 1-6 within the
look-back window, as bench/imap_bench.py builds them), one configuration of N IMAP
accounts and one SQLite store, two worker processes that take the accounts under leases
(service/leases.py) and poll them in a pool of ``service.max_parallel`` threads, round
after round with no wait between rounds: round 1 is the first scan (drafts on), round 2
reads the drafts back, round 3 is the unchanged poll the targets are about. Per round:
the wall time for every mailbox to complete one poll, client CPU per poll, IMAP logins,
and at the end peak RSS per worker and duplicate drafts (Message-IDs found twice).

Large: one mailbox of L messages: InboxGuard's first scan (drafts off) beside imap-tools
``headers_only`` and a bare imaplib fetch of the same header fields, in the same run; then
in fresh processes, as cron's `run --once` meets them: a cycle that writes the drafts, an
unchanged poll, and a poll after 100 new messages. Prints tables; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.imap_bench import USER, append_new, floor, populate
from tests.live.dovecot_server import PASSWORD, running

OWNER = "hanako@example.jp"
MAX_PARALLEL = 8


def _config(port: int, users: list[str], workdir: str) -> dict[str, Any]:
    return {
        "owner": {"name": "Bench", "addresses": [OWNER]},
        "accounts": [
            {
                "name": user, "kind": "imap", "host": "127.0.0.1", "port": port,
                "security": "none", "username": user, "password_env": "BENCH_PASSWORD",
            }
            for user in users
        ],
        "sla": {"lookback": "30d"},
        "state": {"url": f"sqlite:///{workdir}/state.db"},
        "service": {"poll_interval": "2m", "max_parallel": MAX_PARALLEL},
    }  # fmt: skip


def _quiet() -> None:
    import logging  # noqa: PLC0415

    import structlog  # noqa: PLC0415 -- the child configures logging before importing the app

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR))
    os.environ["BENCH_PASSWORD"] = PASSWORD


def _counting_client(commands: Counter[str]) -> Any:
    from imapclient import IMAPClient  # noqa: PLC0415

    class Counting(IMAPClient):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            send = self._imap._command

            def counted(name: str, *rest: Any) -> Any:
                commands[name.upper()] += 1
                return send(name, *rest)

            self._imap._command = counted

    return Counting


# -- fleet: one worker process ---------------------------------------------------------------


def worker(args: argparse.Namespace) -> None:
    _quiet()
    from inboxguard.backends.imap import ImapBackend  # noqa: PLC0415
    from inboxguard.config import ImapAccount, parse_config  # noqa: PLC0415
    from inboxguard.service.assessing import EvaluationCache  # noqa: PLC0415
    from inboxguard.service.context import Context  # noqa: PLC0415
    from inboxguard.service.cycle import run_cycle  # noqa: PLC0415
    from inboxguard.service.leases import WorkerLeases  # noqa: PLC0415
    from inboxguard.store import StateStore  # noqa: PLC0415

    config = parse_config(json.loads(Path(args.config).read_text()))
    ctx = Context.build(config)
    store = StateStore.open(config.state.url or "")
    leases = WorkerLeases(store, config.service.poll_interval, holder=f"bench:{args.worker}")
    leases.heartbeat()
    cache = EvaluationCache()
    commands: Counter[str] = Counter()
    factory = _counting_client(commands)
    failures: Counter[str] = Counter()

    def poll(account: ImapAccount) -> bool:
        if not leases.take(account.name):
            return False
        backend = ImapBackend(account, client_factory=factory)
        (result,) = run_cycle(ctx, store, [backend], now=datetime.now(UTC), cache=cache)
        if not result.ok:
            failures[result.error or "?"] += 1
        return not result.busy

    accounts = [a for a in config.accounts if isinstance(a, ImapAccount)]
    go = Path(args.go)
    for number in (1, 2, 3):
        while not (go / f"round{number}").exists():
            time.sleep(0.05)
        commands.clear()
        cpu, start = time.process_time(), time.perf_counter()
        with ThreadPoolExecutor(MAX_PARALLEL) as pool:
            polled = sum(pool.map(poll, accounts))
        report = {
            "round": number,
            "wall_s": time.perf_counter() - start,
            "cpu_s": time.process_time() - cpu,
            "polls": polled,
            "logins": commands["LOGIN"],
            "commands": sum(commands.values()),
            "failures": dict(failures),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }
        (go / f"worker{args.worker}.round{number}").write_text(json.dumps(report))
    leases.release_all()
    store.close()


def fleet(mailboxes: int, messages: int) -> None:
    now = datetime.now(UTC)
    users = [f"fleet{n}" for n in range(mailboxes)]
    with running("inboxguard-fleet-") as server, tempfile.TemporaryDirectory() as work:
        built = time.perf_counter()
        for user in users:
            maildir = server.root / "mail" / user / "Maildir"
            for folder in (maildir, maildir / ".Sent", maildir / ".Drafts"):
                for sub in ("cur", "new", "tmp"):
                    (folder / sub).mkdir(parents=True, exist_ok=True)
            populate(maildir, messages, now)
            for path in [maildir.parent, maildir, *maildir.rglob("*")]:
                shutil.chown(path, "dovecot", "dovecot")
        print(
            f"built {mailboxes} mailboxes in {time.perf_counter() - built:.0f} s", file=sys.stderr
        )
        config = Path(work) / "config.json"
        config.write_text(json.dumps(_config(server.port, users, work)))
        go = Path(work) / "go"
        go.mkdir()
        command = [sys.executable, __file__, "--config", str(config), "--go", str(go)]
        workers = [subprocess.Popen([*command, "--worker", str(n)]) for n in range(2)]
        rows = []
        for number in (1, 2, 3):
            (go / f"round{number}").touch()
            start = time.perf_counter()
            while not all((go / f"worker{n}.round{number}").exists() for n in range(2)):
                time.sleep(0.05)
            wall = time.perf_counter() - start
            reports = [json.loads((go / f"worker{n}.round{number}").read_text()) for n in range(2)]
            rows.append((number, wall, reports))
        for process in workers:
            process.wait(60)
        duplicates = _duplicate_drafts(server.root / "mail", users)
    print(f"\n{mailboxes:,} mailboxes × {messages} messages, 2 workers, one SQLite store\n")
    print(
        "| round | every mailbox polled (s) | client CPU per poll (ms) | logins "
        "| polls by worker | peak RSS per worker (MB) | failures |"
    )
    print("|---|---:|---:|---:|---|---|---|")
    names = {1: "1 first scan", 2: "2 drafts read back", 3: "3 unchanged"}
    for number, wall, reports in rows:
        polls = sum(r["polls"] for r in reports)
        cpu = sum(r["cpu_s"] for r in reports) / max(polls, 1) * 1000
        logins = sum(r["logins"] for r in reports)
        split = " / ".join(str(r["polls"]) for r in reports)
        rss = " / ".join(f"{r['peak_rss_mb']:.0f}" for r in reports)
        failed = sum(sum(r["failures"].values()) for r in reports)
        print(
            f"| {names[number]} | {wall:.1f} | {cpu:.1f} | {logins} | {split} | {rss} | {failed} |"
        )
    print(f"\nduplicate drafts: {duplicates}")


def _duplicate_drafts(mail: Path, users: list[str]) -> int:
    parser = BytesHeaderParser()
    seen: Counter[str] = Counter()
    for user in users:
        drafts = mail / user / "Maildir" / ".Drafts"
        for path in [*drafts.glob("cur/*"), *drafts.glob("new/*")]:
            with path.open("rb") as handle:
                seen[str(parser.parse(handle)["Message-ID"])] += 1
    return sum(count - 1 for count in seen.values() if count > 1)


# -- one large mailbox -------------------------------------------------------------------------


def large_side(args: argparse.Namespace) -> None:
    """One measurement in a fresh process (what cron's `run --once` pays)."""
    port, since = args.port, datetime.fromisoformat(args.since)
    if args.side == "imaplib":
        result = floor(port, since, 0, args.count)
        print(json.dumps({"s": result["first_scan_s"]}))
        return
    if args.side == "imap_tools":
        from imap_tools import AND, MailBoxUnencrypted  # noqa: PLC0415

        start = time.perf_counter()
        with MailBoxUnencrypted("127.0.0.1", port).login(USER, PASSWORD) as box:
            for folder in ("INBOX", "Sent"):
                box.folder.set(folder)
                for _message in box.fetch(
                    AND(date_gte=since.date()), headers_only=True, mark_seen=False, bulk=500
                ):
                    pass
        print(json.dumps({"s": time.perf_counter() - start}))
        return
    _quiet()
    start = time.perf_counter()
    from inboxguard.backends.imap import ImapBackend  # noqa: PLC0415
    from inboxguard.config import ImapAccount, parse_config  # noqa: PLC0415
    from inboxguard.service.assessing import EvaluationCache  # noqa: PLC0415
    from inboxguard.service.context import Context  # noqa: PLC0415
    from inboxguard.service.cycle import run_cycle  # noqa: PLC0415
    from inboxguard.store import StateStore  # noqa: PLC0415

    config = parse_config(_config(port, [USER], args.workdir))
    account = config.accounts[0]
    assert isinstance(account, ImapAccount)
    ctx = Context.build(config)
    store = StateStore.open(config.state.url or "")
    commands: Counter[str] = Counter()
    backend = ImapBackend(account, client_factory=_counting_client(commands))
    cycle_start = time.perf_counter()
    (result,) = run_cycle(
        ctx,
        store,
        [backend],
        now=datetime.now(UTC),
        write_drafts=args.side != "first",
        cache=EvaluationCache(keep_views=False),  # `run --once`
    )
    done = time.perf_counter()
    store.close()
    print(
        json.dumps(
            {
                "s": done - start,
                "cycle_s": done - cycle_start,
                "ok": result.ok,
                "evaluated": result.evaluated,
                "fetches": commands["UID"],
                "commands": dict(commands),
            }
        )
    )


def large(count: int) -> None:
    now = datetime.now(UTC)
    since = now - timedelta(days=30)
    rows: dict[str, dict[str, Any]] = {}
    with running("inboxguard-large-") as server, tempfile.TemporaryDirectory() as work:
        maildir = server.root / "mail" / USER / "Maildir"
        for folder in (maildir, maildir / ".Sent", maildir / ".Drafts"):
            for sub in ("cur", "new", "tmp"):
                (folder / sub).mkdir(parents=True, exist_ok=True)
        populate(maildir, count, now)
        shutil.chown(maildir.parent, "dovecot", "dovecot")

        def side(name: str) -> dict[str, Any]:
            out = subprocess.run(
                [sys.executable, __file__, "--side", name, "--port", str(server.port),
                 "--since", since.isoformat(), "--count", str(count), "--workdir", work],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            return dict(json.loads(out.stdout.strip().splitlines()[-1]))

        # Each side meets Dovecot's index as the one before left it: the floor goes first
        # (cold), imap-tools and InboxGuard after it (warm), and the floor once more warm.
        rows["imaplib (cold)"] = side("imaplib")
        rows["imap-tools headers_only"] = side("imap_tools")
        rows["imaplib (warm)"] = side("imaplib")
        rows["inboxguard first scan, drafts off"] = side("first")
        rows["inboxguard cycle writing the drafts"] = side("drafts")
        rows["inboxguard unchanged poll, fresh process"] = side("unchanged")
        append_new(server.port, 100, count + 1000, datetime.now(UTC))
        rows["inboxguard +100 new, fresh process"] = side("unchanged")
        rows["inboxguard unchanged poll after it"] = side("unchanged")
    print(f"\none mailbox of {count:,} messages (wall time of a fresh process, imports included)\n")
    print("| what | s | cycle alone (s) | assessed | UID commands |")
    print("|---|---:|---:|---|---:|")
    for name, row in rows.items():
        cycle = f"{row['cycle_s']:.2f}" if "cycle_s" in row else ""
        evaluated = {True: "yes", False: "no"}.get(row.get("evaluated"), "")  # type: ignore[call-overload]
        print(f"| {name} | {row['s']:.2f} | {cycle} | {evaluated} | {row.get('fetches', '')} |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mailboxes", type=int, default=1000)
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--skip-fleet", action="store_true")
    parser.add_argument("--skip-large", action="store_true")
    parser.add_argument("--worker")
    parser.add_argument("--config")
    parser.add_argument("--go")
    parser.add_argument("--side")
    parser.add_argument("--port", type=int)
    parser.add_argument("--since")
    parser.add_argument("--count", type=int)
    parser.add_argument("--workdir")
    args = parser.parse_args()
    if args.worker is not None:
        worker(args)
    elif args.side is not None:
        large_side(args)
    else:
        if not args.skip_fleet:
            fleet(args.mailboxes, args.messages)
        if not args.skip_large:
            large(args.large)


if __name__ == "__main__":
    main()

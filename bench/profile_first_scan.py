"""Profile InboxGuard's first scan (drafts off) of one large Dovecot mailbox with pyinstrument.

Run as root (Dovecot is started from a temporary directory, as in tests/live):
    .venv/bin/python bench/profile_first_scan.py [--messages 20000] [--html out.html]

Builds the mailbox as bench/fleet.py does (threads of 1-6 in INBOX and Sent, 25 days), warms
Dovecot's index with one bare fetch (so the profile is ours, not Dovecot's first indexing),
then runs one `run --once` style cycle with drafts off under the profiler and prints the
wall time beside imap-tools ``headers_only`` in the same run, and the profile's top.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.fleet import _config, _quiet
from bench.imap_bench import USER, floor, populate
from tests.live.dovecot_server import PASSWORD, running


def imap_tools_s(port: int, since: datetime) -> float:
    from imap_tools import AND, MailBoxUnencrypted  # noqa: PLC0415

    start = time.perf_counter()
    with MailBoxUnencrypted("127.0.0.1", port).login(USER, PASSWORD) as box:
        for folder in ("INBOX", "Sent"):
            box.folder.set(folder)
            for _message in box.fetch(
                AND(date_gte=since.date()), headers_only=True, mark_seen=False, bulk=500
            ):
                pass
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--html")
    parser.add_argument("--no-profile", action="store_true")
    args = parser.parse_args()
    from pyinstrument import Profiler  # noqa: PLC0415

    from inboxguard.backends.imap import ImapBackend  # noqa: PLC0415
    from inboxguard.config import ImapAccount, parse_config  # noqa: PLC0415
    from inboxguard.service.assessing import EvaluationCache  # noqa: PLC0415
    from inboxguard.service.context import Context  # noqa: PLC0415
    from inboxguard.service.cycle import run_cycle  # noqa: PLC0415
    from inboxguard.store import StateStore  # noqa: PLC0415

    _quiet()
    os.environ["BENCH_PASSWORD"] = PASSWORD
    now = datetime.now(UTC)
    since = now - timedelta(days=30)
    with running("inboxguard-profile-") as server, tempfile.TemporaryDirectory() as work:
        maildir = server.root / "mail" / USER / "Maildir"
        for folder in (maildir, maildir / ".Sent", maildir / ".Drafts"):
            for sub in ("cur", "new", "tmp"):
                (folder / sub).mkdir(parents=True, exist_ok=True)
        populate(maildir, args.messages, now)
        shutil.chown(maildir.parent, "dovecot", "dovecot")
        floor_s = floor(server.port, since, 0, args.messages)["first_scan_s"]  # warms the index
        tools_s = imap_tools_s(server.port, since)
        config = parse_config(_config(server.port, [USER], work))
        account = config.accounts[0]
        assert isinstance(account, ImapAccount)
        ctx = Context.build(config)
        store = StateStore.open(config.state.url or "")
        profiler = None if args.no_profile else Profiler(interval=0.001)
        start = time.perf_counter()
        if profiler is not None:
            profiler.start()
        (result,) = run_cycle(
            ctx,
            store,
            [ImapBackend(account)],
            now=datetime.now(UTC),
            write_drafts=False,
            cache=EvaluationCache(keep_views=False),
        )
        if profiler is not None:
            profiler.stop()
        ours = time.perf_counter() - start
        store.close()
    assert result.ok, result.error
    print(
        f"{args.messages:,} messages: imaplib floor {floor_s:.2f} s, imap-tools headers_only "
        f"{tools_s:.2f} s, inboxguard first scan {ours:.2f} s ({ours / tools_s:.1f}x)"
    )
    if profiler is not None:
        print(profiler.output_text(unicode=False, color=False, show_all=False))
        if args.html:
            Path(args.html).write_text(profiler.output_html())


if __name__ == "__main__":
    main()

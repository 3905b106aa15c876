"""The first week: no flood of month-old holding drafts, the backlog in one line, a status
that reads at 80 columns, and short ids that `mark` takes."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import select
import struct
import subprocess
import termios
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from click.testing import CliRunner, Result
from rich.cells import cell_len

from inboxguard.cli import main
from tests.mailboxes import OWNER, Maildir
from tests.two_runs import INBOXGUARD

TOKYO = ZoneInfo("Asia/Tokyo")
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=TOKYO)


def invoke(config: Path, *args: str, now: datetime = NOW) -> Result:
    env = {"INBOXGUARD_NOW": now.isoformat(), "INBOXGUARD_CONFIG": str(config)}
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def client(mail: Maildir, n: int, age: timedelta, subject: str | None = None) -> None:
    mail.add(
        "INBOX",
        sender=f"Client {n} <c{n}@client{n}.example>",
        to=OWNER,
        subject=subject or f"ご依頼 {n}",
        date=NOW - age,
        message_id=f"<q{n}@client.example>",
    )


def month_of_mail(mail: Maildir) -> None:
    """Twelve unanswered requests of the last month, and three that can still be saved."""
    for n in range(12):
        client(mail, n, timedelta(days=4 + 2 * n))
    client(mail, 100, timedelta(hours=20))  # at risk: a holding draft is owed
    client(mail, 101, timedelta(hours=30))  # overdue since 6 hours: still saved by one
    client(mail, 102, timedelta(hours=2))  # waiting


def threads(config: Path, *args: str, now: datetime = NOW) -> list[dict[str, object]]:
    result = invoke(config, "status", "--json", *args, now=now)
    assert result.exit_code == 0, result.output
    items: list[dict[str, object]] = json.loads(result.stdout)["threads"]
    return items


def test_the_first_run_writes_holding_drafts_only_near_their_deadline(
    config: Path, mail: Maildir
) -> None:
    month_of_mail(mail)

    result = invoke(config, "run", "--once")

    assert result.exit_code == 0, result.output
    assert "2 draft(s) written" in result.stdout  # the at-risk and the 6-hours-late thread
    assert len(mail.drafts()) == 2


def test_the_backlog_is_overdue_in_json_and_one_line_after_the_table(
    config: Path, mail: Maildir
) -> None:
    month_of_mail(mail)
    invoke(config, "run", "--once")

    items = threads(config)
    backlog = [t for t in items if t["backlog"]]
    assert len(backlog) == 12 and {t["state"] for t in backlog} == {"overdue"}
    table = invoke(config, "status").stdout
    assert "+ 12 older unanswered thread(s)" in table
    assert table.index("ご依頼 101") < table.index("+ 12 older")
    assert "ご依頼 5" not in table  # listed with --all only
    assert "ご依頼 5" in invoke(config, "status", "--all").stdout


def test_mark_backlog_no_reply_clears_the_backlog_in_one_command(
    config: Path, mail: Maildir
) -> None:
    month_of_mail(mail)
    invoke(config, "run", "--once")

    result = invoke(config, "mark", "--backlog", "no-reply", now=NOW + timedelta(minutes=1))

    assert result.exit_code == 0, result.output
    assert "marked 12 thread(s)" in result.stdout
    later = threads(config, "--cached", now=NOW + timedelta(minutes=2))
    assert not [t for t in later if t["backlog"]]
    assert {t["subject"] for t in later if t["state"] == "overdue"} == {"ご依頼 101"}


def test_mark_overdue_before_a_date_marks_only_those(config: Path, mail: Maildir) -> None:
    month_of_mail(mail)
    invoke(config, "run", "--once")

    result = invoke(config, "mark", "--overdue-before", "2026-11-10", "no-reply")

    assert result.exit_code == 0, result.output
    # Request n arrived 4 + 2n days before 11/20 12:00, due a day later: before 11/10 for
    # n = 4 (due 11/09 12:00) to 11; n = 3 is due 11/11.
    assert "marked 8 thread(s)" in result.stdout


def test_a_bulk_mark_takes_no_thread_and_only_no_reply(config: Path, mail: Maildir) -> None:
    result = invoke(config, "mark", "--backlog", "incident")
    assert result.exit_code == 2 and "no-reply only" in result.output


def test_status_shows_short_ids_that_mark_accepts(config: Path, mail: Maildir) -> None:
    client(mail, 1, timedelta(hours=3))
    invoke(config, "run", "--once")
    (item,) = threads(config)
    full = str(item["id"])

    table = invoke(config, "status").stdout
    shown = next(w for w in table.split() if full.startswith(w) and len(w) >= 7)

    assert len(shown) < len(full)
    marked = invoke(config, "mark", shown, "no-reply", now=NOW + timedelta(minutes=1))
    assert marked.exit_code == 0, marked.output
    assert f"{full}: marked no-reply" in marked.stdout


def test_status_reads_at_80_columns(config: Path, mail: Maildir) -> None:
    long_subject = "【ご相談】コーポレートサイトのリニューアルとお問い合わせフォームの改修について"
    client(mail, 1, timedelta(hours=20), long_subject)
    client(mail, 2, timedelta(hours=2), "Quote for the spring campaign landing page")
    invoke(config, "run", "--once")

    screen = status_on_a_terminal(config, columns=80)

    lines = [line.rstrip() for line in screen.splitlines()]
    assert max(cell_len(line) for line in lines) <= 80
    rows = [line for line in lines if re.search(r"\bt[0-9a-f]{6,}$", line)]
    assert len(rows) == 2
    assert rows[0].split()[:2] == ["at", "risk"] and rows[1].split()[0] == "waiting"
    assert "Client 1" in rows[0] and "Client 2" in rows[1]  # names, not cut addresses
    # Folded over lines, never cut: the subject reads whole once the id column is taken out.
    cells = [re.sub(r"\s*\bt[0-9a-f]{6,}$", "", line).strip() for line in lines]
    assert long_subject in "".join(cells)
    assert "Quote for the spring campaign landing page" in " ".join(cells)
    assert all(len(row.split()[-1]) >= 7 for row in rows)


def status_on_a_terminal(config: Path, *, columns: int) -> str:
    """`inboxguard status` in a real pseudo-terminal of ``columns`` columns."""
    main_fd, child_fd = pty.openpty()
    fcntl.ioctl(child_fd, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    env = {
        **os.environ,
        "INBOXGUARD_NOW": NOW.isoformat(),
        "INBOXGUARD_CONFIG": str(config),
        "TERM": "xterm-256color",
        "NO_COLOR": "1",
    }
    env.pop("COLUMNS", None)
    process = subprocess.Popen(
        [INBOXGUARD, "status", "--cached"],
        stdin=child_fd,
        stdout=child_fd,
        stderr=child_fd,
        env=env,
        close_fds=True,
    )
    os.close(child_fd)
    chunks = []
    while True:
        ready, _, _ = select.select([main_fd], [], [], 30)
        if not ready:
            break
        try:
            data = os.read(main_fd, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    process.wait(timeout=30)
    os.close(main_fd)
    text = b"".join(chunks).decode("utf-8", "replace")
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text).replace("\r", "")


def test_a_dry_run_says_what_the_first_run_will_do_and_writes_nothing(
    config: Path, mail: Maildir, tmp_path: Path
) -> None:
    month_of_mail(mail)

    result = invoke(config, "run", "--once", "--dry-run")

    assert result.exit_code == 0, result.output
    assert "15 message(s) read; 15 thread(s) need attention" in result.stdout
    assert "would write 2 holding draft(s)" in result.stdout
    assert "12 backlog thread(s) left alone" in result.stdout
    assert result.stdout.count("would write holding:") == 2
    assert mail.drafts() == [] and not (tmp_path / "state.db").exists()
    assert "2 draft(s) written" in invoke(config, "run", "--once").stdout


def test_check_says_what_the_next_run_will_do(config: Path, mail: Maildir, tmp_path: Path) -> None:
    month_of_mail(mail)

    result = invoke(config, "check")

    assert result.exit_code == 0, result.output
    assert "[next run] work: 15 message(s) read" in result.stdout
    assert "would write 2 holding draft(s)" in result.stdout
    assert "12 backlog thread(s) left alone" in result.stdout
    assert mail.drafts() == [] and not (tmp_path / "state.db").exists()

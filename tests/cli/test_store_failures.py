"""A store that cannot be used is one line naming the file, exit 1, and nothing is written to
any mailbox when the ledger cannot record a draft's claim first."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner, Result

from inboxguard.backends.maildir import MaildirBackend
from inboxguard.cli import main
from inboxguard.config import parse_config
from inboxguard.domain.drafts import DraftRecord
from inboxguard.errors import StoreError
from inboxguard.service.context import Context
from inboxguard.service.cycle import run_cycle
from inboxguard.store import StateStore
from tests.mailboxes import OWNER, Maildir, config_dict, maildir_account

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=ZoneInfo("Asia/Tokyo"))


def invoke(config: Path, *args: str) -> Result:
    env = {"INBOXGUARD_NOW": NOW.isoformat(), "INBOXGUARD_CONFIG": str(config)}
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def one_line_naming(result: Result, path: Path) -> str:
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output
    assert str(path) in lines[0]
    return lines[0]


def client_mail(mail: Maildir) -> None:
    mail.add(
        "INBOX",
        sender="山田 太郎 <taro@client.example>",
        to=OWNER,
        subject="見積のご依頼",
        date=NOW - timedelta(hours=20),
        message_id="<q1@client.example>",
    )


def test_a_store_from_a_newer_version_is_one_line_exit_1_and_no_draft(
    config: Path, mail: Maildir, tmp_path: Path
) -> None:
    path = tmp_path / "state.db"
    StateStore.open(f"sqlite:///{path}").close()
    with sqlite3.connect(path) as raw:
        raw.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    client_mail(mail)

    for args in (("run", "--once"), ("status",), ("digest", "--preview", str(tmp_path / "d.html"))):
        line = one_line_naming(invoke(config, *args), path)
        assert "newer than this InboxGuard" in line
    assert mail.drafts() == []


def test_a_store_file_that_is_not_a_database_is_one_line_exit_1(
    config: Path, mail: Maildir, tmp_path: Path
) -> None:
    path = tmp_path / "state.db"
    path.write_bytes(b"not a database\n" * 300)
    client_mail(mail)

    line = one_line_naming(invoke(config, "run", "--once"), path)

    assert "not a database" in line
    assert mail.drafts() == []


def test_a_store_locked_by_another_process_is_one_line_saying_try_again(
    config: Path, mail: Maildir, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "state.db"
    StateStore.open(f"sqlite:///{path}").close()
    monkeypatch.setattr("inboxguard.store.engine.BUSY_TIMEOUT_MS", 200)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another program keeps a write open
    try:
        client_mail(mail)
        line = one_line_naming(invoke(config, "run", "--once"), path)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert "locked" in line and "try again" in line
    assert mail.drafts() == []


class ClaimsRefused(StateStore):
    """A store whose disk filled just before the claim: every claim fails."""

    def claim_draft(self, record: DraftRecord) -> DraftRecord | None:
        raise StoreError(self.name, "database or disk is full; the disk is full")


def test_no_draft_is_appended_when_the_ledger_cannot_record_its_claim(tmp_path: Path) -> None:
    mail = Maildir(tmp_path / "Mail")
    client_mail(mail)
    ctx = Context.build(parse_config(config_dict(mail.root, tmp_path)))
    opened = StateStore.open(f"sqlite:///{tmp_path / 'state.db'}")
    store = ClaimsRefused(opened.engine, location=opened.location)
    try:
        (result,) = run_cycle(ctx, store, [MaildirBackend(maildir_account(ctx.config))], now=NOW)
        assert not result.ok and "disk is full" in (result.error or "")
        assert mail.drafts() == []
        (health,) = store.health()  # the failure is recorded: the account backs off
        assert health.failing_since == NOW and result.retry_at is not None
    finally:
        store.close()

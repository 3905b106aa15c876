"""A what-if (INBOXGUARD_NOW) reads and writes nothing back (SPEC §12): `status`, `status
--json` and `digest --preview` far ahead leave the store's SQL dump as it was, and even a
`run --once` far ahead prunes by the wall clock, so every thread is still there today."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner, Result

from inboxguard.cli import main
from tests.mailboxes import OWNER, Maildir

TOKYO = ZoneInfo("Asia/Tokyo")
# The real now: the check is that nothing is lost *today*.
TODAY = datetime.now(TOKYO).replace(microsecond=0)
AHEAD = {"40 days": timedelta(days=40), "10 years": timedelta(days=3653)}


def invoke(config: Path, *args: str, now: datetime | None = None) -> Result:
    env = {"INBOXGUARD_CONFIG": str(config)}
    if now is not None:
        env["INBOXGUARD_NOW"] = now.isoformat()
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def dump(tmp_path: Path) -> list[str]:
    connection = sqlite3.connect(tmp_path / "state.db")
    try:
        return list(connection.iterdump())
    finally:
        connection.close()


def threads_today(config: Path) -> set[str]:
    result = invoke(config, "status", "--json", "--all", "--cached")
    assert result.exit_code == 0, result.output
    return {t["id"] for t in json.loads(result.stdout)["threads"]}


@pytest.fixture
def tracked(mail: Maildir, config: Path) -> set[str]:
    """Four client threads of the last days, one answered, drafts written: the stored state."""
    for n, age in enumerate((2, 20, 30, 50)):
        mail.add(
            "INBOX",
            sender=f"client{n} <c{n}@client.example>",
            to=OWNER,
            subject=f"ご相談 {n}",
            date=TODAY - timedelta(hours=age),
            message_id=f"<q{n}@client.example>",
        )
    mail.add(
        "Sent",
        sender=OWNER,
        to="c3@client.example",
        subject="Re: ご相談 3",
        date=TODAY - timedelta(hours=40),
        message_id="<re3@example.jp>",
        in_reply_to="<q3@client.example>",
    )
    assert invoke(config, "run", "--once").exit_code == 0
    ids = threads_today(config)
    assert len(ids) == 4
    return ids


@pytest.mark.parametrize("ahead", AHEAD.values(), ids=AHEAD.keys())
def test_status_and_digest_preview_ahead_leave_the_store_as_it_was(
    tracked: set[str], config: Path, tmp_path: Path, ahead: timedelta
) -> None:
    before = dump(tmp_path)
    later = TODAY + ahead

    for args in (("status",), ("status", "--json", "--all"), ("status", "--cached")):
        assert invoke(config, *args, now=later).exit_code == 0
    preview = tmp_path / "preview.html"
    assert invoke(config, "digest", "--preview", str(preview), now=later).exit_code == 0

    assert dump(tmp_path) == before
    assert preview.read_text(encoding="utf-8")
    assert threads_today(config) == tracked


def test_a_what_if_status_still_shows_new_mail_without_storing_it(
    tracked: set[str], config: Path, mail: Maildir, tmp_path: Path
) -> None:
    before = dump(tmp_path)
    mail.add(
        "INBOX",
        sender="new <new@client.example>",
        to=OWNER,
        subject="新しいご依頼",
        date=TODAY - timedelta(hours=1),
        message_id="<new@client.example>",
    )

    result = invoke(config, "status", "--json", now=TODAY + timedelta(hours=2))

    subjects = {t["subject"] for t in json.loads(result.stdout)["threads"]}
    assert "新しいご依頼" in subjects  # read into a scratch copy…
    assert dump(tmp_path) == before  # …and the store untouched


@pytest.mark.parametrize("ahead", AHEAD.values(), ids=AHEAD.keys())
def test_a_run_far_ahead_prunes_by_the_wall_clock_and_loses_no_thread(
    tracked: set[str], config: Path, ahead: timedelta
) -> None:
    assert invoke(config, "run", "--once", now=TODAY + ahead).exit_code == 0

    assert threads_today(config) == tracked

"""Two `run --once` at once over Maildir: every draft exactly once, neither process failing."""

from __future__ import annotations

from datetime import datetime, timedelta
from email import message_from_bytes
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from inboxguard.domain.drafts import DraftStatus
from inboxguard.store import StateStore
from tests.mailboxes import OWNER, Maildir, config_dict, write_config
from tests.two_runs import assert_both_succeeded, run_twice_at_once

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
THREADS = 40
TRIALS = 8


def drafts_by_message_id(mail: Maildir) -> list[str]:
    return sorted(str(message_from_bytes(p.read_bytes())["Message-ID"]) for p in mail.drafts())


@pytest.mark.parametrize("trial", range(TRIALS))
def test_two_runs_at_once_write_every_draft_exactly_once(tmp_path: Path, trial: int) -> None:
    mail = Maildir(tmp_path / "Mail")
    for n in range(THREADS):
        mail.add(
            "INBOX",
            sender=f"client{n} <c{n}@client.example>",
            to=OWNER,
            subject=f"見積のご依頼 {n}",
            date=NOW - timedelta(hours=20, minutes=n),
            message_id=f"<q{n}.{trial}@client.example>",
        )
    config = write_config(tmp_path / "config.toml", config_dict(mail.root, tmp_path))

    runs = run_twice_at_once(config, {"INBOXGUARD_NOW": NOW.isoformat()})

    assert_both_succeeded(runs)
    ids = drafts_by_message_id(mail)
    assert len(ids) == THREADS and len(set(ids)) == THREADS
    store = StateStore.open(f"sqlite:///{tmp_path / 'state.db'}")
    try:
        ledger = store.drafts()
    finally:
        store.close()
    assert sorted(d.message_id for d in ledger) == ids
    assert {d.status for d in ledger} == {DraftStatus.WRITTEN}

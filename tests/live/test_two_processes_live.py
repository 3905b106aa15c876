"""Two `run --once` at once over a live Dovecot: every draft exactly once, neither failing."""

from __future__ import annotations

from datetime import datetime, timedelta
from email import message_from_bytes
from pathlib import Path

import pytest

from inboxguard.store import StateStore
from tests.live.conftest import Dovecot, Mailbox
from tests.live.test_imap_live import imap_settings
from tests.mailboxes import OWNER, config_dict, write_config
from tests.two_runs import assert_both_succeeded, run_twice_at_once

pytestmark = pytest.mark.live

THREADS = 60
TRIALS = 4


@pytest.mark.parametrize("trial", range(TRIALS))
def test_two_runs_at_once_over_imap_write_every_draft_exactly_once(
    dovecot: Dovecot, tmp_path: Path, now: datetime, trial: int
) -> None:
    mailbox = Mailbox(dovecot, dovecot.new_user())
    try:
        for n in range(THREADS):  # sixty clients, one request each: sixty threads
            mailbox.add(
                "INBOX",
                sender=f"client{n} <c{n}@client.example>",
                to=f"佐藤 花子 <{OWNER}>",
                subject=f"見積のご依頼 {n}",
                date=now - timedelta(hours=20, minutes=n),
                message_id=f"<q{n}.{trial}@client.example>",
            )
        data = config_dict(tmp_path / "unused", tmp_path)
        data["accounts"] = [imap_settings(mailbox)]
        config = write_config(tmp_path / "config.toml", data)

        runs = run_twice_at_once(config)

        assert_both_succeeded(runs)
        drafts = mailbox.messages("Drafts")
        ids = sorted(str(message_from_bytes(raw)["Message-ID"]) for _, raw in drafts.values())
        assert len(ids) == THREADS and len(set(ids)) == THREADS
        store = StateStore.open(f"sqlite:///{tmp_path / 'state.db'}")
        try:
            assert sorted(d.message_id for d in store.drafts()) == ids
        finally:
            store.close()
    finally:
        mailbox.close()

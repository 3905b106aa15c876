"""`status --json` names the worker holding each account (several `run` processes may share
one store under leases)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from inboxguard.cli import main
from inboxguard.store import StateStore
from tests.mailboxes import CLIENT, OWNER, Maildir, config_dict, write_config


def test_polled_by_is_the_live_lease_holder(tmp_path: Path) -> None:
    mail = Maildir(tmp_path / "Mail")
    now = datetime.now(UTC)
    mail.add(
        "INBOX", sender=CLIENT, to=OWNER, subject="質問", date=now - timedelta(hours=1),
        message_id="<q@client.example>",
    )  # fmt: skip
    config = write_config(tmp_path / "config.toml", config_dict(mail.root, tmp_path))
    env = {"INBOXGUARD_CONFIG": str(config)}
    assert CliRunner().invoke(main, ["run", "--once"], env=env).exit_code == 0

    def polled_by() -> object:
        result = CliRunner().invoke(main, ["status", "--json"], env=env, catch_exceptions=False)
        (account,) = json.loads(result.stdout)["accounts"]
        return account["polled_by"]

    assert polled_by() is None  # run --once holds no lease after it ends
    store = StateStore.open(f"sqlite:///{tmp_path / 'state.db'}")
    assert store.acquire_lease("work", "host1:4312", timedelta(minutes=6), datetime.now(UTC))
    store.close()
    assert polled_by() == "host1:4312"

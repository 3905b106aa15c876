"""`inboxguard check` on a Graph account: each line once, under the account's name once."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from inboxguard.auth import graph as graph_auth
from inboxguard.cli import main
from inboxguard.config import GraphAccount
from tests.graph.conftest import CLIENT_ID, NOW
from tests.graph.fake_graph import TOKEN, FakeGraph
from tests.mailboxes import CLIENT, OWNER, config_dict, write_config


def test_check_prints_the_mailbox_and_each_folder_once_with_one_account_prefix(
    graph: FakeGraph, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def token(account: GraphAccount, **_: object) -> str:
        return TOKEN

    def who(account: GraphAccount, *_: object) -> str:
        return OWNER

    monkeypatch.setattr(graph_auth, "access_token", token)  # consent is not what is tested
    monkeypatch.setattr(graph_auth, "signed_in_as", who)
    graph.add_mail(
        "inbox", sender=CLIENT, to=OWNER, subject="件名", date=NOW, message_id="<c@client.example>"
    )
    data = config_dict(tmp_path / "unused", tmp_path)
    data["accounts"] = [
        {
            "name": "work",
            "kind": "graph",
            "oauth_client_id": CLIENT_ID,
            "graph_endpoint": graph.base_url,
        }
    ]
    config = write_config(tmp_path / "config.toml", data)
    env = {
        "INBOXGUARD_NOW": (NOW + timedelta(hours=1)).isoformat(),
        "XDG_STATE_HOME": str(tmp_path),
    }
    result = CliRunner().invoke(main, ["--config", str(config), "check"], env=env)
    assert result.exit_code == 0, result.output
    account_lines = [line for line in result.stdout.splitlines() if line.startswith("[work]")]
    assert account_lines == [
        f"[work] graph me at {graph.base_url} (tenant organizations), signed in as {OWNER}",
        "[work]   incoming  Inbox: 1 message(s) in the last 30 days",
        "[work]   sent      Sent Items: 0 message(s) in the last 30 days",
        "[work]   drafts    Drafts: 0 message(s) in the last 30 days",
    ]
    assert graph.writes() == []

"""A fake Graph server per test, and configurations whose graph account points at it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from inboxguard.config import Config, GraphAccount, parse_config
from tests.graph.fake_graph import FakeGraph, fake_graph
from tests.mailboxes import config_dict
from tests.msal_authority import Authority, serving

TOKYO = ZoneInfo("Asia/Tokyo")
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=TOKYO)
CLIENT_ID = "00000000-1111-2222-3333-444444444444"


@pytest.fixture
def graph() -> Iterator[FakeGraph]:
    with fake_graph(now=NOW) as fake:
        yield fake


def graph_config(fake: FakeGraph, tmp_path: Path, **account: Any) -> Config:
    data = config_dict(tmp_path / "unused", tmp_path)
    data["accounts"] = [
        {
            "name": "work",
            "kind": "graph",
            "oauth_client_id": CLIENT_ID,
            "graph_endpoint": fake.base_url,
            "page_size": 2,  # small pages: every first scan follows @odata.nextLink
            "timeout": 10,
            **account,
        }
    ]
    return parse_config(data)


def graph_account(config: Config) -> GraphAccount:
    account = config.accounts[0]
    assert isinstance(account, GraphAccount)
    return account


class GraphAuthority(Authority):
    """The device-code tests' local authority, granting Graph's scope as Entra ID does
    (short names: Graph is the default resource)."""

    def answer(self, path: str, form: dict[str, str]) -> dict[str, Any]:
        answer = super().answer(path, form)
        if "access_token" in answer:
            answer["scope"] = "Mail.ReadWrite openid profile"
        return answer


@pytest.fixture
def authority(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[GraphAuthority]:
    with serving(GraphAuthority(), tmp_path, monkeypatch) as served:
        assert isinstance(served, GraphAuthority)
        yield served

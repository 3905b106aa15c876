"""A fake Graph server per test, and configurations whose graph account points at it."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from inboxguard.config import Config, GraphAccount, parse_config
from tests.auth.test_microsoft_device_flow import Authority
from tests.auth.test_microsoft_device_flow import _Server as AuthorityServer
from tests.graph.fake_graph import FakeGraph, fake_graph
from tests.live.tls import CERT_NAME, make_certificates, openssl_available
from tests.mailboxes import config_dict

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
    """msal insists on an https authority: one with a throwaway CA that requests trusts."""
    if not openssl_available():
        pytest.skip("needs openssl for a throwaway CA")
    certificates = make_certificates(tmp_path / "tls")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(certificates.ca))  # msal talks through requests
    authority = GraphAuthority()
    server = AuthorityServer(authority)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificates.cert, certificates.key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    authority.base = f"https://{CERT_NAME}:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield authority
    server.shutdown()
    server.server_close()

"""A fake Exchange per test, and configurations pointing InboxGuard at it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from inboxguard.backends.ews import forget_connections
from inboxguard.config import Config, EwsAccount, parse_config
from tests.ews.fake_ews import FakeEws, Item
from tests.mailboxes import CLIENT, OWNER, build_message, config_dict

ENV_PASSWORD = "INBOXGUARD_TEST_EWS_PASSWORD"
PASSWORD = "s3cret-pw"


@pytest.fixture
def now() -> datetime:
    # The fake stamps the drafts it stores with its own clock, so cycles run at real time.
    return datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeEws]:
    monkeypatch.setenv(ENV_PASSWORD, PASSWORD)
    forget_connections()  # every test starts like a fresh process
    server = FakeEws(OWNER, username="hanako", password=PASSWORD).start()
    yield server
    server.stop()
    forget_connections()
    assert server.failures == [], "requests the fake could not answer"


def ews_settings(server: FakeEws, **account: Any) -> dict[str, Any]:
    return {
        "name": "work",
        "kind": "ews",
        "service_endpoint": server.url,
        "primary_smtp_address": OWNER,
        "auth": "basic",
        "username": "hanako",
        "password_env": ENV_PASSWORD,
        **account,
    }


def ews_config(server: FakeEws, tmp_path: Path, **account: Any) -> Config:
    data = config_dict(tmp_path / "unused", tmp_path)
    data["accounts"] = [ews_settings(server, **account)]
    return parse_config(data)


def ews_account(config: Config) -> EwsAccount:
    account = config.accounts[0]
    assert isinstance(account, EwsAccount)
    return account


def client_mail(
    fake: FakeEws, received: datetime, *, mid: str | None = "<q1@client.example>"
) -> Item:
    message = build_message(
        sender=CLIENT, to=OWNER, subject="見積のご依頼", date=received, message_id=mid
    )
    return fake.mailbox.add("inbox", message.as_bytes(), received=received)

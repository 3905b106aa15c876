"""A ``state.url`` that cannot be used (a bad scheme, a driver not installed, a server that
cannot be reached, a refused login, no such database) is one line naming it, without the
password, and exit 2 (a configuration error: systemd does not restart on it); nothing is
written to any mailbox. And a good PostgreSQL URL runs a cycle like the SQLite file."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner, Result

from inboxguard.cli import main
from inboxguard.store import StateStore
from tests.conftest import PostgresSession
from tests.live.postgres_server import PASSWORD
from tests.mailboxes import OWNER, Maildir, config_dict, write_config

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=ZoneInfo("Asia/Tokyo"))


def invoke(config: Path, *args: str, what_if: bool = False) -> Result:
    env = {"INBOXGUARD_CONFIG": str(config)}
    if what_if:
        env["INBOXGUARD_NOW"] = NOW.isoformat()
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def configured(tmp_path: Path, mail: Maildir, url: str) -> Path:
    data = config_dict(mail.root, tmp_path)
    data["state"]["url"] = url
    return write_config(tmp_path / "config.toml", data)


def client_mail(mail: Maildir) -> None:
    mail.add(
        "INBOX",
        sender="山田 太郎 <taro@client.example>",
        to=OWNER,
        subject="見積のご依頼",
        date=NOW - timedelta(hours=20),
        message_id="<q1@client.example>",
    )


def one_line_exit_2(result: Result) -> str:
    return one_line_exit(result, 2)


def one_line_exit(result: Result, code: int) -> str:
    assert result.exit_code == code, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output
    assert PASSWORD not in result.output and "wrong-pw" not in result.output
    return lines[0]


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("mysql://inboxguard:wrong-pw@db.example/state", "state.url: mysql is not supported"),
        ("postgresql+nosuchdriver://u:wrong-pw@db.example/state", "state.url: cannot use"),
    ],
    ids=["bad-scheme", "unknown-driver"],
)
def test_a_state_url_that_is_not_usable_is_exit_2(
    tmp_path: Path, mail: Maildir, url: str, said: str
) -> None:
    config = configured(tmp_path, mail, url)
    client_mail(mail)
    for args in (("run", "--once"), ("status",)):
        assert said in one_line_exit_2(invoke(config, *args))
    assert mail.drafts() == []


@pytest.mark.parametrize(
    ("what", "said", "code"),
    [
        ("refused-login", "password authentication failed", 2),
        ("no-database", 'database "no_such_db" does not exist', 2),
        # Maybe a server still starting at boot: a runtime failure, tried again (exit 1;
        # the shipped units do not restart after exit 2).
        ("refused-port", "Connection refused", 1),
        ("unknown-host", "no-such-host.invalid", 1),
    ],
)
def test_a_server_that_cannot_be_reached_is_one_line_naming_it(
    tmp_path: Path, mail: Maildir, postgres: PostgresSession, what: str, said: str, code: int
) -> None:
    server = postgres.server
    url = {
        "refused-login": server.url("postgres", password="wrong-pw"),
        "no-database": server.url("no_such_db"),
        "refused-port": server.url("postgres").replace(f":{server.port}/", ":1/"),
        "unknown-host": server.url("postgres", host="no-such-host.invalid"),
    }[what]
    config = configured(tmp_path, mail, url)
    client_mail(mail)
    for args, what_if in ((("run", "--once"), False), (("status",), True)):
        line = one_line_exit(invoke(config, *args, what_if=what_if), code)
        assert line.startswith("inboxguard: state store postgresql+psycopg://inboxguard:***@")
        assert "cannot connect: " in line and said in line
    assert mail.drafts() == []


def test_a_cycle_on_a_postgresql_store_writes_its_draft_once(
    tmp_path: Path, mail: Maildir, postgres: PostgresSession
) -> None:
    url = postgres.server.url(postgres.fresh())
    config = configured(tmp_path, mail, url)
    mail.add(
        "INBOX",
        sender="山田 太郎 <taro@client.example>",
        to=OWNER,
        subject="見積のご依頼",
        date=datetime.now(ZoneInfo("Asia/Tokyo")) - timedelta(hours=20),
        message_id="<q1@client.example>",
    )
    for _ in range(2):
        result = invoke(config, "run", "--once")
        assert result.exit_code == 0, result.output
    assert len(mail.drafts()) == 1
    store = StateStore.open(url)
    assert [d.thread_id for d in store.drafts()] == [store.thread_ids()[0]]
    store.close()

"""A configuration mistake is one line naming the key and saying what was meant, exit 2: a
misspelt key, a password written into the file, a top-level key under a table, an
INBOXGUARD_NOW past the calendar's edge, a --config that is a FIFO or a directory. And the
starter file `inboxguard init` writes loads as written and as uncommented."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from inboxguard.cli import main
from inboxguard.config import ImapAccount, load_config, parse_config
from inboxguard.errors import ConfigError
from inboxguard.starter import STARTER_CONFIG
from inboxguard.store import StateStore
from tests.mailboxes import Maildir, config_dict, write_config

SECRET = "hunter2-Zq9"
NOW = "2026-11-20T12:00:00+09:00"


def imap(**settings: Any) -> dict[str, Any]:
    return {
        "name": "work",
        "kind": "imap",
        "host": "imap.example.jp",
        "username": "hanako@example.jp",
        "password_env": "PW",
        **settings,
    }


def error_of(data: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_config(data)
    text = str(caught.value)
    assert "\n" not in text
    return text


def with_account(tmp_path: Path, account: dict[str, Any]) -> dict[str, Any]:
    data = config_dict(tmp_path / "Mail", tmp_path)
    data["accounts"] = [account]
    return data


def invoke(config: Path, *args: str, now: str = NOW) -> Result:
    env = {"INBOXGUARD_NOW": now, "INBOXGUARD_CONFIG": str(config)}
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def one_line(result: Result, exit_code: int = 2) -> str:
    assert result.exit_code == exit_code, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


# -- unknown keys -----------------------------------------------------------------------------


def test_a_misspelt_key_is_reported_before_the_key_it_hides_with_the_likely_intended_one(
    tmp_path: Path,
) -> None:
    account = imap(hostt="imap.example.jp")
    del account["host"]
    message = error_of(with_account(tmp_path, account))
    assert message == "accounts[0].hostt: unknown key; did you mean host?"


@pytest.mark.parametrize(
    ("where", "key", "meant"),
    [
        ("owner", "adresses", "addresses"),
        ("sla", "reply_witin", "reply_within"),
        ("digest", "delivry", "delivery"),
        ("service", "poll_intervall", "poll_interval"),
        (None, "acounts", "accounts"),
    ],
)
def test_a_misspelt_key_of_any_table_names_the_nearest_key_of_that_table(
    tmp_path: Path, where: str | None, key: str, meant: str
) -> None:
    data = config_dict(tmp_path / "Mail", tmp_path)
    (data.setdefault(where, {}) if where else data)[key] = "x"
    prefix = f"{where}.{key}" if where else key
    assert error_of(data) == f"{prefix}: unknown key; did you mean {meant}?"


def test_a_key_like_none_of_the_tables_keys_is_just_unknown(tmp_path: Path) -> None:
    message = error_of(with_account(tmp_path, imap(colour="blue")))
    assert message == "accounts[0].colour: unknown key (docs/configuration.md lists every key)"


@pytest.mark.parametrize("kind", ["imap", "ews"])
def test_a_password_in_the_file_names_the_three_keys_to_use_and_never_the_value(
    tmp_path: Path, kind: str
) -> None:
    account: dict[str, Any] = imap(password=SECRET)
    if kind == "ews":
        account = {
            "name": "work",
            "kind": "ews",
            "service_endpoint": "https://mail.example.jp/EWS/Exchange.asmx",
            "primary_smtp_address": "hanako@example.jp",
            "username": "EXAMPLE\\hanako",
            "password_env": "PW",
            "password": SECRET,
        }
    message = error_of(with_account(tmp_path, account))
    assert message.startswith("accounts[0].password: unknown key: a secret never sits in")
    assert "use password_command, password_env or password_credential" in message
    assert SECRET not in message


def test_an_smtp_password_or_client_secret_in_the_file_names_its_own_three_keys(
    tmp_path: Path,
) -> None:
    data = config_dict(tmp_path / "Mail", tmp_path)
    data["digest"] = {"smtp_password": SECRET}
    message = error_of(data)
    assert message.startswith("digest.smtp_password: unknown key")
    assert "smtp_password_command, smtp_password_env or smtp_password_credential" in message
    oauth = imap(auth="oauth2", oauth_provider="google", oauth_client_id="id")
    del oauth["password_env"]
    message = error_of(with_account(tmp_path, {**oauth, "oauth_client_secret": SECRET}))
    assert "use oauth_client_secret_command, oauth_client_secret_env or" in message
    assert SECRET not in message


@pytest.mark.parametrize("key", ["rules_dir", "templates_dir"])
def test_a_top_level_key_written_below_a_table_says_to_move_it_up(tmp_path: Path, key: str) -> None:
    data = config_dict(tmp_path / "Mail", tmp_path)
    data["state"] = {key: "~/.config/inboxguard/x"}
    message = error_of(data)
    assert message == (
        f"state.{key}: unknown key: {key} is a top-level key; move it above the first [table]"
    )


def test_the_command_line_prints_the_suggestion_in_one_line_exit_2(tmp_path: Path) -> None:
    mail = Maildir(tmp_path / "Mail")
    data = config_dict(mail.root, tmp_path)
    data["accounts"][0]["pathh"] = data["accounts"][0].pop("path")
    config = write_config(tmp_path / "config.toml", data)
    line = one_line(invoke(config, "check"))
    assert line == "inboxguard: accounts[0].pathh: unknown key; did you mean path?"


# -- INBOXGUARD_NOW ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "now",
    [
        "9999-12-31T23:00:00+00:00",  # a day of deadlines past it overflows
        "9999-06-01T00:00:00+09:00",
        "0001-01-01T00:00:00+09:00",  # UTC of it is before year 1
        "1969-12-31T23:59:59+00:00",
    ],
)
def test_inboxguard_now_past_the_calendars_edge_is_one_line_exit_2_and_records_nothing(
    tmp_path: Path, now: str
) -> None:
    mail = Maildir(tmp_path / "Mail")
    config = write_config(tmp_path / "config.toml", config_dict(mail.root, tmp_path))
    for args in (("run", "--once"), ("status",), ("check",)):
        line = one_line(invoke(config, *args, now=now))
        assert line == (
            f"inboxguard: INBOXGUARD_NOW: {now!r} is out of range (use a time from 1970 to 9998)"
        )
    # Refused before the cycle: no failure recorded against the account for later polls.
    if (tmp_path / "state.db").exists():
        store = StateStore.open(f"sqlite:///{tmp_path / 'state.db'}")
        try:
            assert store.health() == []
        finally:
            store.close()


def test_inboxguard_now_near_the_edges_still_runs(tmp_path: Path) -> None:
    mail = Maildir(tmp_path / "Mail")
    config = write_config(tmp_path / "config.toml", config_dict(mail.root, tmp_path))
    for now in ("1970-01-01T00:00:00+00:00", "9998-12-31T23:59:59+00:00"):
        result = invoke(config, "run", "--once", now=now)
        assert result.exit_code == 0, result.output
    store = StateStore.open(f"sqlite:///{tmp_path / 'state.db'}")
    try:
        (health,) = store.health()
    finally:
        store.close()
    assert health.last_error is None and health.failing_since is None


# -- --config that is not a file --------------------------------------------------------------


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The real command in a process of its own: a read that blocks fails the timeout."""
    code = "from inboxguard.cli import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "INBOXGUARD_NOW": NOW, **env},
        check=False,
        stdin=subprocess.DEVNULL,
    )


def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    os.mkfifo(path)
    return path


def directory(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.mkdir()
    return path


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (fifo, "is a FIFO: give the path of the TOML file itself"),
        (directory, "is a directory, not a configuration file"),
    ],
    ids=["fifo", "directory"],
)
@pytest.mark.parametrize("given", ["--config", "INBOXGUARD_CONFIG"])
def test_a_config_path_that_is_not_a_regular_file_is_one_line_exit_2_without_hanging(
    tmp_path: Path, make: Callable[[Path], Path], says: str, given: str
) -> None:
    path = make(tmp_path)
    if given == "--config":
        done = run_cli("--config", str(path), "check", env={})
    else:
        done = run_cli("status", env={"INBOXGUARD_CONFIG": str(path)})
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [f"inboxguard: config: {path} {says}"]


# -- the starter file ------------------------------------------------------------------------


def uncomment(text: str, starts: tuple[str, ...]) -> str:
    return "".join(
        line.removeprefix("# ") if line.startswith(tuple(f"# {s}" for s in starts)) else line
        for line in text.splitlines(keepends=True)
    )


def test_the_starter_loads_as_written_and_starts_from_an_imap_account_with_password_command(
    tmp_path: Path,
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(STARTER_CONFIG, encoding="utf-8")
    config = load_config(path)
    (account,) = config.accounts
    assert isinstance(account, ImapAccount)
    assert account.password_command == "pass show mail/work"
    assert "SPEC §" not in STARTER_CONFIG and "docs/configuration.md" in STARTER_CONFIG


def test_uncommenting_rules_dir_and_templates_dir_in_the_starter_loads(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(uncomment(STARTER_CONFIG, ("rules_dir", "templates_dir")), encoding="utf-8")
    config = load_config(path)
    # "~" is the owner's home here as in every other path of the file.
    assert config.rules_dir == Path.home() / ".config/inboxguard/rules"
    assert config.templates_dir == Path.home() / ".config/inboxguard/templates"


def test_the_starters_top_level_keys_come_before_any_table() -> None:
    first_table = STARTER_CONFIG.index("\n[")
    for key in ("rules_dir", "templates_dir"):
        assert STARTER_CONFIG.index(f"# {key} =") < first_table


def test_the_starters_maildir_example_uncommented_beside_the_imap_account_loads(
    tmp_path: Path,
) -> None:
    text = STARTER_CONFIG
    block = text[text.index('# [[accounts]]\n# name = "local"') : text.index("[digest]")]
    uncommented = "".join(line.removeprefix("# ") for line in block.splitlines(keepends=True))
    data = tomllib.loads(text.replace(block, uncommented))
    assert [a["kind"] for a in data["accounts"]] == ["imap", "maildir"]
    assert [a.name for a in parse_config(data).accounts] == ["work", "local"]

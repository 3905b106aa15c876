"""`inboxguard auth ACCOUNT`: consent from the terminal; where the token went, never what."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from click.testing import CliRunner

from inboxguard.cli import main
from tests.mailboxes import config_dict, write_config
from tests.oauth_server import CLIENT_ID, CLIENT_SECRET, fake_google

GMAIL = {
    "name": "gmail",
    "kind": "imap",
    "host": "imap.gmail.com",
    "username": "hanako.sato@gmail.com",
    "auth": "oauth2",
    "oauth_provider": "google",
    "oauth_client_id": CLIENT_ID,
    "oauth_client_secret_env": "GOOGLE_SECRET",
}


def config_file(tmp_path: Path, *accounts: dict[str, Any]) -> Path:
    data = config_dict(tmp_path / "Mail", tmp_path)
    data["accounts"] = list(accounts)
    return write_config(tmp_path / "config.toml", data)


def test_an_unknown_account_exits_2_naming_the_known_ones(tmp_path: Path) -> None:
    config = config_file(tmp_path, GMAIL)
    result = CliRunner().invoke(main, ["--config", str(config), "auth", "nope"])
    assert result.exit_code == 2
    assert "no account named 'nope' (accounts: gmail)" in result.output


def test_an_account_that_does_not_use_oauth2_exits_2(tmp_path: Path) -> None:
    maildir = {"name": "local", "kind": "maildir", "path": str(tmp_path)}
    config = config_file(tmp_path, GMAIL, maildir)
    result = CliRunner().invoke(main, ["--config", str(config), "auth", "local"])
    assert result.exit_code == 2
    assert "accounts[1].auth: account 'local' does not use OAuth2" in result.output


def test_auth_runs_the_consent_and_prints_where_the_token_is_stored_never_the_token(
    tmp_path: Path,
) -> None:
    with fake_google() as fake:
        config = config_file(tmp_path, {**GMAIL, "oauth_endpoint": fake.base_url})
        env = {
            **os.environ,
            "XDG_STATE_HOME": str(tmp_path / "state"),
            "GOOGLE_SECRET": CLIENT_SECRET,
        }
        command = [sys.executable, "-c", "from inboxguard.cli import main; main()"]
        process = subprocess.Popen(
            [*command, "--config", str(config), "auth", "gmail"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert process.stdout is not None
        printed = []
        for line in process.stdout:  # the owner reads the URL off the terminal
            printed.append(line)
            if line.startswith(f"{fake.base_url}/auth?"):
                break
        query = {k: v[0] for k, v in parse_qs(urlsplit(printed[-1].strip()).query).items()}
        code = fake.issue_code(query["code_challenge"], query["redirect_uri"], GMAIL["username"])
        httpx.get(query["redirect_uri"], params={"code": code, "state": query["state"]})
        rest, _ = process.communicate(timeout=30)
    output = "".join(printed) + rest
    assert process.returncode == 0, output
    path = tmp_path / "state" / "inboxguard" / "tokens" / "gmail.json"
    assert f"consent stored for gmail in {path}" in output
    stored = json.loads(path.read_text())
    assert stored["refresh_token"] not in output and stored["access_token"] not in output
    assert code not in output

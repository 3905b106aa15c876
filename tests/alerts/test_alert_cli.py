"""`inboxguard alert --test`, `run --once` and `status` with `[[alerts]]`, through click."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from inboxguard.cli import main
from tests.alerts.conftest import (
    AT_RISK,
    NTFY_TOKEN,
    alert_config,
    channel,
    client_mail,
    ntfy_url,
    webhook_url,
)
from tests.alerts.receivers import Receiver
from tests.alerts.test_sending import closed_port
from tests.mailboxes import Maildir, write_config


def invoke(
    config: Path, *args: str, now: datetime = AT_RISK, env: dict[str, str] | None = None
) -> Result:
    environment = {"INBOXGUARD_NOW": now.isoformat(), "INBOXGUARD_CONFIG": str(config)}
    environment.update(env or {})
    return CliRunner().invoke(main, list(args), env=environment, catch_exceptions=False)


def configured(tmp_path: Path, maildir: Maildir, channels: list[dict[str, Any]]) -> Path:
    return write_config(tmp_path / "config.toml", alert_config(maildir, tmp_path, channels))


def test_alert_test_says_what_happened_one_line_per_channel(
    tmp_path: Path, maildir: Maildir, ntfy: Receiver
) -> None:
    config = configured(
        tmp_path, maildir, [channel("phone", "IG_PHONE_URL"), channel("chat", "IG_CHAT_URL")]
    )
    down = f"json://127.0.0.1:{closed_port()}/hook/Zq8w3e5r7t9yU1i0"
    result = invoke(
        config, "alert", "--test", env={"IG_PHONE_URL": ntfy_url(ntfy), "IG_CHAT_URL": down}
    )
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == "phone: sent"
    assert lines[1].startswith("chat: FAILED: ") and "127.0.0.1" in lines[1]
    assert "Zq8w3e5r7t9yU1i0" not in result.output and NTFY_TOKEN not in result.output
    assert ntfy.messages()[0]["title"] == "InboxGuard — テスト通知"
    assert (tmp_path / "state.db").exists() is False  # a test touches no store


def test_alert_test_of_one_channel_sends_to_that_one_only(
    tmp_path: Path, maildir: Maildir, ntfy: Receiver, webhook: Receiver
) -> None:
    config = configured(
        tmp_path, maildir, [channel("phone", "IG_PHONE_URL"), channel("chat", "IG_CHAT_URL")]
    )
    env = {"IG_PHONE_URL": ntfy_url(ntfy), "IG_CHAT_URL": webhook_url(webhook)}
    result = invoke(config, "alert", "--test", "chat", env=env)
    assert (result.exit_code, result.output) == (0, "chat: sent\n")
    assert (ntfy.count, webhook.count) == (0, 1)


def test_alert_test_names_a_channel_that_does_not_exist_and_exits_2(
    tmp_path: Path, maildir: Maildir
) -> None:
    config = configured(tmp_path, maildir, [channel("phone", "IG_PHONE_URL")])
    result = invoke(config, "alert", "--test", "tablet")
    assert result.exit_code == 2
    assert "no alert channel named 'tablet' (channels: phone)" in result.output


def test_alert_test_without_channels_points_at_the_docs(tmp_path: Path, maildir: Maildir) -> None:
    config = configured(tmp_path, maildir, [])
    result = invoke(config, "alert", "--test")
    assert result.exit_code == 2 and "docs/alerts.md" in result.output


def test_a_url_command_that_fails_is_that_channel_s_failure(
    tmp_path: Path, maildir: Maildir
) -> None:
    chat = {"name": "chat", "url_command": "echo 'no such entry' >&2; exit 3"}
    config = configured(tmp_path, maildir, [chat])
    result = invoke(config, "alert", "--test")
    assert result.exit_code == 1
    assert result.output == "chat: FAILED: url_command failed with exit status 3: no such entry\n"


def test_run_once_sends_the_alerts_of_its_cycle_once(
    tmp_path: Path, maildir: Maildir, ntfy: Receiver
) -> None:
    config = configured(tmp_path, maildir, [channel("phone", "IG_PHONE_URL")])
    client_mail(maildir)
    env = {"IG_PHONE_URL": ntfy_url(ntfy)}
    assert invoke(config, "run", "--once", env=env).exit_code == 0
    assert (
        invoke(config, "run", "--once", now=AT_RISK + timedelta(minutes=5), env=env).exit_code == 0
    )
    assert [m["message"].splitlines()[0] for m in ntfy.messages()] == [
        "【期限間近】山田 太郎「見積のご依頼」"
    ]


def test_status_as_a_what_if_sends_nothing_and_shows_a_failing_channel(
    tmp_path: Path, maildir: Maildir, ntfy: Receiver
) -> None:
    config = configured(tmp_path, maildir, [channel("phone", "IG_PHONE_URL")])
    client_mail(maildir)
    down = {"IG_PHONE_URL": f"ntfy://127.0.0.1:{closed_port()}/inboxguard"}
    invoke(config, "run", "--once", env=down)  # the phone is down: recorded
    later = AT_RISK + timedelta(hours=8)  # overdue by then: a what-if sends nothing
    result = invoke(config, "status", now=later, env={"IG_PHONE_URL": ntfy_url(ntfy)})
    assert ntfy.count == 0
    assert "alert channel phone: FAILING since 11月21日(土) 03:10" in result.output
    as_json = invoke(config, "status", "--json", "--cached", now=later)
    assert '"channel": "phone"' in as_json.output

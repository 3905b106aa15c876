"""`mark` with incident actions, and incidents in `status`, through the command line."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_cli import NOW, invoke, thread
from tests.mailboxes import Maildir, config_dict, write_config


def only_thread(config: Path, minutes: int = 0, *args: str) -> dict[str, Any]:
    out = invoke(config, "status", "--json", *args, now=NOW + timedelta(minutes=minutes))
    (item,) = json.loads(out.stdout)["threads"]
    return item  # type: ignore[no-any-return]


def test_mark_incident_then_stage_done_then_dismiss(config: Path, mail: Maildir) -> None:
    thread(mail, "q", "請求書の件", 2)
    item = only_thread(config)
    assert item["incident"] is None
    opened = invoke(config, "mark", item["id"], "incident", now=NOW + timedelta(minutes=1))
    assert opened.exit_code == 0 and "marked incident" in opened.stdout
    item = only_thread(config, 2)
    assert item["incident"]["state"] == "open"
    assert item["incident"]["opened_at"] == "2026-11-20T12:01:00+09:00"
    assert item["incident"]["stages"][0]["due_at"] == "2026-11-21T12:01:00+09:00"

    again = invoke(config, "mark", item["id"], "incident", now=NOW + timedelta(minutes=3))
    assert again.exit_code == 0 and "already open" in again.stdout

    done = invoke(
        config, "mark", item["id"], "stage-done", "first_report", now=NOW + timedelta(minutes=4)
    )
    assert done.exit_code == 0
    stages = only_thread(config, 5)["incident"]["stages"]
    assert stages[0]["done_at"] == "2026-11-20T12:04:00+09:00" and stages[1]["done_at"] is None

    table = invoke(config, "status", now=NOW + timedelta(minutes=5))
    assert "root_cause" in table.stdout

    dismissed = invoke(config, "mark", item["id"], "dismiss", now=NOW + timedelta(minutes=6))
    assert dismissed.exit_code == 0
    assert only_thread(config, 7)["incident"]["state"] == "dismissed"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("dismiss",), "no open incident to dismiss"),
        (("stage-done", "root_cause"), "no open incident"),
        (("stage-done",), "stage-done needs a STAGE"),
        (("no-reply", "root_cause"), "no-reply takes no STAGE"),
    ],
)
def test_marks_that_do_not_fit_are_exit_2_and_change_nothing(
    config: Path, mail: Maildir, args: tuple[str, ...], message: str
) -> None:
    thread(mail, "q", "質問", 2)
    item = only_thread(config)
    result = invoke(config, "mark", item["id"], *args)
    assert result.exit_code == 2
    assert message in result.stderr
    after = only_thread(config, 1)
    assert after["state"] == "waiting" and after["incident"] is None


def test_an_unknown_stage_is_a_usage_error(config: Path, mail: Maildir) -> None:
    thread(mail, "q", "質問", 2)
    item = only_thread(config)
    result = invoke(config, "mark", item["id"], "stage-done", "postmortem")
    assert result.exit_code == 2
    assert "postmortem" in result.stderr


def test_an_incident_thread_stays_in_status_after_it_is_answered(
    config: Path, mail: Maildir
) -> None:
    thread(
        mail,
        "down",
        "サーバー障害",
        3,
        client_body="本番サーバーがダウンしています。\n",
        age=1,
        body="確認いたします。原因を調査中です。\n",
    )
    item = only_thread(config)
    assert item["state"] == "answered"
    assert item["incident"]["state"] == "open"
    assert item["incident"]["stages"][0]["done_at"] == "2026-11-20T11:00:00+09:00"


@pytest.mark.parametrize(
    ("reports", "expected"),
    [
        ('[reports]\nroot_cause = ["原因"]\nremediation = [""]\n', "reports.remediation[0]"),
        ('[reports]\nroot_cause = ["原因"]\nremediation = ["対策"]\nlater = 1\n', "reports.later"),
        ('[reports]\nremediation = ["対策"]\n', "reports.root_cause: needs at least one"),
    ],
)
def test_a_bad_reports_table_is_one_line_and_exit_2(
    mail: Maildir, tmp_path: Path, reports: str, expected: str
) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "incident.toml").write_text(
        f'threshold = 4\nsubject_weight = 2\n[keywords.ja]\n"障害" = 4\n{reports}',
        encoding="utf-8",
    )
    data = {**config_dict(mail.root, tmp_path), "rules_dir": str(rules)}
    config = write_config(tmp_path / "config.toml", data)
    result = invoke(config, "status")
    assert result.exit_code == 2
    assert result.stderr.strip().count("\n") == 0
    assert f"incident.toml: {expected}" in result.stderr


def test_an_older_incident_rule_file_without_reports_still_works(
    mail: Maildir, tmp_path: Path
) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "incident.toml").write_text(
        'threshold = 4\nsubject_weight = 2\n[keywords.ja]\n"障害" = 4\n', encoding="utf-8"
    )
    data = {**config_dict(mail.root, tmp_path), "rules_dir": str(rules)}
    config = write_config(tmp_path / "config.toml", data)
    thread(mail, "q", "障害", 2)
    assert only_thread(config)["incident"]["state"] == "open"


def test_explain_shows_the_report_stages_a_text_completes(config: Path, tmp_path: Path) -> None:
    eml = tmp_path / "m.eml"
    eml.write_bytes(
        "From: hanako@example.jp\nTo: taro@client.example\nSubject: Re: 障害\n"
        "Date: Fri, 20 Nov 2026 10:00:00 +0900\nContent-Type: text/plain; charset=utf-8\n\n"
        "原因は証明書の期限切れでした。\n対策は追ってご報告いたします。\n".encode()
    )
    data = json.loads(invoke(config, "explain", str(eml), "--json").stdout)
    assert data["report_stages"] == ["root_cause"]

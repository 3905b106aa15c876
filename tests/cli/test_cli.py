"""The command line contract of SPEC §10, driven through click against real files."""

from __future__ import annotations

import json
import sys
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
from click.testing import CliRunner, Result

from inboxguard.cli import main
from tests.mailboxes import CLIENT, OWNER, Maildir, config_dict, write_config

TOKYO = ZoneInfo("Asia/Tokyo")
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=TOKYO)  # a Friday; Monday 11/23 is a holiday


def invoke(config: Path, *args: str, now: datetime = NOW) -> Result:
    env = {"INBOXGUARD_NOW": now.isoformat(), "INBOXGUARD_CONFIG": str(config)}
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def thread(mail: Maildir, key: str, subject: str, client_age: float, **reply: Any) -> None:
    """One client mail `client_age` hours before NOW, and optionally my reply."""
    mail.add(
        "INBOX",
        sender=f"{key} <{key}@client.example>",
        to=OWNER,
        subject=subject,
        date=NOW - timedelta(hours=client_age),
        message_id=f"<{key}@client.example>",
        body=reply.pop("client_body", "ご確認をお願いできますでしょうか。\n"),
    )
    if reply:
        mail.add(
            "Sent",
            sender=OWNER,
            to=f"{key}@client.example",
            subject=f"Re: {subject}",
            date=NOW - timedelta(hours=reply["age"]),
            message_id=f"<re-{key}@example.jp>",
            in_reply_to=f"<{key}@client.example>",
            body=reply["body"],
        )


def build_every_state(mail: Maildir) -> None:
    thread(mail, "waiting", "待ち", 2)
    thread(mail, "atrisk", "危険", 20)
    thread(mail, "overdue", "遅延", 30)
    thread(mail, "answered", "回答済み", 30, age=10, body="お送りします。\n")
    thread(mail, "promised", "約束", 30, age=10, body="11月25日(水)までに回答いたします。\n")
    thread(mail, "broken", "約束切れ", 100, age=90, body="11月18日(水)までに回答いたします。\n")
    thread(mail, "ack", "了承", 3, client_body="承知しました。\nよろしくお願いいたします。\n")
    for key, subject, asked in (
        ("ask", "お願い", "11月24日(火)"),
        ("late", "お願い済み", "11月19日(木)"),
    ):
        mail.add(
            "Sent",
            sender=OWNER,
            to=f"{key}@client.example",
            subject=subject,
            date=NOW - timedelta(days=3),
            message_id=f"<{key}@example.jp>",
            body=f"資料を{asked}までにいただけますと幸いです。\n",
        )
    mail.add(
        "INBOX",
        sender="news <news@list.example>",
        to=OWNER,
        subject="ニュース",
        date=NOW - timedelta(hours=30),
        message_id="<n@list.example>",
        extra={"List-Unsubscribe": "<mailto:u@list.example>"},
    )
    mail.add_raw("INBOX", invitation(), NOW - timedelta(days=2))


def invitation() -> bytes:
    """A client's invitation to a meeting that sat yesterday 14:00-15:00 (no minutes sent)."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//test//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "REQUEST")
    event = icalendar.Event()
    event.add("uid", "meeting-1@client.example")
    event.add("summary", "定例")
    event.add("dtstart", NOW.replace(hour=14) - timedelta(days=1))
    event.add("dtend", NOW.replace(hour=15) - timedelta(days=1))
    event.add("dtstamp", NOW - timedelta(days=2))
    event.add("organizer", "mailto:meet@client.example")
    event.add("attendee", f"mailto:{OWNER}")
    calendar.add_component(event)
    message = EmailMessage()
    message["From"] = "meet <meet@client.example>"
    message["To"] = OWNER
    message["Subject"] = "招待: 定例"
    message["Date"] = format_datetime(NOW - timedelta(days=2))
    message["Message-ID"] = "<invite@client.example>"
    message.set_content("定例のご招待です。\n")
    message.add_alternative(
        bytes(calendar.to_ical()), maintype="text", subtype="calendar", params={"method": "REQUEST"}
    )
    return message.as_bytes()


THREAD_KEYS = {
    "id", "account", "subject", "counterpart", "client", "state", "clock_started_at",
    "due_at", "answered_at", "promised_date", "drafts", "incident", "messages", "backlog",
    "awaiting_until", "awaiting", "meeting",
}  # fmt: skip


def test_status_json_has_the_spec_shape_and_every_state(config: Path, mail: Maildir) -> None:
    build_every_state(mail)
    result = invoke(config, "status", "--json", "--all")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["now"] == "2026-11-20T12:00:00+09:00"
    states = {t["subject"]: t["state"] for t in data["threads"]}
    assert states == {
        "待ち": "waiting",
        "危険": "at_risk",
        "遅延": "overdue",
        "回答済み": "answered",
        "約束": "promised",
        "約束切れ": "promise_overdue",
        "了承": "no_reply_needed",
        "お願い": "awaiting",
        "お願い済み": "awaiting_overdue",
        "招待: 定例": "minutes_due",
    }
    for item in data["threads"]:
        assert set(item) == THREAD_KEYS
        assert item["account"] == "work"
        assert item["incident"] is None
    by_subject = {t["subject"]: t for t in data["threads"]}
    assert by_subject["約束"]["promised_date"] == "2026-11-25"
    assert by_subject["遅延"]["due_at"] == "2026-11-20T06:00:00+09:00"
    assert by_subject["回答済み"]["answered_at"] == "2026-11-20T02:00:00+09:00"
    assert by_subject["遅延"]["counterpart"] == "overdue@client.example"
    assert [t["state"] for t in data["threads"]][:2] == ["overdue", "promise_overdue"]
    assert by_subject["お願い"]["awaiting_until"] == "2026-11-24T18:00:00+09:00"
    assert by_subject["お願い"]["awaiting"]["what"] == "資料"
    assert by_subject["お願い済み"]["awaiting"]["overdue"] is True
    meeting = by_subject["招待: 定例"]["meeting"]
    assert meeting["attendees"] == ["meet@client.example"]
    assert meeting["minutes_due_at"] == "2026-11-19T18:00:00+09:00"
    assert meeting["minutes_sent_at"] is None


def test_status_without_all_hides_answered_threads(config: Path, mail: Maildir) -> None:
    build_every_state(mail)
    data = json.loads(invoke(config, "status", "--json").stdout)
    assert "answered" not in {t["state"] for t in data["threads"]}


def test_status_does_not_write_drafts_but_run_once_does_and_only_once(
    config: Path, mail: Maildir
) -> None:
    thread(mail, "q", "質問", 20)
    invoke(config, "status")
    assert mail.drafts() == []
    first = invoke(config, "run", "--once")
    assert first.exit_code == 0, first.output
    assert "1 draft(s) written" in first.stdout
    second = invoke(config, "run", "--once", now=NOW + timedelta(minutes=2))
    assert "0 draft(s) written" in second.stdout
    assert len(mail.drafts()) == 1
    data = json.loads(invoke(config, "status", "--json").stdout)
    (drafts,) = [t["drafts"] for t in data["threads"]]
    assert drafts[0]["purpose"] == "holding"
    assert drafts[0]["message_id"].startswith("<ig-holding-")


def test_mark_no_reply_then_reopen(config: Path, mail: Maildir) -> None:
    thread(mail, "q", "質問", 2)
    (item,) = json.loads(invoke(config, "status", "--json").stdout)["threads"]
    marked = invoke(config, "mark", item["id"], "no-reply")
    assert marked.exit_code == 0
    later = NOW + timedelta(minutes=1)
    (item,) = json.loads(invoke(config, "status", "--json", now=later).stdout)["threads"]
    assert item["state"] == "no_reply_needed"
    invoke(config, "mark", item["id"], "reopen", now=later)
    (item,) = json.loads(
        invoke(config, "status", "--json", now=later + timedelta(minutes=1)).stdout
    )["threads"]
    assert item["state"] == "waiting"


def test_mark_unknown_thread_is_exit_2_and_changes_nothing(config: Path, mail: Maildir) -> None:
    thread(mail, "q", "質問", 2)
    invoke(config, "status")
    result = invoke(config, "mark", "tdoesnotexist", "no-reply")
    assert result.exit_code == 2
    assert "unknown thread id 'tdoesnotexist'" in result.stderr
    (item,) = json.loads(invoke(config, "status", "--json").stdout)["threads"]
    assert item["state"] == "waiting"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d["accounts"][0].update(hostt="x"), "accounts[0].hostt: unknown key"),
        (lambda d: d["owner"].update(timezone="Asia/Tokio"), "owner.timezone: unknown time zone"),
        (
            lambda d: d["accounts"][0].update(path="/nonexistent/Mail"),
            "accounts[0].path: /nonexistent/Mail does not exist",
        ),
        (lambda d: d["sla"].update(reply_within="24 hours"), "sla.reply_within"),
        (lambda d: d["owner"].pop("addresses"), "owner.addresses: required key is missing"),
        (lambda d: d["accounts"][0].update(kind="pop3"), "accounts[0].kind"),
    ],
)
def test_configuration_errors_are_one_line_exit_2_and_write_nothing(
    tmp_path: Path, mail: Maildir, change: Any, expected: str
) -> None:
    data = config_dict(mail.root, tmp_path)
    change(data)
    config = write_config(tmp_path / "config.toml", data)
    result = invoke(config, "run", "--once")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert expected in result.stderr
    assert not (tmp_path / "state.db").exists()
    assert mail.drafts() == []


def test_bad_inboxguard_now_is_a_usage_error(config: Path) -> None:
    env = {"INBOXGUARD_NOW": "2026-11-20T12:00:00", "INBOXGUARD_CONFIG": str(config)}
    result = CliRunner().invoke(main, ["status"], env=env)
    assert result.exit_code == 2
    assert "INBOXGUARD_NOW" in result.stderr


def test_explain_json_has_the_spec_fields(config: Path, tmp_path: Path) -> None:
    eml = tmp_path / "m.eml"
    eml.write_bytes(
        f"From: =?UTF-8?B?5bGx55SwIOWkqumDjg==?= <{CLIENT}>\nTo: {OWNER}\n"
        "Subject: =?ISO-2022-JP?B?GyRCOGVGfBsoQg==?=\nMessage-ID: <e1@client.example>\n"
        "Date: Fri, 20 Nov 2026 10:00:00 +0900\n\n"
        "11月25日(水)までに回答いたします。資料を24日までにいただけますか。\n> quoted\n".encode()
    )
    result = invoke(config, "explain", str(eml), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    required = {
        "message_id", "subject", "from", "to", "cc", "date", "automated", "automated_reason",
        "counterpart", "text", "charset_repairs", "incident", "promises",
    }  # fmt: skip
    assert required <= set(data)
    assert data["subject"] == "後日"
    assert data["from"] == {"name": "山田 太郎", "address": CLIENT}
    assert data["counterpart"] is True
    assert data["automated"] is False and data["automated_reason"] is None
    assert "quoted" not in data["text"]
    assert data["promises"] == [{"phrase": "11月25日(水)までに", "date": "2026-11-25"}]
    assert data["requests"] == [
        {"phrase": "資料を24日までにいただけますか。", "what": "資料", "date": "2026-11-24"}
    ]
    assert data["invitation"] is None
    assert data["incident"] == {"score": 0.0, "keywords": []}


def test_explain_shows_the_incident_score_and_keywords(config: Path, tmp_path: Path) -> None:
    eml = tmp_path / "m.eml"
    eml.write_bytes(
        f"From: {CLIENT}\nTo: {OWNER}\nSubject: Site down\nMessage-ID: <i1@client.example>\n"
        "Date: Fri, 20 Nov 2026 10:00:00 +0900\n\n"
        "The checkout page shows an error.\n> quoted: outage, data loss\n".encode()
    )
    data = json.loads(invoke(config, "explain", str(eml), "--json").stdout)
    assert data["incident"] == {"score": 10.0, "keywords": ["site down", "error"]}


def test_a_bad_incident_rule_file_is_one_line_and_exit_2(mail: Maildir, tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "incident.toml").write_text(
        'threshold = 4\nsubject_weight = 2\n[keywords.ja]\n"障害" = -3\n', encoding="utf-8"
    )
    data = {**config_dict(mail.root, tmp_path), "rules_dir": str(rules)}
    config = write_config(tmp_path / "config.toml", data)
    eml = tmp_path / "m.eml"
    eml.write_bytes(f"From: {CLIENT}\nSubject: x\n\nhello\n".encode())
    result = invoke(config, "explain", str(eml))
    assert result.exit_code == 2
    assert result.stderr.strip().count("\n") == 0
    assert 'incident.toml: keywords.ja."障害": expected a positive number' in result.stderr


def test_init_writes_a_valid_starter_and_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "conf" / "config.toml"
    first = CliRunner().invoke(main, ["--config", str(path), "init"])
    assert first.exit_code == 0 and path.exists()
    second = CliRunner().invoke(main, ["--config", str(path), "init"])
    assert second.exit_code == 2 and "already exists" in second.stderr
    (tmp_path / "Mail" / "INBOX" / "cur").mkdir(parents=True)
    # It starts from an IMAP account; its Maildir example, uncommented in its place, checks.
    text = path.read_text(encoding="utf-8")
    imap = text[text.index('[[accounts]]\nname = "work"') : text.index("# A local Maildir")]
    maildir = text[text.index('# [[accounts]]\n# name = "local"') : text.index("[digest]")]
    uncommented = "".join(line.removeprefix("# ") for line in maildir.splitlines(keepends=True))
    text = text.replace(imap, "").replace(maildir, uncommented)
    path.write_text(text.replace("~/Mail/work", str(tmp_path / "Mail")), encoding="utf-8")
    (tmp_path / "Mail" / "INBOX" / "new").mkdir()
    for folder in ("Sent",):
        for sub in ("cur", "new", "tmp"):
            (tmp_path / "Mail" / folder / sub).mkdir(parents=True)
    env = {"XDG_STATE_HOME": str(tmp_path / "state")}
    checked = CliRunner().invoke(main, ["--config", str(path), "check"], env=env)
    assert checked.exit_code == 0, checked.output
    assert "incoming  INBOX: 0 message(s)" in checked.stdout


def test_state_database_is_private(config: Path, tmp_path: Path, mail: Maildir) -> None:
    thread(mail, "q", "質問", 2)
    invoke(config, "status")  # a what-if: it creates nothing
    assert not (tmp_path / "state.db").exists()
    invoke(config, "run", "--once")
    assert (tmp_path / "state.db").stat().st_mode & 0o777 == 0o600


def test_demo_runs_offline_and_shows_a_draft() -> None:
    result = CliRunner().invoke(main, ["demo"], env={"INBOXGUARD_NOW": NOW.isoformat()})
    assert result.exit_code == 0, result.output
    flowing = " ".join(result.stdout.split())  # rich wraps at the terminal width
    assert (
        "2 holding draft(s), 1 incident report draft(s), 1 follow-up draft(s) "
        "and 1 minutes draft(s) written"
    ) in flowing
    assert "発生事象（事実）" in result.stdout  # the first-report skeleton is shown
    assert "までに回答いたします" in result.stdout
    assert "先日お願いしておりましたメニューの写真データの件" in result.stdout  # the follow-up
    assert "本メールをもって合意とさせていただきます。" in result.stdout  # the minutes
    for state in ("overdue", "at_risk", "promised", "no_reply_needed", "answered", "awaiting"):
        assert state in result.stdout


def test_console_script_is_installed_beside_the_interpreter() -> None:
    assert Path(sys.executable).with_name("inboxguard").exists()

"""The daily digest end to end on a real Maildir and store: sections, escaping, sending once."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from inboxguard.backends.maildir import MaildirBackend
from inboxguard.config import parse_config
from inboxguard.delivery import DeliveryError, DeliveryReceipt
from inboxguard.digest.render import LABELS
from inboxguard.digest.sending import compose, send_digest
from inboxguard.service.context import Context
from inboxguard.service.cycle import run_cycle
from inboxguard.store import StateStore
from tests.cli.test_cli import NOW, build_every_state, invoke, thread
from tests.mailboxes import Maildir, config_dict, maildir_account, write_config


class Sections(HTMLParser):
    """The HTML read back as a client shows it: text only, and any tag that got through."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        if data.strip():
            self.text.append(data.strip())


def read_html(html: str) -> Sections:
    parser = Sections()
    parser.feed(html)
    return parser


@pytest.fixture
def mail(tmp_path: Path) -> Maildir:
    return Maildir(tmp_path / "Mail")


def make_ctx(mail: Maildir, tmp_path: Path, **digest: Any) -> Context:
    data = config_dict(mail.root, tmp_path)
    data["digest"] = {"delivery": "file", "path": str(tmp_path / "digests"), **digest}
    return Context.build(parse_config(data))


def poll(ctx: Context, store: StateStore, now: datetime = NOW) -> None:
    (result,) = run_cycle(ctx, store, [MaildirBackend(maildir_account(ctx.config))], now=now)
    assert result.ok, result.error


def test_sections_come_most_urgent_first_with_a_failing_account_on_top(
    mail: Maildir, tmp_path: Path, store: StateStore
) -> None:
    build_every_state(mail)
    thread(mail, "down", "本番障害", 2, client_body="本番サーバーがダウンしています。\n")
    ctx = make_ctx(mail, tmp_path)
    poll(ctx, store)
    store.record_poll("work", at=NOW - timedelta(hours=3), error="connection refused")
    store.record_poll("work", at=NOW - timedelta(minutes=2), error="connection refused")
    built = compose(ctx, store, NOW)
    content = built.content
    assert [line.subject for line in content.overdue] == ["遅延"]
    assert {line.subject for line in content.due_soon} >= {"危険", "待ち"}
    assert [line.subject for line in content.promises] == ["約束切れ"]
    assert [line.subject for line in content.incidents] == ["本番障害"]
    assert [line.subject for line in content.no_reply] == ["了承"]
    assert [line.account for line in content.failing_long] == ["work"]
    labels = LABELS["ja"]
    text = " ".join(read_html(built.html).text)
    order = [
        labels["failing_long"],
        labels["overdue"],
        labels["due_soon"],
        labels["promises"],
        labels["incidents"],
        labels["no_reply"],
    ]
    # Section headings carry their count: "期限切れ (1)" (the summary line says "期限切れ 1").
    positions = [text.index(f"{heading} (") for heading in order]
    positions.append(text.index(labels["statistics"]))
    assert positions == sorted(positions)
    # The text alternative carries the same sections.
    assert all(heading in built.text for heading in order)


def test_hostile_subjects_are_shown_as_text_never_as_markup(
    mail: Maildir, tmp_path: Path, store: StateStore
) -> None:
    thread(mail, "x1", "<script>alert(1)</script>", 30)
    thread(mail, "x2", "</table><img src=x onerror=alert(2)>", 30)
    ctx = make_ctx(mail, tmp_path)
    poll(ctx, store)
    built = compose(ctx, store, NOW)
    html = read_html(built.html)
    assert "script" not in html.tags and "img" not in html.tags
    assert "<script>alert(1)</script>" in html.text
    assert "</table><img src=x onerror=alert(2)>" in html.text


def test_the_message_is_multipart_alternative_with_a_stable_id(
    mail: Maildir, tmp_path: Path, store: StateStore
) -> None:
    thread(mail, "q", "質問", 30)
    ctx = make_ctx(mail, tmp_path, to="owner-inbox@example.jp")
    poll(ctx, store)
    first = compose(ctx, store, NOW).message
    again = compose(ctx, store, NOW + timedelta(hours=1)).message
    assert first.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in first.iter_parts()] == ["text/plain", "text/html"]
    assert first["Message-ID"] == again["Message-ID"]
    assert first["To"] == "owner-inbox@example.jp"
    assert first["Auto-Submitted"] == "auto-generated"
    assert "期限切れ 1" in str(first["Subject"])


def test_english_owner_gets_an_english_digest(
    mail: Maildir, tmp_path: Path, store: StateStore
) -> None:
    thread(mail, "q", "Question", 30)
    data = config_dict(mail.root, tmp_path)
    data["owner"]["language"] = "en"
    data["digest"] = {"delivery": "file", "path": str(tmp_path / "d")}
    ctx = Context.build(parse_config(data))
    poll(ctx, store)
    built = compose(ctx, store, NOW)
    assert "Overdue (1)" in built.text and "1 overdue" in str(built.message["Subject"])


def test_sent_once_a_day_from_its_time_and_caught_up_after_downtime(
    mail: Maildir, tmp_path: Path, store: StateStore
) -> None:
    thread(mail, "q", "質問", 30)
    ctx = make_ctx(mail, tmp_path, time="08:00")  # NOW is 12:00 Tokyo
    poll(ctx, store)
    early = NOW.replace(hour=7, minute=59)
    assert send_digest(ctx, store, early).status == "not-yet"
    # The service was down at 08:00 and comes back at 12:00: sent now, the same day.
    sent = send_digest(ctx, store, NOW)
    assert sent.status == "sent"
    assert sent.record is not None and sent.record.delivered_to
    eml = tmp_path / "digests" / "digest-2026-11-20.eml"
    parsed = BytesParser(policy=default_policy).parsebytes(eml.read_bytes())
    assert parsed["Message-ID"] == compose(ctx, store, NOW).message["Message-ID"]
    assert send_digest(ctx, store, NOW + timedelta(hours=5)).status == "already-sent"
    # The next day it is due again.
    tomorrow = NOW + timedelta(days=1)
    assert send_digest(ctx, store, tomorrow).status == "sent"


def test_a_failed_delivery_is_retried_with_backoff_and_never_sent_twice(
    mail: Maildir, tmp_path: Path, store: StateStore
) -> None:
    thread(mail, "q", "質問", 30)
    ctx = make_ctx(mail, tmp_path)
    poll(ctx, store)
    sent: list[EmailMessage] = []

    def flaky(message: EmailMessage, config: object, **_: object) -> DeliveryReceipt:
        if len(sent) < 0 or not flaky.ok:  # type: ignore[attr-defined]
            raise DeliveryError("smtp.example.jp:465: connection refused", retryable=True)
        sent.append(message)
        return DeliveryReceipt("smtp", "smtp.example.jp:465 → owner")

    flaky.ok = False  # type: ignore[attr-defined]
    first = send_digest(ctx, store, NOW, deliver_with=flaky)
    assert first.status == "failed" and first.record is not None
    assert first.record.next_attempt_at == NOW + timedelta(minutes=2)
    assert send_digest(ctx, store, NOW + timedelta(minutes=1), deliver_with=flaky).status == (
        "backing-off"
    )
    second = send_digest(ctx, store, NOW + timedelta(minutes=2), deliver_with=flaky)
    assert second.record is not None
    assert second.record.next_attempt_at == NOW + timedelta(minutes=6)  # 4 minutes later
    flaky.ok = True  # type: ignore[attr-defined]
    assert send_digest(ctx, store, NOW + timedelta(minutes=6), deliver_with=flaky).status == "sent"
    assert send_digest(ctx, store, NOW + timedelta(minutes=9), deliver_with=flaky).status == (
        "already-sent"
    )
    assert len(sent) == 1


def test_a_refused_login_is_retried_hourly(
    mail: Maildir, tmp_path: Path, store: StateStore
) -> None:
    ctx = make_ctx(mail, tmp_path)

    def refused(message: EmailMessage, config: object, **_: object) -> DeliveryReceipt:
        raise DeliveryError("smtp.example.jp:465 refused the login", retryable=False)

    outcome = send_digest(ctx, store, NOW, deliver_with=refused)
    assert outcome.record is not None
    assert outcome.record.next_attempt_at == NOW + timedelta(hours=1)
    assert outcome.error is not None and "refused the login" in outcome.error


# --- through the command line ------------------------------------------------------------


def test_digest_preview_and_send_from_the_command_line(mail: Maildir, tmp_path: Path) -> None:
    data = config_dict(mail.root, tmp_path)
    data["digest"] = {"delivery": "file", "path": str(tmp_path / "digests")}
    config = write_config(tmp_path / "config.toml", data)
    thread(mail, "q", "質問", 30)
    invoke(config, "status")
    preview = tmp_path / "preview.html"
    result = invoke(config, "digest", "--preview", str(preview))
    assert result.exit_code == 0, result.output
    assert "期限切れ" in preview.read_text(encoding="utf-8")
    assert not (tmp_path / "digests").exists()  # a preview sends nothing
    sent = invoke(config, "digest", "--send")
    assert sent.exit_code == 0, sent.output
    assert (tmp_path / "digests" / "digest-2026-11-20.eml").exists()
    assert invoke(config, "digest").exit_code == 2


@pytest.mark.parametrize(
    ("digest", "expected"),
    [
        ({"time": "25:00"}, "digest.time: '25:00' is not a time of day"),
        ({"delivery": "pigeon"}, "digest.delivery"),
        ({"delivery": "smtp"}, "digest: delivery 'smtp' needs smtp_host"),
        ({"delivery": "imap-append", "account": "nope"}, "digest.account 'nope'"),
        (
            {"delivery": "smtp", "smtp_host": "smtp.example.jp", "smtp_username": "u"},
            "set exactly one of smtp_password_command",
        ),
    ],
)
def test_bad_digest_settings_are_one_line_exit_2(
    mail: Maildir, tmp_path: Path, digest: dict[str, Any], expected: str
) -> None:
    data = config_dict(mail.root, tmp_path)
    data["digest"] = digest
    config = write_config(tmp_path / "config.toml", data)
    for command in (("check",), ("run", "--once")):
        result = invoke(config, *command)
        assert result.exit_code == 2, result.output
        assert result.stderr.strip().count("\n") == 0
        assert expected in result.stderr


def test_status_json_lists_every_account_health(mail: Maildir, tmp_path: Path) -> None:
    config = write_config(tmp_path / "config.toml", config_dict(mail.root, tmp_path))
    thread(mail, "q", "質問", 2)
    data = json.loads(invoke(config, "status", "--json").stdout)
    (account,) = data["accounts"]
    assert account["account"] == "work"
    assert account["last_success_at"] == "2026-11-20T12:00:00+09:00"
    assert account["failing_since"] is None
    table = invoke(config, "status")
    assert "account work: last successful poll" in table.stdout

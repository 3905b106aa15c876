"""`inboxguard mark THREAD no-follow-up` and `mark THREAD meeting START [END]` (SPEC §10),
through click against a real Maildir and store, read back with the email package."""

from __future__ import annotations

import email
import email.policy
import json
from datetime import datetime
from email.message import EmailMessage
from email.utils import getaddresses
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner, Result

from inboxguard.cli import main
from tests.jwz import same_thread
from tests.mailboxes import CLIENT, OWNER, Maildir

TOKYO = ZoneInfo("Asia/Tokyo")
ASKED = datetime(2026, 11, 30, 10, 0, tzinfo=TOKYO)  # Monday
COLLEAGUE = "jiro@client.example"


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=TOKYO)


def invoke(config: Path, *args: str, now: datetime) -> Result:
    env = {"INBOXGUARD_NOW": now.isoformat(), "INBOXGUARD_CONFIG": str(config)}
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def threads(config: Path, now: datetime) -> list[dict[str, Any]]:
    result = invoke(config, "status", "--all", "--json", now=now)
    assert result.exit_code == 0, result.output
    found: list[dict[str, Any]] = json.loads(result.stdout)["threads"]
    return found


def drafts(mail: Maildir, purpose: str) -> list[EmailMessage]:
    out = []
    for path in mail.drafts():
        draft = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(draft, EmailMessage)
        if draft["X-InboxGuard-Purpose"] == purpose:
            out.append(draft)
    return out


def everything(mail: Maildir) -> list[email.message.Message]:
    return [
        email.message_from_bytes(p.read_bytes())
        for p in mail.root.rglob("*")
        if p.is_file() and p.parent.name in ("cur", "new")
    ]


def ask(mail: Maildir) -> None:
    mail.add(
        "Sent",
        sender=OWNER,
        to=CLIENT,
        subject="原稿のお願い",
        date=ASKED,
        message_id="<ask@example.jp>",
        body="お世話になっております。\n原稿を12月2日(水)までにいただけますと幸いです。\n",
    )


def test_without_the_mark_a_follow_up_is_drafted(config: Path, mail: Maildir) -> None:
    """The control for the next test: the same thread does get its follow-up."""
    ask(mail)
    (item,) = threads(config, at(12, 1, 9))
    assert (item["state"], item["awaiting_until"]) == ("awaiting", "2026-12-02T18:00:00+09:00")

    assert invoke(config, "run", "--once", now=at(12, 3, 9)).exit_code == 0

    assert len(drafts(mail, "follow_up")) == 1


def test_no_follow_up_mark_stops_the_follow_up(config: Path, mail: Maildir) -> None:
    ask(mail)
    (item,) = threads(config, at(12, 1, 9))

    marked = invoke(config, "mark", item["id"][:8], "no-follow-up", now=at(12, 1, 9))
    assert marked.exit_code == 0, marked.output
    for now in (at(12, 3, 9), at(12, 8, 9)):
        assert invoke(config, "run", "--once", now=now).exit_code == 0

    assert drafts(mail, "follow_up") == []
    assert mail.drafts() == []
    states = {t["state"] for t in threads(config, at(12, 8, 9))}
    assert not states & {"awaiting", "awaiting_overdue"}


def test_reopen_after_no_follow_up_brings_the_follow_up_back(config: Path, mail: Maildir) -> None:
    ask(mail)
    (item,) = threads(config, at(12, 1, 9))
    invoke(config, "mark", item["id"], "no-follow-up", now=at(12, 1, 9))
    invoke(config, "mark", item["id"], "reopen", now=at(12, 3, 8))

    invoke(config, "run", "--once", now=at(12, 3, 9))

    assert len(drafts(mail, "follow_up")) == 1


def arranged_in_plain_mail(mail: Maildir) -> None:
    mail.add(
        "INBOX",
        sender=f"Taro <{CLIENT}>",
        to=OWNER,
        subject="お打ち合わせの件",
        date=at(12, 1, 10),
        message_id="<arrange@client.example>",
        body="12月4日(金)14時からお打ち合わせをお願いできますか。\n",
        extra={"Cc": f"Jiro <{COLLEAGUE}>"},
    )
    mail.add(
        "Sent",
        sender=OWNER,
        to=CLIENT,
        subject="Re: お打ち合わせの件",
        date=at(12, 1, 11),
        message_id="<agreed@example.jp>",
        in_reply_to="<arrange@client.example>",
        body="承知いたしました。当日はどうぞよろしくお願いいたします。\n",
        extra={"Cc": COLLEAGUE},
    )


def test_a_marked_meeting_gets_minutes_to_the_threads_people(config: Path, mail: Maildir) -> None:
    arranged_in_plain_mail(mail)
    (item,) = threads(config, at(12, 2, 9))

    marked = invoke(
        config, "mark", item["id"], "meeting", "2026-12-04T14:00", "15:00", now=at(12, 2, 9)
    )
    assert marked.exit_code == 0, marked.output
    assert "2026-12-04T14:00" in marked.stdout
    invoke(config, "run", "--once", now=at(12, 4, 14, 30))
    assert drafts(mail, "minutes") == []
    invoke(config, "run", "--once", now=at(12, 4, 15, 5))
    invoke(config, "run", "--once", now=at(12, 4, 16))

    (draft,) = drafts(mail, "minutes")
    to = sorted(a.lower() for _, a in getaddresses([str(draft["To"])]))
    assert to == sorted([CLIENT, COLLEAGUE])
    assert OWNER not in str(draft["To"]) + str(draft["Cc"] or "")
    assert str(draft["Subject"]) == "【議事録】お打ち合わせの件（12月4日(金)）"
    assert same_thread(everything(mail), "<agreed@example.jp>", str(draft["Message-ID"]))
    body = draft.get_body(("plain",))
    assert body is not None
    assert "14:00–15:00" in body.get_content()


def test_a_marked_meeting_without_end_lasts_an_hour(config: Path, mail: Maildir) -> None:
    arranged_in_plain_mail(mail)
    (item,) = threads(config, at(12, 2, 9))
    invoke(config, "mark", item["id"], "meeting", "2026-12-04T14:00", now=at(12, 2, 9))

    invoke(config, "run", "--once", now=at(12, 4, 14, 55))
    assert drafts(mail, "minutes") == []
    invoke(config, "run", "--once", now=at(12, 4, 15, 1))
    assert len(drafts(mail, "minutes")) == 1


@pytest.mark.parametrize(
    ("words", "says"),
    [
        (("tomorrow",), "START 'tomorrow' is not a date and time"),
        (("2026-12-04T14:00", "13:00"), "is not after START"),
        (("2026-12-04T14:00", "14:00"), "is not after START"),
        (("2026-12-04T14:00", "25:00"), "END '25:00' is not a date and time"),
        (("2026-12-04T09:00", "2026-12-05T09:00"), "more than 12 hours"),
        (("2027-09-01T10:00",), "more than 200 days"),
    ],
)
def test_a_bad_meeting_is_exit_2_in_one_line_and_marks_nothing(
    config: Path, mail: Maildir, words: tuple[str, ...], says: str
) -> None:
    arranged_in_plain_mail(mail)
    (item,) = threads(config, at(12, 2, 9))

    result = invoke(config, "mark", item["id"], "meeting", *words, now=at(12, 2, 9))

    assert result.exit_code == 2
    assert says in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    invoke(config, "run", "--once", now=at(12, 4, 15, 5))
    assert drafts(mail, "minutes") == []


@pytest.mark.parametrize("words", [(), ("2026-12-04T14:00", "15:00", "16:00")])
def test_a_meeting_with_too_few_or_many_words_is_a_usage_error(
    config: Path, mail: Maildir, words: tuple[str, ...]
) -> None:
    arranged_in_plain_mail(mail)
    (item,) = threads(config, at(12, 2, 9))

    result = invoke(config, "mark", item["id"], "meeting", *words, now=at(12, 2, 9))

    assert result.exit_code == 2
    # click's usage form, as every command's: usage, hint, and one error line.
    (error,) = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert "START [END]" in error
    assert "Traceback" not in result.output

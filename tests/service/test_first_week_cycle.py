"""The first week, in the cycle: replies in the client's language, one holding draft per
thread whatever account name wrote it, a person's `run --once` trying now, and our own
drafts not counted as new mail."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from email import message_from_bytes
from email.message import Message
from zoneinfo import ZoneInfo

import structlog
from structlog.testing import capture_logs

from inboxguard.backends.maildir import MaildirBackend
from inboxguard.config import parse_config
from inboxguard.errors import LoginFailedError
from inboxguard.service.context import Context
from inboxguard.service.cycle import AccountResult, run_cycle
from inboxguard.store import StateStore
from tests.mailboxes import OWNER, Maildir, config_dict, maildir_account

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=ZoneInfo("Asia/Tokyo"))


def cycle(ctx: Context, store: StateStore, now: datetime = NOW, **kw: object) -> AccountResult:
    (result,) = run_cycle(
        ctx,
        store,
        [MaildirBackend(maildir_account(ctx.config))],
        now=now,
        **kw,  # type: ignore[arg-type]
    )
    assert result.ok, result.error
    return result


def draft_text(maildir: Maildir) -> str:
    (path,) = maildir.drafts()
    message = message_from_bytes(path.read_bytes())
    assert isinstance(message, Message)
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode("utf-8")


def test_an_english_mail_without_a_client_rule_gets_an_english_holding_reply(
    ctx: Context, store: StateStore, maildir: Maildir
) -> None:
    maildir.add(
        "INBOX",
        sender="John Smith <john@northwind.example>",
        to=OWNER,
        subject="Quote for the landing page",
        date=NOW - timedelta(hours=20),
        message_id="<en1@northwind.example>",
        body="Hi Hanako,\n\nCould you send us a quote for the landing page?\n\nJohn\n",
    )

    cycle(ctx, store)

    text = draft_text(maildir)
    assert text.startswith("Hi John Smith,") and "I'll answer by" in text
    assert "様" not in text


def test_a_japanese_mail_still_gets_a_japanese_holding_reply(
    ctx: Context, store: StateStore, maildir: Maildir
) -> None:
    maildir.add(
        "INBOX",
        sender="山田 太郎 <taro@client.example>",
        to=OWNER,
        subject="見積のご依頼",
        date=NOW - timedelta(hours=20),
        message_id="<ja1@client.example>",
        body="佐藤様\n\nお見積りをお願いできますでしょうか。\n",
    )

    cycle(ctx, store)

    assert draft_text(maildir).startswith("山田 太郎様")


def test_a_holding_draft_written_under_another_account_name_counts(
    ctx: Context, store: StateStore, maildir: Maildir, tmp_path: object
) -> None:
    maildir.add(
        "INBOX",
        sender="山田 太郎 <taro@client.example>",
        to=OWNER,
        subject="見積のご依頼",
        date=NOW - timedelta(hours=20),
        message_id="<ja1@client.example>",
    )
    assert len(cycle(ctx, store).drafts_written) == 1
    data = config_dict(maildir.root, tmp_path)  # type: ignore[arg-type]
    data["accounts"][0]["name"] = "renamed"
    renamed = Context.build(parse_config(data))
    fresh = StateStore.open("sqlite://")  # the new name's state knows no draft
    try:
        again = cycle(renamed, fresh, NOW + timedelta(minutes=5))
    finally:
        fresh.close()
    assert again.drafts_written == [] and len(maildir.drafts()) == 1


def test_our_own_drafts_are_not_counted_as_new_mail(
    ctx: Context, store: StateStore, maildir: Maildir
) -> None:
    maildir.add(
        "INBOX",
        sender="山田 太郎 <taro@client.example>",
        to=OWNER,
        subject="見積のご依頼",
        date=NOW - timedelta(hours=20),
        message_id="<ja1@client.example>",
    )
    assert cycle(ctx, store).new_messages == 1
    assert cycle(ctx, store, NOW + timedelta(minutes=2)).new_messages == 0


class Refusing(MaildirBackend):
    """A mailbox whose server refuses the login once, then works (the password fixed)."""

    refusals = 1  # per instance: each test (and each store it runs on) starts refused once

    def __enter__(self) -> MaildirBackend:
        if self.refusals:
            self.refusals -= 1
            raise LoginFailedError(self.account, "login refused")
        return super().__enter__()


def test_a_persons_run_tries_now_while_the_service_keeps_its_backoff(
    ctx: Context, store: StateStore, maildir: Maildir
) -> None:
    backend = Refusing(maildir_account(ctx.config))
    (failed,) = run_cycle(ctx, store, [backend], now=NOW)
    assert (
        not failed.ok
        and failed.retry_at is not None
        and failed.retry_at > NOW + timedelta(minutes=1)
    )

    (service,) = run_cycle(ctx, store, [backend], now=NOW + timedelta(minutes=1))
    assert service.skipped_until == failed.retry_at
    (person,) = run_cycle(
        ctx, store, [backend], now=NOW + timedelta(minutes=1), honour_backoff=False
    )
    assert person.ok and person.skipped_until is None


def test_every_decision_is_a_debug_event_and_a_quiet_cycle_logs_no_info(
    ctx: Context, store: StateStore, maildir: Maildir
) -> None:
    maildir.add(
        "INBOX",
        sender="山田 太郎 <taro@client.example>",
        to=OWNER,
        subject="見積のご依頼",
        date=NOW - timedelta(hours=2),
        message_id="<ja1@client.example>",
    )
    cycle(ctx, store)
    logger = logging.getLogger("inboxguard.service.cycle")
    saved = structlog.get_config()
    # As `-vv` does: debug events pass the filter (another test's CLI run may have set it).
    logger.setLevel(logging.DEBUG)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG))
    try:
        with capture_logs() as logs:
            cycle(ctx, store, NOW + timedelta(minutes=2))
    finally:
        logger.setLevel(logging.NOTSET)
        structlog.configure(**saved)
    assert not [e for e in logs if e["log_level"] == "info"]
    (assessed,) = [e for e in logs if e["event"] == "thread assessed"]
    assert assessed["log_level"] == "debug" and assessed["state"] == "waiting"

"""The owner's corrections through the real pieces: a Maildir, the cycle, the store and
`mark`. The mark records the signals that had fired; the store keeps them (schema v8)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from inboxguard.config import parse_config
from inboxguard.domain.incident_adjustments import owner_adjustments
from inboxguard.domain.marks import Mark, MarkAction
from inboxguard.explain import explain_message
from inboxguard.service.assessing import assess_account
from inboxguard.service.context import Context
from inboxguard.service.marking import apply_mark, fired_signals
from inboxguard.store import StateStore
from tests.mailboxes import CLIENT, OWNER, Maildir, config_dict
from tests.service.test_cycle import NOW, cycle

FORM_BODY = (
    "山田様\n\nお問い合わせフォームから送信しても、メールが届きません。\n"
    "お客様からも連絡がありました。\n\n佐藤\n"
)


@pytest.fixture
def maildir(tmp_path: Path) -> Maildir:
    return Maildir(tmp_path / "Mail")


@pytest.fixture
def ctx(tmp_path: Path, maildir: Maildir) -> Context:
    return Context.build(parse_config(config_dict(maildir.root, tmp_path)))


def form_report(maildir: Maildir, mid: str, subject: str = "フォームの件") -> None:
    maildir.add(
        "INBOX",
        sender=f"佐藤 花子 <{CLIENT}>",
        to=f"山田 太郎 <{OWNER}>",
        subject=subject,
        date=NOW - timedelta(hours=1),
        message_id=mid,
        body=FORM_BODY,
    )


def test_a_dismissal_records_the_signals_of_the_message_that_opened_it(
    ctx: Context, store: StateStore, maildir: Maildir
) -> None:
    form_report(maildir, "<form1@client.example>")
    cycle(ctx, store)
    (view,) = assess_account(ctx, store, "work", NOW)
    assert view.incident is not None and view.incident.is_open
    signals = fired_signals(view.thread, view.incident, MarkAction.DISMISS)
    assert signals == ("failure:届く=4", "impact:お客様=1.5")
    assert apply_mark(ctx, store, view.thread.id, "dismiss", None, now=NOW).written


def test_the_store_keeps_the_signals_and_alike_reports_weigh_less_after_each_dismissal(
    ctx: Context, store: StateStore, maildir: Maildir
) -> None:
    # One dismissal: 0.7 x (4 + 1.5) = 3.85, still over the threshold of 3.5 (a single
    # correction nudges); a second: 0.49 x 5.5 = 2.7, and the third alike report stays shut.
    opened = []
    for n, minutes in ((1, 0), (2, 5), (3, 10)):
        form_report(maildir, f"<form{n}@client.example>", subject=f"別件{n}")
        at = NOW + timedelta(minutes=minutes)
        cycle(ctx, store, at)
        views = assess_account(ctx, store, "work", at)
        fresh = [v for v in views if v.incident is not None and v.incident.is_open]
        opened.append(len(fresh))
        for view in fresh:
            apply_mark(ctx, store, view.thread.id, "dismiss", None, now=at)
    assert opened == [1, 1, 0]
    stored = store.marks("work")
    assert [m.signals for m in stored] == [("failure:届く=4", "impact:お客様=1.5")] * 2


def test_explain_says_when_an_owner_adjustment_applied(ctx: Context) -> None:
    raw = (
        f"From: {CLIENT}\nTo: {OWNER}\nSubject: =?UTF-8?B?44OV44Kp44O844Og?=\n"
        "Message-ID: <e1@client.example>\nDate: Fri, 20 Nov 2026 10:00:00 +0900\n"
        "Content-Type: text/plain; charset=utf-8\n\n" + FORM_BODY
    ).encode()
    plain = explain_message(raw, ctx, now=NOW)["incident"]
    assert plain["opens"] and plain["adjustments"] == []
    assert plain["adjusted_score"] == plain["score"] == 5.5
    keywords = tuple(plain["keywords"])
    # Two false alarms of the same shape dismissed in other threads.
    dismissed = [
        Mark("work", f"t-old{n}", MarkAction.DISMISS, None, NOW, signals=keywords) for n in (1, 2)
    ]
    adjusted = explain_message(raw, ctx, now=NOW, adjustments=owner_adjustments(dismissed))
    incident = adjusted["incident"]
    assert [a["signal"] for a in incident["adjustments"]] == ["failure:届く", "impact:お客様"]
    assert all(a["dismissed"] == 2 for a in incident["adjustments"])
    assert incident["adjusted_score"] < incident["threshold"] and not incident["opens"]
    assert incident["score"] == 5.5  # the rules' own score is still shown


def test_a_cycle_opens_incidents_for_plain_failure_reports_and_not_for_near_misses(
    ctx: Context, store: StateStore, maildir: Maildir
) -> None:
    mails = {
        "<broken-form@client.example>": ("お問い合わせフォーム", FORM_BODY),
        "<flyer@client.example>": (
            "チラシの件",
            "チラシの電話番号が間違っていました。すでに3000部配布してしまっています。\n",
        ),
        "<thanks@client.example>": (
            "先日の障害対応のお礼",
            "先日は夜遅くまでご対応いただきありがとうございました。その後は問題なく動いています。\n",
        ),
        "<design@client.example>": (
            "404 page",
            "Could you also design a custom 404 error page? No rush.\n",
        ),
    }
    for mid, (subject, body) in mails.items():
        maildir.add(
            "INBOX",
            sender=f"佐藤 花子 <{CLIENT}>",
            to=f"山田 太郎 <{OWNER}>",
            subject=subject,
            date=NOW - timedelta(hours=1),
            message_id=mid,
            body=body,
        )
    written = cycle(ctx, store).drafts_written
    reports = sorted(d.purpose for d in written if d.purpose == "first_report")
    assert reports == ["first_report", "first_report"]
    opened = {
        view.thread.messages[0].message_id
        for view in assess_account(ctx, store, "work", NOW)
        if view.incident is not None and view.incident.is_open
    }
    assert opened == {"<broken-form@client.example>", "<flyer@client.example>"}

"""`inboxguard demo`: a realistic sample Maildir, one cycle, the status table, a draft.

Everything is dated relative to ``now`` so the demo tells the same story whenever it runs:
a Japanese client mail due in 3 hours, one overdue, one answered, one answered with a promised
date, an acknowledgement-only reply, an incident report from a client whose checkout
fails (which gets a first-report skeleton instead of a holding reply), a newsletter and an
out-of-office reply (both ignored), photos I asked a client for by a date that has passed
(a follow-up draft), and a meeting from a calendar invitation that ended an hour ago with no
minutes sent (a 議事録 draft).
"""

from __future__ import annotations

import random
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from email.utils import format_datetime, make_msgid
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
from rich.console import Console
from rich.panel import Panel
from rich.text import Text

from inboxguard.backends import open_backend
from inboxguard.config import Config, parse_config
from inboxguard.digest.sending import compose
from inboxguard.domain.drafts import DraftPurpose
from inboxguard.drafting.dates import format_promise_date
from inboxguard.service.assessing import assess_account
from inboxguard.service.context import Context
from inboxguard.service.cycle import run_cycle
from inboxguard.service.status_view import short_ids, status_table
from inboxguard.store import EpisodeRow, StateStore

OWNER = ("佐藤 花子", "hanako@example.jp")

CLIENTS_TOML = """\
ignore = []

[[client]]
name = "株式会社サンプル"
match = ["sample.co.jp"]
language = "ja"
honorific = "山田"
company = "株式会社サンプル"

[[client]]
name = "Northwind Studio"
match = ["northwind.example"]
language = "en"
"""


@dataclass(frozen=True)
class _Mail:
    folder: str
    sender: tuple[str, str]
    to: tuple[str, str]
    subject: str
    body: str
    age: timedelta
    message_id: str
    in_reply_to: str | None = None
    extra: tuple[tuple[str, str], ...] = ()
    invitation: bool = False  # carries a calendar invitation (text/calendar)


def _mails(now: datetime, promised: str, asked: str = "") -> list[_Mail]:
    yamada = ("山田 太郎", "yamada@sample.co.jp")
    suzuki = ("鈴木 一郎", "suzuki@kobayashi-shoten.jp")
    tanaka = ("田中 美咲", "tanaka@tanaka-design.jp")
    emma = ("Emma Clark", "emma@northwind.example")
    ito = ("伊藤 誠", "ito@ito-store.example")
    nakamura = ("中村 さくら", "nakamura@sakura-cafe.example")
    ids = {k: make_msgid(k, domain="demo.example") for k in ("lp", "speed", "logo", "logo-re", "draft", "draft-re", "mtg", "mtg-re", "pay", "news", "ooo", "photo", "invite")}  # fmt: skip
    h = timedelta(hours=1)
    return [
        _Mail("INBOX", yamada, OWNER, "【ご相談】LP改修のお見積りについて",
              "佐藤様\n\nいつもお世話になっております。株式会社サンプルの山田です。\n"
              "来月公開予定のLPについて、改修のお見積りをお願いできますでしょうか。\n"
              "対象は3ページ、スマートフォン対応を含みます。\n\nよろしくお願いいたします。\n",
              21 * h, ids["lp"]),
        _Mail("INBOX", suzuki, OWNER, "サイトの表示速度について",
              "佐藤様\n\nお世話になっております。小林商店の鈴木です。\n"
              "トップページの表示が遅いとお客様から声があり、原因を見ていただけますか。\n",
              30 * h, ids["speed"]),
        _Mail("INBOX", emma, OWNER, "Logo revisions",
              "Hi Hanako,\n\nCould you send the revised logo in SVG as well?\n\nThanks,\nEmma\n",
              50 * h, ids["logo"]),
        _Mail("Sent", OWNER, emma, "Re: Logo revisions",
              "Hi Emma,\n\nAttached are the SVG files.\n\nBest regards,\nHanako\n",
              40 * h, ids["logo-re"], ids["logo"]),
        _Mail("INBOX", tanaka, OWNER, "原稿の確認依頼",
              "佐藤様\n\n原稿を添付いたします。ご確認をお願いいたします。\n", 48 * h, ids["draft"]),
        _Mail("Sent", OWNER, tanaka, "Re: 原稿の確認依頼",
              f"田中様\n\nいつもお世話になっております。佐藤です。\n"
              f"原稿を確認のうえ、{promised}までに回答いたします。\n", 30 * h, ids["draft-re"], ids["draft"]),
        _Mail("Sent", OWNER, yamada, "打ち合わせ日程のご提案",
              "山田様\n\n来週の打ち合わせですが、火曜14時はいかがでしょうか。\n", 26 * h, ids["mtg"]),
        _Mail("INBOX", yamada, OWNER, "Re: 打ち合わせ日程のご提案",
              "佐藤様\n\n承知しました。\nよろしくお願いいたします。\n\n山田\n", 20 * h, ids["mtg-re"], ids["mtg"]),
        _Mail("INBOX", ito, OWNER, "【至急】ECサイトで決済エラーが発生しています",
              "佐藤様\n\nお世話になっております。伊藤ストアの伊藤です。\n"
              "先ほどから、購入手続きの最後でエラーが表示され、お客様が決済できない状態です。\n"
              "至急ご確認いただけますでしょうか。\n\n伊藤\n", 3 * h, ids["pay"]),
        _Mail("INBOX", ("Webデザインニュース", "news@webdesign-news.example"), OWNER,
              "週刊Webデザインニュース 第128号", "今週の特集：CSSの新機能\n", 5 * h, ids["news"],
              extra=(("List-Unsubscribe", "<mailto:unsubscribe@webdesign-news.example>"), ("Precedence", "bulk"))),
        _Mail("INBOX", ("高橋 健", "takahashi@partner.example"), OWNER, "不在通知: 打ち合わせの件",
              "11月30日まで不在にしております。\n", 2 * h, ids["ooo"],
              extra=(("Auto-Submitted", "auto-replied"),)),
        _Mail("Sent", OWNER, nakamura, "メニュー写真のご提供のお願い",
              "中村様\n\nいつもお世話になっております。佐藤です。\n"
              f"サイトに掲載するメニューの写真データを、{asked}までにいただけますと幸いです。\n"
              "\nよろしくお願いいたします。\n", 120 * h, ids["photo"]),
        _Mail("INBOX", yamada, OWNER, "招待: 定例打ち合わせ",
              "定例打ち合わせのご招待です。\n", 50 * h, ids["invite"], invitation=True),
    ]  # fmt: skip


def _invitation(mail: _Mail, now: datetime) -> bytes:
    """The meeting of the demo, as a calendar invitation: it ended an hour before ``now``."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//InboxGuard demo//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "REQUEST")
    event = icalendar.Event()
    event.add("uid", f"{mail.message_id.strip('<>')}-meeting")
    event.add("summary", "定例打ち合わせ")
    event.add("dtstart", (now - timedelta(hours=2)).astimezone(UTC))
    event.add("dtend", (now - timedelta(hours=1)).astimezone(UTC))
    event.add("dtstamp", (now - mail.age).astimezone(UTC))
    event.add("sequence", 0)
    event.add("organizer", f"mailto:{mail.sender[1]}")
    for address in (mail.sender[1], OWNER[1]):
        event.add("attendee", f"mailto:{address}")
    calendar.add_component(event)
    return bytes(calendar.to_ical())


def build_sample_maildir(root: Path, now: datetime, promised: str, asked: str = "") -> None:
    """The sample mailbox at ``now``: ``promised`` is the date of my promise, ``asked`` the
    date I asked a client for (default: two days before ``now``, so it has passed)."""
    if not asked:
        tokyo = (now - timedelta(days=2)).astimezone(ZoneInfo("Asia/Tokyo"))
        asked = format_promise_date(tokyo.date(), "ja")
    for folder in ("INBOX", "Sent", "Drafts"):
        for sub in ("cur", "new", "tmp"):
            (root / folder / sub).mkdir(parents=True, exist_ok=True)
    for index, mail in enumerate(_mails(now, promised, asked)):
        message = EmailMessage()
        message["From"] = f"{mail.sender[0]} <{mail.sender[1]}>"
        message["To"] = f"{mail.to[0]} <{mail.to[1]}>"
        message["Subject"] = mail.subject
        sent = now - mail.age
        message["Date"] = format_datetime(sent)
        message["Message-ID"] = mail.message_id
        if mail.in_reply_to:
            message["In-Reply-To"] = mail.in_reply_to
            message["References"] = mail.in_reply_to
        for name, value in mail.extra:
            message[name] = value
        message.set_content(mail.body)
        if mail.invitation:
            message.add_alternative(
                _invitation(mail, now), maintype="text", subtype="calendar",
                params={"method": "REQUEST"},
            )  # fmt: skip
        name = f"{int(sent.timestamp())}.demo{index}.inboxguard:2,S"
        (root / mail.folder / "cur" / name).write_bytes(message.as_bytes())


def run_demo(console: Console, *, now: datetime, keep: Path | None = None) -> None:
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        _run(console, keep, now)
        return
    with tempfile.TemporaryDirectory(prefix="inboxguard-demo-") as tmp:
        _run(console, Path(tmp), now)
        console.print(
            "[dim](the demo mailbox was temporary; `inboxguard demo --keep DIR` keeps it)[/]"
        )


def sample_config(base: Path) -> Config:
    """The demo's configuration: the sample owner, clients and Maildir under ``base``."""
    mail_root = base / "Mail"
    rules_dir = base / "rules"
    rules_dir.mkdir(parents=True, exist_ok=True)
    (rules_dir / "clients.toml").write_text(CLIENTS_TOML, encoding="utf-8")
    return parse_config(
        {
            "owner": {
                "name": OWNER[0],
                "addresses": [OWNER[1]],
                "timezone": "Asia/Tokyo",
                "language": "ja",
                "signature": f"{OWNER[0]}\nWebデザイン・フリーランス\n{OWNER[1]}",
            },
            "sla": {"reply_within": "24h", "clock": "calendar", "holding_draft_after": "16h"},
            "accounts": [{"name": "demo", "kind": "maildir", "path": str(mail_root)}],
            "state": {"url": f"sqlite:///{base / 'state.db'}"},
            "rules_dir": str(rules_dir),
            "digest": {"delivery": "file", "path": str(base / "digests")},
        }
    )


def _run(console: Console, base: Path, now: datetime) -> None:
    mail_root = base / "Mail"
    config = sample_config(base)
    ctx = Context.build(config)
    promised_day = ctx.calendar.add_business_days(
        ctx.calendar.local(now - timedelta(hours=30)).date(), 3
    )
    # The photos were asked for by two days ago (a business day, so the date reads as one).
    asked_day = ctx.calendar.local(now - timedelta(days=2)).date()
    build_sample_maildir(
        mail_root,
        now,
        format_promise_date(promised_day, "ja"),
        format_promise_date(asked_day, "ja"),
    )
    count = len(_mails(now, ""))
    console.print(f"Sample mailbox: [bold]{mail_root}[/] ({count} messages: INBOX, Sent)")

    store = StateStore.open(config.state.url or "")
    try:
        results = run_cycle(ctx, store, [open_backend(config.accounts[0])], now=now)
        views = assess_account(ctx, store, "demo", now)
        digest = compose(ctx, store, now)
    finally:
        store.close()
    digest_file = base / "digest.html"
    digest_file.write_text(digest.html, encoding="utf-8")
    result = results[0]
    written = [d.purpose for d in result.drafts_written]
    holding = written.count(DraftPurpose.HOLDING)
    reports = sum(1 for p in written if p.is_report)
    follow_ups = written.count(DraftPurpose.FOLLOW_UP)
    minutes = written.count(DraftPurpose.MINUTES)
    console.print(
        f"One cycle: {result.new_messages} messages read, {len(views)} threads tracked "
        f"(the newsletter and the out-of-office reply start no clock), "
        f"{holding} holding draft(s), {reports} incident report draft(s), "
        f"{follow_ups} follow-up draft(s) and {minutes} minutes draft(s) written.\n"
    )
    table = status_table(
        views,
        now=now,
        calendar=ctx.calendar,
        language="ja",
        width=console.width,
        ids=short_ids(v.thread.id for v in views),
    )
    console.print(table)
    drafts = sorted((mail_root / "Drafts" / "cur").iterdir())
    console.print(f"\nDrafts written into [bold]{mail_root / 'Drafts'}[/] (flag D): {len(drafts)}")
    shown: set[str] = set()
    for path in drafts:
        draft = BytesParser(policy=default_policy).parsebytes(path.read_bytes())
        purpose = str(draft["X-InboxGuard-Purpose"])
        if purpose in shown:
            continue  # one of each kind is enough to read
        shown.add(purpose)
        header_lines = "\n".join(
            f"{name}: {draft[name]}"
            for name in ("From", "To", "Subject", "In-Reply-To", "Message-ID")
        )
        body = draft.get_body(preferencelist=("plain",))
        text = body.get_content() if body is not None else ""
        console.print(Panel(Text(f"{header_lines}\n\n{text}"), title=purpose, expand=False))
    console.print(f"\nDaily digest: {digest.message['Subject']}\n(HTML preview: {digest_file})")


_HISTORY_CLIENTS = ("株式会社サンプル", "Northwind Studio", None)


def sample_history(now: datetime) -> list[EpisodeRow]:
    """Two weeks of answered client mail before ``now`` (fixed seed), for a digest whose
    statistics and chart have something to show: the README's pictures and the layout
    tests draw the same one."""
    rng = random.Random(25)  # noqa: S311 -- sample data, not secrets
    rows = []
    for index in range(60):
        started = now - timedelta(days=rng.uniform(0.5, 14), hours=rng.uniform(0, 8))
        took = timedelta(hours=rng.lognormvariate(1.3, 0.8))
        answered = started + took if started + took < now else None
        rows.append(
            EpisodeRow(
                account="demo",
                thread_id=f"hist{index}",
                started_at=started,
                answered_at=answered,
                due_at=started + timedelta(hours=24),
                counterpart=f"c{index % 7}@example.jp",
                client=_HISTORY_CLIENTS[index % 3],
            )
        )
    return rows

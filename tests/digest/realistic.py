"""A realistic digest for layout tests: the demo's mailbox and worse.

The demo mailbox (a Japanese client due in hours, one overdue, an incident, a promise, an
acknowledgement) after one real cycle on Maildir, two weeks of response history for the
statistics and the chart, and what breaks layouts in the wild: a 5,000-character subject,
an address as long as RFC 5321 allows, an account failing for hours with a long error, and
thread ids as long as Exchange's conversation ids.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from inboxguard.backends import open_backend
from inboxguard.demo import OWNER, build_sample_maildir, sample_config, sample_history
from inboxguard.digest.content import DigestContent, ThreadLine
from inboxguard.digest.render import render
from inboxguard.digest.sending import compose
from inboxguard.service.context import Context
from inboxguard.service.cycle import run_cycle
from inboxguard.store import StateStore
from tests.mailboxes import Maildir

NOW = datetime(2026, 11, 21, 8, 0, tzinfo=UTC) - timedelta(hours=9)  # 08:00 in Tokyo
# 5,000 characters, most of them one unbroken run: nothing to wrap at but the layout's will.
LONG_SUBJECT = "【至急】" + "見積" * 1200 + "X" * 2596
# 64 characters of local part, a domain of long labels: 250 characters in all.
LONG_ADDRESS = "a" * 64 + "@" + ".".join(["very-long-subdomain-label-" + "d" * 31] * 3) + ".example"
# Exchange/Graph conversation ids run to 150 characters of base64 without a break.
LONG_THREAD_ID = "AAQkADAwATM0MDAAMS1iNTcwLWI2NTEtMDACLTAwCgAQAN" * 3 + "xg0Zc="
LONG_ERROR = "imap.example.jp:993: TLS handshake failed: " + "certificate-chain-" * 12


@dataclass(frozen=True)
class Rendered:
    content: DigestContent
    html: str
    text: str
    subject: str


def realistic_digest(base: Path, language: str = "ja") -> Rendered:
    config = sample_config(base)
    if language != "ja":
        owner = config.owner.model_copy(update={"language": language})
        config = config.model_copy(update={"owner": owner})
    ctx = Context.build(config)
    build_sample_maildir(base / "Mail", NOW, "11月24日(火)")
    mail = Maildir(base / "Mail")
    mail.add(
        "INBOX",
        sender=f"Long Subject <{LONG_ADDRESS}>",
        to=f"{OWNER[0]} <{OWNER[1]}>",
        subject=LONG_SUBJECT,
        date=NOW - timedelta(hours=26),
        message_id="<long-subject@demo.example>",
        body="件名が長いお問い合わせです。\n",
    )
    mail.add(
        "INBOX",
        sender=LONG_ADDRESS,
        to=OWNER[1],
        subject="Re: お見積りの件",
        date=NOW - timedelta(hours=10),
        message_id="<long-address@demo.example>",
        body="ご確認をお願いいたします。\n",
    )
    store = StateStore.open(config.state.url or "")
    try:
        run_cycle(ctx, store, [open_backend(config.accounts[0])], now=NOW)
        store.save_episodes("demo", sample_history(NOW))
        for minutes_ago in (190, 2):
            store.record_poll("demo", at=NOW - timedelta(minutes=minutes_ago), error=LONG_ERROR)
        built = compose(ctx, store, NOW)
    finally:
        store.close()
    content = _with_long_ids(built.content)
    html, text = render(content, config.templates_dir)
    return Rendered(content, html, text, str(built.message["Subject"]))


def _with_long_ids(content: DigestContent) -> DigestContent:
    """Every thread as an Exchange account would name it."""

    def renamed(lines: list[ThreadLine]) -> list[ThreadLine]:
        return [dataclasses.replace(line, thread_id=LONG_THREAD_ID) for line in lines]

    return dataclasses.replace(
        content,
        overdue=renamed(content.overdue),
        due_soon=renamed(content.due_soon),
        drafts_waiting=renamed(content.drafts_waiting),
        promises=renamed(content.promises),
        no_reply=renamed(content.no_reply),
        incidents=[
            dataclasses.replace(line, thread_id=LONG_THREAD_ID) for line in content.incidents
        ],
    )


def thread_blocks(content: DigestContent) -> list[str]:
    """The headline of every thread block in the digest's order: the time left, or the note."""
    heads = [
        line.left or line.note
        for line in (
            *content.overdue,
            *content.due_soon,
            *content.drafts_waiting,
            *content.promises,
            *content.meetings,
            *content.awaiting,
        )
    ]
    heads += [incident.left for incident in content.incidents]
    return heads + [line.left or line.note for line in content.no_reply]


def rgb(css: str) -> tuple[float, float, float]:
    """``#b42318`` or ``rgb(180, 35, 24)`` as its three channels."""
    if css.startswith("#"):
        return int(css[1:3], 16), int(css[3:5], 16), int(css[5:7], 16)
    values = [float(v) for v in re.findall(r"[\d.]+", css)[:3]]
    return values[0], values[1], values[2]


def contrast(foreground: str, background: str) -> float:
    """The WCAG 2 contrast ratio of two colours (1 to 21)."""

    def luminance(css: str) -> float:
        channels = [c / 255 for c in rgb(css)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)

"""The digest as a message: HTML and text rendered from the content, one multipart/alternative.

The HTML template renders with autoescaping on (``html_renderer``): a subject such as
``</table><img src=x>`` is shown as text. The text part is the same content for clients
that do not show HTML and for the owner's search.
"""

from __future__ import annotations

import email.policy
import email.utils
import hashlib
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address as HeaderAddress
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

from inboxguard.digest.content import DigestContent
from inboxguard.domain.display import shown
from inboxguard.drafting.reply_draft import header_text
from inboxguard.drafting.templates import html_renderer, text_renderer

DIGEST_ID_DOMAIN = "inboxguard.invalid"
PURPOSE_HEADER = "X-InboxGuard-Purpose"

LABELS: dict[str, dict[str, str]] = {
    "ja": {
        "subject": "件名",
        "who": "相手",
        "due": "期限",
        "left": "残り",
        "failing_long": "1時間以上メールを読めていないアカウント",
        "overdue": "期限切れ",
        "due_soon": "24時間以内に期限",
        "drafts_waiting": "送信待ちの下書き",
        "promises": "約束の期限",
        "incidents": "インシデント",
        "next_report": "次の報告",
        "opened": "開始",
        "no_reply": "返信不要と判断したスレッド（ご確認ください）",
        "failing": "メールを読めなかったアカウント",
        "failing_channels": "通知が届いていないチャンネル",
        "failing_since": "失敗の開始",
        "next_attempt": "次の試行",
        "statistics": "応答の統計",
        "decided": "件数",
        "within_rule": "期限内",
        "median": "中央値",
        "p90": "90%",
        "per_client_note": "件数は回答済みと期限切れの合計（まだ期限内のものは含みません）。"
        "時間は初回返信までの暦時間。",
        "chart": "日ごとの初回返信までの時間（中央値、直近14日）",
        "nothing": "対応が必要なものはありません。",
        "footer": "InboxGuard は下書きを作るだけで、送信はしません。",
        "digest": "ダイジェスト",
        "awaiting": "先方の返信待ち（お願いしている件）",
        "meetings": "本日の打ち合わせと議事録",
        "trust": "約束の実績",
        "promises_kept": "約束を守れた数",
        "follow_ups": "催促",
        "minutes_same_day": "当日の議事録",
        "trust_note": "約束: 期日を迎えた約束のうち期日までに連絡できた数。"
        "催促: お願いした期限を過ぎてこちらから再度連絡した数。"
        "議事録: 打ち合わせのうち当日中に参加者へメールした数。",
    },
    "en": {
        "subject": "Subject",
        "who": "Who",
        "due": "Due",
        "left": "Left",
        "failing_long": "Accounts not read for more than an hour",
        "overdue": "Overdue",
        "due_soon": "Due within 24 hours",
        "drafts_waiting": "Drafts waiting to be sent",
        "promises": "Promises due",
        "incidents": "Incidents",
        "next_report": "Next report",
        "opened": "opened",
        "no_reply": "Classified as needing no reply (please check)",
        "failing": "Accounts that failed to poll",
        "failing_channels": "Alert channels not reaching you",
        "failing_since": "failing since",
        "next_attempt": "next attempt",
        "statistics": "Response statistics",
        "decided": "Count",
        "within_rule": "In time",
        "median": "Median",
        "p90": "90th pct",
        "per_client_note": "Count: answered plus missed (threads still within their time are "
        "left out). Times: calendar time to the first reply.",
        "chart": "First-response time per day (median, last 14 days)",
        "nothing": "Nothing needs your attention.",
        "footer": "InboxGuard only writes drafts; it never sends mail to your clients.",
        "digest": "digest",
        "awaiting": "Waiting on clients",
        "meetings": "Today's meetings and their minutes",
        "trust": "Promises kept",
        "promises_kept": "Kept / due",
        "follow_ups": "Follow-ups",
        "minutes_same_day": "Same-day minutes",
        "trust_note": "Kept: promised dates that came due and were met by a message in the "
        "thread. Follow-ups: asks whose date passed, after which you wrote again. Minutes: "
        "meetings whose attendees heard from you the same day.",
    },
}


@dataclass(frozen=True, slots=True)
class Tone:
    """A section's colour, light and dark: text on white and on its tint, both >= 4.5:1.

    The dark pair is what ``prefers-color-scheme: dark`` (Apple Mail, Outlook) switches to;
    clients that invert colours themselves (the Gmail apps) start from the light pair,
    which is why no text relies on a background image or a colour the template does not set.
    """

    fg: str
    tint: str
    dark_fg: str
    dark_tint: str


TONES: dict[str, Tone] = {
    "red": Tone("#b42318", "#fef3f2", "#ff9c92", "#3d1714"),
    "amber": Tone("#b54708", "#fffaeb", "#fdb022", "#382a0d"),
    "blue": Tone("#175cd3", "#eff8ff", "#84caff", "#102a4c"),
    "purple": Tone("#6941c6", "#f4f3ff", "#c3b5fd", "#2a1f4f"),
    "grey": Tone("#475467", "#f2f4f7", "#cdd5df", "#252b34"),
}
# The page itself: text, secondary text, background, rules; light and dark.
PAGE = {
    "text": ("#1d2939", "#f2f4f7"),
    "muted": ("#475467", "#b9c0cc"),
    "background": ("#ffffff", "#121417"),
    "rule": ("#d0d5dd", "#3a4150"),
    "bar": ("#2e6bea", "#5d8fff"),
}
# A digest subject is read in a phone's notification: the lead item keeps a short subject.
LEAD_SUBJECT_COLUMNS = 28


def summary(content: DigestContent) -> str:
    """``期限切れ 1・24時間以内 2・インシデント 1`` / ``1 overdue, 2 due within 24h, …``."""
    parts = summary_parts(content)
    if not parts:
        return LABELS[content.language if content.language in LABELS else "en"]["nothing"]
    return "・".join(parts) if content.language == "ja" else ", ".join(parts)


def summary_parts(content: DigestContent) -> list[str]:
    """The counts of what needs the owner, each a phrase that is never broken across lines."""
    ja = content.language == "ja"
    # English words in (one, many): "1 incident", "2 incidents".
    counts = [
        (
            len(content.failing_long) + len(content.failing),
            "アカウント異常",
            ("account failing", "accounts failing"),
        ),
        (len(content.overdue), "期限切れ", ("overdue", "overdue")),
        (len(content.due_soon), "24時間以内", ("due within 24h", "due within 24h")),
        (len(content.drafts_waiting), "送信待ちの下書き", ("draft waiting", "drafts waiting")),
        (len(content.promises), "約束の期限", ("promise due", "promises due")),
        (len(content.incidents), "インシデント", ("incident", "incidents")),
        (
            sum(1 for line in content.meetings if line.late),
            "議事録未送付",
            ("minutes due", "minutes due"),
        ),
        (
            sum(1 for line in content.awaiting if line.late),
            "先方の返信遅れ",
            ("client reply late", "client replies late"),
        ),
        (
            len(content.failing_channels),
            "通知チャンネル異常",
            ("alert channel failing", "alert channels failing"),
        ),
    ]
    return [
        f"{ja_word} {n}" if ja else f"{n} {en_words[n != 1]}"
        for n, ja_word, en_words in counts
        if n
    ]


def lead(content: DigestContent) -> str:
    """The one most urgent thing, in a few words: what a phone's notification should show.

    A mailbox not read for an hour comes first (the rest of the digest may be missing its
    mail), then the nearest deadline of any reply, incident report or promise, the most
    late first. Empty when nothing has a deadline.
    """
    ja = content.language == "ja"
    if content.failing_long:
        item = content.failing_long[0]
        account = shown(item.account, limit=LEAD_SUBJECT_COLUMNS)
        if ja:
            return f"{account} を{item.for_how_long}読めていません"
        return f"{account} not read for {item.for_how_long}"
    dated: list[tuple[datetime, str, str]] = []
    for line in (*content.overdue, *content.due_soon, *content.promises):
        if line.due_at is not None:
            dated.append((line.due_at, line.left, line.subject))
    for incident in content.incidents:
        if incident.due_at is not None:
            dated.append((incident.due_at, f"{incident.stage} {incident.left}", incident.subject))
    if not dated:
        return ""
    _, left, subject = min(dated, key=lambda item: item[0])
    subject = shown(subject, limit=LEAD_SUBJECT_COLUMNS)
    return f"{left}「{subject}」" if ja else f'{left}: "{subject}"'


def title(content: DigestContent) -> str:
    """The digest's subject line: the most urgent thing first, the counts, then the day.

    ``6時間超過「サイトの表示速度について」／期限切れ 1・24時間以内 2｜InboxGuard 11月21日(土)``
    """
    ja = content.language == "ja"
    first, counts = lead(content), summary(content)
    head = (f"{first}／{counts}" if ja else f"{first} / {counts}") if first else counts
    return (
        f"{head}｜InboxGuard {content.date_label}"
        if ja
        else f"{head} | InboxGuard {content.date_label}"
    )


def render(content: DigestContent, templates_dir: Path | None = None) -> tuple[str, str]:
    """(html, text) of the digest."""
    labels = dict(LABELS["ja" if content.language == "ja" else "en"])
    labels["summary"] = summary(content)
    context = {
        "summary_parts": summary_parts(content),
        "d": content,
        "t": labels,
        "title": title(content),
        "tones": TONES,
        "page": PAGE,
    }
    html = html_renderer(templates_dir).render("digest.html.j2", context)
    text = text_renderer(templates_dir).render("digest.txt.j2", context)
    return html, text


def digest_message_id(day: str, recipient: str) -> str:
    """One id per day and recipient: IMAP delivery searches for it before appending."""
    digest = hashlib.sha256(f"{day}\0{recipient.lower()}".encode()).hexdigest()[:16]
    return f"<ig-digest-{day}-{digest}@{DIGEST_ID_DOMAIN}>"


def build_message(
    content: DigestContent,
    *,
    html: str,
    text: str,
    sender_name: str,
    sender: str,
    recipient: str,
    now: datetime,
    tz: ZoneInfo,
) -> EmailMessage:
    message = EmailMessage(policy=email.policy.default.clone(cte_type="7bit"))
    message["From"] = HeaderAddress(display_name=header_text(sender_name), addr_spec=sender)
    message["To"] = HeaderAddress(addr_spec=recipient)
    message["Subject"] = header_text(title(content))
    message["Date"] = email.utils.format_datetime(now.astimezone(tz))
    message["Message-ID"] = digest_message_id(content.day.isoformat(), recipient)
    message[PURPOSE_HEADER] = "digest"
    # Machine-sent to its owner: mail rules and auto-responders leave it alone.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text, subtype="plain", charset="utf-8")
    message.add_alternative(html, subtype="html", charset="utf-8")
    return message

"""The digest as the builder hands it over: multipart/alternative, text and HTML, one
Message-ID per day. Shared by the delivery tests and the live IMAP APPEND tests."""

from __future__ import annotations

from datetime import date, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from zoneinfo import ZoneInfo

from tests.mailboxes import OWNER

DAY = date(2026, 11, 21)
TEXT = "期限切れ 1件\n- 見積のご依頼 (山田様): 2時間超過\n"
HTML = (
    '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>'
    "<table><tr><td>期限切れ 1件</td></tr>"
    "<tr><td>見積のご依頼 (山田様) &amp; 2時間超過</td></tr></table></body></html>\n"
)


def message_id(day: date = DAY) -> str:
    return f"<ig-digest-{day.isoformat()}-7c1e2a@inboxguard.invalid>"


def digest_message(day: date = DAY, *, to: str = f"佐藤 花子 <{OWNER}>") -> EmailMessage:
    message = EmailMessage()
    message["From"] = f"InboxGuard <{OWNER}>"
    message["To"] = to
    message["Subject"] = f"【InboxGuard】{day.month}月{day.day}日のダイジェスト: 期限切れ 1件"
    sent = datetime(day.year, day.month, day.day, 8, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
    message["Date"] = format_datetime(sent)
    message["Message-ID"] = message_id(day)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(TEXT)
    message.add_alternative(HTML, subtype="html")
    return message

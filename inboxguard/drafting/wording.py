"""Reasons (``domain.reasons``) in the owner's words: the one place they become sentences."""

from __future__ import annotations

from inboxguard.domain.reasons import Reason, ReasonCode

_JA = {
    ReasonCode.CLOCK_RUNNING: "返信期限まで時間があります",
    ReasonCode.AT_RISK: "返信期限が迫っています",
    ReasonCode.OVERDUE: "返信期限を過ぎています",
    ReasonCode.PROMISE_BROKEN: "{date}のお約束を過ぎています",
    ReasonCode.PROMISED: "{date}までの回答をお約束済み",
    ReasonCode.PROMISE_OVERDUE: "{date}のお約束を過ぎています",
    ReasonCode.MARKED_NO_REPLY: "返信不要としてマーク済み",
    ReasonCode.ACKNOWLEDGEMENT_ONLY: "相手の最新のメールはお礼・了承のみ",
    ReasonCode.ANSWERED: "返信済み",
    ReasonCode.AWAITING: "{date}までの返信を先方にお願い済み",
    ReasonCode.AWAITING_QUESTION: "先方への質問に{date}まで返事待ち",
    ReasonCode.AWAITING_OVERDUE: "{date}までにお願いした件の返信がありません",
    ReasonCode.CALENDAR: "予定の招待・更新・取消（返信不要）",
    ReasonCode.MINUTES_DUE: "打ち合わせ「{summary}」の議事録が未送付です",
}
_EN = {
    ReasonCode.CLOCK_RUNNING: "clock running",
    ReasonCode.AT_RISK: "no reply and less than warn_before left",
    ReasonCode.OVERDUE: "no reply and the due time has passed",
    ReasonCode.PROMISE_BROKEN: "promised {date} and not kept",
    ReasonCode.PROMISED: "my latest message promised {date}",
    ReasonCode.PROMISE_OVERDUE: "my latest message promised {date}, which has passed",
    ReasonCode.MARKED_NO_REPLY: "marked as needing no reply",
    ReasonCode.ACKNOWLEDGEMENT_ONLY: "the latest message is only an acknowledgement",
    ReasonCode.ANSWERED: "replied; nothing outstanding",
    ReasonCode.AWAITING: "I asked them for an answer by {date}",
    ReasonCode.AWAITING_QUESTION: "I asked a question; waiting for them until {date}",
    ReasonCode.AWAITING_OVERDUE: "what I asked for by {date} has not come",
    ReasonCode.CALENDAR: "a calendar invitation, update or cancellation (no reply needed)",
    ReasonCode.MINUTES_DUE: "the meeting {summary} ended and no minutes were sent",
}


def reason_text(reason: Reason, language: str) -> str:
    template = (_JA if language == "ja" else _EN)[reason.code]
    return template.format_map({"date": "", "summary": "", **dict(reason.params)})

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
}


def reason_text(reason: Reason, language: str) -> str:
    template = (_JA if language == "ja" else _EN)[reason.code]
    return template.format_map({"date": "", **dict(reason.params)})

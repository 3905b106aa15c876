"""Is a message sent by a machine? Decided from headers, with the reason (SPEC §5).

Each check is one small rule; the first that fires gives the reason that `explain` prints.
`X-Auto-Response-Suppress` is deliberately absent: Outlook sets it on ordinary human mail
to ask *others* not to auto-reply, so it says nothing about the message itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from inboxguard.domain.message import Message
from inboxguard.domain.normalise import normalise_for_matching

_BULK_PRECEDENCE = {"bulk", "junk", "list", "auto_reply", "auto-reply"}


@dataclass(frozen=True, slots=True)
class AutomationRules:
    """Data from rules/automated.toml: machine sender names and weak subject patterns."""

    sender_local_parts: tuple[str, ...] = (
        "mailer-daemon",
        "postmaster",
        "no-reply",
        "noreply",
        "do-not-reply",
        "donotreply",
        "do_not_reply",
        "bounce",
        "bounces",
    )
    # Auto-replies with no header at all (common from Japanese webmail): the subject is the
    # only sign. Weak, so the reason says so and `explain` shows which pattern fired.
    auto_reply_subjects: tuple[str, ...] = ()
    _subject_res: tuple[re.Pattern[str], ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        compiled = tuple(
            re.compile(normalise_for_matching(p), re.IGNORECASE) for p in self.auto_reply_subjects
        )
        object.__setattr__(self, "_subject_res", compiled)

    def subject_pattern(self, subject: str) -> str | None:
        normalised = normalise_for_matching(subject)
        for source, pattern in zip(self.auto_reply_subjects, self._subject_res, strict=True):
            if pattern.search(normalised):
                return source
        return None


Check = Callable[[Message, AutomationRules], str | None]


def _auto_submitted(message: Message, _: AutomationRules) -> str | None:
    value = message.automation.auto_submitted
    if value is None:
        return None
    keyword = value.split(";", 1)[0].strip().lower()
    if keyword and keyword != "no":
        return f"Auto-Submitted: {keyword}"
    return None


def _precedence(message: Message, _: AutomationRules) -> str | None:
    value = (message.automation.precedence or "").strip().lower()
    if value in _BULK_PRECEDENCE:
        return f"Precedence: {value}"
    return None


def _list_headers(message: Message, _: AutomationRules) -> str | None:
    if message.automation.list_id:
        return "List-Id present (mailing list)"
    if message.automation.list_unsubscribe:
        return "List-Unsubscribe present (bulk sender)"
    return None


def _x_autoreply(message: Message, _: AutomationRules) -> str | None:
    value = (message.automation.x_autoreply or "").strip().lower()
    if value and value not in {"no", "false", "0"}:
        return "X-Autoreply present"
    return None


def _empty_return_path(message: Message, _: AutomationRules) -> str | None:
    value = message.automation.return_path
    if value is not None and value.replace(" ", "") in {"<>", ""}:
        return "empty Return-Path (bounce or notification)"
    return None


def _delivery_report(message: Message, _: AutomationRules) -> str | None:
    if message.content_type == "multipart/report":
        return "multipart/report (delivery or read report)"
    return None


def _machine_sender(message: Message, rules: AutomationRules) -> str | None:
    # "From: MAILER-DAEMON" has no address at all; the bare name is all there is to go on.
    sender = message.sender.address or message.sender.name.strip()
    local = sender.partition("@")[0].lower()
    for name in rules.sender_local_parts:
        if local == name or local.startswith((f"{name}+", f"{name}-", f"{name}.")):
            return f"sender {sender} looks automated ({name})"
    return None


def _auto_reply_subject(message: Message, rules: AutomationRules) -> str | None:
    pattern = rules.subject_pattern(message.subject)
    if pattern is not None:
        return f"subject matches auto-reply pattern {pattern!r} (weak signal)"
    return None


# Strong header evidence first, the weak subject signal last: the reason shown is the best one.
CHECKS: Sequence[Check] = (
    _auto_submitted,
    _precedence,
    _list_headers,
    _x_autoreply,
    _delivery_report,
    _empty_return_path,
    _machine_sender,
    _auto_reply_subject,
)


def automated_reason(message: Message, rules: AutomationRules) -> str | None:
    """Why the message is automated, or None for mail a person wrote."""
    for check in CHECKS:
        reason = check(message, rules)
        if reason is not None:
            return reason
    return None


def may_carry_invitation(reason: str | None) -> bool:
    """Automated mail whose text is still worth reading: Google Calendar sends invitations
    from the organizer's address with ``Auto-Submitted: auto-generated``. Auto-replies,
    lists and bulk senders are never read."""
    return reason == "Auto-Submitted: auto-generated"

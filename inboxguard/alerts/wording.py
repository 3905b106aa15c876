"""The words of an alert: one short message per channel and poll, in the owner's language.

Short enough for a phone's lock screen: a title and at most three short lines. Each line
stands on its own (a service that drops the title, such as Chatwork through ``form://``
with ``:title=``, still says what happened), carries the thread's short id for
``inboxguard mark``, and says nothing a mail body said: who, the subject (neutralised and
shortened, as everywhere it is shown), the deadline and the time left, counted from the
moment the message is worded, so an alert held through the night is still right.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from inboxguard.domain.alert_events import AlertEvent, AlertKind, Urgency, most_urgent_first
from inboxguard.domain.calendar import BusinessCalendar
from inboxguard.domain.display import shown
from inboxguard.domain.durations import format_duration
from inboxguard.drafting.dates import format_due, format_promise_date

MAX_LINES = 3
SUBJECT_COLUMNS = 30  # a Japanese subject keeps 15 characters
WHO_COLUMNS = 20
DETAIL_COLUMNS = 64


@dataclass(frozen=True, slots=True)
class AlertMessage:
    title: str
    body: str
    urgency: Urgency


# kind: (ja, en). The tag that starts every line of that kind.
_TAGS: Mapping[AlertKind, tuple[str, str]] = {
    AlertKind.AT_RISK: ("期限間近", "Due soon"),
    AlertKind.OVERDUE: ("期限超過", "Overdue"),
    AlertKind.INCIDENT_OPENED: ("障害対応", "Incident"),
    AlertKind.REPORT_DUE: ("報告期限間近", "Report due"),
    AlertKind.REPORT_LATE: ("報告遅延", "Report late"),
    AlertKind.PROMISE_TOMORROW: ("約束は明日", "Promise tomorrow"),
    AlertKind.PROMISE_TODAY: ("約束は本日", "Promise today"),
    AlertKind.PROMISE_BROKEN: ("約束の期限切れ", "Promise broken"),
    AlertKind.ACCOUNT_FAILING: ("受信できません", "Mailbox failing"),
    AlertKind.ACCOUNT_RECOVERED: ("受信復旧", "Mailbox back"),
    AlertKind.DIGEST_FAILED: ("ダイジェスト未送信", "Digest not sent"),
    AlertKind.AWAITING_OVERDUE: ("先方の返信待ち", "Client reply late"),
    AlertKind.MINUTES_DUE: ("議事録未送付", "Minutes due"),
}
_STAGES: Mapping[str, tuple[str, str]] = {
    "first_report": ("第一報", "first report"),
    "root_cause": ("原因報告", "root cause report"),
    "remediation": ("再発防止策", "remediation plan"),
}


class _Words:
    def __init__(
        self, language: str, now: datetime, calendar: BusinessCalendar, ids: Mapping[str, str]
    ) -> None:
        self.ja = language == "ja"
        self.language = "ja" if self.ja else "en"
        self.now = now
        self.calendar = calendar
        self.ids = ids

    def pick(self, pair: tuple[str, str]) -> str:
        return pair[0] if self.ja else pair[1]

    def tag(self, kind: AlertKind) -> str:
        word = self.pick(_TAGS[kind])
        return f"【{word}】" if self.ja else f"[{word}]"

    def when(self, moment: datetime | None) -> str:
        return format_due(self.calendar.local(moment), self.language) if moment else ""

    def left(self, target: datetime | None) -> tuple[str, bool]:
        """The time to ``target`` in minutes as a person plans (and whether it passed)."""
        if target is None:
            return "", False
        seconds = int((target - self.now).total_seconds())
        return format_duration(timedelta(minutes=abs(seconds) // 60)), seconds < 0

    def headline(self, event: AlertEvent, *, compact: bool) -> str:
        facts = event.facts
        tag = self.tag(event.kind)
        if facts.thread_id is not None:
            who = shown(facts.who or "", limit=WHO_COLUMNS)
            subject = shown(facts.subject or "", limit=SUBJECT_COLUMNS - 6 * compact)
            subject = subject or ("（件名なし）" if self.ja else "(no subject)")
            return f"{tag}{who}「{subject}」" if self.ja else f'{tag} {who}: "{subject}"'
        if facts.account is not None:
            account = shown(facts.account, limit=WHO_COLUMNS)
            return f"{tag}アカウント {account}" if self.ja else f"{tag} account {account}"
        day = facts.day.isoformat() if facts.day else ""
        return f"{tag}{day}" if self.ja else f"{tag} {day}"

    def detail(self, event: AlertEvent, *, compact: bool) -> str:
        return shown(_DETAILS[event.kind](self, event, compact), limit=DETAIL_COLUMNS)

    def thread_id(self, event: AlertEvent) -> str:
        thread = event.facts.thread_id
        if thread is None:
            return ""
        return self.ids.get(thread, thread[:8])

    def stage(self, event: AlertEvent) -> str:
        return self.pick(_STAGES.get(event.facts.stage or "", ("報告", "report")))

    def ago(self, since: datetime | None) -> str:
        amount, _ = self.left(since)
        return amount


def _reply(w: _Words, event: AlertEvent, compact: bool) -> str:
    amount, late = w.left(event.facts.due_at)
    if late:
        text = f"{amount}超過" if w.ja else f"{amount} overdue"
    else:
        text = f"残り{amount}" if w.ja else f"{amount} left"
    if not compact:
        due = w.when(event.facts.due_at)
        text += f"（期限 {due}）" if w.ja else f" (due {due})"
    if event.facts.holding_draft:
        if compact:
            text += "・下書きあり" if w.ja else " · draft ready"
        else:
            text += "・Draftsに保留返信あり" if w.ja else " · holding reply in Drafts"
    return text


def _incident(w: _Words, event: AlertEvent, compact: bool) -> str:
    due = w.when(event.facts.due_at)
    return f"{w.stage(event)}の期限 {due}" if w.ja else f"{w.stage(event)} due {due}"


def _report(w: _Words, event: AlertEvent, compact: bool) -> str:
    amount, late = w.left(event.facts.due_at)
    stage = w.stage(event)
    if late:
        return f"{stage}が{amount}遅れています" if w.ja else f"{stage} {amount} late"
    return f"{stage}まで残り{amount}" if w.ja else f"{stage} due in {amount}"


def _promise(w: _Words, event: AlertEvent, compact: bool) -> str:
    day = event.facts.promise_date
    said = format_promise_date(day, w.language) if day is not None else ""
    if event.kind is AlertKind.PROMISE_BROKEN:
        return f"{said}のお約束を過ぎました" if w.ja else f"promised for {said}: passed"
    return f"{said}までに回答のお約束" if w.ja else f"you promised an answer by {said}"


def _account(w: _Words, event: AlertEvent, compact: bool) -> str:
    facts = event.facts
    since = w.when(facts.since)
    if event.kind is AlertKind.ACCOUNT_RECOVERED:
        return f"{since}からの障害が解消しました" if w.ja else f"read again (failing since {since})"
    text = f"{since}から読めていません" if w.ja else f"not read since {since}"
    return f"{text}: {facts.detail}" if facts.detail and not compact else text


def _digest(w: _Words, event: AlertEvent, compact: bool) -> str:
    detail = event.facts.detail or ""
    return detail if not compact else ("送信に失敗しました" if w.ja else "delivery failed")


def _awaiting(w: _Words, event: AlertEvent, compact: bool) -> str:
    # What was asked for is words of a mail body: never in an alert. The subject says it.
    due = w.when(event.facts.due_at)
    return (
        f"{due}までにお願いした件の返信がありません" if w.ja else f"asked for by {due}: no answer"
    )


def _minutes(w: _Words, event: AlertEvent, compact: bool) -> str:
    due = w.when(event.facts.due_at)
    if w.ja:
        return f"打ち合わせの議事録がまだです（目安 {due}）"
    return f"no minutes sent to the attendees yet (due {due})"


_DETAILS: Mapping[AlertKind, Callable[[_Words, AlertEvent, bool], str]] = {
    AlertKind.AT_RISK: _reply,
    AlertKind.OVERDUE: _reply,
    AlertKind.INCIDENT_OPENED: _incident,
    AlertKind.REPORT_DUE: _report,
    AlertKind.REPORT_LATE: _report,
    AlertKind.PROMISE_TOMORROW: _promise,
    AlertKind.PROMISE_TODAY: _promise,
    AlertKind.PROMISE_BROKEN: _promise,
    AlertKind.ACCOUNT_FAILING: _account,
    AlertKind.ACCOUNT_RECOVERED: _account,
    AlertKind.DIGEST_FAILED: _digest,
    AlertKind.AWAITING_OVERDUE: _awaiting,
    AlertKind.MINUTES_DUE: _minutes,
}


def compose(
    events: Sequence[AlertEvent],
    *,
    language: str,
    now: datetime,
    calendar: BusinessCalendar,
    ids: Mapping[str, str] | None = None,
) -> AlertMessage:
    """One message for ``events`` (one or more), most urgent first."""
    if not events:
        raise ValueError("an alert message needs at least one event")
    w = _Words(language, now, calendar, ids or {})
    ordered = most_urgent_first(events)
    urgency = Urgency.HIGH if any(e.urgency is Urgency.HIGH for e in events) else Urgency.NORMAL
    if len(ordered) == 1:
        (event,) = ordered
        lines = [w.headline(event, compact=False), w.detail(event, compact=False)]
        thread = w.thread_id(event)
        if thread:
            lines.append(f"ID {thread}" if w.ja else f"id {thread}")
        title = f"InboxGuard — {w.pick(_TAGS[event.kind])}"
        return AlertMessage(title, "\n".join(lines), urgency)
    shown_events = ordered if len(ordered) <= MAX_LINES else ordered[: MAX_LINES - 1]
    lines = []
    for event in shown_events:
        line = f"{w.headline(event, compact=True)} {w.detail(event, compact=True)}"
        thread = w.thread_id(event)
        lines.append(f"{line} · {thread}" if thread else line)
    rest = len(ordered) - len(shown_events)
    if rest:
        lines.append(
            f"ほか{rest}件（inboxguard status）" if w.ja else f"+{rest} more (inboxguard status)"
        )
    high = sum(1 for e in events if e.urgency is Urgency.HIGH)
    if w.ja:
        title = f"InboxGuard — {len(events)}件" + (f"（至急{high}件）" if high else "")
    else:
        title = f"InboxGuard — {len(events)} alerts" + (f" ({high} urgent)" if high else "")
    return AlertMessage(title, "\n".join(lines), urgency)


def trial_message(channel: str, language: str) -> AlertMessage:
    """What ``inboxguard alert --test`` sends."""
    if language == "ja":
        body = f"チャンネル {channel} への通知は届いています。"
        return AlertMessage("InboxGuard — テスト通知", body, Urgency.NORMAL)
    body = f"Alerts to channel {channel} reach you."
    return AlertMessage("InboxGuard — test alert", body, Urgency.NORMAL)

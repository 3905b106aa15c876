"""What the daily digest says (SPEC §8), as plain data in the owner's language.

Built from the same evaluation as `status`, so the two never disagree. Every value is a
string ready to print; the templates only lay them out (and the HTML one escapes them,
since subjects and names come from other people's mail). Sections, most urgent first:
accounts failing for more than an hour (a digest that silently misses a mailbox is worse
than none), overdue threads, threads due within 24 hours, holding drafts waiting to be
sent, promises due, incidents, threads classified as needing no reply, accounts that
failed to poll, and the response statistics for 7 and 30 days. Beside them: what clients
owe me (waiting on clients), today's meetings and their minutes, and the trust figures
(promises kept, follow-ups sent, minutes sent the same day).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from inboxguard.domain.assessment import ThreadAssessment
from inboxguard.domain.calendar import BusinessCalendar
from inboxguard.domain.display import shown
from inboxguard.domain.drafts import DraftPurpose
from inboxguard.domain.durations import format_duration
from inboxguard.domain.reply_clock import ThreadState
from inboxguard.domain.statistics import (
    DayBar,
    EpisodeLike,
    ResponseStats,
    daily_bars,
    per_client,
    response_stats,
)
from inboxguard.domain.trust import TrustFigures
from inboxguard.drafting.dates import format_due
from inboxguard.drafting.wording import reason_text
from inboxguard.store import AccountHealth, ChannelHealth

DUE_SOON = timedelta(hours=24)
LONG_FAILURE = timedelta(hours=1)
NO_REPLY_REVIEW = timedelta(days=7)
CHART_DAYS = 14


@dataclass(frozen=True, slots=True)
class ThreadLine:
    account: str
    thread_id: str
    subject: str
    who: str
    when: str  # the deadline in the owner's words, or ""
    left: str  # "残り 2時間59分" / "6時間超過" / "2 h 59 min left" / "6 h late" / ""
    note: str = ""
    late: bool = False  # the deadline has passed: the layout shows it in red
    due_at: datetime | None = None  # for ordering and the subject line, never shown raw


@dataclass(frozen=True, slots=True)
class IncidentLine:
    subject: str
    who: str
    stage: str
    due: str
    left: str
    late: bool
    opened: str
    due_at: datetime | None = None
    account: str = ""
    thread_id: str = ""


@dataclass(frozen=True, slots=True)
class HealthLine:
    account: str
    since: str
    for_how_long: str
    error: str
    next_attempt: str


@dataclass(frozen=True, slots=True)
class StatsLine:
    label: str
    decided: int
    share: str
    median: str
    p90: str


@dataclass(frozen=True, slots=True)
class TrustLine:
    """Promises kept / due, follow-ups sent, minutes the same day / meetings held."""

    label: str
    promises: str  # "4/5", "–" when none fell due
    follow_ups: str
    minutes: str


@dataclass(frozen=True, slots=True)
class BarLine:
    label: str
    width: int  # percent of the widest bar, 0-100
    value: str
    answered: int


@dataclass(frozen=True, slots=True)
class DigestContent:
    language: str
    day: date
    date_label: str
    failing_long: list[HealthLine] = field(default_factory=list)
    overdue: list[ThreadLine] = field(default_factory=list)
    due_soon: list[ThreadLine] = field(default_factory=list)
    drafts_waiting: list[ThreadLine] = field(default_factory=list)
    promises: list[ThreadLine] = field(default_factory=list)
    incidents: list[IncidentLine] = field(default_factory=list)
    no_reply: list[ThreadLine] = field(default_factory=list)
    failing: list[HealthLine] = field(default_factory=list)
    failing_channels: list[HealthLine] = field(default_factory=list)  # [[alerts]] not reaching
    stats: list[StatsLine] = field(default_factory=list)
    per_client: list[StatsLine] = field(default_factory=list)
    bars: list[BarLine] = field(default_factory=list)
    awaiting: list[ThreadLine] = field(default_factory=list)  # waiting on clients
    meetings: list[ThreadLine] = field(default_factory=list)  # today's and their minutes
    trust: list[TrustLine] = field(default_factory=list)  # 7 and 30 days, then per client

    @property
    def needs_action(self) -> int:
        """Items that ask something of the owner today (the subject line counts them)."""
        return (
            len(self.overdue)
            + len(self.due_soon)
            + len(self.drafts_waiting)
            + len(self.promises)
            + len(self.incidents)
            + len(self.failing)
            + len(self.failing_long)
            + len(self.failing_channels)
            + sum(1 for line in self.awaiting if line.late)
            + sum(1 for line in self.meetings if line.late)
        )

    @property
    def empty(self) -> bool:
        return self.needs_action == 0 and not self.no_reply


def build_content(
    views: Sequence[ThreadAssessment],
    health: Sequence[AccountHealth],
    episodes: Sequence[EpisodeLike],
    *,
    now: datetime,
    calendar: BusinessCalendar,
    language: str,
    channels: Sequence[ChannelHealth] = (),
    trust: Sequence[tuple[str | None, TrustFigures]] = (),
) -> DigestContent:
    """``trust``: the trust figures, (None, overall of 7 days), (None, overall of 30 days),
    then (client name, 30 days) per client (``trust_rows`` makes them)."""
    local_now = calendar.local(now)
    today = local_now.date()
    words = _Words(language, calendar, now)
    overdue: list[ThreadLine] = []
    due_soon: list[ThreadLine] = []
    waiting: list[ThreadLine] = []
    promises: list[ThreadLine] = []
    incidents: list[IncidentLine] = []
    quiet: list[ThreadLine] = []
    awaiting: list[ThreadLine] = []
    meetings: list[ThreadLine] = []
    for view in views:
        status = view.status
        state = status.state
        if state is ThreadState.OVERDUE:
            overdue.append(words.thread(view, status.due_at))
        elif (
            state in (ThreadState.WAITING, ThreadState.AT_RISK)
            and status.due_at is not None
            and status.due_at - now <= DUE_SOON
        ):
            due_soon.append(words.thread(view, status.due_at))
        if state in (ThreadState.WAITING, ThreadState.AT_RISK, ThreadState.OVERDUE):
            if view.holding_draft_waiting:
                waiting.append(words.thread(view, status.due_at, note=words.holding_note))
            elif view.report_drafted:
                waiting.append(words.thread(view, status.due_at, note=words.report_note))
        promise = status.promise
        if state is ThreadState.PROMISE_OVERDUE and promise is not None:
            promises.append(words.thread(view, promise.due_at, note=words.promise_broken))
        elif (
            state is ThreadState.PROMISED
            and promise is not None
            # The day before and on the day (SPEC §6).
            and promise.date <= today + timedelta(days=1)
        ):
            promises.append(words.thread(view, promise.due_at, note=words.promise_due))
        incident = view.open_incident
        if incident is not None and incident.next_stage is not None:
            stage = incident.next_stage
            incidents.append(
                IncidentLine(
                    subject=shown(view.thread.subject),
                    who=words.who(view),
                    stage=words.stage(stage.name.value),
                    due=words.when(stage.due_at),
                    left=words.left(stage.due_at),
                    late=stage.due_at <= now,
                    opened=words.when(incident.opened_at),
                    due_at=stage.due_at,
                    account=view.thread.account,
                    thread_id=view.thread.id,
                )
            )
        if status.awaiting is not None and status.clock_message is None:
            note = words.awaiting_note(view)
            awaiting.append(words.thread(view, status.awaiting.until, note=note))
        if view.meeting is not None:
            meetings.append(words.meeting(view))
        if state is ThreadState.NO_REPLY_NEEDED:
            latest = view.thread.messages[-1].date
            if now - latest <= NO_REPLY_REVIEW:
                note = reason_text(status.reason, words.language)
                quiet.append(words.thread(view, None, note=note))
    # Within a section the nearest deadline first (the most late, among overdue ones).
    for lines in (overdue, due_soon, waiting, promises, awaiting, meetings):
        lines.sort(key=_by_deadline)
    incidents.sort(key=_by_deadline)

    failing, failing_long, failing_channels = _failures(health, channels, words, now)
    week = [e for e in episodes if e.started_at >= now - timedelta(days=7)]
    month = [e for e in episodes if e.started_at >= now - timedelta(days=30)]
    stats = [
        words.stats(words.last_days(7), response_stats(week, now)),
        words.stats(words.last_days(30), response_stats(month, now)),
    ]
    clients = [words.stats(name, s) for name, s in per_client(month, now, other=words.other)]
    bars = words.bars(daily_bars(month, now=now, days=CHART_DAYS, calendar=calendar))
    return DigestContent(
        language=language,
        day=today,
        date_label=words.day_label(local_now),
        failing_long=failing_long,
        overdue=overdue,
        due_soon=due_soon,
        drafts_waiting=waiting,
        promises=promises,
        incidents=incidents,
        no_reply=quiet,
        failing=failing,
        failing_channels=failing_channels,
        stats=stats,
        per_client=clients,
        bars=bars,
        awaiting=awaiting,
        meetings=meetings,
        trust=[words.trust(label, figures, index) for index, (label, figures) in enumerate(trust)],
    )


def _failures(
    health: Sequence[AccountHealth],
    channels: Sequence[ChannelHealth],
    words: _Words,
    now: datetime,
) -> tuple[list[HealthLine], list[HealthLine], list[HealthLine]]:
    """Accounts failing for less than an hour (listed near the end), for more (they head
    the digest), and alert channels not reaching the owner."""
    failing: list[HealthLine] = []
    failing_long: list[HealthLine] = []
    for item in health:
        if item.failing_since is not None:
            long = now - item.failing_since > LONG_FAILURE
            (failing_long if long else failing).append(words.health(item))
    failing_channels = [
        words.failure(c.channel, c.failing_since, c.last_error, c.next_attempt_at)
        for c in channels
        if c.failing_since is not None
    ]
    return failing, failing_long, failing_channels


class _Words:
    """The owner's language for times, durations and the few fixed phrases."""

    def __init__(self, language: str, calendar: BusinessCalendar, now: datetime) -> None:
        self.ja = language == "ja"
        self.language = "ja" if self.ja else "en"
        self.calendar = calendar
        self.now = now
        self.holding_note = "保留返信の下書きあり" if self.ja else "holding reply drafted"
        self.report_note = "報告の下書きあり" if self.ja else "report drafted"
        self.promise_broken = "約束の期限切れ" if self.ja else "promise broken"
        self.promise_due = "約束の期限" if self.ja else "promise due"
        self.other = "その他" if self.ja else "others"

    def when(self, moment: datetime | None) -> str:
        return format_due(self.calendar.local(moment), self.language) if moment else ""

    def left(self, target: datetime | None) -> str:
        """The time to ``target`` as the digest's headline says it: "残り 2時間59分"."""
        if target is None:
            return ""
        seconds = int((target - self.now).total_seconds())
        amount = spoken_duration(abs(seconds) // 60, self.language)
        if seconds < 0:
            return f"{amount}超過" if self.ja else f"{amount} late"
        return f"残り {amount}" if self.ja else f"{amount} left"

    def who(self, view: ThreadAssessment) -> str:
        # Names and subjects are strangers' text: shown without bidi tricks or runaway width.
        if view.client is not None:
            return shown(view.client.name)
        return shown(view.status.counterpart or "")

    def thread(self, view: ThreadAssessment, target: datetime | None, note: str = "") -> ThreadLine:
        return ThreadLine(
            account=view.thread.account,
            thread_id=view.thread.id,
            subject=shown(view.thread.subject) or ("（件名なし）" if self.ja else "(no subject)"),
            who=self.who(view),
            when=self.when(target),
            left=self.left(target),
            note=note,
            late=target is not None and target <= self.now,
            due_at=target,
        )

    def awaiting_note(self, view: ThreadAssessment) -> str:
        awaiting = view.status.awaiting
        if awaiting is None:
            return ""
        drafted = any(d.purpose is DraftPurpose.FOLLOW_UP for d in view.drafts)
        what = shown(awaiting.request.what, limit=40)
        if self.ja:
            note = f"お願いした件: {what}" if what else "先方の返信待ち"
            if awaiting.overdue:
                note += "・催促の下書きあり" if drafted else "・期限切れ"
            return note
        note = f"asked for: {what}" if what else "waiting for their answer"
        if awaiting.overdue:
            note += " · follow-up drafted" if drafted else " · past the date"
        return note

    def meeting(self, view: ThreadAssessment) -> ThreadLine:
        meeting = view.meeting
        if meeting is None:
            raise ValueError("a meeting line needs a thread with a meeting")
        start = self.calendar.local(meeting.occurrence.start)
        end = self.calendar.local(meeting.occurrence.end)
        sitting = f"{format_due(start, self.language)}–{end:%H:%M}"
        drafted = any(d.purpose is DraftPurpose.MINUTES for d in view.drafts)
        if meeting.sent_at is not None:
            state = "議事録送付済み" if self.ja else "minutes sent"
        elif meeting.occurrence.end > self.now:
            state = "議事録は終了後に" if self.ja else "minutes after it ends"
        elif drafted:
            state = "議事録の下書きあり" if self.ja else "minutes drafted"
        else:
            state = "議事録未送付" if self.ja else "minutes not sent"
        line = self.thread(
            view, meeting.due_at if meeting.sent_at is None else None, note=f"{sitting} · {state}"
        )
        summary = shown(meeting.summary)
        return ThreadLine(
            account=line.account,
            thread_id=line.thread_id,
            subject=summary or line.subject,
            who=line.who,
            when=line.when,
            left=line.left if meeting.occurrence.end <= self.now else "",
            note=line.note,
            late=meeting.due(self.now),
            due_at=line.due_at,
        )

    def trust(self, label: str | None, figures: TrustFigures, index: int) -> TrustLine:
        def ratio(done: int, of: int) -> str:
            return f"{done}/{of}" if of else "–"

        if label is None:
            label = self.last_days(7 if index == 0 else 30)
        return TrustLine(
            label=shown(label),
            promises=ratio(figures.promises_kept, figures.promises_due),
            follow_ups=str(figures.follow_ups_sent),
            minutes=ratio(figures.minutes_same_day, figures.meetings_held),
        )

    def stage(self, name: str) -> str:
        if not self.ja:
            return {"first_report": "first report", "root_cause": "root cause"}.get(
                name, "remediation plan"
            )
        return {"first_report": "第一報", "root_cause": "原因のご報告"}.get(name, "再発防止策")

    def health(self, item: AccountHealth) -> HealthLine:
        return self.failure(item.account, item.failing_since, item.last_error, item.next_attempt_at)

    def failure(
        self,
        name: str,
        failing_since: datetime | None,
        error: str | None,
        next_attempt_at: datetime | None,
    ) -> HealthLine:
        """A failing account or alert channel: since when, why, when it is tried again."""
        since = failing_since or self.now
        return HealthLine(
            account=name,
            since=self.when(since),
            for_how_long=spoken_duration(
                int((self.now - since).total_seconds()) // 60, self.language
            ),
            error=error or "",
            next_attempt=self.when(next_attempt_at),
        )

    def last_days(self, days: int) -> str:
        return f"直近{days}日" if self.ja else f"last {days} days"

    def stats(self, label: str, stats: ResponseStats) -> StatsLine:
        share = stats.share_within
        return StatsLine(
            label=label,
            decided=stats.decided,
            share=f"{share:.0%}" if share is not None else "–",
            median=_rounded(stats.median),
            p90=_rounded(stats.p90),
        )

    def bars(self, days: Sequence[DayBar]) -> list[BarLine]:
        longest = max((d.median for d in days if d.median is not None), default=None)
        lines = []
        for day in days:
            width = 0
            if day.median is not None and longest:
                # At least a sliver for any answered day, so "fast" is not drawn as "none".
                width = max(2, round(100 * day.median / longest))
            label = f"{day.day.month}/{day.day.day}"
            lines.append(BarLine(label, width, _rounded(day.median), day.answered))
        return lines

    def day_label(self, local_now: datetime) -> str:
        return format_due(local_now, self.language).rsplit(" ", 1)[0]


def spoken_duration(minutes: int, language: str) -> str:
    """A duration as a person reads it on a phone: ``2時間59分`` / ``2 h 59 min``.

    Minutes count below a day; above, days and hours (a deadline three days out is not
    planned to the minute). ``format_duration``'s ``2h59m`` is for logs and tables.
    """
    ja = language == "ja"
    days, rest = divmod(max(minutes, 0), 24 * 60)
    hours, mins = divmod(rest, 60)
    units = (("日", " d"), ("時間", " h"), ("分", " min"))
    amounts = (days, hours, 0) if days else (0, hours, mins)
    parts = [
        f"{n}{ja_unit if ja else en_unit}"
        for n, (ja_unit, en_unit) in zip(amounts, units, strict=True)
        if n
    ]
    if not parts:
        return "0分" if ja else "0 min"
    return "".join(parts) if ja else " ".join(parts)


def _by_deadline(line: ThreadLine | IncidentLine) -> tuple[bool, datetime]:
    return (line.due_at is None, line.due_at or datetime.max.replace(tzinfo=UTC))


def _rounded(value: timedelta | None) -> str:
    if value is None:
        return "–"
    return format_duration(timedelta(minutes=int(value.total_seconds()) // 60))

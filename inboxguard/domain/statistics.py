"""Response-time statistics for the digest (SPEC §8): share answered within the rule,
median and 90th-percentile first-response time, per client and per day.

An episode is one counterpart message that waited for me (see ``reply_clock``). It counts
once it is decided: answered, or past its due time without an answer (a miss). An episode
still inside its time is neither kept nor missed yet and is left out, so a Monday morning
does not look like a bad week.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

from inboxguard.domain.calendar import BusinessCalendar


class EpisodeLike(Protocol):
    @property
    def started_at(self) -> datetime: ...
    @property
    def answered_at(self) -> datetime | None: ...
    @property
    def due_at(self) -> datetime | None: ...
    @property
    def client(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class ResponseStats:
    decided: int  # answered, or missed (due passed without an answer)
    within_rule: int
    median: timedelta | None
    p90: timedelta | None

    @property
    def share_within(self) -> float | None:
        return self.within_rule / self.decided if self.decided else None


@dataclass(frozen=True, slots=True)
class DayBar:
    day: date
    answered: int
    median: timedelta | None


def response_stats(episodes: Iterable[EpisodeLike], now: datetime) -> ResponseStats:
    decided = 0
    within = 0
    times: list[float] = []
    for episode in episodes:
        if episode.answered_at is not None and episode.answered_at <= now:
            decided += 1
            if episode.due_at is None or episode.answered_at <= episode.due_at:
                within += 1
            times.append((episode.answered_at - episode.started_at).total_seconds())
        elif episode.due_at is not None and episode.due_at <= now:
            decided += 1  # missed
    return ResponseStats(decided, within, _median(times), _p90(times))


def per_client(
    episodes: Iterable[EpisodeLike], now: datetime, *, other: str
) -> list[tuple[str, ResponseStats]]:
    """Stats per client name (``other`` for senders no client rule names), busiest first."""
    groups: dict[str, list[EpisodeLike]] = defaultdict(list)
    for episode in episodes:
        groups[episode.client or other].append(episode)
    rows = [(name, response_stats(group, now)) for name, group in groups.items()]
    rows = [(name, stats) for name, stats in rows if stats.decided]
    rows.sort(key=lambda row: (-row[1].decided, row[0]))
    return rows


def daily_bars(
    episodes: Iterable[EpisodeLike], *, now: datetime, days: int, calendar: BusinessCalendar
) -> list[DayBar]:
    """The median first-response time of each of the last ``days`` local days (oldest first),
    by the day the client wrote."""
    today = calendar.local(now).date()
    first = today - timedelta(days=days - 1)
    by_day: dict[date, list[float]] = defaultdict(list)
    for episode in episodes:
        if episode.answered_at is None or episode.answered_at > now:
            continue
        day = calendar.local(episode.started_at).date()
        if first <= day <= today:
            by_day[day].append((episode.answered_at - episode.started_at).total_seconds())
    return [
        DayBar(day, len(by_day.get(day, [])), _median(by_day.get(day, [])))
        for day in (first + timedelta(days=i) for i in range(days))
    ]


def _median(seconds: Sequence[float]) -> timedelta | None:
    return timedelta(seconds=statistics.median(seconds)) if seconds else None


def _p90(seconds: Sequence[float]) -> timedelta | None:
    if not seconds:
        return None
    if len(seconds) == 1:
        return timedelta(seconds=seconds[0])
    # Inclusive: the 90th percentile lies within the observed times, as a person reads it.
    return timedelta(seconds=statistics.quantiles(seconds, n=10, method="inclusive")[8])

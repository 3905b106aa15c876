"""Response-time statistics: decided episodes only, median and 90th percentile, per client."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from inboxguard.domain.statistics import daily_bars, per_client, response_stats
from tests.domain.factories import JP_CALENDAR, jst

NOW = jst(2026, 11, 21, 9)


@dataclass(frozen=True)
class Ep:
    started_at: datetime
    answered_at: datetime | None
    due_at: datetime | None
    client: str | None = None


def ep(hours_ago: float, answered_after: float | None, client: str | None = None) -> Ep:
    start = NOW - timedelta(hours=hours_ago)
    answered = start + timedelta(hours=answered_after) if answered_after is not None else None
    return Ep(start, answered, start + timedelta(hours=24), client)


def test_share_within_rule_median_and_p90() -> None:
    episodes = [ep(100, h) for h in (1, 2, 3, 4, 5, 6, 7, 8, 9, 30)] + [ep(50, None)]
    stats = response_stats(episodes, NOW)
    assert stats.decided == 11  # ten answered, one missed (due passed)
    assert stats.within_rule == 9  # the 30 h answer was late
    assert stats.share_within == 9 / 11
    assert stats.median == timedelta(hours=5, minutes=30)
    # Inclusive method: rank 0.9 × (10 - 1) = 8.1, a tenth of the way from 9 h to 30 h.
    assert stats.p90 == timedelta(hours=11, minutes=6)


def test_open_episodes_within_their_time_are_left_out() -> None:
    stats = response_stats([ep(2, None)], NOW)
    assert stats.decided == 0 and stats.share_within is None and stats.median is None


def test_answers_after_now_do_not_count_yet() -> None:
    assert response_stats([ep(2, 5)], NOW).decided == 0


def test_a_single_answer_is_its_own_median_and_p90() -> None:
    stats = response_stats([ep(30, 3)], NOW)
    assert stats.median == stats.p90 == timedelta(hours=3)


def test_per_client_groups_busiest_first_and_names_the_rest() -> None:
    episodes = [ep(40, 1, "A社"), ep(41, 2, "A社"), ep(42, 30, None)]
    rows = per_client(episodes, NOW, other="その他")
    assert [(name, s.decided, s.within_rule) for name, s in rows] == [
        ("A社", 2, 2),
        ("その他", 1, 0),
    ]


def test_daily_bars_cover_every_day_with_the_local_day_of_the_request() -> None:
    # 23:30 Tokyo on the 19th is 14:30 UTC: it belongs to the 19th in the owner's zone.
    late = Ep(jst(2026, 11, 19, 23, 30), jst(2026, 11, 20, 1, 30), None)
    bars = daily_bars([late, ep(5, 1)], now=NOW, days=3, calendar=JP_CALENDAR)
    assert [(b.day.day, b.answered, b.median) for b in bars] == [
        (19, 1, timedelta(hours=2)),
        (20, 0, None),
        (21, 1, timedelta(hours=1)),
    ]

"""The owner's working time: which days count, which hours count, and how clocks run over them.

Every instant is handled as an absolute moment (arithmetic in UTC) and only shown in the
owner's zone. Python's aware arithmetic is wall-clock arithmetic when both sides share a
tzinfo (``tokyo_dt + timedelta(hours=24)`` ignores a DST change in between), so nothing
here adds to or subtracts local datetimes directly.

A business day's interval is built from the local wall times ``day_start`` and
``day_end`` converted to instants, so a day on which the clocks change has its true length
(09:00-18:00 on a spring-forward day in New York is still 9 hours, 00:00-12:00 is 11).
Wall times that do not exist (in the spring gap) or exist twice (in the autumn overlap)
are read with ``fold=0``: zoneinfo then uses the offset in force before the change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_pkg

from inboxguard.domain.durations import Allowance

# Upper bound on days scanned for one answer. Ten years of days without a single business
# hour means the calendar is unusable (no workdays, or every day a holiday): fail loudly
# instead of spinning.
MAX_SCAN_DAYS = 3660

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_ONE_DAY = timedelta(days=1)
_ZERO = timedelta(0)


@dataclass(frozen=True, slots=True)
class BusinessCalendar:
    """When the owner works: zone, weekdays (Monday=0), daily hours, a holiday country.

    ``holiday_country`` is a country code known to the ``holidays`` package, or "" for
    none. Hours are ``[day_start, day_end)`` within one local day; an overnight shift is
    not a business calendar this product supports.

    Pure: the same inputs give the same outputs and the wall clock is never read. The only
    state is a private per-year cache of holiday dates, filled on first use of a year.
    """

    tz: ZoneInfo
    workdays: frozenset[int]
    day_start: time
    day_end: time
    holiday_country: str = ""
    _holiday_years: dict[int, frozenset[date]] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    def __post_init__(self) -> None:
        if not self.workdays <= frozenset(range(7)):
            raise ValueError(f"workdays must be 0 (Monday) to 6 (Sunday), got {self.workdays}")
        if self.day_start.tzinfo is not None or self.day_end.tzinfo is not None:
            raise ValueError("day_start and day_end are local wall times: pass naive times")
        if self.day_end <= self.day_start:
            raise ValueError(
                f"business hours end {self.day_end:%H:%M} must be after start "
                f"{self.day_start:%H:%M}"
            )
        if self.holiday_country:
            try:
                # Built without years: cheap, and the only way the package reports a bad code.
                holidays_pkg.country_holidays(self.holiday_country)
            except NotImplementedError:
                raise ValueError(f"unknown holiday country code {self.holiday_country!r}") from None

    @classmethod
    def from_settings(
        cls,
        timezone: str,
        workdays: Sequence[str],
        business_hours: str,
        holidays: str,
    ) -> BusinessCalendar:
        """Build from the config's ``owner.timezone`` and ``[sla]`` values.

        Raises ``ValueError`` whose message names the offending value, for the config
        loader to prefix with the key.
        """
        try:
            tz = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            # OSError: a key naming a tzdata directory ("Asia") opens a directory.
            raise ValueError(f"unknown time zone {timezone!r}") from None
        if isinstance(workdays, str):
            # A bare "mon" is a Sequence[str] too; iterating it would report 'm' as the culprit.
            raise ValueError(f"workdays must be a list of day names, got {workdays!r}")
        days: set[int] = set()
        for name in workdays:
            key = name.strip().lower()
            if key not in WEEKDAYS:
                raise ValueError(
                    f"unknown weekday {name!r} (expected one of {', '.join(WEEKDAYS)})"
                )
            days.add(WEEKDAYS.index(key))
        if not days:
            raise ValueError("workdays is empty: at least one working day is needed")
        day_start, day_end = parse_business_hours(business_hours)
        return cls(
            tz=tz,
            workdays=frozenset(days),
            day_start=day_start,
            day_end=day_end,
            holiday_country=holidays.strip().upper(),
        )

    # -- days ---------------------------------------------------------------------------

    def is_holiday(self, d: date) -> bool:
        """Whether ``d`` is a public holiday in ``holiday_country`` (never, when "")."""
        if not self.holiday_country:
            return False
        year = self._holiday_years.get(d.year)
        if year is None:
            # One lookup per year and calendar: the package computes a whole year at a time.
            year = frozenset(holidays_pkg.country_holidays(self.holiday_country, years=d.year))
            self._holiday_years[d.year] = year
        return d in year

    def is_business_day(self, d: date) -> bool:
        """A workday that is not a holiday."""
        return d.weekday() in self.workdays and not self.is_holiday(d)

    def add_business_days(self, d: date, n: int) -> date:
        """The ``n``-th business day after ``d`` (``d`` itself when ``n`` is 0).

        ``d`` need not be a business day: a promise made on Saturday for "2 business days"
        lands on Tuesday in a Monday-to-Friday week.
        """
        if n < 0:
            raise ValueError(f"n must be zero or more, got {n}")
        day = d
        remaining = n
        for _ in range(MAX_SCAN_DAYS):
            if remaining == 0:
                return day
            day += _ONE_DAY
            if self.is_business_day(day):
                remaining -= 1
        raise self._unusable()

    def end_of_business_day(self, d: date) -> datetime:
        """``day_end`` on ``d`` in the owner's zone: when a promise for ``d`` runs out."""
        return datetime.combine(d, self.day_end, tzinfo=self.tz)

    def allowance_end(self, start: datetime, allowance: Allowance, *, business: bool) -> datetime:
        """When ``allowance`` given at ``start`` runs out: the end of business hours of the
        ``n``-th business day after ``start``'s local day, or ``start`` plus the duration in
        clock time (business or calendar, as the reply clock counts)."""
        if allowance.business_days:
            day = self.add_business_days(self.local(start).date(), allowance.business_days)
            return self.end_of_business_day(day)
        return self.add(start, allowance.duration, business=business)

    # -- instants -----------------------------------------------------------------------

    def local(self, dt: datetime) -> datetime:
        """``dt`` as seen in the owner's zone."""
        return _require_aware(dt, "dt").astimezone(self.tz)

    def add(self, start: datetime, duration: timedelta, *, business: bool) -> datetime:
        """The instant ``duration`` of clock time after ``start``, in the owner's zone.

        Calendar mode counts absolute elapsed time. Business mode counts only time inside
        business intervals: the result is the earliest instant ``t >= start`` with
        ``elapsed(start, t) == duration``. So a start outside hours effectively begins at
        the next opening, a clock that runs out exactly at closing time is due at closing
        (not next morning), and a zero duration is ``start`` itself.
        """
        begin = _require_aware(start, "start").astimezone(UTC)
        if not business:
            return (begin + duration).astimezone(self.tz)
        if duration < _ZERO:
            raise ValueError(f"business duration must not be negative, got {duration}")
        if duration == _ZERO:
            return begin.astimezone(self.tz)
        remaining = duration
        # Start one day early: with an early day_start the previous local day's interval
        # never reaches into this one, but a zone change near midnight could; it is cheap.
        day = begin.astimezone(self.tz).date() - _ONE_DAY
        for _ in range(MAX_SCAN_DAYS):
            if self.is_business_day(day):
                opens, closes = self._interval(day)
                if begin < closes:
                    available = closes - max(begin, opens)
                    if remaining <= available:
                        return (max(begin, opens) + remaining).astimezone(self.tz)
                    remaining -= available
                    begin = closes
            day += _ONE_DAY
        raise self._unusable()

    def elapsed(self, start: datetime, end: datetime, *, business: bool) -> timedelta:
        """Clock time from ``start`` to ``end``; zero when ``end`` is not after ``start``.

        Business mode counts only the parts inside business intervals. The loop is per day
        between the two instants, so its cost is bounded by the span the caller asked about.
        """
        lo = _require_aware(start, "start").astimezone(UTC)
        hi = _require_aware(end, "end").astimezone(UTC)
        if hi <= lo:
            return _ZERO
        if not business:
            return hi - lo
        total = _ZERO
        day = lo.astimezone(self.tz).date() - _ONE_DAY
        last = hi.astimezone(self.tz).date()
        while day <= last:
            if self.is_business_day(day):
                opens, closes = self._interval(day)
                overlap = min(closes, hi) - max(opens, lo)
                if overlap > _ZERO:
                    total += overlap
            day += _ONE_DAY
        return total

    # -- internals ----------------------------------------------------------------------

    def _interval(self, d: date) -> tuple[datetime, datetime]:
        """Business hours of ``d`` as UTC instants; empty (opens == closes) if DST ate them."""
        opens = datetime.combine(d, self.day_start, tzinfo=self.tz).astimezone(UTC)
        closes = datetime.combine(d, self.day_end, tzinfo=self.tz).astimezone(UTC)
        # A day_start inside the spring gap can map past a day_end just after it.
        return opens, max(opens, closes)

    def _unusable(self) -> ValueError:
        return ValueError(
            f"no business time found within {MAX_SCAN_DAYS} days: check workdays "
            f"{sorted(self.workdays)} and holidays {self.holiday_country!r}"
        )


def parse_business_hours(text: str) -> tuple[time, time]:
    """Read ``"09:00-18:00"`` into (start, end); ``ValueError`` naming the text otherwise."""
    start_text, sep, end_text = text.partition("-")
    if not sep:
        raise ValueError(f"business hours {text!r} must look like 09:00-18:00")
    start = _parse_hhmm(start_text, text)
    end = _parse_hhmm(end_text, text)
    if end <= start:
        raise ValueError(f"business hours {text!r}: end must be after start")
    return start, end


def _parse_hhmm(part: str, whole: str) -> time:
    try:
        return parse_time_of_day(part)
    except ValueError:
        raise ValueError(
            f"business hours {whole!r}: {part.strip()!r} is not a time of day HH:MM "
            "(00:00 to 23:59)"
        ) from None


def parse_time_of_day(text: str) -> time:
    """``"18:00"`` / ``"9:05"`` as a wall time; ``ValueError`` naming the text otherwise
    (ASCII digits only: a full-width ``１８:００`` is a typo to report, not to guess)."""
    hours, sep, minutes = text.strip().partition(":")
    valid = (
        sep
        and hours.isascii()
        and hours.isdigit()
        and minutes.isascii()
        and minutes.isdigit()
        and len(hours) in (1, 2)
        and len(minutes) == 2
        and int(hours) < 24
        and int(minutes) < 60
    )
    if not valid:
        raise ValueError(f"{text.strip()!r} is not a time of day HH:MM (00:00 to 23:59)")
    return time(int(hours), int(minutes))


def _require_aware(dt: datetime, name: str) -> datetime:
    # A naive datetime has no instant: guessing its zone would silently shift every clock.
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {dt.isoformat()}")
    return dt

"""Commitment dates in my own messages (SPEC §6): "11月25日(火)までに回答いたします".

When in doubt there is no promise: a false promise hides a thread that needs an answer,
which is worse than a promise missed. So a date only counts when it is a *deadline*
("までに", "中に", "by …"), when the weekday written beside it agrees with the calendar,
and when it does not lie in the past.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from inboxguard.domain.calendar import BusinessCalendar
from inboxguard.domain.normalise import normalise_for_matching
from inboxguard.domain.tracked import Promise

_JA_WEEKDAYS = "月火水木金土日"
_EN_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_EN_MONTHS = (
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
)  # fmt: skip

# After normalise_for_matching: NFKC (full-width digits and brackets become ASCII), casefold.
_JA_ABSOLUTE = re.compile(
    r"(?:(?P<year>\d{4})年)?(?P<month>\d{1,2})月(?P<day>\d{1,2})日"
    r"\s*(?:\((?P<wd>[月火水木金土日])\))?"
    r"\s*(?:(?P<hour>\d{1,2})時(?:(?P<minute>\d{1,2})分)?)?"
    r"\s*(?:まで(?:に|には)|中に)"
)
_JA_DAY_WEEKDAY = re.compile(
    r"(?<![\d月])(?P<day>\d{1,2})日\s*\((?P<wd>[月火水木金土日])\)\s*(?:まで(?:に|には)|中に)"
)
_JA_RELATIVE = re.compile(r"(?P<word>本日中|今日中|明日中|明後日中|今週中)に?")
_EN_MONTH_DAY = re.compile(
    r"\bby\s+(?:(?P<wd>monday|tuesday|wednesday|thursday|friday|saturday|sunday),?\s+)?"
    r"(?P<month>jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+"
    r"(?P<day>\d{1,2})(?:st|nd|rd|th)?\b"
)
_EN_WEEKDAY = re.compile(
    r"\bby\s+(?:this\s+)?(?P<wd>monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b"
    r"(?!,?\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec))"
)
_EN_RELATIVE = re.compile(
    r"\bby\s+(?P<word>tomorrow|end of (?:the )?day|eod|end of (?:the )?week)\b"
)


@dataclass(frozen=True, slots=True)
class _Found:
    phrase: str
    day: date
    at: time | None


def find_promises(text: str, sent_at: datetime, calendar: BusinessCalendar) -> list[Promise]:
    """Every commitment in ``text`` resolved against ``sent_at`` in the owner's calendar."""
    if not text:
        return []
    normalised = normalise_for_matching(text)
    sent_day = calendar.local(sent_at).date()
    found: list[_Found] = []
    found.extend(_ja_absolute(normalised, sent_day))
    found.extend(_ja_day_weekday(normalised, sent_day))
    found.extend(_ja_relative(normalised, sent_day, calendar))
    found.extend(_en_month_day(normalised, sent_day))
    found.extend(_en_weekday(normalised, sent_day))
    found.extend(_en_relative(normalised, sent_day, calendar))
    promises = []
    for item in found:
        due = (
            datetime.combine(item.day, item.at, tzinfo=calendar.tz)
            if item.at is not None
            else calendar.end_of_business_day(item.day)
        )
        if due > sent_at:
            promises.append(Promise(phrase=item.phrase, date=item.day, due_at=due))
    return sorted(promises, key=lambda p: (p.due_at, p.phrase))


def earliest_promise(text: str, sent_at: datetime, calendar: BusinessCalendar) -> Promise | None:
    promises = find_promises(text, sent_at, calendar)
    return promises[0] if promises else None


def _resolve_year(month: int, day: int, sent_day: date) -> date | None:
    """The month/day on or after the day the message was sent (a year-end wrap included)."""
    for year in (sent_day.year, sent_day.year + 1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            return None
        if candidate >= sent_day:
            # "1月10日までに" written in December means next January; anything further
            # than ~a year ahead is not a reply promise.
            return candidate if (candidate - sent_day).days <= 200 else None
    return None


def _weekday_agrees(day: date, weekday: str | None, names: Sequence[str]) -> bool:
    if weekday is None:
        return True
    return names.index(weekday) == day.weekday()


def _time(hour: str | None, minute: str | None) -> time | None:
    if hour is None:
        return None
    h, m = int(hour), int(minute or 0)
    if not (0 <= h <= 23 and 0 <= m <= 59):
        return None
    return time(h, m)


def _ja_absolute(text: str, sent_day: date) -> list[_Found]:
    out = []
    for match in _JA_ABSOLUTE.finditer(text):
        month, day = int(match["month"]), int(match["day"])
        if match["year"]:
            try:
                resolved: date | None = date(int(match["year"]), month, day)
            except ValueError:
                resolved = None
        else:
            resolved = _resolve_year(month, day, sent_day)
        if resolved is None or not _weekday_agrees(resolved, match["wd"], _JA_WEEKDAYS):
            continue
        out.append(_Found(match.group(0), resolved, _time(match["hour"], match["minute"])))
    return out


def _ja_day_weekday(text: str, sent_day: date) -> list[_Found]:
    out = []
    for match in _JA_DAY_WEEKDAY.finditer(text):
        day_number = int(match["day"])
        # The next date with that day-of-month whose weekday matches, within two months.
        for offset in range(62):
            candidate = sent_day + timedelta(days=offset)
            if candidate.day == day_number:
                if _weekday_agrees(candidate, match["wd"], _JA_WEEKDAYS):
                    out.append(_Found(match.group(0), candidate, None))
                break
    return out


def _ja_relative(text: str, sent_day: date, calendar: BusinessCalendar) -> list[_Found]:
    out = []
    for match in _JA_RELATIVE.finditer(text):
        word = match["word"]
        if word in ("本日中", "今日中"):
            day = sent_day
        elif word == "明日中":
            day = sent_day + timedelta(days=1)
        elif word == "明後日中":
            day = sent_day + timedelta(days=2)
        else:  # 今週中: the last business day of this week
            day = _last_business_day_of_week(sent_day, calendar)
        out.append(_Found(match.group(0), day, None))
    return out


def _en_month_day(text: str, sent_day: date) -> list[_Found]:
    out = []
    for match in _EN_MONTH_DAY.finditer(text):
        month = next(
            i for i, name in enumerate(_EN_MONTHS, 1) if name.startswith(match["month"][:3])
        )
        resolved = _resolve_year(month, int(match["day"]), sent_day)
        if resolved is None or not _weekday_agrees(resolved, match["wd"], _EN_WEEKDAYS):
            continue
        out.append(_Found(match.group(0), resolved, None))
    return out


def _en_weekday(text: str, sent_day: date) -> list[_Found]:
    out = []
    for match in _EN_WEEKDAY.finditer(text):
        target = _EN_WEEKDAYS.index(match["wd"])
        offset = (target - sent_day.weekday()) % 7
        out.append(_Found(match.group(0), sent_day + timedelta(days=offset), None))
    return out


def _en_relative(text: str, sent_day: date, calendar: BusinessCalendar) -> list[_Found]:
    out = []
    for match in _EN_RELATIVE.finditer(text):
        word = match["word"]
        if word == "tomorrow":
            day = sent_day + timedelta(days=1)
        elif word.endswith("week"):
            day = _last_business_day_of_week(sent_day, calendar)
        else:
            day = sent_day
        out.append(_Found(match.group(0), day, None))
    return out


def _last_business_day_of_week(day: date, calendar: BusinessCalendar) -> date:
    sunday = day + timedelta(days=6 - day.weekday())
    candidate = sunday
    while candidate > day and not calendar.is_business_day(candidate):
        candidate -= timedelta(days=1)
    return candidate

"""Commitment dates in my own messages (SPEC §6): "11月25日(火)までに回答いたします".

When in doubt there is no promise: a false promise hides a thread that needs an answer,
which is worse than a promise missed. Everything is resolved against the day the message
was sent in the owner's zone (``calendar.local(sent_at)``) and the owner's business calendar.

What counts:

- Only a *deadline*: ja ``まで`` / ``までに`` / ``までには`` / ``中(に)``; en ``by …`` or
  ``no later than …``. A bare date (「25日に打ち合わせ」, 「11月25日に納品しました」) is
  not a promise, nor is ``まで`` that reads as "until" (「11月25日まで不在です」,
  「11月25日までの見積」).
- ja dates: ``11月25日``, ``2026年11月25日``, ``11/25``, ``2026/11/25``, ``25日`` (the next
  25th on or after sending, within two months); an optional weekday ``(火)`` must agree.
  Relative: ``本日中`` / ``今日中`` (that day), ``明日中`` / ``明日まで``, ``明後日``
  (+2 days), ``今週中`` / ``今週末まで`` (last business day of this week), ``来週中`` (last
  business day of next week), ``週明け`` (first business day of next week), ``来週月曜``
  (that weekday of next week), ``月末`` / ``今月末`` / ``今月中`` (last business day of
  this month).
- en dates: ``tomorrow``, ``today``, ``(this) Friday`` (the next Friday, today included),
  ``end of (the) day`` / ``EOD`` / ``COB``, ``end of (the) week`` / ``EOW``, ``end of
  (the) month`` / ``EOM``, ``Nov 25``, ``November 25th``, ``25 November``, ``Wednesday,
  November 25`` (weekday must agree), ``the 25th`` (the next 25th), ``11/25`` (US order).
- Month/day without a year is the next such date on or after sending, at most 200 days
  ahead (「1月10日までに」 written in December is next January).
- Time of day: 「15時までに」, 「15:00までに」, 「午後3時までに」, 「15時半までに」; en
  ``3pm``, ``3 pm``, ``15:00``, ``noon``, before or after a date (``by 3 pm tomorrow``,
  ``by Friday 5pm``). A time alone means today. An hour from 0 to 6 without 午前/午後 or
  am/pm is ambiguous (「3時」 is usually 15:00, but maybe not) and gives no promise.
- Due: the time of day given, in the owner's zone; without one, the end of business hours of
  that day (``calendar.end_of_business_day``), even when the named day is not a business
  day — the owner promised that day. A promise already due when the message was sent (a
  past date, 「15時までに」 written at 16:00, 「本日中に」 written after hours) is none.

No promise either, because the day meant is vague or one we do not resolve: 「来週まで」,
「今月まで」, 「中旬」「中頃」, 「来月末」「来月25日」「来年11月25日」「再来週」「明明後日」, a
weekday alone in Japanese (「金曜までに」, 「金曜の15時までに」: this week's or next?), a
recurring day (「毎月25日までに」), "by next week", "next Friday", "by Friday next week",
"by the 25th of next month", a possessive ("by Friday's courier", "by tomorrow's meeting":
a thing, not a deadline), European order ("by 25/11"), a year alone ("by 2025").
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
_EN_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_EN_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MAX_AHEAD_DAYS = 200
_DAY_OF_MONTH_SCAN_DAYS = 62

# All patterns run on normalise_for_matching output: NFKC (full-width digits, brackets and
# colons become ASCII), casefolded, whitespace collapsed.
_JA = re.compile(
    r"(?:"
    # 「来年11月25日」「来月25日」「再来週」「明明後日」「来月末」 name other days: no match.
    r"(?<![\d年])(?:(?P<year>\d{4})年)?(?P<month>\d{1,2})月(?P<day>\d{1,2})日"
    r"|(?<![\d/])(?:(?P<s_year>\d{4})/)?(?P<s_month>\d{1,2})/(?P<s_day>\d{1,2})(?![\d/])"
    r"|(?<![\d月/年])(?P<dom>\d{1,2})日"
    r"|(?<!再)(?P<next_wd>来週の?[月火水木金土日])曜日?"
    r"|(?<![再来先前翌明])(?P<rel>本日|今日|明後日|明日|今週末|今週|来週|週明け|今月末|今月|月末)"
    r")?"
    r"(?:\s*\((?P<wd>[月火水木金土日])(?:曜日?)?\))?"
    r"(?:\s*の?\s*(?P<ampm>午前|午後)?\s*(?<![\d:])(?P<hour>\d{1,2})"
    r"(?:時(?:(?P<minute>\d{1,2})分|(?P<half>半))?|:(?P<colon_minute>\d{2})))?"
    r"\s*(?:(?P<until>まで(?:に(?:は)?)?)|(?P<within>中(?:に(?:は)?)?))"
    # Bare まで that reads as "until" or "up to" (「25日まで不在」, 「25日までの見積」), and 中
    # that is 中旬/中頃 (mid-month/mid-week) or "during" (「本日中は不在」).
    r"(?:(?<!まで)|(?!\s*(?:の|が|と|で|は|も|だ|不在|休|お休み|出張|外出|留守|有効|延長|延期)))"
    r"(?:(?<!中)|(?!\s*(?:旬|頃|ごろ|止|断|国|は|の)))"
)

_EN_WEEKDAY = (
    r"(?:mon(?:day)?|tue(?:s(?:day)?)?|wed(?:nesday)?|thu(?:r(?:s(?:day)?)?)?|fri(?:day)?"
    r"|sat(?:urday)?|sun(?:day)?)\b\.?"
)
_EN_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b\.?"
)
_EN_DAY = (
    r"(?:today|tomorrow|eod|eow|eom|cob|close of business"
    r"|(?:the )?end of (?:the )?(?:business )?(?:day|week|month)"
    r"|(?:the )?end of (?:today|this week|this month)"
    rf"|(?:(?:this )?{_EN_WEEKDAY},? )?{_EN_MONTH} \d{{1,2}}(?:st|nd|rd|th)?(?:,? \d{{4}})?"
    rf"|(?:(?:this )?{_EN_WEEKDAY},? )?(?:the )?\d{{1,2}}(?:st|nd|rd|th)? (?:of )?{_EN_MONTH}"
    r"(?:,? \d{4})?"
    r"|the \d{1,2}(?:st|nd|rd|th)"
    r"|\d{1,2}/\d{1,2}(?:/\d{4})?(?![\d/])"
    rf"|(?:this )?{_EN_WEEKDAY})"
)
_EN_TIME = r"(?:\d{1,2}(?::\d{2})? ?(?:a\.?m\b\.?|p\.?m\b\.?)|\d{1,2}:\d{2}\b|noon|midday)"
_EN = re.compile(
    r"\b(?:by|no later than) "
    rf"(?:(?P<time_first>{_EN_TIME})(?: (?:on )?(?P<day_after>{_EN_DAY}))?"
    rf"|(?P<day>{_EN_DAY})(?:,? (?:at )?(?P<time_after>{_EN_TIME}))?)"
    r"(?![\w'’]|/\d)"
)
# "by Friday next week", "by the 25th of next month", "by 3pm next Monday": another day.
_EN_FOLLOWED_BY_OTHER_DAY = re.compile(
    rf"\s*,?\s*(?:next|after|of|on|this|the|tomorrow|today|\d|{_EN_WEEKDAY}|{_EN_MONTH})"
)
# 「金曜の15時までに」, 「来月3日 15時までに」: a time whose day we did not recognise.
_JA_UNRECOGNISED_DAY_BEFORE = re.compile(r"(?:の|曜|日|\)|[月火水木金土]|週|末|明け)\s*$")
_EN_TIME_PARTS = re.compile(r"(?P<hour>\d{1,2})(?::(?P<minute>\d{2}))? ?(?P<ampm>[ap])?")
_EN_MONTH_DAY = re.compile(
    rf"(?:(?P<wd>[a-z]+)\.?,? )?(?:(?P<month>{_EN_MONTH}) (?P<day>\d{{1,2}})"
    rf"|(?:the )?(?P<day2>\d{{1,2}})(?:st|nd|rd|th)? (?:of )?(?P<month2>{_EN_MONTH}))"
    r"(?:st|nd|rd|th)?(?:,? (?P<year>\d{4}))?$"
)
_EN_SLASH = re.compile(r"(?P<month>\d{1,2})/(?P<day>\d{1,2})(?:/(?P<year>\d{4}))?$")


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
    found = [*_ja(normalised, sent_day, calendar), *_en(normalised, sent_day, calendar)]
    promises: dict[tuple[date, datetime], Promise] = {}
    for item in found:
        due = (
            datetime.combine(item.day, item.at, tzinfo=calendar.tz)
            if item.at is not None
            else calendar.end_of_business_day(item.day)
        )
        if due > sent_at:
            promises.setdefault((item.day, due), Promise(item.phrase, item.day, due))
    return sorted(promises.values(), key=lambda p: (p.due_at, p.phrase))


def earliest_promise(text: str, sent_at: datetime, calendar: BusinessCalendar) -> Promise | None:
    promises = find_promises(text, sent_at, calendar)
    return promises[0] if promises else None


# -- Japanese ---------------------------------------------------------------------------


def _ja(text: str, sent_day: date, calendar: BusinessCalendar) -> list[_Found]:
    out = []
    for match in _JA.finditer(text):
        has_time = match["hour"] is not None
        if has_time and match["within"]:
            continue  # 「15時中」 is not Japanese
        at = _ja_time(match) if has_time else None
        if has_time and at is None:
            continue
        day = _ja_day(match, sent_day, calendar)
        if _time_alone(match) and _JA_UNRECOGNISED_DAY_BEFORE.search(text[: match.start()]):
            continue
        if day is None or not _weekday_agrees(day, match["wd"], _JA_WEEKDAYS):
            continue
        out.append(_Found(match.group(0), day, at))
    return out


def _ja_day(match: re.Match[str], sent_day: date, calendar: BusinessCalendar) -> date | None:
    if match["month"]:
        return _month_day(match["year"], match["month"], match["day"], sent_day)
    if match["s_month"]:
        return _month_day(match["s_year"], match["s_month"], match["s_day"], sent_day)
    if match["dom"]:
        return _next_day_of_month(int(match["dom"]), sent_day)
    if match["next_wd"]:
        if match["within"]:
            return None  # 「来週月曜中」 is not how anyone writes
        monday = sent_day - timedelta(days=sent_day.weekday()) + timedelta(days=7)
        return monday + timedelta(days=_JA_WEEKDAYS.index(match["next_wd"][-1]))
    if match["rel"]:
        return _ja_relative(match["rel"], bool(match["within"]), sent_day, calendar)
    # A time of day alone: today. No time and no date: only a particle, nothing named.
    return sent_day if match["hour"] is not None else None


def _time_alone(match: re.Match[str]) -> bool:
    named = ("month", "s_month", "dom", "next_wd", "rel")
    return match["hour"] is not None and all(match[group] is None for group in named)


def _ja_relative(
    word: str, within: bool, sent_day: date, calendar: BusinessCalendar
) -> date | None:
    if word in ("本日", "今日"):
        return sent_day
    if word == "明日":
        return sent_day + timedelta(days=1)
    if word == "明後日":
        return sent_day + timedelta(days=2)
    if word in ("今週", "今週末"):
        return _last_business_day_of_week(sent_day, calendar)
    if word == "来週":
        # 「来週中に」 is the end of next week; 「来週まで」 could mean its start: doubt.
        if not within:
            return None
        return _last_business_day_of_week(sent_day + timedelta(days=7), calendar)
    if word == "週明け":
        monday = sent_day - timedelta(days=sent_day.weekday()) + timedelta(days=7)
        return _first_business_day_from(monday, calendar)
    if word == "今月" and not within:
        return None  # 「今月まで」: which end of the month is meant is not clear
    return _last_business_day_of_month(sent_day, calendar)  # 月末, 今月末, 今月中


def _ja_time(match: re.Match[str]) -> time | None:
    hour = int(match["hour"])
    minute = int(match["minute"] or match["colon_minute"] or (30 if match["half"] else 0))
    ampm = match["ampm"]
    if ampm == "午後":
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + 12
    elif ampm == "午前":
        if not 1 <= hour <= 11:
            return None
    elif hour < 7:
        return None  # 「3時」 is probably 15:00, but not surely
    return _time(hour, minute)


# -- English ----------------------------------------------------------------------------


def _en(text: str, sent_day: date, calendar: BusinessCalendar) -> list[_Found]:
    out = []
    for match in _EN.finditer(text):
        time_text = match["time_first"] or match["time_after"]
        at = _en_time(time_text) if time_text else None
        if time_text and at is None:
            continue
        day_text = match["day"] or match["day_after"]
        if _EN_FOLLOWED_BY_OTHER_DAY.match(text, match.end()):
            continue
        day = _en_day(day_text, sent_day, calendar) if day_text else sent_day
        if day is None:
            continue
        out.append(_Found(match.group(0), day, at))
    return out


def _en_day(text: str, sent_day: date, calendar: BusinessCalendar) -> date | None:
    text = text.removeprefix("this ")
    if text.startswith("the end of "):
        text = text.removeprefix("the ")
    end_of = text.startswith("end of ")
    if text in ("today", "eod", "cob", "close of business") or (end_of and text.endswith("day")):
        return sent_day
    if text == "tomorrow":
        return sent_day + timedelta(days=1)
    if text == "eow" or (end_of and text.endswith("week")):
        return _last_business_day_of_week(sent_day, calendar)
    if text == "eom" or (end_of and text.endswith("month")):
        return _last_business_day_of_month(sent_day, calendar)
    if text.startswith("the ") and text[-2:] in ("st", "nd", "rd", "th"):
        return _next_day_of_month(int(text[4:-2]), sent_day)
    if slash := _EN_SLASH.match(text):
        return _month_day(slash["year"], slash["month"], slash["day"], sent_day)
    if month_day := _EN_MONTH_DAY.match(text):
        month = _EN_MONTHS.index((month_day["month"] or month_day["month2"])[:3]) + 1
        day_number = month_day["day"] or month_day["day2"]
        resolved = _month_day(month_day["year"], str(month), day_number, sent_day)
        weekday = month_day["wd"]
        if resolved is None or (
            weekday is not None and _EN_WEEKDAYS.index(weekday[:3]) != resolved.weekday()
        ):
            return None
        return resolved
    return _en_weekday(text, sent_day)


def _en_weekday(text: str, sent_day: date) -> date | None:
    prefix = text.rstrip(".")[:3]
    if prefix not in _EN_WEEKDAYS:
        return None
    return sent_day + timedelta(days=(_EN_WEEKDAYS.index(prefix) - sent_day.weekday()) % 7)


def _en_time(text: str) -> time | None:
    if text in ("noon", "midday"):
        return time(12, 0)
    parts = _EN_TIME_PARTS.match(text)
    if parts is None:
        return None
    hour, minute = int(parts["hour"]), int(parts["minute"] or 0)
    if parts["ampm"]:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if parts["ampm"] == "p" else 0)
    elif hour < 7:
        return None  # "by 3:00" is probably 15:00, but not surely
    return _time(hour, minute)


# -- shared -----------------------------------------------------------------------------


def _month_day(year: str | None, month: str, day: str, sent_day: date) -> date | None:
    """An explicit date, or the month/day on or after the day the message was sent."""
    if year is not None:
        try:
            return date(int(year), int(month), int(day))
        except ValueError:
            return None
    for candidate_year in (sent_day.year, sent_day.year + 1):
        try:
            candidate = date(candidate_year, int(month), int(day))
        except ValueError:
            return None
        if candidate >= sent_day:
            # Anything further than ~half a year ahead is not a reply promise.
            return candidate if (candidate - sent_day).days <= _MAX_AHEAD_DAYS else None
    return None


def _next_day_of_month(day_number: int, sent_day: date) -> date | None:
    """The next date numbered ``day_number`` on or after ``sent_day`` (「25日」, "the 25th")."""
    for offset in range(_DAY_OF_MONTH_SCAN_DAYS):
        candidate = sent_day + timedelta(days=offset)
        if candidate.day == day_number:
            return candidate
    return None


def _weekday_agrees(day: date, weekday: str | None, names: Sequence[str]) -> bool:
    if weekday is None:
        return True
    return names.index(weekday) == day.weekday()


def _time(hour: int, minute: int) -> time | None:
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return time(hour, minute)


def _last_business_day_of_week(day: date, calendar: BusinessCalendar) -> date:
    """The last business day of ``day``'s week, not before ``day`` itself."""
    candidate = day + timedelta(days=6 - day.weekday())
    while candidate > day and not calendar.is_business_day(candidate):
        candidate -= timedelta(days=1)
    return candidate


def _last_business_day_of_month(day: date, calendar: BusinessCalendar) -> date:
    """The last business day of ``day``'s month, not before ``day`` itself."""
    next_month = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    candidate = next_month - timedelta(days=1)
    while candidate > day and not calendar.is_business_day(candidate):
        candidate -= timedelta(days=1)
    return candidate


def _first_business_day_from(day: date, calendar: BusinessCalendar) -> date:
    candidate = day
    for _ in range(14):
        if calendar.is_business_day(candidate):
            return candidate
        candidate += timedelta(days=1)
    return day

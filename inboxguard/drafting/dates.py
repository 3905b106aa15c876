"""Dates worded the way people write them in mail: ``11月25日(火)``, ``Tuesday, November 25``.

Names come from fixed tables, never from ``strftime`` (%A, %B, %a, %b follow the process
locale, so a daemon started under ``LANG=ja_JP.UTF-8`` would write "火曜日" into an English
draft). Numbers are not zero-padded in dates because nobody writes "11月05日" in a letter.
"""

from __future__ import annotations

from datetime import date, datetime

_JA_WEEKDAYS = ("月", "火", "水", "木", "金", "土", "日")
_EN_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_EN_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

LANGUAGES = ("ja", "en")


def format_promise_date(d: date, language: str) -> str:
    """The promised date in a holding reply: ``11月25日(水)`` / ``Wednesday, November 25``."""
    _check_language(language)
    if language == "ja":
        return f"{d.month}月{d.day}日({_JA_WEEKDAYS[d.weekday()]})"
    return f"{_EN_WEEKDAYS[d.weekday()]}, {_EN_MONTHS[d.month - 1]} {d.day}"


def format_due(dt: datetime, language: str) -> str:
    """A deadline in status and the digest: ``11月25日(水) 14:00`` / ``Wed, Nov 25 14:00``.

    Shows ``dt``'s own wall time: convert to the owner's zone first
    (``BusinessCalendar.local``). A naive ``dt`` is refused, since its wall time could be
    any zone's.
    """
    _check_language(language)
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"dt must be timezone-aware, got naive {dt.isoformat()}")
    clock = f"{dt.hour:02d}:{dt.minute:02d}"
    if language == "ja":
        return f"{format_promise_date(dt.date(), 'ja')} {clock}"
    weekday = _EN_WEEKDAYS[dt.weekday()][:3]
    month = _EN_MONTHS[dt.month - 1][:3]
    return f"{weekday}, {month} {dt.day} {clock}"


def _check_language(language: str) -> None:
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r} (expected one of {', '.join(LANGUAGES)})")

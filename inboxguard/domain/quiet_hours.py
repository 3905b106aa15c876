"""Quiet hours: a daily window of the owner's local time in which normal alerts wait.

``"22:00-07:00"`` wraps midnight: 22:00 up to (not including) 07:00 the next morning.
Pure: the caller gives the local wall time (``BusinessCalendar.local``), nothing here reads
a clock or a zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time


@dataclass(frozen=True, slots=True)
class QuietHours:
    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> QuietHours:
        """``"HH:MM-HH:MM"``; ValueError with a sentence for anything else."""
        first, sep, second = text.strip().partition("-")
        if not sep:
            raise ValueError(f"{text!r} is not a window like '22:00-07:00'")
        start, end = _clock(first, text), _clock(second, text)
        if start == end:
            raise ValueError(f"{text!r} starts and ends at the same time: an empty window")
        return cls(start, end)

    def contains(self, local: time) -> bool:
        """Whether the local wall time ``local`` falls in the window."""
        moment = local.replace(tzinfo=None, second=0, microsecond=0)
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end  # wraps midnight

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


def _clock(part: str, whole: str) -> time:
    hours, sep, minutes = part.strip().partition(":")
    if not (sep and hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
        raise ValueError(f"{whole!r} is not a window like '22:00-07:00'")
    if not (0 <= int(hours) <= 23 and 0 <= int(minutes) <= 59):
        raise ValueError(f"{whole!r} is not a window like '22:00-07:00'")
    return time(int(hours), int(minutes))

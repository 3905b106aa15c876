"""Durations as the owner writes them in the config: ``24h``, ``90m``, ``1d12h``, ``1w``.

One unit letter per component, largest first, each at most once, so a value has exactly
one reading (``1h1h`` or ``30m2h`` is a typo to report, not a sum to guess at). A bare
number is refused: "24" could mean hours or days, and guessing wrong breaks a promise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

_UNIT_SECONDS = {"w": 7 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1}

# re.ASCII: \d would otherwise accept any Unicode digit (全角 "２４", Devanagari, ...).
_DURATION = re.compile(
    r"(?:(?P<w>\d+)w)?(?:(?P<d>\d+)d)?(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m)?(?:(?P<s>\d+)s)?",
    re.ASCII,
)

_EXPECTED = "expected a number with a unit, largest unit first, e.g. 24h, 90m, 2h30m, 1d12h, 1w"


def parse_duration(text: str) -> timedelta:
    """Read a duration such as ``"2h30m"``; raise ``ValueError`` naming the text otherwise.

    Whitespace anywhere is ignored and case does not matter (``"2H 30M"``). Zero
    (``"0h"``) is allowed: ``warn_before = "0h"`` is a meaningful "never warn early".
    """
    compact = "".join(text.split()).lower()
    match = _DURATION.fullmatch(compact)
    # fullmatch succeeds on "" because every group is optional: an empty reading is an error.
    if match is None or not compact:
        raise ValueError(f"invalid duration {text!r}: {_EXPECTED}")
    seconds = sum(
        int(amount) * _UNIT_SECONDS[unit]
        for unit, amount in match.groupdict().items()
        if amount is not None
    )
    try:
        return timedelta(seconds=seconds)
    except OverflowError:
        raise ValueError(f"invalid duration {text!r}: too large") from None


def format_duration(td: timedelta) -> str:
    """Compact wording for logs and the digest: ``1d2h``, ``45m``, ``-3h``, ``0s``.

    The inverse of ``parse_duration`` for whole seconds (weeks are written as days,
    which reads better in "overdue by 9d"). Sub-second parts are dropped toward zero.
    """
    # Integer arithmetic on abs(td): total_seconds() is a float and loses whole seconds
    # on very long durations; abs() first makes the microsecond drop truncate toward zero.
    magnitude = abs(td)
    remaining = magnitude.days * 86400 + magnitude.seconds
    sign = "-" if td < timedelta(0) and remaining else ""
    parts: list[str] = []
    for unit in ("d", "h", "m", "s"):
        amount, remaining = divmod(remaining, _UNIT_SECONDS[unit])
        if amount:
            parts.append(f"{amount}{unit}")
    return sign + ("".join(parts) or "0s")


_BUSINESS_DAYS = re.compile(r"(?P<n>\d+)\s*business\s*days?", re.ASCII)


@dataclass(frozen=True, slots=True)
class Allowance:
    """How long the other side is given: ``"3 business days"`` (to the end of that
    business day) or a clock duration (``"72h"``). Used for the follow-up of a question
    without a date and the reply date written into meeting minutes."""

    business_days: int = 0
    duration: timedelta = timedelta(0)

    def __post_init__(self) -> None:
        if (self.business_days > 0) == (self.duration > timedelta(0)):
            raise ValueError("an allowance is either business days or a duration, positive")

    def __str__(self) -> str:
        if self.business_days:
            return f"{self.business_days} business days"
        return format_duration(self.duration)


def parse_allowance(text: str) -> Allowance | None:
    """``"3 business days"`` / ``"72h"`` / ``"off"`` (None); ``ValueError`` otherwise."""
    compact = " ".join(text.split()).lower()
    if compact == "off":
        return None
    if match := _BUSINESS_DAYS.fullmatch(compact):
        days = int(match["n"])
        if not 1 <= days <= 60:
            raise ValueError(f"invalid span {text!r}: 1 to 60 business days")
        return Allowance(business_days=days)
    try:
        duration = parse_duration(compact)
    except ValueError:
        raise ValueError(
            f"invalid span {text!r}: expected e.g. '3 business days', '72h' or 'off'"
        ) from None
    if duration <= timedelta(0):
        raise ValueError(f"invalid span {text!r}: must be positive")
    return Allowance(duration=duration)

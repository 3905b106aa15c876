"""The owner's corrections of incident detection, as a per-owner re-weighing (SPEC §7).

When the owner runs ``mark THREAD dismiss`` on an incident the rules opened, or ``mark
THREAD incident`` on a thread they did not open, the mark records the signals that had
fired in the thread (``Mark.signals``, encoded ``"name:evidence=weight"``). Those exact
signals, the words that decided, are then weighed differently for this owner: each
dismissal multiplies an alarm signal's weight by ``DISMISS_FACTOR`` (and strengthens a
counter-signal by its inverse), each incident mark the other way, within ``[FLOOR, CEILING]``
so that no correction silences a signal or lets one run away. The shipped rules stay as
they are; the adjustment lives with the marks in the store and is replayed like them.

Pure: marks in, a table out; ``rescore`` applies it to a stored score.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from inboxguard.domain.incidents import decode_signal
from inboxguard.domain.marks import Mark, MarkAction

DISMISS_FACTOR = 0.7
INCIDENT_FACTOR = 1 / DISMISS_FACTOR
FLOOR = 0.3
CEILING = 2.0


@dataclass(frozen=True, slots=True)
class Adjustment:
    """One signal's factor for this owner and the marks that made it."""

    key: str  # "failure:届く"
    factor: float
    dismissed: int
    marked: int


@dataclass(frozen=True, slots=True)
class Rescored:
    score: float
    applied: tuple[Adjustment, ...]  # the adjustments that changed this score


@dataclass(frozen=True, slots=True)
class Adjustments:
    """Signal key → adjustment. Empty: the shipped (or the owner's) rules as they are."""

    by_key: Mapping[str, Adjustment] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.by_key)

    def rescore(self, score: float, keywords: Iterable[str]) -> Rescored:
        """``score`` (the stored sum of ``keywords``' weights) with this owner's factors.
        Keywords stored before signals had weights (a bare "障害") are left as they are."""
        if not self.by_key:
            return Rescored(score, ())
        applied = []
        for encoded in keywords:
            decoded = decode_signal(encoded)
            if decoded is None:
                continue
            key, weight = decoded
            adjustment = self.by_key.get(key)
            if adjustment is None:
                continue
            factor = adjustment.factor if weight > 0 else 1 / adjustment.factor
            score += weight * (factor - 1)
            applied.append(adjustment)
        return Rescored(round(score, 6), tuple(applied))


NO_ADJUSTMENTS = Adjustments()


def owner_adjustments(marks: Iterable[Mark]) -> Adjustments:
    """The per-owner adjustment the ``dismiss`` and ``incident`` marks call for."""
    dismissed: dict[str, int] = {}
    marked: dict[str, int] = {}
    for mark in marks:
        if mark.action is MarkAction.DISMISS:
            counts = dismissed
        elif mark.action is MarkAction.INCIDENT:
            counts = marked
        else:
            continue
        # A signal counts once per mark, however many messages of the thread it fired in.
        for key in {d[0] for d in map(decode_signal, mark.signals) if d is not None}:
            counts[key] = counts.get(key, 0) + 1
    table = {}
    for key in dismissed.keys() | marked.keys():
        down, up = dismissed.get(key, 0), marked.get(key, 0)
        factor = min(CEILING, max(FLOOR, DISMISS_FACTOR**down * INCIDENT_FACTOR**up))
        table[key] = Adjustment(key=key, factor=round(factor, 6), dismissed=down, marked=up)
    return Adjustments(dict(sorted(table.items())))

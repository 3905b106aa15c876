"""How values without a column type of their own are written into text columns.

One place for every encoding, because the stored text is a contract with every store
already written: an encoding that changed here would make old rows read differently.
Each ``decode_*`` takes what its ``encode_*`` (or an older version of it) wrote.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, datetime

from inboxguard.domain.alert_events import AlertFacts
from inboxguard.domain.message import Address
from inboxguard.domain.tracked import CalendarMethod, Invitation, Occurrence

# The form every empty list takes: checked before parsing, as most header lists are empty.
EMPTY_LIST = "[]"


def clean(text: str) -> str:
    """Header text as stored: NUL becomes U+FFFD. PostgreSQL's text cannot hold NUL, and a
    hostile header must neither make its message impossible to store nor be stored one way
    in a column and another in a JSON list (a Message-ID and the In-Reply-To naming it
    must still match): every header value written goes through here, on every database."""
    return text.replace("\x00", "\ufffd") if "\x00" in text else text


def encode_addresses(addresses: Iterable[Address]) -> str:
    return json.dumps([[clean(a.name), clean(a.address)] for a in addresses], ensure_ascii=False)


def decode_address_pairs(raw: str) -> list[tuple[str, str]]:
    """The (name, address) pairs; building Address objects is left to the caller, which
    shares them across rows."""
    return [(name, address) for name, address in json.loads(raw)]


def encode_ids(ids: Iterable[str]) -> str:
    """Message-IDs of In-Reply-To / References, in header order."""
    return json.dumps([clean(i) for i in ids])


def decode_ids(raw: str) -> tuple[str, ...]:
    return () if raw == EMPTY_LIST else tuple(json.loads(raw))


def encode_keywords(keywords: Iterable[str]) -> str:
    """Sorted, so equal sets encode equally and a changed set is a changed string."""
    return json.dumps(sorted(clean(k) for k in keywords))


def decode_keywords(raw: str) -> frozenset[str]:
    return frozenset(json.loads(raw))


def encode_incident_keywords(keywords: Iterable[str]) -> str:
    """The matched incident keywords, in the order the rules matched them."""
    return json.dumps([clean(k) for k in keywords], ensure_ascii=False)


def decode_incident_keywords(raw: str | None) -> tuple[str, ...]:
    return tuple(json.loads(raw)) if raw and raw != EMPTY_LIST else ()


def encode_stages(stages: Iterable[str]) -> str:
    """Report stages as a sorted comma list: stage names are identifiers, no commas."""
    return ",".join(sorted(stages))


def decode_stages(raw: str | None) -> frozenset[str]:
    return frozenset(raw.split(",")) if raw else frozenset()


def encode_alert_facts(facts: AlertFacts) -> str:
    """An alert's facts as JSON: instants in ISO 8601 with their offset, days as dates;
    unset facts left out, so a fact added later reads as unset in older rows."""
    values: dict[str, object] = {}
    for name in AlertFacts.__dataclass_fields__:
        value = getattr(facts, name)
        if value is None or value is False:
            continue
        values[name] = value.isoformat() if isinstance(value, date | datetime) else value
    return json.dumps(values, ensure_ascii=False, sort_keys=True)


def decode_alert_facts(raw: str) -> AlertFacts:
    values = json.loads(raw)
    for name in ("due_at", "since"):
        if name in values:
            values[name] = datetime.fromisoformat(values[name])
    for name in ("promise_date", "day"):
        if name in values:
            values[name] = date.fromisoformat(values[name])
    known = {k: v for k, v in values.items() if k in AlertFacts.__dataclass_fields__}
    return AlertFacts(**known)


# A calendar part and a mark's detail are stored as JSON that a person's hand, a damaged
# file or a later version may have changed: what does not decode reads as absent (None),
# never as an error that would stop the account's cycle.
_UNREADABLE = (ValueError, TypeError, KeyError, AttributeError, IndexError)


def encode_invitation(invitation: Invitation) -> str:
    """An invitation as JSON: instants in ISO 8601 with their offset."""
    return json.dumps(
        {
            "uid": invitation.uid,
            "sequence": invitation.sequence,
            "method": invitation.method.value,
            "cancelled": invitation.cancelled,
            "summary": invitation.summary,
            "organizer": invitation.organizer,
            "attendees": list(invitation.attendees),
            "occurrences": [_encode_occurrence(o) for o in invitation.occurrences],
            "recurrence_id": _instant(invitation.recurrence_id),
        },
        ensure_ascii=False,
        sort_keys=True,
    )


def decode_invitation(raw: str | None) -> Invitation | None:
    if not raw:
        return None
    try:
        values = json.loads(raw)
        organizer = values["organizer"]
        invitation = Invitation(
            uid=_text(values["uid"]),
            sequence=_integer(values["sequence"]),
            method=CalendarMethod(values["method"]),
            cancelled=_boolean(values["cancelled"]),
            summary=_text(values["summary"]),
            organizer=None if organizer is None else _text(organizer),
            attendees=tuple(_text(a) for a in values["attendees"]),
            occurrences=tuple(_decode_occurrence(o) for o in values["occurrences"]),
            recurrence_id=_aware(values.get("recurrence_id")),
        )
    except _UNREADABLE:
        return None
    return invitation


def encode_mark_detail(occurrence: Occurrence | None, signals: Iterable[str]) -> str | None:
    """A mark's sitting and signals as JSON; None (NULL) for a mark with neither."""
    signals = list(signals)
    if occurrence is None and not signals:
        return None
    values: dict[str, object] = {"signals": signals}
    if occurrence is not None:
        values["occurrence"] = _encode_occurrence(occurrence)
    return json.dumps(values, ensure_ascii=False, sort_keys=True)


def decode_mark_detail(raw: str | None) -> tuple[Occurrence | None, tuple[str, ...]]:
    """(occurrence, signals); what does not decode reads as a mark without detail."""
    if not raw:
        return None, ()
    try:
        values = json.loads(raw)
        occurrence = values.get("occurrence")
        return (
            None if occurrence is None else _decode_occurrence(occurrence),
            tuple(_text(s) for s in values.get("signals", ())),
        )
    except _UNREADABLE:
        return None, ()


def _encode_occurrence(occurrence: Occurrence) -> list[str]:
    return [occurrence.start.isoformat(), occurrence.end.isoformat()]


def _decode_occurrence(value: object) -> Occurrence:
    if not isinstance(value, list) or len(value) != 2:
        raise ValueError("an occurrence is [start, end]")
    start, end = (_aware(v) for v in value)
    if start is None or end is None:
        raise ValueError("an occurrence has a start and an end")
    return Occurrence(start, end)


def _instant(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _aware(value: object) -> datetime | None:
    """An ISO 8601 instant with its offset; None for null. A naive one is unreadable: the
    domain holds only aware instants."""
    if value is None:
        return None
    instant = datetime.fromisoformat(_text(value))
    if instant.tzinfo is None:
        raise ValueError("an instant without an offset")
    return instant


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError("expected text")
    return value


def _integer(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError("expected an integer")
    return value


def _boolean(value: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError("expected true or false")
    return value

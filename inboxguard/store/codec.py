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

# The form every empty list takes: checked before parsing, as most header lists are empty.
EMPTY_LIST = "[]"


def encode_addresses(addresses: Iterable[Address]) -> str:
    return json.dumps([[a.name, a.address] for a in addresses], ensure_ascii=False)


def decode_address_pairs(raw: str) -> list[tuple[str, str]]:
    """The (name, address) pairs; building Address objects is left to the caller, which
    shares them across rows."""
    return [(name, address) for name, address in json.loads(raw)]


def encode_ids(ids: Iterable[str]) -> str:
    """Message-IDs of In-Reply-To / References, in header order."""
    return json.dumps(list(ids))


def decode_ids(raw: str) -> tuple[str, ...]:
    return () if raw == EMPTY_LIST else tuple(json.loads(raw))


def encode_keywords(keywords: Iterable[str]) -> str:
    """Sorted, so equal sets encode equally and a changed set is a changed string."""
    return json.dumps(sorted(keywords))


def decode_keywords(raw: str) -> frozenset[str]:
    return frozenset(json.loads(raw))


def encode_incident_keywords(keywords: Iterable[str]) -> str:
    """The matched incident keywords, in the order the rules matched them."""
    return json.dumps(list(keywords), ensure_ascii=False)


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

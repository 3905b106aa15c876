"""The stored form of a folder's sync marker, shared by every backend's own marker type.

The store keeps a marker as the text its ``encode()`` returns: ``json.dumps`` of a flat object
with sorted keys, exactly what the store itself wrote before markers were typed, so a state
database from an earlier version reads back as the same marker. Reading back never fails:
text that is not such an object, or holds another backend's fields, decodes to None, and the
backend treats the folder as reset (the look-back window read again, as after a UIDVALIDITY
change) rather than crash a cycle on it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


def encode_fields(fields: Mapping[str, object]) -> str:
    """The marker's text in the store (``json.dumps(dict(marker), sort_keys=True)``)."""
    return json.dumps(dict(fields), sort_keys=True)


def decode_fields(text: str, keys: frozenset[str]) -> dict[str, Any] | None:
    """The JSON object in ``text`` when its keys are exactly ``keys``; None otherwise."""
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):  # not JSON, or nested deep enough to be hostile
        return None
    if not isinstance(value, dict) or value.keys() != keys:
        return None
    return value


def whole_number(value: object) -> int | None:
    """An integer field as JSON gave it (a bool is no number here; neither is 1.5)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@dataclass(frozen=True, slots=True)
class MissingFolder:
    """The marker of a folder that does not exist (a Drafts folder not created yet): when it
    appears later, its first scan is a reset, so nothing stored before it vanished survives."""

    def encode(self) -> str:
        return encode_fields({"missing": True})

    @staticmethod
    def decode(text: str) -> MissingFolder | None:
        fields = decode_fields(text, frozenset({"missing"}))
        return MISSING if fields is not None and fields["missing"] is True else None


MISSING = MissingFolder()

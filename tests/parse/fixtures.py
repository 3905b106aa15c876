"""The ``tests/messages`` pairs: each ``<name>.eml`` with the ``<name>.json`` it must parse to."""

from __future__ import annotations

from pathlib import Path

MESSAGES_DIR = Path(__file__).resolve().parent.parent / "messages"


def fixture_paths() -> list[Path]:
    """Every ``.eml`` fixture, sorted so test ids are stable."""
    return sorted(MESSAGES_DIR.glob("*.eml"))


def fixture_bytes() -> list[bytes]:
    return [path.read_bytes() for path in fixture_paths()]

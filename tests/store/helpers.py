"""Shared pieces of the store tests: a message, a draft, a store loaded from a dump, and
plain forms of stored values to compare."""

from __future__ import annotations

import sqlite3
from dataclasses import fields, is_dataclass
from datetime import UTC, date, datetime
from enum import Enum
from pathlib import Path
from typing import Any

from inboxguard.domain.drafts import DraftPurpose, DraftRecord
from inboxguard.domain.message import Address
from inboxguard.domain.tracked import FolderRole, TrackedMessage

AT = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
FIXTURES = Path(__file__).parent / "fixtures"


def tracked(
    uid: str,
    mid: str,
    *,
    date: datetime = AT,
    thread_id: str | None = None,
    subject: str = "件名",
    account: str = "work",
) -> TrackedMessage:
    return TrackedMessage(
        account=account,
        folder="INBOX",
        uid=uid,
        role=FolderRole.INCOMING,
        message_id=mid,
        subject=subject,
        sender=Address("山田", "taro@client.example"),
        to=(Address("", "hanako@example.jp"),),
        cc=(),
        date=date,
        in_reply_to=("<p@x>",),
        thread_id=thread_id,
    )


def draft(
    n: int,
    *,
    account: str = "work",
    thread_id: str | None = None,
    created_at: datetime = AT,
) -> DraftRecord:
    return DraftRecord(
        message_id=f"<ig-holding-{n}@inboxguard.invalid>",
        account=account,
        thread_id=thread_id or f"t{n}",
        purpose=DraftPurpose.HOLDING,
        clock_started_at=AT,
        created_at=created_at,
        folder="Drafts",
    )


def load_dump(dump: Path, path: Path) -> Path:
    """An SQLite file holding exactly what ``dump`` (an ``.iterdump()``) describes."""
    with sqlite3.connect(path) as raw:
        raw.executescript(dump.read_text(encoding="utf-8"))
    raw.close()
    return path


def sql_dump(path: Path) -> list[str]:
    raw = sqlite3.connect(path)
    try:
        return list(raw.iterdump())
    finally:
        raw.close()


def plain(value: Any) -> Any:
    """A dataclass as JSON-able data: what a stored value reads back as, comparable to a
    file written by another version."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, frozenset):
        return sorted(plain(v) for v in value)
    if isinstance(value, tuple | list):
        return [plain(v) for v in value]
    return value

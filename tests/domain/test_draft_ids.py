"""Draft Message-IDs: the same facts give the same id in every process, any change a new one."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from inboxguard.domain.draft_ids import draft_message_id

TOKYO = ZoneInfo("Asia/Tokyo")
CLOCK = datetime(2026, 11, 20, 10, 0, tzinfo=TOKYO)
REPO = Path(__file__).resolve().parents[2]


def test_id_has_the_documented_shape() -> None:
    msg_id = draft_message_id("work", "thread-1", CLOCK, "holding")
    assert re.fullmatch(r"<ig-holding-[0-9a-f]{24}@inboxguard\.invalid>", msg_id)


def test_id_is_sha256_of_the_nul_joined_fields_with_utc_clock() -> None:
    material = b"work\0thread-1\x002026-11-20T01:00:00+00:00\0holding"
    expected = hashlib.sha256(material).hexdigest()[:24]
    assert draft_message_id("work", "thread-1", CLOCK, "holding") == (
        f"<ig-holding-{expected}@inboxguard.invalid>"
    )


def test_same_inputs_give_the_same_id_twice() -> None:
    first = draft_message_id("work", "thread-1", CLOCK, "holding")
    assert draft_message_id("work", "thread-1", CLOCK, "holding") == first


def test_id_is_stable_across_processes_with_different_hash_seeds() -> None:
    code = (
        "from datetime import datetime; from zoneinfo import ZoneInfo;"
        "from inboxguard.domain.draft_ids import draft_message_id;"
        "print(draft_message_id('work', 'thread-1',"
        " datetime(2026, 11, 20, 10, 0, tzinfo=ZoneInfo('Asia/Tokyo')), 'holding'))"
    )
    ids = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(REPO)}
        result = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        ids.add(result.stdout.strip())
    assert ids == {draft_message_id("work", "thread-1", CLOCK, "holding")}


def test_same_instant_in_different_zones_gives_the_same_id() -> None:
    as_utc = CLOCK.astimezone(UTC)
    as_new_york = CLOCK.astimezone(ZoneInfo("America/New_York"))
    as_fixed = CLOCK.astimezone(timezone(timedelta(hours=5, minutes=30)))
    ids = {draft_message_id("work", "t", moment, "holding") for moment in (CLOCK, as_utc)}
    ids |= {draft_message_id("work", "t", moment, "holding") for moment in (as_new_york, as_fixed)}
    assert len(ids) == 1


@pytest.mark.parametrize(
    "changed",
    [
        ("home", "thread-1", CLOCK, "holding"),
        ("work", "thread-2", CLOCK, "holding"),
        ("work", "thread-1", CLOCK + timedelta(seconds=1), "holding"),
        ("work", "thread-1", CLOCK, "first_report"),
    ],
    ids=["account", "thread", "clock_start", "purpose"],
)
def test_changing_any_input_changes_the_id(changed: tuple[str, str, datetime, str]) -> None:
    assert draft_message_id(*changed) != draft_message_id("work", "thread-1", CLOCK, "holding")


def test_field_boundaries_cannot_be_shifted_to_collide() -> None:
    # "ab" + "c" and "a" + "bc" must differ: the separator keeps fields apart.
    assert draft_message_id("ab", "c", CLOCK, "holding") != draft_message_id(
        "a", "bc", CLOCK, "holding"
    )


def test_hostile_thread_ids_hash_without_raising() -> None:
    for thread_id in ("a\0b", "\udcff\udc80", "<x@y>\r\nBcc: z", "スレッド"):
        assert draft_message_id("work", thread_id, CLOCK, "holding").endswith(
            "@inboxguard.invalid>"
        )


def test_naive_clock_start_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        draft_message_id("work", "t", datetime(2026, 11, 20, 10, 0), "holding")


@pytest.mark.parametrize("purpose", ["", "Holding", "hold ing", "a>b", "x" * 40, "ho\0ld"])
def test_purpose_that_cannot_appear_in_an_id_is_refused(purpose: str) -> None:
    with pytest.raises(ValueError, match="purpose"):
        draft_message_id("work", "t", CLOCK, purpose)


def test_account_with_nul_is_refused() -> None:
    with pytest.raises(ValueError, match="NUL"):
        draft_message_id("wo\0rk", "t", CLOCK, "holding")

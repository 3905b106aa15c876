"""`sla.follow_up_after`, `sla.minutes_by`, `sla.minutes_reply_within` (docs/configuration.md):
the documented values load and mean what they say; anything else is one line naming the
key, exit 2, from the command line too."""

from __future__ import annotations

from datetime import time, timedelta
from pathlib import Path
from typing import Any

import pytest

from inboxguard.config import parse_config
from inboxguard.domain.durations import Allowance
from tests.mailboxes import Maildir, config_dict, write_config
from tests.test_config_errors import error_of, invoke, one_line


def sla(tmp_path: Path, **values: Any) -> dict[str, Any]:
    data = config_dict(tmp_path / "Mail", tmp_path)
    data["sla"].update(values)
    return data


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("follow_up_after", "3 business days", Allowance(business_days=3)),
        ("follow_up_after", "1 business day", Allowance(business_days=1)),
        ("follow_up_after", " 5  Business Days ", Allowance(business_days=5)),
        ("follow_up_after", "72h", Allowance(duration=timedelta(hours=72))),
        ("follow_up_after", "2d", Allowance(duration=timedelta(days=2))),
        ("follow_up_after", "90d", Allowance(duration=timedelta(days=90))),
        ("follow_up_after", "off", None),
        ("follow_up_after", "OFF", None),
        ("minutes_reply_within", "2 business days", Allowance(business_days=2)),
        ("minutes_reply_within", "48h", Allowance(duration=timedelta(hours=48))),
        ("minutes_reply_within", "off", None),
        ("minutes_by", "18:00", time(18, 0)),
        ("minutes_by", "17:30", time(17, 30)),
        ("minutes_by", "9:05", time(9, 5)),
        ("minutes_by", "", None),
    ],
)
def test_documented_values_load(tmp_path: Path, key: str, value: str, expected: object) -> None:
    config = parse_config(sla(tmp_path, **{key: value}))
    assert getattr(config.sla, key) == expected


def test_defaults_are_the_documented_ones(tmp_path: Path) -> None:
    config = parse_config(config_dict(tmp_path / "Mail", tmp_path))
    assert config.sla.follow_up_after == Allowance(business_days=3)
    assert config.sla.minutes_reply_within == Allowance(business_days=2)
    assert config.sla.minutes_by is None  # the end of business hours


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("follow_up_after", "three business days"),
        ("follow_up_after", "0 business days"),
        ("follow_up_after", "61 business days"),
        ("follow_up_after", "0h"),
        ("follow_up_after", "-3h"),
        ("follow_up_after", "never"),
        ("follow_up_after", ""),
        ("follow_up_after", 3),
        ("follow_up_after", True),
        ("follow_up_after", "91d"),
        ("follow_up_after", "3000000d"),  # would run past the calendar's end
        ("minutes_reply_within", "2 weeks"),
        ("minutes_reply_within", 2),
        ("minutes_reply_within", "99999999d"),
        ("minutes_by", "6pm"),
        ("minutes_by", "24:00"),
        ("minutes_by", "18"),
        ("minutes_by", "18:60"),
        ("minutes_by", "18:00:00"),
        ("minutes_by", 18),
    ],
)
def test_anything_else_is_one_line_naming_the_key(tmp_path: Path, key: str, value: object) -> None:
    message = error_of(sla(tmp_path, **{key: value}))
    assert message.startswith(f"sla.{key}: "), message
    assert "Traceback" not in message and "pydantic" not in message.lower()


@pytest.mark.parametrize(
    ("key", "value"),
    [("follow_up_after", "soon"), ("minutes_by", "6pm"), ("minutes_reply_within", "3000000d")],
)
def test_the_command_line_says_it_in_one_line_with_exit_2(
    tmp_path: Path, key: str, value: str
) -> None:
    mail = Maildir(tmp_path / "Mail")
    data = config_dict(mail.root, tmp_path)
    data["sla"][key] = value
    config = write_config(tmp_path / "config.toml", data)

    line = one_line(invoke(config, "status"))

    assert f"sla.{key}" in line
    assert not (tmp_path / "state.db").exists()  # nothing written

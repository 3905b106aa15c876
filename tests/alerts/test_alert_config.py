"""`[[alerts]]` in the configuration: one line naming the key for every mistake."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from inboxguard.config import parse_config
from inboxguard.domain.alert_events import AlertKind, Urgency
from inboxguard.errors import ConfigError
from tests.mailboxes import config_dict


def with_alerts(*channels: dict[str, Any]) -> dict[str, Any]:
    data = config_dict(Path("/tmp/Mail"), Path("/tmp"))
    data["alerts"] = list(channels)
    return data


def error(*channels: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_config(with_alerts(*channels))
    return str(caught.value)


def test_a_channel_receives_every_event_from_normal_urgency_by_default() -> None:
    (phone,) = parse_config(with_alerts({"name": "phone", "url_env": "X"})).alerts
    assert phone.events == list(AlertKind)
    assert phone.min_urgency is Urgency.NORMAL and phone.quiet is None
    assert phone.quiet_high == "send"


def test_a_url_in_clear_is_refused_as_a_secret() -> None:
    assert error({"name": "phone", "url": "ntfy://ntfy.sh/x"}) == (
        "alerts[0].url: unknown key: a secret never sits in the configuration file; use "
        "url_command, url_env or url_credential"
    )


def test_a_channel_names_exactly_one_url_source() -> None:
    assert "alerts[0]: set exactly one of url_command, url_env, url_credential" in error(
        {"name": "phone", "url_env": "X", "url_command": "pass show x"}
    )


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ({"quiet": "22:00"}, "alerts[0].quiet: '22:00' is not a window like '22:00-07:00'"),
        ({"quiet": "07:00-07:00"}, "alerts[0].quiet: '07:00-07:00' starts and ends at the same"),
        ({"min_urgency": "low"}, "alerts[0].min_urgency: Input should be 'normal' or 'high'"),
        ({"events": ["at_risk", "overdu"]}, "alerts[0].events[1]: Input should be 'at_risk'"),
        ({"quiet_high": "wake"}, "alerts[0].quiet_high: Input should be 'send' or 'hold'"),
        ({"eventz": []}, "alerts[0].eventz: unknown key; did you mean events?"),
    ],
)
def test_each_mistake_is_one_line_naming_the_key(setting: dict[str, Any], message: str) -> None:
    assert error({"name": "phone", "url_env": "X", **setting}).startswith(message)


def test_two_channels_cannot_share_a_name() -> None:
    assert error({"name": "a", "url_env": "X"}, {"name": "a", "url_env": "Y"}) == (
        "alerts: alert channel name 'a' is used twice"
    )

"""delivery = "file": the day's .eml and .html, private, atomic, replaced on a second run."""

from __future__ import annotations

import stat
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest

from inboxguard.config import Config, parse_config
from inboxguard.delivery import DeliveryError, DeliveryReceipt, deliver, probe
from tests.delivery.digests import DAY, HTML, digest_message, message_id
from tests.mailboxes import config_dict


def file_config(tmp_path: Path, **digest: Any) -> Config:
    data = config_dict(tmp_path / "mail", tmp_path)
    data["digest"] = {"delivery": "file", **digest}
    return parse_config(data)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_digest_is_written_as_eml_and_html_readable_by_the_owner_only(
    tmp_path: Path,
) -> None:
    directory = tmp_path / "digests"
    config = file_config(tmp_path, path=str(directory))
    receipt = deliver(digest_message(), config, day=DAY, environ={})
    eml = directory / "digest-2026-11-21.eml"
    html = directory / "digest-2026-11-21.html"
    assert receipt == DeliveryReceipt("file", str(eml))
    assert sorted(p.name for p in directory.iterdir()) == [eml.name, html.name]  # no leftovers
    assert mode(directory) == 0o700
    assert mode(eml) == 0o600 and mode(html) == 0o600
    raw = eml.read_bytes()
    assert b"\r\n" not in raw
    message = message_from_bytes(raw, policy=default_policy)
    assert isinstance(message, EmailMessage)
    assert message["Message-ID"] == message_id()
    assert message.get_content_type() == "multipart/alternative"
    # The BOM makes a browser opening the file from disk read it as UTF-8.
    assert html.read_bytes() == b"\xef\xbb\xbf" + HTML.encode("utf-8")


def test_a_second_run_the_same_day_replaces_that_days_files(tmp_path: Path) -> None:
    directory = tmp_path / "digests"
    config = file_config(tmp_path, path=str(directory))
    deliver(digest_message(), config, day=DAY, environ={})
    later = digest_message()
    later.replace_header("Subject", "later the same day")
    deliver(later, config, day=DAY, environ={})
    eml = directory / "digest-2026-11-21.eml"
    assert b"later the same day" in eml.read_bytes()
    assert len(list(directory.iterdir())) == 2
    assert mode(eml) == 0o600


def test_without_a_path_the_digests_go_under_the_state_directory(tmp_path: Path) -> None:
    environ = {"XDG_STATE_HOME": str(tmp_path / "xdg")}
    config = file_config(tmp_path)
    receipt = deliver(digest_message(), config, day=DAY, environ=environ)
    directory = tmp_path / "xdg" / "inboxguard" / "digests"
    assert receipt.where == str(directory / "digest-2026-11-21.eml")
    assert mode(directory) == 0o700
    assert probe(config, environ=environ) == f"file: {directory}, writable"


def test_an_existing_directory_keeps_the_permissions_the_owner_gave_it(tmp_path: Path) -> None:
    directory = tmp_path / "shared"
    directory.mkdir(mode=0o750)
    directory.chmod(0o750)
    deliver(digest_message(), file_config(tmp_path, path=str(directory)), day=DAY, environ={})
    assert mode(directory) == 0o750
    assert mode(directory / "digest-2026-11-21.eml") == 0o600


def test_a_path_that_is_a_file_is_a_clear_error_not_worth_retrying(tmp_path: Path) -> None:
    blocker = tmp_path / "digests"
    blocker.write_text("not a directory")
    config = file_config(tmp_path, path=str(blocker))
    with pytest.raises(DeliveryError) as caught:
        deliver(digest_message(), config, day=DAY, environ={})
    assert not caught.value.retryable
    assert str(blocker) in str(caught.value)

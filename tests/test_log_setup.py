"""Logging set-up: JSON under journald, key=value otherwise; no secret, and personal data only
at debug, whether the event is ours (structlog) or a library's (the standard library)."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import structlog
from structlog.testing import capture_logs

from inboxguard.log_setup import (
    IMAP_PROTOCOL_LOGGERS,
    REDACTED,
    clear_secrets,
    configure_logging,
    register_secret,
)

PASSWORD = "Sup3r-s3cret/pw&more"
TOKEN = "ya29.a0AfH6SMBx-example-access-token"
USER = "hanako@example.jp"
XOAUTH2 = f"user={USER}\x01auth=Bearer {TOKEN}\x01\x01"
XOAUTH2_B64 = base64.b64encode(XOAUTH2.encode()).decode()


@pytest.fixture(autouse=True)
def _logging_restored() -> Iterator[None]:
    """Each test configures logging its own way; the rest of the suite gets back what it had."""
    root = logging.getLogger()
    handlers = list(root.handlers)
    levels = {name: logging.getLogger(name).level for name in ("", *IMAP_PROTOCOL_LOGGERS)}
    structlog_config = structlog.get_config()
    clear_secrets()
    yield
    clear_secrets()
    for handler in [h for h in root.handlers if h not in handlers]:
        root.removeHandler(handler)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)
    structlog.configure(**structlog_config)


def json_logging(level: int = logging.DEBUG) -> StringIO:
    stream = StringIO()
    configure_logging(level, fmt="json", stream=stream)
    return stream


def lines(stream: StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_registered_secret_is_replaced_in_the_message_values_nested_data_and_exceptions() -> None:
    stream = json_logging()
    register_secret(PASSWORD)
    log = structlog.get_logger("test")
    log.info(f"login as {PASSWORD}", note=f"sent {PASSWORD}", nested={"a": [1, {"b": PASSWORD}]})
    try:
        raise RuntimeError(f"server said: bad password {PASSWORD!r}")
    except RuntimeError:
        log.exception("login failed")
    text = stream.getvalue()
    assert PASSWORD not in text
    first, second = lines(stream)
    assert first["event"] == f"login as {REDACTED}"
    assert first["note"] == f"sent {REDACTED}"
    assert first["nested"] == {"a": [1, {"b": REDACTED}]}
    assert second["exception"][0]["exc_value"] == f"server said: bad password '{REDACTED}'"


def test_a_registered_secret_is_replaced_in_its_url_encoded_form_too() -> None:
    stream = json_logging()
    register_secret(PASSWORD)
    structlog.get_logger().info("request", url=f"https://example.com/?x={quote(PASSWORD, safe='')}")
    assert lines(stream)[0]["url"] == f"https://example.com/?x={REDACTED}"


def test_secrets_shorter_than_four_characters_are_not_registered() -> None:
    stream = json_logging()
    register_secret("abc")
    structlog.get_logger().info("abc is the alphabet")
    assert lines(stream)[0]["event"] == "abc is the alphabet"


def test_a_secret_is_replaced_in_an_exception_in_console_output() -> None:
    stream = StringIO()
    configure_logging(logging.DEBUG, fmt="console", stream=stream)
    register_secret(PASSWORD)
    try:
        raise ValueError(PASSWORD)
    except ValueError:
        structlog.get_logger().exception("failed")
    assert PASSWORD not in stream.getvalue()
    assert f"ValueError: {REDACTED}" in stream.getvalue()


@pytest.mark.parametrize(
    "key",
    ["password", "client_secret", "authorization", "Authorization", "refresh_token", "cookie"],
)
def test_values_under_secret_sounding_keys_are_redacted_whatever_they_hold(key: str) -> None:
    stream = json_logging()
    structlog.get_logger().info("event", **{key: "not-registered-anywhere", "n": 1})
    (line,) = lines(stream)
    assert line[key] == REDACTED
    assert line["n"] == 1


def test_secret_sounding_keys_in_nested_dicts_are_redacted_too() -> None:
    stream = json_logging()
    form = {"grant_type": "refresh_token", "refresh_token": "1//0gabc", "client_id": "x"}
    structlog.get_logger().info("token request", form=form)
    assert lines(stream)[0]["form"] == {**form, "refresh_token": REDACTED}


def test_a_token_files_path_and_an_absent_password_stay_readable() -> None:
    stream = json_logging()
    structlog.get_logger().info("event", token_path="/var/lib/x.json", password=None)
    (line,) = lines(stream)
    assert line["token_path"] == "/var/lib/x.json"
    assert line["password"] is None


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        (f"Authorization: Bearer {TOKEN}", "Authorization: "),
        (f"{{'Authorization': 'Basic {XOAUTH2_B64[:20]}'}}", "{'Authorization': '"),
        (f"the server refused Bearer {TOKEN}", "the server refused Bearer "),
        (f"sent {XOAUTH2}", "sent "),
        (f"sent {XOAUTH2!r}", "sent '"),
        (f"> AUTHENTICATE XOAUTH2\r\n> {XOAUTH2_B64}", "> AUTHENTICATE XOAUTH2"),
        (f"GET https://example.com/cb?access_token={TOKEN}&x=1", "?access_token="),
        (f"grant_type=refresh_token&refresh_token={TOKEN}", "grant_type=refresh_token&"),
        (f"GET http://127.0.0.1:8080/?code=4%2F0A{TOKEN}&state=x", "/?code="),
        (f'{{"access_token": "{TOKEN}", "expires_in": 3599}}', '"expires_in": 3599'),
    ],
)
def test_credentials_in_free_text_are_redacted_without_being_registered(
    text: str, kept: str
) -> None:
    stream = json_logging()
    structlog.get_logger().error(text, body=text)
    (line,) = lines(stream)
    for value in (line["event"], line["body"]):
        assert TOKEN not in value
        assert XOAUTH2_B64[:20] not in value
        assert USER not in value
        assert REDACTED in value
        assert kept in value


def test_an_ordinary_sentence_about_a_bearer_token_is_left_alone() -> None:
    stream = json_logging()
    structlog.get_logger().info("Bearer token expired; refreshing")
    assert lines(stream)[0]["event"] == "Bearer token expired; refreshing"


PERSONAL = {
    "subject": "見積のご依頼",
    "sender": "taro@client.example",
    "to": USER,
    "cc": USER,
    "counterpart": "taro@client.example",
    "reply_subject": "Re: 見積のご依頼",
    "owner_address": USER,
}


def test_subjects_and_addresses_are_dropped_from_info_events_even_at_debug_level() -> None:
    stream = json_logging(logging.DEBUG)
    structlog.get_logger().info("draft written", thread="t1", **PERSONAL)
    structlog.get_logger().warning("odd message", thread="t1", **PERSONAL)
    for line in lines(stream):
        assert line["thread"] == "t1"
        assert PERSONAL.keys().isdisjoint(line)


def test_subjects_and_addresses_are_kept_in_debug_events() -> None:
    stream = json_logging(logging.DEBUG)
    structlog.get_logger().debug("draft written", thread="t1", **PERSONAL)
    (line,) = lines(stream)
    assert {k: line[k] for k in PERSONAL} == PERSONAL


def test_json_output_is_one_object_per_line_with_timestamp_level_logger_and_event() -> None:
    stream = json_logging(logging.INFO)
    log = structlog.get_logger("inboxguard.service.cycle")
    log.info("account cycle done", account="work", drafts_written=1)
    log.warning("note", text="日本語\nは改行も")
    log.debug("not at info level")
    first, second = lines(stream)
    assert list(first)[:4] == ["timestamp", "level", "logger", "event"]
    assert first["timestamp"].endswith("Z")  # ISO 8601, UTC
    assert first["level"] == "info"
    assert first["logger"] == "inboxguard.service.cycle"
    assert first["event"] == "account cycle done"
    assert first["drafts_written"] == 1
    assert second["text"] == "日本語\nは改行も"
    assert "日本語" in stream.getvalue()  # ensure_ascii=False: journalctl shows the text


def test_console_output_is_key_value_text() -> None:
    stream = StringIO()
    configure_logging(logging.INFO, fmt="console", stream=stream)
    structlog.get_logger("inboxguard.service.cycle").info("account cycle done", account="work")
    (line,) = stream.getvalue().splitlines()
    assert "[info" in line
    assert "account cycle done" in line
    assert "account=work" in line


def _journal_stream_of(path: Path) -> str:
    status = path.stat()
    return f"{status.st_dev}:{status.st_ino}"


@pytest.mark.parametrize(
    ("journal_stream", "expect_json"),
    [("this file", True), ("another file", False), (None, False), ("garbage", False)],
)
def test_auto_writes_json_exactly_when_journal_stream_names_the_output_stream(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, journal_stream: str | None, expect_json: bool
) -> None:
    path, other = tmp_path / "log", tmp_path / "other"
    other.touch()
    with path.open("w", encoding="utf-8") as stream:
        named = {"this file": path, "another file": other}.get(journal_stream or "")
        if named is not None:
            monkeypatch.setenv("JOURNAL_STREAM", _journal_stream_of(named))
        elif journal_stream is not None:
            monkeypatch.setenv("JOURNAL_STREAM", journal_stream)
        else:
            monkeypatch.delenv("JOURNAL_STREAM", raising=False)
        configure_logging(logging.INFO, stream=stream)
        structlog.get_logger().info("started", account="work")
    (line,) = path.read_text(encoding="utf-8").splitlines()
    if expect_json:
        assert json.loads(line)["event"] == "started"
    else:
        assert line.startswith("20") and "account=work" in line


def test_auto_writes_console_to_a_stream_without_a_file_descriptor(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("JOURNAL_STREAM", "8:12345")
    stream = StringIO()
    configure_logging(logging.INFO, stream=stream)
    structlog.get_logger().info("started")
    assert not stream.getvalue().startswith("{")


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown log format 'xml'"):
        configure_logging(fmt="xml")


def test_standard_library_records_are_redacted_and_rendered_like_ours() -> None:
    stream = json_logging(logging.INFO)
    register_secret(PASSWORD)
    logging.getLogger("imapclient").info("login for %s with %s", USER, PASSWORD)
    try:
        raise OSError(f"refused {PASSWORD}")
    except OSError:
        logging.getLogger("exchangelib").exception("request failed")
    assert PASSWORD not in stream.getvalue()
    imap, exchange = lines(stream)
    assert imap["event"] == f"login for {USER} with {REDACTED}"
    assert imap["logger"] == "imapclient"
    assert imap["level"] == "info"
    assert exchange["exception"][0]["exc_value"] == f"refused {REDACTED}"


def test_imapclient_debug_records_are_never_written_even_at_debug_level() -> None:
    stream = json_logging(logging.DEBUG)
    logging.getLogger("imapclient.imaplib").debug("> b'%s'", XOAUTH2_B64)
    logging.getLogger("imapclient").debug("protocol line")
    # Even when something lowers imapclient's own level after the configuration.
    logging.getLogger("imapclient.imaplib").setLevel(logging.DEBUG)
    logging.getLogger("imapclient.imaplib").debug("> b'%s'", XOAUTH2_B64)
    logging.getLogger("httpx").debug("other libraries do log at debug")
    assert [line["logger"] for line in lines(stream)] == ["httpx"]


def test_libraries_are_heard_from_warning_at_the_default_level() -> None:
    stream = json_logging(logging.WARNING)
    logging.getLogger("httpx").info("HTTP Request: POST")
    logging.getLogger("apscheduler").warning("job missed")
    assert [line["event"] for line in lines(stream)] == ["job missed"]


def test_configuring_again_replaces_the_handler_instead_of_adding_one() -> None:
    json_logging()
    stream = json_logging()
    structlog.get_logger().info("once")
    logging.getLogger("httpx").warning("once too")
    assert len(lines(stream)) == 2


def test_capture_logs_still_captures_after_configure_logging() -> None:
    json_logging(logging.DEBUG)
    with capture_logs() as events:
        structlog.get_logger().info("captured", account="work")
    assert events == [{"event": "captured", "account": "work", "log_level": "info"}]


def test_other_handlers_on_the_root_logger_only_ever_see_our_events_redacted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    json_logging(logging.DEBUG)
    register_secret(PASSWORD)
    structlog.get_logger().info("login", password=PASSWORD, note=PASSWORD, subject="見積")
    assert caplog.records
    assert PASSWORD not in caplog.text
    assert "見積" not in caplog.text

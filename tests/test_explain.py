"""`explain` (inboxguard/explain.py): bounded reading, refusing non-mail, the human display."""

from __future__ import annotations

import hashlib
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from inboxguard.config import parse_config
from inboxguard.errors import InboxGuardError
from inboxguard.explain import (
    MAX_EXPLAIN_BYTES,
    NotMailError,
    UnreadableFileError,
    display_lines,
    explain_message,
    read_for_explain,
)
from inboxguard.service.context import Context
from tests.mailboxes import OWNER, config_dict

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
MESSAGES = Path(__file__).resolve().parent / "messages"
MAIL = (
    f"From: Taro <taro@client.example>\nTo: {OWNER}\nSubject: hello\n"
    "Message-ID: <x1@client.example>\nDate: Fri, 20 Nov 2026 10:00:00 +0900\n\n"
).encode()


@pytest.fixture
def ctx(tmp_path: Path) -> Context:
    root = tmp_path / "Mail"
    for folder in ("INBOX", "Sent", "Drafts"):
        for sub in ("cur", "new", "tmp"):
            (root / folder / sub).mkdir(parents=True)
    return Context.build(parse_config(config_dict(root, tmp_path)))


def _noise(size: int, seed: bytes = b"explain") -> bytes:
    """Bytes as random as /dev/urandom's, the same on every run."""
    return hashlib.shake_256(seed).digest(size)


def _random_file(path: Path, size: int) -> Path:
    path.write_bytes(_noise(size))
    return path


def test_a_30_mb_random_file_is_refused_in_one_line_reading_a_bounded_prefix(
    tmp_path: Path,
) -> None:
    path = _random_file(tmp_path / "random.bin", 30 * 1024 * 1024)
    tracemalloc.start()
    try:
        with pytest.raises(NotMailError) as raised:
            read_for_explain(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(raised.value) == f"{path} does not look like a mail message (no header block)"
    assert isinstance(raised.value, InboxGuardError)
    assert raised.value.exit_code == 1
    # Whole, the file would be 30 MiB before any parsing (and ~400 MiB once parsed).
    assert peak < 3 * MAX_EXPLAIN_BYTES


def test_explain_message_refuses_bytes_without_a_header_block() -> None:
    with pytest.raises(NotMailError, match="does not look like a mail message"):
        explain_message(_noise(4096), None, now=NOW)


def test_a_text_file_that_is_not_mail_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("Meeting notes\nthe client wants a quote\n", encoding="utf-8")
    with pytest.raises(NotMailError):
        read_for_explain(path)


def test_an_unreadable_file_is_one_line_too(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFileError, match="cannot be read"):
        read_for_explain(tmp_path)  # a directory


def test_a_small_mail_is_read_whole_and_explained_without_a_note(tmp_path: Path) -> None:
    path = tmp_path / "m.eml"
    path.write_bytes(MAIL + b"body\n")
    raw = read_for_explain(path)
    assert raw == path.read_bytes()
    result = explain_message(raw, None, now=NOW)
    assert result["explained_prefix_bytes"] is None
    assert not any(line.startswith("note:") for line in display_lines(result))


def test_a_mail_larger_than_the_bound_is_explained_from_its_prefix_and_says_so(
    tmp_path: Path,
) -> None:
    path = tmp_path / "big.eml"
    path.write_bytes(MAIL + b"Please see below.\n" + b"x" * (5 * MAX_EXPLAIN_BYTES))
    raw = read_for_explain(path)
    # One byte over the bound: how explain_message knows the file went on.
    assert len(raw) == MAX_EXPLAIN_BYTES + 1
    result = explain_message(raw, None, now=NOW)
    assert result["subject"] == "hello"
    assert result["text"].startswith("Please see below.")
    assert result["explained_prefix_bytes"] == MAX_EXPLAIN_BYTES
    assert display_lines(result)[0] == (
        "note: the file is larger than 2 MiB; explained from its first 2 MiB"
    )


def test_a_mailbox_encoded_whole_is_a_tracked_counterpart(ctx: Context) -> None:
    raw = (MESSAGES / "ja_from_encoded_whole_utf8.eml").read_bytes()
    raw = raw.replace(b"hanako@example.jp", OWNER.encode())
    result = explain_message(raw, ctx, now=NOW)
    assert result["from"] == {"name": "山田 太郎", "address": "yamada@client-a.co.jp"}
    assert result["counterpart"] is True, result["counterpart_reason"]
    assert "from: address recovered from an encoded-word" in result["charset_repairs"]


def test_the_human_display_neutralises_what_json_keeps_raw() -> None:
    subject = "=?utf-8?b?" + "aW52b2ljZSDigK5mZHAuZXhl" + "?="  # "invoice \u202efdp.exe"
    raw = MAIL.replace(b"Subject: hello", f"Subject: {subject}".encode())
    raw += "paid \u202eexe.pdf\n\x1b[31mred\x1b[0m\n\tindented\n".encode()
    result = explain_message(raw, None, now=NOW)
    assert result["subject"] == "invoice \u202efdp.exe"  # --json: the raw value
    lines = display_lines(result)
    shown = "\n".join(lines)
    assert "\u202e" not in shown and "\x1b" not in shown
    assert 'subject: "invoice fdp.exe"' in lines
    assert "  | paid exe.pdf" in lines
    assert "  | \tindented" in lines
    assert "note: invisible, bidi or control characters not shown in: subject, text" in lines


def test_the_human_display_has_one_line_per_field_and_the_text_indented() -> None:
    result = explain_message(MAIL + b"line one\nline two\n", None, now=NOW)
    lines = display_lines(result)
    assert 'subject: "hello"' in lines
    assert lines[lines.index("text:") + 1 : lines.index("text:") + 3] == [
        "  | line one",
        "  | line two",
    ]
    assert not any(line.startswith("explained_prefix_bytes") for line in lines)


def test_explain_json_shows_every_signal_with_its_weight_and_the_threshold(ctx: Context) -> None:
    raw = (
        f"From: Taro <taro@client.example>\nTo: {OWNER}\nSubject: Re: 初稿\n"
        "Message-ID: <x2@client.example>\nDate: Fri, 20 Nov 2026 10:00:00 +0900\n\n"
        "3ページ目のリンクが機能していません。\n"
    ).encode()
    incident = explain_message(raw, ctx, now=NOW)["incident"]
    assert incident["threshold"] == 3.5
    by_name = {s["name"]: s for s in incident["signals"]}
    assert by_name["failure"]["evidence"] == "機能" and by_name["failure"]["weight"] == 4.0
    assert by_name["draft_review"]["weight"] == -4.0 and by_name["draft_review"]["why"]
    assert by_name["draft_review"]["where"] == "subject"
    assert incident["score"] == sum(s["weight"] for s in incident["signals"])
    assert incident["opens"] is False


def test_an_invitation_is_explained_without_a_configuration_too() -> None:
    raw = (
        Path(__file__).parent / "fixtures" / "invitations" / "outlook_ja_request.eml"
    ).read_bytes()
    result = explain_message(raw, None, now=datetime(2026, 12, 1, tzinfo=UTC))
    invitation = result["invitation"]
    assert invitation is not None
    assert invitation["method"] == "REQUEST" and invitation["summary"] == "定例打ち合わせ"
    assert invitation["occurrences"] == [
        {"start": "2026-12-03T01:00:00+00:00", "end": "2026-12-03T02:00:00+00:00"}
    ]

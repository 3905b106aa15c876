"""Headers parsed first and text parsed later give the same message as one full parse."""

from __future__ import annotations

from pathlib import Path

import pytest

from inboxguard.parse import parse_message, parse_text, with_text
from inboxguard.parse.header_block import split_header_block
from tests.parse.fixtures import fixture_paths


def header_block(raw: bytes) -> bytes:
    block = split_header_block(raw)
    return raw[: len(raw) - len(block.body)] if block.body else raw


@pytest.mark.parametrize("path", fixture_paths(), ids=lambda p: p.stem)
def test_headers_then_text_equals_one_full_parse(path: Path) -> None:
    raw = path.read_bytes()
    full = parse_message(raw)
    headers = parse_message(header_block(raw))
    assert headers.content_type == full.content_type
    joined = with_text(headers, parse_text(raw))
    assert joined.text == full.text
    assert joined.text_truncated == full.text_truncated
    assert (joined.subject, joined.sender, joined.to, joined.message_id) == (
        full.subject,
        full.sender,
        full.to,
        full.message_id,
    )
    assert set(joined.charset_repairs) == set(full.charset_repairs)

"""A base64 text part keeps its last bytes: the padding is part of the data (found by the
incident cycle test: a UTF-8 body ending in 。 was read as Latin-1)."""

from __future__ import annotations

import base64

import pytest

from inboxguard.parse import parse_text


@pytest.mark.parametrize("tail", ["", "。", "。\n", "a。", "ab。", "ab。\n", "。\n\n"])
def test_a_padded_base64_utf8_body_decodes_whole(tail: str) -> None:
    body = "チラシの電話番号が間違っていました" + tail
    raw = (
        b"From: a@example.com\nSubject: x\nMIME-Version: 1.0\n"
        b'Content-Type: text/plain; charset="utf-8"\nContent-Transfer-Encoding: base64\n\n'
        + base64.encodebytes(body.encode())
    )
    text = parse_text(raw)
    assert text.text == body.strip()

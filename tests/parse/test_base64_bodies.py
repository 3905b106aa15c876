"""A base64 body is read whole whatever its length: its padding is not junk."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inboxguard.parse import parse_text

HEAD = (
    b'From: a@example.jp\nContent-Type: text/plain; charset="utf-8"\n'
    b"Content-Transfer-Encoding: base64\nMIME-Version: 1.0\n\n"
)


@pytest.mark.parametrize("extra", range(6))
def test_utf8_text_of_every_length_modulo_three_reads_back(extra: int) -> None:
    body = "お世話になっております。\nロゴのデータをいただけますと幸いです。" + "あ" * extra + "\n"

    read = parse_text(HEAD + base64.encodebytes(body.encode()))

    assert read.text == body.strip()
    assert read.charset_repairs == ()


@given(st.text(alphabet=st.characters(min_codepoint=0x3041, max_codepoint=0x30FF), min_size=1))
def test_any_japanese_text_survives_base64(text: str) -> None:
    read = parse_text(HEAD + base64.encodebytes(text.encode()))

    assert read.text == text.strip()

"""Huge parts cost a bounded amount of decoding and give bounded text."""

from __future__ import annotations

import base64
import random

from inboxguard.parse import parse_message


def test_twenty_megabyte_attachment_parses_with_bounded_text() -> None:
    # Seeded for reproducibility; incompressible bytes make the base64 realistic.
    payload = random.Random(7).randbytes(20 * 1024 * 1024)  # noqa: S311 -- test data, not crypto
    attachment = base64.encodebytes(payload).replace(b"\n", b"\r\n")
    raw = (
        b"From: Taro <taro@client.example>\r\nSubject: big file\r\n"
        b'Content-Type: multipart/mixed; boundary="x"\r\n\r\n'
        b"--x\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        + "大きなファイルを送ります。\r\n".encode()
        + b"--x\r\nContent-Type: application/octet-stream\r\n"
        b"Content-Transfer-Encoding: base64\r\n"
        b'Content-Disposition: attachment; filename="big.bin"\r\n\r\n' + attachment + b"--x--\r\n"
    )
    message = parse_message(raw)
    assert message.text == "大きなファイルを送ります。"
    assert not message.text_truncated


def test_huge_text_part_is_cut_to_the_text_limit() -> None:
    text = ("長い本文の行です。\n" * 300_000).encode()
    raw = (
        b"Subject: long\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(text)
    )
    message = parse_message(raw, text_limit=1000)
    assert len(message.text) == 1000
    assert message.text_truncated
    assert message.text.startswith("長い本文の行です。\n長い本文の行です。")
    assert "\ufffd" not in message.text

"""Telling a mail message from a file that is not one, by its header block alone."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from inboxguard.parse.header_block import looks_like_mail

from .fixtures import fixture_paths

PATHS = fixture_paths()


@pytest.mark.parametrize("path", PATHS, ids=[path.stem for path in PATHS])
def test_every_fixture_looks_like_mail(path: Path) -> None:
    assert looks_like_mail(path.read_bytes())


@pytest.mark.parametrize(
    "raw",
    [
        b"From: a@example.jp\nSubject: x\n\nhello\n",
        b"From: a@example.jp\r\nSubject: x\r\n\r\nhello\r\n",
        b"From a@example.jp Fri Nov 20 10:00:00 2026\nFrom: a@example.jp\n\nmbox copy\n",
        b"Subject: headers only, as a backend fetches them\nFrom: a@example.jp\n",
        b"From: a@example.jp\nSubject: one bad line\nnot a header\nTo: b@example.jp\n\nbody",
        b"Subject: \x1b$B$3$s$K$A$O\x1b(B\nFrom: a@example.jp\n\n\x00\x01 binary body\n",
        "Subject: 見積\nFrom: 山田 <a@example.jp>\n\n本文\n".encode("cp932"),
    ],
    ids=["lf", "crlf", "mbox", "headers-only", "one-bad-line", "jis-and-binary-body", "sjis"],
)
def test_mail_in_every_shape_the_parser_reads_looks_like_mail(raw: bytes) -> None:
    assert looks_like_mail(raw)


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\n\nFrom: a@example.jp\n",
        b"Hello,\nthis is a note I saved.\nIt has no headers.\n",
        b"Note: the first line looks like a field\nbut the rest is prose\nand more prose\n",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00",
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n",
        b"Key: \x00\x01\x02\x03\x04\x05\x06\x07\x08\x10\x11\x12\x13\x14\x15\x16\x17\x18\n",
    ],
    ids=["empty", "blank-first", "prose", "mostly-prose", "png", "pdf", "binary-header"],
)
def test_files_that_are_not_mail_do_not_look_like_mail(raw: bytes) -> None:
    assert not looks_like_mail(raw)


def test_random_bytes_do_not_look_like_mail() -> None:
    assert not looks_like_mail(bytes(range(256)) * 256)
    for seed in range(50):
        noise = hashlib.shake_256(seed.to_bytes(2, "big")).digest(64 * 1024)
        assert not looks_like_mail(noise), seed

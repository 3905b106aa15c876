"""backends/imap_fetch.py's reading of FETCH answers in the shapes imaplib hands them over,
and the answers it leaves to imapclient's parser (which then decides, as before)."""

from __future__ import annotations

from typing import Any

import pytest
from imapclient.response_parser import parse_fetch_response

from inboxguard.backends import imap_fetch

SECTION = b"BODY[HEADER.FIELDS (MESSAGE-ID SUBJECT)]"
# What Dovecot sent for a UID FETCH of two messages, the second expunged by another session
# under this one's view (its section NIL), as imaplib split it.
EXPUNGED = [
    (b'1 (UID 1 INTERNALDATE "02-Dec-2026 00:59:17 +0000" FLAGS (\\Recent) ' + SECTION + b" {14}",
     b"Subject: a\r\n\r\n"),
    b")",
    b'2 (UID 2 INTERNALDATE "01-Jan-1970 00:00:00 +0000" FLAGS (\\Deleted \\Recent) '
    + SECTION + b" NIL)",
]  # fmt: skip


def _imapclient(data: list[Any]) -> dict[int, dict[bytes, Any]]:
    return {
        uid: {k: v for k, v in a.items() if k != b"SEQ"}
        for uid, a in parse_fetch_response(data, False, True).items()
    }


def test_items_after_the_literal_and_unsolicited_flag_updates_are_read() -> None:
    text = b"BODY[]<0>"
    data = [
        (b"5 (UID 15 " + SECTION + b" {10}", b"Subject:\r\n"),
        b' INTERNALDATE "02-Dec-2026 09:00:00 +0900" FLAGS ($Incident \\Seen) X-GM-THRID 77)',
        b"6 (FLAGS (\\Seen))",  # a flag changed elsewhere: no UID, not ours to read
        (b"7 (UID 17 FLAGS () " + text + b" {2}", b"\r\n"),
        b")",
    ]
    ours = imap_fetch._parse(data)
    assert set(ours) == {15, 17}
    expected = _imapclient(data)
    assert ours == {uid: expected[uid] for uid in (15, 17)}
    assert ours[15][b"X-GM-THRID"] == 77
    assert ours[15][b"INTERNALDATE"].utcoffset().total_seconds() == 9 * 3600


@pytest.mark.parametrize(
    "data",
    [
        EXPUNGED,
        [b"1 (UID 7 FLAGS (\\Seen) " + SECTION + b' "" INTERNALDATE "02-Dec-2026 00:00:00 +0000")'],
        [(b"1 (UID 7 " + SECTION + b" {2}", b"\r\n"), (b" BODY[TEXT] {1}", b"x"), b")"],
        [b"* garbage"],
    ],
    ids=["nil-section", "quoted-section", "two-literals", "garbage"],
)
def test_what_it_does_not_take_apart_is_left_to_imapclient(data: list[Any]) -> None:
    with pytest.raises(imap_fetch._Unexpected):
        imap_fetch._parse(data)

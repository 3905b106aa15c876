"""The first scan's own reading of FETCH answers (backends/imap_fetch.py) gives exactly what
imapclient's parser gives, on the real Dovecot's answers: keywords and system flags, 8-bit
and folded headers, an empty header selection, and text prefixes cut short or not."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from inboxguard.backends import imap_fetch
from inboxguard.backends.imap import HEADER_ITEM
from tests.live.dovecot_server import Mailbox

pytestmark = pytest.mark.live

HEADERS = [HEADER_ITEM, "INTERNALDATE", "FLAGS"]


def _without_seq(answers: dict[int, Any]) -> dict[int, Any]:
    return {uid: {k: v for k, v in a.items() if k != b"SEQ"} for uid, a in answers.items()}


@pytest.mark.parametrize("items", [HEADERS, ["BODY.PEEK[]<0.40>"], ["BODY.PEEK[]<0.65536>"]])
def test_the_fast_reading_equals_imapclients_on_dovecots_answers(
    items: list[str], mailbox: Mailbox, now: datetime
) -> None:
    when = now - timedelta(hours=3)
    mailbox.client_mail("INBOX", when)
    mailbox.append(
        "INBOX",
        b"Subject: =?UTF-8?B?5pel5pys6Kqe?=\r\n the folded part\r\nFrom: \xe5\xb1\xb1\xe7\x94\xb0 "
        b"<y@client.example>\r\nMessage-ID: <m2@x>\r\n\r\nbody (with) ) parentheses\r\n",
        when=when,
        flags=(b"\\Seen", b"\\Answered", b"$NoReplyNeeded", b"$Incident"),
    )
    mailbox.append("INBOX", b"X-Only: nothing we ask for\r\n\r\nbody\r\n", when=when)
    client = mailbox.imap
    client.select_folder("INBOX", readonly=True)
    uids = sorted(client.search(["ALL"]))
    ours = imap_fetch.fetch(client, uids, items)
    assert ours == _without_seq(client.fetch(uids, items))
    assert len(ours) == 3
    if items == HEADERS:
        flags = {b"\\Seen", b"\\Answered", b"$NoReplyNeeded", b"$Incident"}
        assert set(ours[uids[1]][b"FLAGS"]) - {b"\\Recent"} == flags
        (section,) = (k for k in ours[uids[2]] if k.startswith(b"BODY["))
        assert ours[uids[2]][section].strip() == b""

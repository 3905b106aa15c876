"""A first scan's FETCH of headers and text prefixes, read without imapclient's general parser.

imapclient tokenises every FETCH answer in Python: at 100,000 messages that lexer costs more
than the server's work and the socket together. The scan asks for few items (one body
section as a literal, INTERNALDATE, FLAGS, and on Gmail X-GM-THRID), so the answer is read
here with a few regular expressions over the text around the literal. Whatever does not
look exactly as expected (no literal, two literals, a quoted or NIL section) sends the whole
batch through imapclient's parser instead: the fast path is an optimisation, never a
second interpretation. The command goes through imapclient's own imaplib object, so errors
and the connection's state are as with ``IMAPClient.fetch``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from imapclient.datetime_util import parse_to_datetime
from imapclient.response_parser import parse_fetch_response

_START = re.compile(rb"^\d+ \(")
_UID = re.compile(rb"[( ]UID (\d+)[ )]")
_FLAGS = re.compile(rb"[( ]FLAGS \(([^()]*)\)")
_INTERNALDATE = re.compile(rb'[( ]INTERNALDATE "([^"]*)"')
_THRID = re.compile(rb"[( ]X-GM-THRID (\d+)[ )]")
# The section as imapclient names it: "BODY[HEADER.FIELDS (…)]", "BODY[]<0>".
_SECTION = re.compile(rb"[( ](BODY\[[^\]]*\](?:<\d+>)?) \{\d+\}$")


class _Unexpected(Exception):
    """An answer this reader does not take apart; imapclient's parser does."""


def fetch(client: Any, uids: Sequence[int], items: Sequence[str]) -> dict[int, Any]:
    """``client.fetch(uids, items)`` (UID → {item: value}, as imapclient gives it but for its
    ``SEQ``) for a fetch of one body section and the small items; unsolicited answers for
    other messages left out."""
    if not uids:
        return {}
    imap = client._imap  # imapclient's own imaplib connection (what its fetch uses)
    tag = imap._command("UID", "FETCH", ",".join(str(u) for u in uids), f"({' '.join(items)})")
    typ, data = imap._command_complete("FETCH", tag)
    client._checkok("fetch", typ, data)
    typ, data = imap._untagged_response(typ, data, "FETCH")
    try:
        parsed = _parse(data)
    except _Unexpected:
        parsed = {
            uid: {k: v for k, v in answer.items() if k != b"SEQ"}
            for uid, answer in parse_fetch_response(data, False, True).items()
        }
    wanted = set(uids)
    return {uid: answer for uid, answer in parsed.items() if uid in wanted}


def _parse(data: Sequence[Any]) -> dict[int, dict[bytes, Any]]:
    out: dict[int, dict[bytes, Any]] = {}
    index = 0
    while index < len(data):
        first = data[index]
        index += 1
        if first is None:
            continue
        head = first[0] if isinstance(first, tuple) else first
        if not isinstance(head, bytes) or not _START.match(head):
            raise _Unexpected
        text, literal, section = [head], None, b""
        if isinstance(first, tuple):
            found = _SECTION.search(head)
            if found is None or not isinstance(first[1], bytes):
                raise _Unexpected
            literal, section = first[1], found.group(1)
            text[0] = head[: found.start(1)]  # the section's own name holds no item
        # The rest of this answer: the text after the literal, up to the next answer.
        while index < len(data) and isinstance(data[index], bytes):
            if _START.match(data[index]):
                break
            text.append(data[index])
            index += 1
        if (
            index < len(data)
            and isinstance(data[index], tuple)
            and not _START.match(data[index][0])
        ):
            raise _Unexpected  # a second literal in one answer
        whole = b" ".join(text)
        uid = _UID.search(whole)
        if uid is None:
            continue  # an unsolicited FETCH (a flag changed elsewhere) without a UID
        if literal is None:
            if b"BODY[" in whole.upper():
                raise _Unexpected  # the section as NIL or a quoted string
            continue
        answer: dict[bytes, Any] = {section: literal}
        if (flags := _FLAGS.search(whole)) is not None:
            answer[b"FLAGS"] = tuple(flags.group(1).split())
        if (date := _INTERNALDATE.search(whole)) is not None:
            answer[b"INTERNALDATE"] = parse_to_datetime(date.group(1), normalise=False)
        if (thread := _THRID.search(whole)) is not None:
            answer[b"X-GM-THRID"] = int(thread.group(1))
        out[int(uid.group(1))] = answer
    return out

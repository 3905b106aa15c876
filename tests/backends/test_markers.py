"""Sync markers read back from the text earlier versions stored, and refuse anything else."""

from __future__ import annotations

import json

import pytest

from inboxguard.backends.base import SyncMarker
from inboxguard.backends.ews import EwsMarker
from inboxguard.backends.graph import GraphMarker
from inboxguard.backends.imap import ImapMarker
from inboxguard.backends.maildir import MaildirMarker
from inboxguard.backends.markers import MISSING, MissingFolder

DELTA = "https://graph.microsoft.com/v1.0/me/mailFolders/inbox/messages/delta?$deltatoken=Lk9"
# What `json.dumps(dict(marker), sort_keys=True)` wrote into folders.marker_json before
# markers were typed, and the typed marker each must read back as.
STORED: list[tuple[str, SyncMarker]] = [
    (
        '{"highestmodseq": 17, "messages": 3, "uidnext": 4, "uidvalidity": 1700000001}',
        ImapMarker(uidvalidity=1700000001, uidnext=4, messages=3, highestmodseq=17),
    ),
    (
        '{"highestmodseq": null, "messages": 0, "uidnext": 1, "uidvalidity": 5}',
        ImapMarker(uidvalidity=5, uidnext=1, messages=0, highestmodseq=None),
    ),
    # Without CONDSTORE: polls since the last flags scan and that scan's digest (issue 16).
    (
        '{"flags": "0f1e2d3c4b5a6978", "highestmodseq": null, "messages": 3, "polls": 2, '
        '"uidnext": 4, "uidvalidity": 9}',
        ImapMarker(9, 4, 3, None, polls=2, flags="0f1e2d3c4b5a6978"),
    ),
    (
        '{"flags": null, "highestmodseq": null, "messages": 3, "polls": 1, '
        '"uidnext": 4, "uidvalidity": 9}',
        ImapMarker(9, 4, 3, None, polls=1),
    ),
    (
        '{"cur": 1795100000123456789, "inode": 918273, "new": 1795100000000000000}',
        MaildirMarker(inode=918273, cur=1795100000123456789, new=1795100000000000000),
    ),
    (json.dumps({"delta": DELTA}, sort_keys=True), GraphMarker(DELTA)),
    ('{"sync_state": "H4sIAAAAAAAEAO29B2A="}', EwsMarker("H4sIAAAAAAAEAO29B2A=")),
    ('{"missing": true}', MISSING),
]
DECODERS = {
    ImapMarker: ImapMarker.decode,
    MaildirMarker: MaildirMarker.decode,
    GraphMarker: GraphMarker.decode,
    EwsMarker: EwsMarker.decode,
    MissingFolder: MissingFolder.decode,
}


@pytest.mark.parametrize(("text", "marker"), STORED)
def test_a_stored_marker_decodes_to_its_typed_marker_and_encodes_to_the_same_text(
    text: str, marker: SyncMarker
) -> None:
    assert DECODERS[type(marker)](text) == marker
    assert marker.encode() == text


@pytest.mark.parametrize(("text", "marker"), STORED)
def test_no_backend_reads_another_ones_marker(text: str, marker: SyncMarker) -> None:
    others = [decode for kind, decode in DECODERS.items() if kind is not type(marker)]
    assert [decode(text) for decode in others] == [None] * len(others)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "garbage",
        "null",
        "[]",
        '"uidnext"',
        '{"uidvalidity": 1, "uidnext": 2, "messages": 3}',  # a key short
        '{"uidvalidity": 1, "uidnext": 2, "messages": 3, "highestmodseq": 4, "x": 5}',
        '{"uidvalidity": true, "uidnext": 2, "messages": 3, "highestmodseq": null}',
        '{"uidvalidity": 1.5, "uidnext": 2, "messages": 3, "highestmodseq": null}',
        '{"uidvalidity": 1, "uidnext": 2, "messages": 3, "highestmodseq": "4"}',
        '{"uidvalidity": 1, "uidnext": 2, "messages": 3, "highestmodseq": null, "polls": -1, '
        '"flags": null}',
        '{"uidvalidity": 1, "uidnext": 2, "messages": 3, "highestmodseq": null, "polls": true, '
        '"flags": null}',
        '{"uidvalidity": 1, "uidnext": 2, "messages": 3, "highestmodseq": null, "polls": 1, '
        '"flags": 5}',
        '{"uidvalidity": 1, "uidnext": 2, "messages": 3, "highestmodseq": null, "polls": 1}',
        '{"inode": null, "cur": 1, "new": 2}',
        '{"delta": ""}',
        '{"sync_state": null}',
        '{"missing": false}',
        "[" * 50_000,
    ],
)
def test_damaged_text_decodes_to_nothing_rather_than_raising(text: str) -> None:
    assert [decode(text) for decode in DECODERS.values()] == [None] * len(DECODERS)


def test_an_imap_marker_differing_only_in_its_flags_scan_state_is_the_same_folder_state() -> None:
    status = ImapMarker(9, 4, 3, None)
    scanned = ImapMarker(9, 4, 3, None, polls=3, flags="0f1e2d3c4b5a6978")
    assert scanned.same_folder_state(status) and status.same_folder_state(scanned)
    assert not ImapMarker(9, 5, 4, None).same_folder_state(scanned)
    # With CONDSTORE the marker is the four fields it always was.
    assert set(json.loads(ImapMarker(9, 4, 3, 17).encode())) == {
        "uidvalidity", "uidnext", "messages", "highestmodseq",
    }  # fmt: skip

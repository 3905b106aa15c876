"""The IMAP backend's contract against a real Dovecot, on the wire: its marker round-trips,
a marker it cannot read rescans, `describe` reads only (and refuses a Drafts folder the
server lacks), and no APPEND (of a draft or of the
digest) is ever sent while a folder is selected read-only."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from imapclient import IMAPClient

from inboxguard.backends.base import Folder, OutgoingDraft
from inboxguard.backends.imap import ImapBackend, ImapMarker
from inboxguard.config import Config, ImapAccount, parse_config
from inboxguard.delivery import imap_append
from inboxguard.domain.tracked import FolderRole
from inboxguard.errors import BackendError
from tests.delivery.digests import digest_message
from tests.live.conftest import ENV_PASSWORD, Mailbox
from tests.mailboxes import CLIENT, OWNER, build_message, config_dict

pytestmark = pytest.mark.live

INBOX = Folder("INBOX", FolderRole.INCOMING)
DRAFTS = Folder("Drafts", FolderRole.DRAFTS)
READ_ONLY = {"CAPABILITY", "LOGIN", "ENABLE", "LIST", "STATUS", "EXAMINE", "SEARCH", "LOGOUT"}


class _WireClient(IMAPClient):  # type: ignore[misc]  # imapclient ships no type hints
    """The real client, keeping every tagged command it writes to the socket in order
    (``UID X`` as X; imapclient sends SEARCH past imaplib's own command method), and able
    to hide UNSELECT as a server without RFC 3691 would."""

    def __init__(self, wire: Wire, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._wire = wire
        imap = self._imap
        command = re.compile(rb"^" + re.escape(imap.tagpre) + rb"\d+ (?:UID )?([A-Za-z]+)")
        send = imap.send

        def recording(data: bytes) -> Any:
            if match := command.match(data):  # a literal's bytes (the message) are no command
                wire.commands.append(match.group(1).decode().upper())
            return send(data)

        imap.send = recording

    def capabilities(self) -> Any:
        offered = super().capabilities()
        return tuple(c for c in offered if c.upper() not in self._wire.hidden)


class Wire:
    def __init__(self, *, hide: frozenset[bytes] = frozenset()) -> None:
        self.commands: list[str] = []
        self.hidden = hide

    def factory(self, *args: Any, **kwargs: Any) -> Any:
        return _WireClient(self, *args, **kwargs)

    def appends_while_selected(self) -> list[int]:
        """Positions of every APPEND sent while an EXAMINE was still in force."""
        selected, found = False, []
        for position, command in enumerate(self.commands):
            if command in {"EXAMINE", "SELECT"}:
                selected = True
            elif command in {"UNSELECT", "CLOSE"}:
                selected = False
            elif command == "APPEND" and selected:
                found.append(position)
        return found


def config(mailbox: Mailbox, tmp_path: Path, **account: Any) -> Config:
    data = config_dict(tmp_path / "unused", tmp_path)
    data["accounts"] = [
        {
            "name": "work",
            "kind": "imap",
            "host": mailbox.server.host,
            "port": mailbox.server.port,
            "security": "none",
            "username": mailbox.user,
            "password_env": ENV_PASSWORD,
            "timeout": 10,
            **account,
        }
    ]
    data["digest"] = {"delivery": "imap-append", "account": "work"}
    return parse_config(data)


def backend(mailbox: Mailbox, tmp_path: Path, wire: Wire | None = None, **kw: Any) -> ImapBackend:
    account = config(mailbox, tmp_path, **kw).accounts[0]
    assert isinstance(account, ImapAccount)
    return ImapBackend(account, client_factory=(wire or Wire()).factory)


def draft(message_id: str = "<ig-9@inboxguard.invalid>") -> OutgoingDraft:
    message = build_message(
        sender=OWNER,
        to=CLIENT,
        subject="Re: 見積のご依頼",
        date=datetime(2026, 11, 20, 12, 0).astimezone(),
        message_id=message_id,
        in_reply_to="<q1@client.example>",
    )
    return OutgoingDraft(message_id, message.as_bytes())  # LF: the backend makes it CRLF


def test_the_marker_encodes_as_the_store_always_kept_it_and_an_unchanged_folder_is_one_status(
    mailbox: Mailbox, tmp_path: Path, now: datetime
) -> None:
    mailbox.client_mail("INBOX", now - timedelta(hours=3))
    since = now - timedelta(days=30)
    with backend(mailbox, tmp_path) as imap:
        first = imap.changes(INBOX, None, since=since, known_uids=frozenset)
    assert isinstance(first.marker, ImapMarker) and len(first.new_uids) == 1
    stored = first.marker.encode()
    marker = first.marker
    assert stored == json.dumps(
        {
            "uidvalidity": marker.uidvalidity,
            "uidnext": marker.uidnext,
            "messages": marker.messages,
            "highestmodseq": marker.highestmodseq,
        },
        sort_keys=True,
    )
    assert marker.highestmodseq is not None  # Dovecot offers CONDSTORE
    wire = Wire()
    with backend(mailbox, tmp_path, wire) as imap:  # the next poll, on a new connection
        wire.commands.clear()
        again = imap.changes(INBOX, stored, since=since, known_uids=frozenset)
    assert again.unchanged and again.marker == marker
    assert wire.commands == ["STATUS", "LOGOUT"]


@pytest.mark.parametrize(
    "stored",
    [
        "{not json",
        '{"missing": true}',
        '{"inode": 1, "cur": 2, "new": 3}',
        '{"uidvalidity": "1", "uidnext": 2, "messages": 1, "highestmodseq": null}',
    ],
)
def test_a_marker_it_cannot_read_is_a_reset_of_the_window_not_an_error(
    mailbox: Mailbox, tmp_path: Path, now: datetime, stored: str
) -> None:
    mailbox.client_mail("INBOX", now - timedelta(hours=3))
    mailbox.client_mail("INBOX", now - timedelta(days=40), mid="<old@client.example>")
    with backend(mailbox, tmp_path) as imap:
        changes = imap.changes(INBOX, stored, since=now - timedelta(days=30), known_uids=frozenset)
    assert changes.reset and len(changes.new_uids) == 1  # the window, not the whole folder
    assert isinstance(changes.marker, ImapMarker)


def test_describe_lists_each_folder_once_without_a_prefix_and_fetches_nothing(
    mailbox: Mailbox, tmp_path: Path, now: datetime
) -> None:
    mailbox.client_mail("INBOX", now - timedelta(hours=3))
    mailbox.imap.create_folder("Brouillons")
    wire = Wire()
    with backend(mailbox, tmp_path, wire, drafts_folder="Brouillons") as imap:
        lines = imap.describe(now=now, lookback=timedelta(days=30))
    server = mailbox.server
    assert lines[0] == f"imap {mailbox.user} at {server.host}:{server.port} (none)"
    assert lines[1].startswith("  capabilities: ") and "CONDSTORE" in lines[1]
    assert lines[2:] == [
        "  incoming  INBOX: 1 message(s) in the last 30 days",
        "  sent      Sent: 0 message(s) in the last 30 days",
        "  drafts    Brouillons: 0 message(s) in the last 30 days",
    ]
    assert set(wire.commands) <= READ_ONLY | {"UNSELECT"}, wire.commands


def test_describe_of_a_drafts_folder_the_server_lacks_is_an_error_saying_what_to_do(
    mailbox: Mailbox, tmp_path: Path, now: datetime
) -> None:
    # Unlike a maildir's, it is never created: every draft would fail until the owner acts.
    wire = Wire()
    with (
        pytest.raises(BackendError) as caught,
        backend(mailbox, tmp_path, wire, drafts_folder="Brouillons") as imap,
    ):
        imap.describe(now=now, lookback=timedelta(days=30))
    assert str(caught.value) == (
        f"account 'work': Drafts folder 'Brouillons' does not exist on {mailbox.server.host}: "
        "create it in your mail client, or set drafts_folder to an existing one"
    )
    assert set(wire.commands) <= READ_ONLY | {"UNSELECT"}, wire.commands


def test_a_draft_is_appended_only_after_the_read_only_view_is_closed(
    mailbox: Mailbox, tmp_path: Path, now: datetime
) -> None:
    mailbox.client_mail("INBOX", now - timedelta(hours=20))
    wire = Wire()
    with backend(mailbox, tmp_path, wire) as imap:
        (uid,) = imap.changes(
            INBOX, None, since=now - timedelta(days=30), known_uids=frozenset
        ).new_uids
        list(imap.fetch_headers(INBOX, [uid]))  # INBOX is EXAMINEd now
        location = imap.append_draft(draft())
        assert imap.find_draft("<ig-9@inboxguard.invalid>") == location  # Drafts EXAMINEd
        assert imap.append_draft(draft("<ig-10@inboxguard.invalid>"))
    assert wire.commands.count("APPEND") == 2
    assert "EXAMINE" in wire.commands[: wire.commands.index("APPEND")]
    assert wire.appends_while_selected() == []
    assert "SELECT" not in wire.commands  # only ever read-only views
    for flags, raw in mailbox.messages("Drafts").values():
        assert {b"\\Draft", b"\\Seen"} <= flags
        assert b"\n" not in raw.replace(b"\r\n", b"")  # CRLF throughout


def test_without_unselect_the_view_is_left_by_close_which_expunges_nothing_after_examine(
    mailbox: Mailbox, tmp_path: Path, now: datetime
) -> None:
    # A message already flagged \Deleted (by the owner's client): CLOSE after a read-write
    # SELECT would expunge it; after EXAMINE it must stay (RFC 3501 §6.4.2).
    mailbox.client_mail("Drafts", now - timedelta(hours=1), mid="<owners-own@example.jp>")
    mailbox.imap.select_folder("Drafts")  # the test, not the product, flags it
    (deleted,) = mailbox.imap.search(["ALL"])
    mailbox.imap.add_flags([deleted], [b"\\Deleted"])
    mailbox.imap.unselect_folder()
    before = mailbox.snapshot()
    wire = Wire(hide=frozenset({b"UNSELECT"}))
    with backend(mailbox, tmp_path, wire) as imap:
        assert "UNSELECT" not in imap.capabilities
        assert imap.find_draft("<ig-9@inboxguard.invalid>") is None
        imap.append_draft(draft())
    assert wire.appends_while_selected() == []
    assert "CLOSE" in wire.commands and "NOOP" not in wire.commands
    assert "UNSELECT" not in wire.commands
    after = mailbox.snapshot()
    assert {k: v for k, v in after.items() if k in before} == before  # still there, unchanged
    assert len(after) == len(before) + 1


@pytest.mark.parametrize("hide", [frozenset(), frozenset({b"UNSELECT"})])
def test_the_digest_is_searched_for_once_then_appended_unread_after_the_view_is_closed(
    mailbox: Mailbox, tmp_path: Path, hide: frozenset[bytes]
) -> None:
    settings = config(mailbox, tmp_path)
    wire = Wire(hide=hide)
    first = imap_append.append(digest_message(), settings, client_factory=wire.factory)
    again = imap_append.append(digest_message(), settings, client_factory=wire.factory)
    assert not first.already_there and again.already_there
    assert wire.commands.count("SEARCH") == 2  # once per delivery, never twice in one
    assert wire.commands.count("APPEND") == 1
    assert wire.appends_while_selected() == []
    assert ("CLOSE" if hide else "UNSELECT") in wire.commands
    ((flags, raw),) = mailbox.messages("INBOX").values()
    assert b"\\Seen" not in flags
    assert b"\n" not in raw.replace(b"\r\n", b"")

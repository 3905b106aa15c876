"""The maildir backend: both layouts, read-only on mail, drafts flagged D, keywords."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from inboxguard.backends.base import Folder, OutgoingDraft
from inboxguard.backends.maildir import MaildirBackend, MaildirMarker
from inboxguard.backends.markers import MISSING
from inboxguard.config import MaildirAccount
from inboxguard.domain.tracked import FolderRole
from inboxguard.errors import BackendError
from tests.mailboxes import CLIENT, OWNER, Maildir

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
INBOX = Folder("INBOX", FolderRole.INCOMING)


def account(path: Path) -> MaildirAccount:
    return MaildirAccount(name="work", kind="maildir", path=path)


def make_maildirpp(root: Path) -> None:
    """Maildir++: INBOX at the root, folders as .Sent and .Drafts."""
    for folder in (root, root / ".Sent"):
        for sub in ("cur", "new", "tmp"):
            (folder / sub).mkdir(parents=True, exist_ok=True)


def test_maildirpp_layout_reads_inbox_at_the_root_and_writes_drafts_as_a_subfolder(
    tmp_path: Path,
) -> None:
    root = tmp_path / "Maildir"
    make_maildirpp(root)
    (root / "new" / "1795100000.A.host").write_bytes(
        b"From: a@b\nSubject: x\nMessage-ID: <x@b>\n\nbody\n"
    )
    with MaildirBackend(account(root)) as backend:
        assert not backend.verbatim
        assert backend.path_of("Sent") == root / ".Sent"
        changes = backend.changes(INBOX, None, since=NOW - timedelta(days=30), known_uids=frozenset)
        assert list(changes.new_uids) == ["1795100000.A.host"]
        key = backend.append_draft(OutgoingDraft("<ig-1@x>", b"Message-ID: <ig-1@x>\n\nhello\n"))
        assert backend.find_draft("<ig-1@x>") == key
        assert backend.find_draft("<ig-2@x>") is None
    (draft,) = (root / ".Drafts" / "cur").iterdir()
    assert draft.name.endswith(":2,DS")
    assert (root / ".Drafts" / "maildirfolder").exists()


def test_a_path_that_is_not_a_maildir_is_an_error_naming_it(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with (
        pytest.raises(BackendError, match="is not a maildir"),
        MaildirBackend(account(tmp_path / "empty")),
    ):
        pass


def test_dovecot_keywords_become_message_keywords(tmp_path: Path) -> None:
    mail = Maildir(tmp_path / "Mail")
    (mail.root / "INBOX" / "dovecot-keywords").write_text("0 $NoReplyNeeded\n1 $Incident\n")
    path = mail.add(
        "INBOX", sender=CLIENT, to=OWNER, subject="s", date=NOW, message_id="<k@c>", flags="Sa"
    )
    with MaildirBackend(account(mail.root)) as backend:
        (fetched,) = backend.fetch_headers(INBOX, [path.name.split(":2,")[0]])
    assert fetched.keywords == frozenset({"$NoReplyNeeded"})


def test_the_marker_encodes_as_the_store_always_kept_it_and_an_unchanged_folder_reads_nothing(
    tmp_path: Path,
) -> None:
    mail = Maildir(tmp_path / "Mail")
    mail.add("INBOX", sender=CLIENT, to=OWNER, subject="s", date=NOW, message_id="<a@c>")
    since = NOW - timedelta(days=30)
    with MaildirBackend(account(mail.root)) as backend:
        first = backend.changes(INBOX, None, since=since, known_uids=frozenset)
        assert isinstance(first.marker, MaildirMarker)
        stored = first.marker.encode()
        fields = {"inode": first.marker.inode, "cur": first.marker.cur, "new": first.marker.new}
        assert stored == json.dumps(fields, sort_keys=True)  # what the store wrote before
        assert MaildirMarker.decode(stored) == first.marker

        def known() -> set[str]:
            raise AssertionError("an unchanged folder needs no listing of stored uids")

        again = backend.changes(INBOX, stored, since=since, known_uids=known)
    assert again.unchanged and not again.missing
    assert again.marker == first.marker


@pytest.mark.parametrize(
    "stored",
    [
        "not json",
        "",
        "[1, 2]",
        '{"inode": "12", "cur": 1, "new": 2}',
        '{"delta": "https://graph.microsoft.com/v1.0/me/mailFolders/inbox/messages/delta"}',
        '{"missing": true}',
        "[" * 100_000,
    ],
)
def test_a_marker_it_cannot_read_is_a_reset_of_the_window_not_an_error(
    tmp_path: Path, stored: str
) -> None:
    mail = Maildir(tmp_path / "Mail")
    path = mail.add("INBOX", sender=CLIENT, to=OWNER, subject="s", date=NOW, message_id="<a@c>")
    with MaildirBackend(account(mail.root)) as backend:
        changes = backend.changes(
            INBOX, stored, since=NOW - timedelta(days=30), known_uids=lambda: {"stale"}
        )
    assert changes.reset
    assert list(changes.new_uids) == [path.name.split(":2,")[0]]
    assert isinstance(changes.marker, MaildirMarker)


def test_a_drafts_folder_not_created_yet_is_missing_and_its_marker_stays_put(
    tmp_path: Path,
) -> None:
    mail = Maildir(tmp_path / "Mail", folders=("INBOX", "Sent"))
    drafts = Folder("Drafts", FolderRole.DRAFTS)
    since = NOW - timedelta(days=30)
    with MaildirBackend(account(mail.root)) as backend:
        first = backend.changes(drafts, None, since=since, known_uids=frozenset)
        again = backend.changes(drafts, first.marker.encode(), since=since, known_uids=frozenset)
    assert first.missing and first.marker is MISSING and not first.reset
    assert first.marker.encode() == json.dumps({"missing": True}, sort_keys=True)
    assert again.missing and again.unchanged


def test_describe_names_the_layout_and_each_folder_once_without_the_account_prefix(
    tmp_path: Path,
) -> None:
    mail = Maildir(tmp_path / "Mail", folders=("INBOX", "Sent"))
    for days in (1, 2, 45):
        mail.add(
            "INBOX",
            sender=CLIENT,
            to=OWNER,
            subject="s",
            date=NOW - timedelta(days=days),
            message_id=f"<d{days}@c>",
        )
    before = sorted(p.name for p in mail.root.rglob("*"))
    with MaildirBackend(account(mail.root)) as backend:
        lines = backend.describe(now=NOW, lookback=timedelta(days=30))
    assert lines == [
        f"maildir {mail.root} (one maildir per folder)",
        "  incoming  INBOX: 2 message(s) in the last 30 days",
        "  sent      Sent: 0 message(s) in the last 30 days",
        "  drafts    Drafts: missing (created on the first draft)",
    ]
    assert sorted(p.name for p in mail.root.rglob("*")) == before  # nothing created

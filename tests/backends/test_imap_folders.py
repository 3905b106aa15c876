"""Drafts and Sent discovery over one LIST answer: configured, special-use, usual names."""

from __future__ import annotations

from inboxguard.backends.imap_folders import (
    DRAFTS_FLAG,
    DRAFTS_NAMES,
    SENT_FLAG,
    SENT_NAMES,
    ListedFolder,
    find_folder,
    listed_folders,
)


def listing(*rows: tuple[str, tuple[bytes, ...]], delimiter: bytes = b"/") -> list[ListedFolder]:
    return listed_folders([(flags, delimiter, name) for name, flags in rows])


def drafts(folders: list[ListedFolder], configured: str | None = None) -> str | None:
    return find_folder(folders, configured=configured, flag=DRAFTS_FLAG, well_known=DRAFTS_NAMES)


def sent(folders: list[ListedFolder]) -> str | None:
    return find_folder(folders, configured=None, flag=SENT_FLAG, well_known=SENT_NAMES)


def test_special_use_wins_over_a_usual_name() -> None:
    folders = listing(("Drafts", ()), ("Entwürfe", (b"\\HasNoChildren", b"\\Drafts")))
    assert drafts(folders) == "Entwürfe"


def test_gmail_japanese_names_without_special_use() -> None:
    folders = listing(("INBOX", ()), ("[Gmail]/下書き", ()), ("[Gmail]/送信済みメール", ()))
    assert drafts(folders) == "[Gmail]/下書き"
    assert sent(folders) == "[Gmail]/送信済みメール"


def test_outlook_names_match_case_insensitively() -> None:
    assert sent(listing(("SENT ITEMS", ()), ("送信済みアイテム", ()))) == "SENT ITEMS"


def test_courier_inbox_prefix_is_looked_through() -> None:
    folders = listing(("INBOX", ()), ("INBOX.Drafts", ()), ("INBOX.Sent", ()), delimiter=b".")
    assert (drafts(folders), sent(folders)) == ("INBOX.Drafts", "INBOX.Sent")


def test_a_configured_name_is_used_as_written() -> None:
    folders = listing(("Drafts", (b"\\Drafts",)), ("Work Drafts", ()))
    assert drafts(folders, configured="Work Drafts") == "Work Drafts"


def test_unselectable_folders_are_never_chosen() -> None:
    assert drafts(listing(("Drafts", (b"\\Noselect",)))) is None

"""Which IMAP folders are Drafts and Sent: pure decisions over one LIST answer.

Order of trust: a name the owner configured (they know their mailbox), then the server's
SPECIAL-USE attributes (RFC 6154), then the names mail clients commonly create, in Japanese,
English and the other languages a freelancer's provider may default to. imapclient has
already decoded modified UTF-7, so ``下書き`` arrives as text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

DRAFTS_FLAG = b"\\Drafts"
SENT_FLAG = b"\\Sent"
_UNUSABLE = {b"\\noselect", b"\\nonexistent"}

# Most specific first: the first name present wins.
DRAFTS_NAMES = (
    "Drafts",
    "Draft",
    "下書き",
    "[Gmail]/下書き",
    "[Gmail]/Drafts",
    "[Google Mail]/Drafts",
    "Entwürfe",
    "Brouillons",
    "Borradores",
    "Bozze",
    "Concepten",
    "Rascunhos",
    "Черновики",
    "草稿",
)
SENT_NAMES = (
    "Sent",
    "Sent Items",
    "Sent Messages",
    "Sent Mail",
    "送信済みアイテム",
    "送信済み",
    "送信済みメール",
    "[Gmail]/送信済みメール",
    "[Gmail]/Sent Mail",
    "[Google Mail]/Sent Mail",
    "Gesendete Elemente",
    "Gesendet",
    "Éléments envoyés",
    "Envoyés",
    "Elementos enviados",
    "Posta inviata",
    "Verzonden items",
    "Отправленные",
    "已发送",
)


@dataclass(frozen=True, slots=True)
class ListedFolder:
    name: str
    flags: frozenset[bytes]
    delimiter: str

    @property
    def selectable(self) -> bool:
        return not {f.lower() for f in self.flags} & _UNUSABLE

    def short_names(self) -> set[str]:
        """The name, and the name without a leading ``INBOX.`` (Courier, Cyrus layouts)."""
        names = {self.name.casefold()}
        prefix = f"INBOX{self.delimiter}" if self.delimiter else ""
        if prefix and self.name.upper().startswith(prefix.upper()):
            names.add(self.name[len(prefix) :].casefold())
        return names


def listed_folders(
    listing: Sequence[tuple[Sequence[bytes], bytes | None, str]],
) -> list[ListedFolder]:
    """imapclient's ``list_folders()`` answer as typed rows."""
    rows = []
    for flags, delimiter, name in listing:
        separator = delimiter.decode("ascii", errors="replace") if delimiter else ""
        rows.append(ListedFolder(str(name), frozenset(bytes(f) for f in flags), separator))
    return rows


def find_folder(
    folders: Sequence[ListedFolder],
    *,
    configured: str | None,
    flag: bytes,
    well_known: Sequence[str],
) -> str | None:
    usable = [f for f in folders if f.selectable]
    if configured is not None:
        return configured  # even when missing: the error then names what the owner wrote
    for folder in usable:
        if flag.lower() in {f.lower() for f in folder.flags}:
            return folder.name
    for candidate in well_known:
        for folder in usable:
            if candidate.casefold() in folder.short_names():
                return folder.name
    return None

"""Local Maildir trees kept in sync by mbsync/offlineimap; also the demo's mailbox.

Two layouts are detected: Maildir++ (INBOX at the root, folders as ``.Name``) and one maildir
per folder (mbsync ``SubFolders Verbatim``: ``INBOX/``, ``Sent/``, ``Drafts/``). Mail is only
read; the one write is a new file in the Drafts maildir, flagged ``D`` (draft) and ``S`` (and
the digest's, delivered into INBOX ``new/`` with no flag, so unread).

A folder's marker is its directory's inode and the mtimes of ``cur/`` and ``new/``: a
delivery, a removal or a flag change renames a file and so bumps one of them; the inode
changes when a sync tool recreates the folder (what UIDVALIDITY is to IMAP).
"""

from __future__ import annotations

import mailbox
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence, Set
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.parser import BytesHeaderParser
from email.policy import compat32
from pathlib import Path

from inboxguard.backends.base import FetchedHeaders, Folder, FolderChanges, OutgoingDraft
from inboxguard.backends.inbox import INBOX
from inboxguard.backends.markers import (
    MISSING,
    MissingFolder,
    decode_fields,
    encode_fields,
    whole_number,
)
from inboxguard.config import MaildirAccount
from inboxguard.domain.tracked import FolderRole
from inboxguard.errors import BackendError

HEADER_LIMIT = 256 * 1024  # a header block larger than this is hostile; the parser copes
_TIMESTAMP = re.compile(r"^(\d{9,11})\.")
_BLANK_LINE = re.compile(rb"\r?\n\r?\n")  # where a header block ends, LF or CRLF
_MARKER_KEYS = frozenset({"inode", "cur", "new"})
# The digest's own header block is a few kilobytes; sync tools add a line or two on top.
# Reading this much of each INBOX file finds it without reading whole attachments.
INBOX_HEAD_BYTES = 16 * 1024


@dataclass(frozen=True, slots=True)
class MaildirMarker:
    inode: int
    cur: int  # st_mtime_ns of cur/
    new: int  # st_mtime_ns of new/

    def encode(self) -> str:
        return encode_fields({"inode": self.inode, "cur": self.cur, "new": self.new})

    @staticmethod
    def decode(text: str) -> MaildirMarker | None:
        """The marker ``encode`` wrote; None for anything else."""
        fields = decode_fields(text, _MARKER_KEYS)
        if fields is None:
            return None
        inode, cur, new = (whole_number(fields[key]) for key in ("inode", "cur", "new"))
        if inode is None or cur is None or new is None:
            return None
        return MaildirMarker(inode, cur, new)


class MaildirBackend:
    def __init__(self, config: MaildirAccount) -> None:
        self.account = config.name
        self._config = config
        self._root = config.path
        self._files: dict[tuple[str, str], Path] = {}

    # -- lifecycle ------------------------------------------------------------------------

    def __enter__(self) -> MaildirBackend:
        self.check_layout()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._files.clear()

    @property
    def root(self) -> Path:
        return self._root

    @property
    def verbatim(self) -> bool:
        """True for one-maildir-per-folder (INBOX/ beside Sent/), False for Maildir++."""
        return not _is_maildir(self._root) and _is_maildir(self._root / "INBOX")

    def check_layout(self) -> list[str]:
        """Raise BackendError naming what is missing; returns the folders found."""
        if not self._root.exists():
            raise BackendError(self.account, f"maildir {self._root} does not exist")
        if not os.access(self._root, os.R_OK | os.X_OK):
            raise BackendError(self.account, f"maildir {self._root} is not readable")
        if not (_is_maildir(self._root) or _is_maildir(self._root / "INBOX")):
            raise BackendError(
                self.account,
                f"{self._root} is not a maildir (no cur/ and new/, nor INBOX/cur and INBOX/new)",
            )
        found = []
        for folder in self.folders():
            path = self.path_of(folder.name)
            if folder.role is FolderRole.DRAFTS and not path.exists():
                continue  # created on the first draft
            if not _is_maildir(path):
                raise BackendError(self.account, f"folder {folder.name!r} not found at {path}")
            found.append(folder.name)
        return found

    # -- folders --------------------------------------------------------------------------

    def folders(self) -> Sequence[Folder]:
        folders = [Folder(name, FolderRole.INCOMING) for name in self._config.watch]
        folders.append(Folder(self._config.sent_folder, FolderRole.SENT))
        folders.append(Folder(self._config.drafts_folder, FolderRole.DRAFTS))
        return folders

    def path_of(self, name: str) -> Path:
        if self.verbatim:
            return self._root / name
        if name.upper() == "INBOX":
            return self._root
        return self._root / ("." + name.replace("/", "."))

    # -- reading --------------------------------------------------------------------------

    def changes(
        self,
        folder: Folder,
        marker: str | None,
        *,
        since: datetime,
        known_uids: Callable[[], Set[str]],
    ) -> FolderChanges:
        path = self.path_of(folder.name)
        if not _is_maildir(path):
            if folder.role is FolderRole.DRAFTS:
                was_there = marker is not None and MissingFolder.decode(marker) is None
                return FolderChanges(marker=MISSING, reset=was_there, missing=True)
            raise BackendError(self.account, f"folder {folder.name!r} not found at {path}")
        stored = MaildirMarker.decode(marker) if marker is not None else None
        current = _marker(path)
        if stored == current:
            return FolderChanges(marker=current)
        # A marker that is not ours to read (damaged, a missing folder's) counts as a
        # recreated folder: the window is read again and the folder's stored rows replaced.
        reset = marker is not None and (stored is None or stored.inode != current.inode)
        known: Set[str] = frozenset() if reset else known_uids()
        listing = self._list(folder.name, path)
        since_ts = since.timestamp()
        new = sorted(
            uid
            for uid, file in listing.items()
            if uid not in known and _received_ts(file) >= since_ts
        )
        vanished = sorted(known - listing.keys())
        names = _keyword_names(path)
        # Keywords live in the file name: report them for every known message when the
        # folder has keywords at all; the store keeps only real differences.
        keywords = (
            {uid: _keywords_of(file.name, names) for uid, file in listing.items() if uid in known}
            if names
            else {}
        )
        return FolderChanges(
            marker=current,
            new_uids=new,
            vanished_uids=vanished,
            reset=reset,
            keyword_updates=keywords,
        )

    def fetch_headers(self, folder: Folder, uids: Sequence[str]) -> Iterator[FetchedHeaders]:
        keywords = _keyword_names(self.path_of(folder.name))
        for uid in uids:
            file = self._file(folder, uid)
            if file is None:
                continue  # moved away by a sync tool between listing and reading
            try:
                with file.open("rb") as handle:
                    head = _header_block(handle.read(HEADER_LIMIT))
            except OSError:
                continue
            yield FetchedHeaders(
                uid=uid,
                header_bytes=head,
                received_at=datetime.fromtimestamp(_received_ts(file), tz=UTC),
                keywords=_keywords_of(file.name, keywords),
            )

    def fetch_text(self, folder: Folder, uid: str, *, max_bytes: int) -> bytes:
        file = self._file(folder, uid)
        if file is None:
            return b""
        try:
            with file.open("rb") as handle:
                return handle.read(max_bytes)
        except OSError:
            return b""

    def fetch_texts(
        self, folder: Folder, uids: Sequence[str], *, max_bytes: int
    ) -> Iterator[tuple[str, bytes]]:
        for uid in uids:  # local files: a batch is no cheaper than a loop
            yield uid, self.fetch_text(folder, uid, max_bytes=max_bytes)

    # -- the one write --------------------------------------------------------------------

    def find_draft(self, message_id: str) -> str | None:
        path = self.path_of(self._config.drafts_folder)
        if not _is_maildir(path):
            return None
        parser = BytesHeaderParser(policy=compat32)
        for uid, file in self._list(self._config.drafts_folder, path).items():
            try:
                with file.open("rb") as handle:
                    headers = parser.parsebytes(_header_block(handle.read(HEADER_LIMIT)))
            except OSError:
                continue
            if str(headers.get("Message-ID", "")).strip() == message_id:
                return uid
        return None

    def append_draft(self, draft: OutgoingDraft) -> str:
        # The draft's threading headers are in its bytes: a maildir needs nothing of reply_to.
        path = self.path_of(self._config.drafts_folder)
        try:
            box = mailbox.Maildir(path, factory=None, create=True)
            if not self.verbatim:
                (path / "maildirfolder").touch(exist_ok=True)  # Maildir++ marks subfolders so
            message = mailbox.MaildirMessage(draft.raw)
            message.set_subdir("cur")
            message.set_flags("DS")
            key = box.add(message)
        except OSError as exc:
            raise BackendError(
                self.account, f"cannot write draft into {path}: {exc.strerror}"
            ) from None
        return str(key)

    # -- check ----------------------------------------------------------------------------

    def describe(self, *, now: datetime, lookback: timedelta) -> list[str]:
        layout = "one maildir per folder" if self.verbatim else "Maildir++"
        lines = [f"maildir {self._root} ({layout})"]
        for folder in self.folders():
            label = f"  {folder.role.value:<9} {folder.name}:"
            changes = self.changes(folder, None, since=now - lookback, known_uids=frozenset)
            if changes.missing:
                lines.append(f"{label} missing (created on the first draft)")
            else:
                count = len(changes.new_uids)
                lines.append(f"{label} {count} message(s) in the last {lookback.days} days")
        return lines

    # -- the digest's INBOX (backends.inbox.InboxAppender) -------------------------------

    @contextmanager
    def open_inbox(self) -> Iterator[None]:
        self._inbox()  # the INBOX only: a Sent folder not synced yet keeps no digest out
        yield

    def probe_inbox(self) -> str:
        inbox = self._inbox()
        if not os.access(inbox / "new", os.W_OK | os.X_OK):
            raise BackendError(self.account, f"{inbox / 'new'} is not writable")
        return f"(maildir {inbox}), writable"

    def find_in_inbox(self, message_id: str) -> str | None:
        """Looked for in new/ and cur/: a digest the owner has read already counts."""
        inbox = self._inbox()
        needle = message_id.encode("ascii", "replace")
        parser = BytesHeaderParser(policy=compat32)
        for uid, file in self._list(INBOX, inbox).items():
            try:
                with file.open("rb") as handle:
                    head = handle.read(INBOX_HEAD_BYTES)
            except OSError:
                continue  # renamed by a mail client meanwhile; it is not ours anyway
            if needle not in head:
                continue  # most files: no parse needed
            headers = parser.parsebytes(_header_block(head))
            if str(headers.get("Message-ID", "")).strip() == message_id:
                return uid
        return None

    def append_to_inbox(self, raw: bytes, *, received_at: datetime | None = None) -> str:
        # Maildir files are LF text. The mailbox module writes under tmp/ and then links the
        # file into new/ under a fresh unique name: readers never see half a message. No info
        # suffix, so no S flag: it arrives unread. (A file has no INTERNALDATE to set.)
        inbox = self._inbox()
        try:
            (inbox / "tmp").mkdir(mode=0o700, exist_ok=True)  # some sync tools leave it out
            box = mailbox.Maildir(inbox, factory=None, create=False)
            entry = mailbox.MaildirMessage(raw.replace(b"\r\n", b"\n"))
            entry.set_subdir("new")
            return str(box.add(entry))
        except OSError as exc:
            raise BackendError(self.account, f"cannot write into {inbox}: {exc.strerror}") from None

    def _inbox(self) -> Path:
        inbox = self.path_of(INBOX)
        if not _is_maildir(inbox):
            raise BackendError(self.account, f"no INBOX maildir at {inbox} (no cur/ and new/)")
        return inbox

    # -- helpers --------------------------------------------------------------------------

    def _list(self, name: str, path: Path) -> dict[str, Path]:
        listing: dict[str, Path] = {}
        for sub in ("new", "cur"):
            try:
                entries = os.scandir(path / sub)
            except OSError:
                continue
            with entries:
                for entry in entries:
                    if entry.name.startswith(".") or not entry.is_file(follow_symlinks=False):
                        continue
                    listing[_key(entry.name)] = Path(entry.path)
        for uid, file in listing.items():
            self._files[(name, uid)] = file
        return listing

    def _file(self, folder: Folder, uid: str) -> Path | None:
        file = self._files.get((folder.name, uid))
        if file is not None and file.exists():
            return file
        # A flag change renames the file; find it again by key.
        listing = self._list(folder.name, self.path_of(folder.name))
        return listing.get(uid)


def _is_maildir(path: Path) -> bool:
    return (path / "cur").is_dir() and (path / "new").is_dir()


def _key(filename: str) -> str:
    """The maildir key: the file name before the info part (":2,FLAGS" or "!2,FLAGS")."""
    for separator in (":2,", "!2,", ":1,"):
        if separator in filename:
            return filename.split(separator, 1)[0]
    return filename


def _marker(path: Path) -> MaildirMarker:
    return MaildirMarker(
        inode=path.stat().st_ino,
        cur=(path / "cur").stat().st_mtime_ns,
        new=(path / "new").stat().st_mtime_ns,
    )


def _received_ts(file: Path) -> float:
    """Delivery time: the timestamp maildir writers put first in the name, else the mtime."""
    match = _TIMESTAMP.match(file.name)
    if match:
        return float(match.group(1))
    try:
        return file.stat().st_mtime
    except OSError:
        return 0.0


def _header_block(data: bytes) -> bytes:
    match = _BLANK_LINE.search(data)
    return data[: match.end()] if match else data


def _keyword_names(path: Path) -> dict[str, str]:
    """Dovecot's maildir keywords: ``dovecot-keywords`` maps letters a–z to names."""
    try:
        lines = (
            (path / "dovecot-keywords").read_text(encoding="utf-8", errors="replace").splitlines()
        )
    except OSError:
        return {}
    names = {}
    for line in lines:
        number, _, name = line.partition(" ")
        if number.isdigit() and name and int(number) < 26:
            names[chr(ord("a") + int(number))] = name.strip()
    return names


def _keywords_of(filename: str, names: Mapping[str, str]) -> frozenset[str]:
    _, _, flags = filename.rpartition(",")
    return frozenset(names[f] for f in flags if f in names)

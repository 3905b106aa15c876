"""Joining messages into threads (SPEC §5).

Three kinds of evidence, strongest first:
1. Message-ID / In-Reply-To / References: a message and every id it names are one thread
   (ids we never saw act as shared parents, so siblings of a missing message still join).
2. The provider's own thread id (Gmail X-GM-THRID, Exchange/Graph conversationId, and the
   conversation root of Outlook's Thread-Index, which Outlook sets even when it sends no
   References).
3. For a message with no threading headers at all: the same normalised subject with the same
   other party within 30 days joins the latest such thread.

Thread ids must survive re-evaluation: a component keeps the id of its earliest member that
already had one (the message's stored ``thread_id``, or ``previous_ids`` when given).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

from inboxguard.domain.normalise import normalise_subject
from inboxguard.domain.tracked import TrackedMessage

SUBJECT_WINDOW = timedelta(days=30)


class _UnionFind:
    def __init__(self) -> None:
        self._parent: dict[str, str] = {}

    def find(self, item: str) -> str:
        parent = self._parent.setdefault(item, item)
        root = item
        while parent != root:
            root = parent
            parent = self._parent[root]
        while item != root:  # path compression keeps later finds O(1)
            self._parent[item], item = root, self._parent[item]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self._parent[max(ra, rb)] = min(ra, rb)


@dataclass(frozen=True, slots=True)
class Thread:
    id: str
    account: str
    messages: tuple[TrackedMessage, ...]  # sorted by date, unique Message-IDs

    @property
    def subject(self) -> str:
        return self.messages[0].subject if self.messages else ""


def new_thread_id(account: str, root_message_id: str) -> str:
    digest = hashlib.sha256(f"{account}\0{root_message_id}".encode()).hexdigest()
    return f"t{digest[:15]}"


def _unique_by_message_id(messages: Iterable[TrackedMessage]) -> list[TrackedMessage]:
    """One entry per Message-ID: the copy in Sent or the inbox beats a draft copy."""
    best: dict[str, TrackedMessage] = {}
    for message in messages:
        current = best.get(message.message_id)
        if current is None or (current.role == "drafts" and message.role != "drafts"):
            best[message.message_id] = message
    return sorted(best.values(), key=lambda m: (m.date, m.message_id))


def build_threads(
    account: str,
    messages: Iterable[TrackedMessage],
    *,
    other_party: Callable[[TrackedMessage], str | None],
    previous_ids: Mapping[str, str] | None = None,
) -> list[Thread]:
    """Group one account's messages into threads with stable ids."""
    ordered = _unique_by_message_id(messages)
    uf = _UnionFind()
    provider_roots: dict[str, str] = {}
    for message in ordered:
        uf.find(message.message_id)
        for parent in message.parents:
            uf.union(message.message_id, parent)
        if message.provider_thread_id:
            key = f"provider:{message.provider_thread_id}"
            first = provider_roots.setdefault(key, message.message_id)
            uf.union(first, message.message_id)

    _join_by_subject(ordered, uf, other_party)

    groups: dict[str, list[TrackedMessage]] = {}
    for message in ordered:
        groups.setdefault(uf.find(message.message_id), []).append(message)

    threads: list[Thread] = []
    used: set[str] = set()
    for members in groups.values():
        thread_id = _earlier_id(members, previous_ids, used)
        if thread_id is None:
            thread_id = new_thread_id(account, members[0].message_id)
        used.add(thread_id)
        threads.append(Thread(id=thread_id, account=account, messages=tuple(members)))
    threads.sort(key=lambda t: (t.messages[0].date, t.id))
    return threads


def _earlier_id(
    members: Sequence[TrackedMessage], previous: Mapping[str, str] | None, used: set[str]
) -> str | None:
    """The id the earliest member had before, unless another thread kept it already."""
    for member in members:
        thread_id = member.thread_id if previous is None else previous.get(member.message_id)
        if thread_id is not None and thread_id not in used:
            return thread_id
    return None


def _join_by_subject(
    ordered: Sequence[TrackedMessage],
    uf: _UnionFind,
    other_party: Callable[[TrackedMessage], str | None],
) -> None:
    latest: dict[tuple[str, str], TrackedMessage] = {}
    for message in ordered:
        subject = normalise_subject(message.subject)
        party = other_party(message)
        if not subject or not party:
            continue
        key = (subject, party.lower())
        earlier = latest.get(key)
        headerless = not message.parents and not message.provider_thread_id
        if headerless and earlier is not None and message.date - earlier.date <= SUBJECT_WINDOW:
            uf.union(earlier.message_id, message.message_id)
        latest[key] = message


def thread_index_root(value: str | None) -> str | None:
    """The conversation root of an Outlook Thread-Index, usable as a provider thread id.

    The header is base64 of a 22-byte header (6 bytes of FILETIME and a 16-byte GUID)
    followed by 5 bytes per reply; every message of one conversation shares those 22 bytes.
    """
    if not value:
        return None
    compact = "".join(value.split())
    try:
        raw = base64.b64decode(compact + "=" * (-len(compact) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(raw) < 22:
        return None
    return "outlook:" + raw[:22].hex()

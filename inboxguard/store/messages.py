"""The messages aggregate: tracked messages, each folder's sync marker, keywords, the facts
read from texts, thread ids, and forgetting what left the look-back window.

Functions over a connection: the facade owns the transaction, so one can span several of
them (a snapshot, a folder sync).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, bindparam, delete, or_, select, update

from inboxguard.domain.message import Address
from inboxguard.domain.minutes import INVITATION_REACH
from inboxguard.domain.threading import Thread
from inboxguard.domain.tracked import (
    FolderRole,
    IncidentFacts,
    Invitation,
    Promise,
    Request,
    TextFacts,
    TrackedMessage,
)
from inboxguard.store import codec, schema
from inboxguard.store.engine import CHUNK, IN_CHUNK, chunks, dialect_insert

# -- folders -----------------------------------------------------------------------------


def folder_marker(c: Connection, account: str, folder: str) -> str | None:
    f = schema.folders
    return c.execute(
        select(f.c.marker_json).where(f.c.account == account, f.c.folder == folder)
    ).scalar_one_or_none()


def folder_markers(c: Connection, account: str) -> dict[str, str]:
    f = schema.folders
    rows = c.execute(select(f.c.folder, f.c.marker_json).where(f.c.account == account))
    return {row.folder: row.marker_json for row in rows}


def known_uids(c: Connection, account: str, folder: str) -> set[str]:
    t = schema.messages
    rows = c.execute(select(t.c.uid).where(t.c.account == account, t.c.folder == folder))
    return {row[0] for row in rows}


def apply_folder_sync(
    c: Connection,
    account: str,
    folder: str,
    *,
    marker: str | None,
    added: Sequence[TrackedMessage],
    removed: Iterable[str],
    replace_all: bool,
    at: datetime,
) -> None:
    """One folder's new and vanished messages and its new marker.

    Inserts are keyed by (account, folder, uid) and skip rows already there, so a batch
    read again after a crash changes nothing. ``replace_all`` (a UIDVALIDITY change) drops
    the folder's old rows first; thread ids survive, matched again by Message-ID.
    """
    t = schema.messages
    where_folder = (t.c.account == account, t.c.folder == folder)
    if replace_all:
        c.execute(delete(t).where(*where_folder))
    for uids in chunks(removed, IN_CHUNK):
        c.execute(delete(t).where(*where_folder, t.c.uid.in_(uids)))
    if added:
        insert_new = dialect_insert(c, t).on_conflict_do_nothing(
            index_elements=[t.c.account, t.c.folder, t.c.uid]
        )
        for rows in chunks((_message_row(m, at) for m in added), CHUNK):
            c.execute(insert_new, rows)
    if marker is None:
        return  # an intermediate batch of a long scan: the marker moves with the last
    f = schema.folders
    statement = dialect_insert(c, f).values(
        account=account, folder=folder, marker_json=marker, updated_at=at
    )
    c.execute(
        statement.on_conflict_do_update(
            index_elements=[f.c.account, f.c.folder],
            set_={"marker_json": statement.excluded.marker_json, "updated_at": at},
        )
    )


def update_keywords(
    c: Connection, account: str, folder: str, updates: Mapping[str, frozenset[str]]
) -> int:
    """Store keywords that differ from what is stored; returns how many messages changed."""
    t = schema.messages
    changed: list[dict[str, str]] = []
    for uids in chunks(updates, IN_CHUNK):
        rows = c.execute(
            select(t.c.uid, t.c.keywords_json).where(
                t.c.account == account, t.c.folder == folder, t.c.uid.in_(uids)
            )
        )
        for uid, stored in rows:
            value = codec.encode_keywords(updates[uid])
            if value != stored:
                changed.append({"b_uid": uid, "b_keywords": value})
    if changed:
        c.execute(
            update(t)
            .where(t.c.account == account, t.c.folder == folder, t.c.uid == bindparam("b_uid"))
            .values(keywords_json=bindparam("b_keywords")),
            changed,
        )
    return len(changed)


def apply_text_facts(c: Connection, account: str, facts: Sequence[TextFacts]) -> None:
    """What the texts said; the messages then count as read."""
    if not facts:
        return
    t = schema.messages
    statement = (
        update(t)
        .where(
            t.c.account == bindparam("b_account"),
            t.c.folder == bindparam("b_folder"),
            t.c.uid == bindparam("b_uid"),
        )
        .values(
            ack_only=bindparam("b_ack"),
            promise_phrase=bindparam("b_promise_phrase"),
            promise_date=bindparam("b_promise_date"),
            promise_due_at=bindparam("b_promise_due_at"),
            text_read=True,
            incident_score=bindparam("b_incident_score"),
            incident_keywords_json=bindparam("b_incident_keywords_json"),
            report_stages=bindparam("b_report_stages"),
            request_phrase=bindparam("b_request_phrase"),
            request_what=bindparam("b_request_what"),
            request_date=bindparam("b_request_date"),
            request_due_at=bindparam("b_request_due_at"),
            invitation_json=bindparam("b_invitation_json"),
        )
    )
    rows = [
        {
            "b_account": account,
            "b_folder": fact.folder,
            "b_uid": fact.uid,
            "b_ack": fact.ack_only,
            **{f"b_{k}": v for k, v in _promise_columns(fact.promise).items()},
            **{f"b_{k}": v for k, v in _incident_columns(fact.incident).items()},
            **{f"b_{k}": v for k, v in _request_columns(fact.request).items()},
            "b_invitation_json": _invitation_column(fact.invitation),
        }
        for fact in facts
    ]
    c.execute(statement, rows)


def assign_threads(c: Connection, account: str, threads: Iterable[Thread]) -> None:
    """Each message's thread id where it changed (every row on a first scan), written in
    chunks from the threads themselves: no second copy of a large mailbox's message →
    thread map is held in memory."""
    t = schema.messages
    statement = (
        update(t)
        .where(t.c.account == bindparam("b_account"), t.c.message_id == bindparam("b_mid"))
        .values(thread_id=bindparam("b_thread"))
    )
    changed = (
        {"b_account": account, "b_mid": m.message_id, "b_thread": thread.id}
        for thread in threads
        for m in thread.messages
        if m.thread_id != thread.id
    )
    for rows in chunks(changed, CHUNK):
        c.execute(statement, rows)


def thread_account(c: Connection, thread_id: str) -> str | None:
    t = schema.messages
    return c.execute(
        select(t.c.account).where(t.c.thread_id == thread_id).limit(1)
    ).scalar_one_or_none()


def thread_ids(c: Connection, prefix: str = "") -> list[str]:
    """Every stored thread id (that starts with ``prefix``), sorted."""
    t = schema.messages
    query = select(t.c.thread_id).where(t.c.thread_id.is_not(None)).distinct()
    if prefix:
        # autoescape: a typed prefix is matched as text, never as a LIKE pattern.
        query = query.where(t.c.thread_id.startswith(prefix, autoescape=True))
    return sorted(str(row[0]) for row in c.execute(query))


def prune(c: Connection, account: str, *, before: datetime, keep_threads: Collection[str]) -> int:
    """Forget messages older than ``before``, except every message of a thread that is in
    ``keep_threads`` or holds a ledger row or a mark: without its messages such a thread
    could no longer be matched to its draft, its incident or the owner's word on it."""
    t = schema.messages
    remembered = or_(
        t.c.thread_id.in_(select(schema.drafts.c.thread_id)),
        t.c.thread_id.in_(select(schema.marks.c.thread_id)),
    )
    candidates = c.execute(
        select(t.c.id, t.c.thread_id).where(
            t.c.account == account,
            ~_in_window(before),
            or_(t.c.thread_id.is_(None), ~remembered),
        )
    )
    keep = keep_threads if isinstance(keep_threads, (set, frozenset)) else set(keep_threads)
    doomed = [row.id for row in candidates if row.thread_id is None or row.thread_id not in keep]
    for ids in chunks(doomed, IN_CHUNK):
        c.execute(delete(t).where(t.c.id.in_(ids)))
    return len(doomed)


# -- reading messages back ---------------------------------------------------------------


def _in_window(since: datetime) -> ColumnElement[bool]:
    """``domain.minutes.in_window`` as SQL: recent mail, and invitations still reaching."""
    t = schema.messages
    return or_(
        t.c.date >= since,
        and_(t.c.invitation_json.is_not(None), t.c.date >= since - INVITATION_REACH),
    )


def load(c: Connection, account: str, since: datetime | None = None) -> list[TrackedMessage]:
    """The account's messages (from ``since``, and the invitations whose sittings may still
    come), in date order."""
    t = schema.messages
    query = select(t).where(t.c.account == account)
    if since is not None:
        query = query.where(_in_window(since))
    shared = _Shared()
    rows = c.execute(query.order_by(t.c.date, t.c.id))
    return [_tracked(row._mapping, shared) for row in rows]


class _Shared:
    """One object for each repeated value while loading a mailbox's messages.

    A client writes from the same address, to the same owner, under the same few subjects:
    100,000 messages hold a few hundred distinct addresses. Sharing them (and the recipient
    tuples, subjects, account and folder names) keeps the loaded window small in memory.
    """

    def __init__(self) -> None:
        self._texts: dict[str, str] = {}
        self._addresses: dict[tuple[str, str], Address] = {}
        self._lists: dict[str, tuple[Address, ...]] = {}
        self._keywords: dict[str, frozenset[str]] = {}

    def text(self, value: str) -> str:
        return self._texts.setdefault(value, value)

    def address(self, name: str, address: str) -> Address:
        key = (name, address)
        found = self._addresses.get(key)
        if found is None:
            found = self._addresses[key] = Address(self.text(name), self.text(address))
        return found

    def addresses(self, raw: str) -> tuple[Address, ...]:
        found = self._lists.get(raw)
        if found is None:
            pairs = codec.decode_address_pairs(raw)
            found = self._lists[raw] = tuple(self.address(n, a) for n, a in pairs)
        return found

    def keywords(self, raw: str) -> frozenset[str]:
        found = self._keywords.get(raw)
        if found is None:
            found = self._keywords[raw] = codec.decode_keywords(raw)
        return found


def _tracked(row: Mapping[Any, Any], shared: _Shared) -> TrackedMessage:
    promise = None
    if row["promise_date"] is not None and row["promise_due_at"] is not None:
        promise = Promise(row["promise_phrase"] or "", row["promise_date"], row["promise_due_at"])
    in_reply_to = codec.decode_ids(row["in_reply_to_json"])
    # Most replies name the same parent in both headers: one tuple serves both.
    same = row["references_json"] == row["in_reply_to_json"]
    references = in_reply_to if same else codec.decode_ids(row["references_json"])
    return TrackedMessage(
        account=shared.text(row["account"]),
        folder=shared.text(row["folder"]),
        uid=row["uid"],
        role=FolderRole(row["role"]),
        message_id=row["message_id"],
        subject=shared.text(row["subject"]),
        sender=shared.address(row["sender_name"], row["sender_address"]),
        to=shared.addresses(row["to_json"]),
        cc=shared.addresses(row["cc_json"]),
        date=row["date"],
        in_reply_to=in_reply_to,
        references=references,
        provider_thread_id=row["provider_thread_id"],
        automated_reason=row["automated_reason"],
        ack_only=bool(row["ack_only"]),
        promise=promise,
        keywords=shared.keywords(row["keywords_json"]),
        text_read=bool(row["text_read"]),
        thread_id=shared.text(row["thread_id"]) if row["thread_id"] is not None else None,
        incident=_incident_facts(row),
        request=_request(row),
        invitation=codec.decode_invitation(row["invitation_json"]),
    )


def _request(row: Mapping[Any, Any]) -> Request | None:
    if row["request_phrase"] is None:
        return None
    return Request(
        row["request_phrase"], row["request_what"] or "", row["request_date"], row["request_due_at"]
    )


def _incident_facts(row: Mapping[Any, Any]) -> IncidentFacts | None:
    if row["incident_score"] is None:
        return None
    return IncidentFacts(
        score=float(row["incident_score"]),
        keywords=codec.decode_incident_keywords(row["incident_keywords_json"]),
        stages=codec.decode_stages(row["report_stages"]),
    )


# -- writing messages --------------------------------------------------------------------


def _message_row(m: TrackedMessage, seen_at: datetime) -> dict[str, Any]:
    return {
        "account": m.account,
        "folder": m.folder,
        "uid": m.uid,
        "role": m.role.value,
        "message_id": codec.clean(m.message_id),
        "subject": codec.clean(m.subject),
        "sender_name": codec.clean(m.sender.name),
        "sender_address": codec.clean(m.sender.address),
        "to_json": codec.encode_addresses(m.to),
        "cc_json": codec.encode_addresses(m.cc),
        "in_reply_to_json": codec.encode_ids(m.in_reply_to),
        "references_json": codec.encode_ids(m.references),
        "date": m.date,
        "provider_thread_id": _cleaned(m.provider_thread_id),
        "automated_reason": _cleaned(m.automated_reason),
        "ack_only": m.ack_only,
        **_promise_columns(m.promise),
        "keywords_json": codec.encode_keywords(m.keywords),
        "seen_at": seen_at,
        "text_read": m.text_read,
        **_incident_columns(m.incident),
        **_request_columns(m.request),
        "invitation_json": _invitation_column(m.invitation),
    }


def _promise_columns(promise: Promise | None) -> dict[str, Any]:
    """A promise as the three message columns that hold it (all None without one)."""
    return {
        "promise_phrase": codec.clean(promise.phrase) if promise else None,
        "promise_date": promise.date if promise else None,
        "promise_due_at": promise.due_at if promise else None,
    }


def _incident_columns(facts: IncidentFacts | None) -> dict[str, Any]:
    """Incident facts as the three message columns that hold them (all None: not read)."""
    if facts is None:
        return {"incident_score": None, "incident_keywords_json": None, "report_stages": None}
    return {
        "incident_score": facts.score,
        "incident_keywords_json": codec.encode_incident_keywords(facts.keywords),
        "report_stages": codec.encode_stages(facts.stages),
    }


def _cleaned(text: str | None) -> str | None:
    return None if text is None else codec.clean(text)


def _request_columns(request: Request | None) -> dict[str, Any]:
    """A request as the four message columns that hold it (all None without one)."""
    return {
        "request_phrase": codec.clean(request.phrase) if request else None,
        "request_what": codec.clean(request.what) if request else None,
        "request_date": request.date if request else None,
        "request_due_at": request.due_at if request else None,
    }


def _invitation_column(invitation: Invitation | None) -> str | None:
    return codec.encode_invitation(invitation) if invitation is not None else None

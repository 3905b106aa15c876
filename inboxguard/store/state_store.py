"""Queries over the state store. One instance per process; every method is one transaction."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from itertools import islice
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Engine,
    and_,
    bindparam,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from inboxguard.domain.message import Address
from inboxguard.domain.threading import Thread
from inboxguard.domain.tracked import (
    FolderRole,
    IncidentFacts,
    Promise,
    TextFacts,
    TrackedMessage,
)
from inboxguard.errors import ConfigError, InboxGuardError
from inboxguard.store import schema
from inboxguard.store.migrations import migrate


@dataclass(frozen=True, slots=True)
class DraftRecord:
    message_id: str
    account: str
    thread_id: str
    purpose: str
    clock_started_at: datetime
    created_at: datetime
    folder: str
    location: str | None = None


@dataclass(frozen=True, slots=True)
class Mark:
    account: str
    thread_id: str
    action: str
    stage: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class AccountHealth:
    account: str
    last_success_at: datetime | None
    last_failure_at: datetime | None
    failing_since: datetime | None
    last_error: str | None
    consecutive_failures: int = 0
    next_attempt_at: datetime | None = None  # set after a failure: leave the account till then


@dataclass(frozen=True, slots=True)
class DigestRecord:
    day: date
    recipient: str
    message_id: str
    sent_at: datetime | None
    delivered_to: str | None
    attempts: int
    last_error: str | None
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None


@dataclass(frozen=True, slots=True)
class EpisodeRow:
    account: str
    thread_id: str
    started_at: datetime
    answered_at: datetime | None
    due_at: datetime | None
    counterpart: str | None
    client: str | None


class StateStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str) -> StateStore:
        """Open (creating and migrating as needed) the store at ``url``."""
        try:
            parsed = make_url(url)
        except ArgumentError:
            raise ConfigError("state.url", "not a database URL") from None
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
            _prepare_sqlite_file(Path(parsed.database or ""))
        try:
            engine = create_engine(url)
        except (ArgumentError, ImportError) as exc:
            raise ConfigError("state.url", f"cannot use this database: {exc}") from None
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        try:
            with engine.begin() as connection:
                migrate(connection)
        except SQLAlchemyError as exc:
            raise InboxGuardError(f"state store unavailable: {type(exc).__name__}") from None
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    # -- folders and messages ------------------------------------------------------------

    def folder_marker(self, account: str, folder: str) -> dict[str, Any] | None:
        with self.engine.connect() as c:
            row = c.execute(
                select(schema.folders.c.marker_json).where(
                    schema.folders.c.account == account, schema.folders.c.folder == folder
                )
            ).scalar_one_or_none()
        return json.loads(row) if row is not None else None

    def known_uids(self, account: str, folder: str) -> set[str]:
        with self.engine.connect() as c:
            rows = c.execute(
                select(schema.messages.c.uid).where(
                    schema.messages.c.account == account, schema.messages.c.folder == folder
                )
            )
            return {r[0] for r in rows}

    def apply_folder_sync(
        self,
        account: str,
        folder: str,
        *,
        marker: Mapping[str, Any] | None,
        added: Sequence[TrackedMessage],
        removed: Iterable[str] = (),
        replace_all: bool = False,
        at: datetime,
    ) -> None:
        """Record one folder's new messages and its new marker in one transaction.

        A crash before commit leaves the old marker, so the next cycle reads the same
        messages again; inserts are keyed by (account, folder, uid) and so idempotent.
        ``replace_all`` (a UIDVALIDITY change) drops the folder's old rows first; thread ids
        survive because they are matched again by Message-ID.
        """
        t = schema.messages
        with self.engine.begin() as c:
            if replace_all:
                c.execute(delete(t).where(t.c.account == account, t.c.folder == folder))
            removed = list(removed)
            if removed:
                c.execute(
                    delete(t).where(
                        t.c.account == account, t.c.folder == folder, t.c.uid.in_(removed)
                    )
                )
            if added:
                existing = {
                    r[0]
                    for r in c.execute(
                        select(t.c.uid).where(
                            t.c.account == account,
                            t.c.folder == folder,
                            t.c.uid.in_([m.uid for m in added]),
                        )
                    )
                }
                rows = [_message_row(m, at) for m in added if m.uid not in existing]
                if rows:
                    c.execute(insert(t), rows)
            if marker is None:
                return  # an intermediate batch of a long scan: the marker moves at the end
            f = schema.folders
            marker_json = json.dumps(dict(marker), sort_keys=True)
            updated = c.execute(
                update(f)
                .where(f.c.account == account, f.c.folder == folder)
                .values(marker_json=marker_json, updated_at=at)
            )
            if updated.rowcount == 0:
                c.execute(
                    insert(f).values(
                        account=account, folder=folder, marker_json=marker_json, updated_at=at
                    )
                )

    def update_keywords(
        self, account: str, folder: str, updates: Mapping[str, frozenset[str]]
    ) -> int:
        """Store keywords that differ from what is stored; returns how many messages changed."""
        if not updates:
            return 0
        t = schema.messages
        with self.engine.begin() as c:
            stored = {
                r.uid: r.keywords_json
                for r in c.execute(
                    select(t.c.uid, t.c.keywords_json).where(
                        t.c.account == account, t.c.folder == folder
                    )
                )
            }
            changed = 0
            for uid, keywords in updates.items():
                value = json.dumps(sorted(keywords))
                if uid in stored and stored[uid] != value:
                    c.execute(
                        update(t)
                        .where(t.c.account == account, t.c.folder == folder, t.c.uid == uid)
                        .values(keywords_json=value)
                    )
                    changed += 1
        return changed

    def apply_text_facts(self, account: str, facts: Sequence[TextFacts]) -> None:
        """Record what the texts said; the messages then count as read."""
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
            }
            for fact in facts
        ]
        with self.engine.begin() as c:
            c.execute(statement, rows)

    def messages(self, account: str, since: datetime | None = None) -> list[TrackedMessage]:
        t = schema.messages
        query = select(t).where(t.c.account == account)
        if since is not None:
            query = query.where(t.c.date >= since)
        shared = _Shared()
        with self.engine.connect() as c:
            rows = c.execute(query.order_by(t.c.date, t.c.id))
            return [_tracked(row._mapping, shared) for row in rows]

    def prune(self, account: str, *, messages_before: datetime, episodes_before: datetime) -> int:
        """Forget messages that left the look-back window (and old statistics).

        Marks and draft records are kept: they are small, and forgetting a draft record
        could let a draft be written twice.
        """
        with self.engine.begin() as c:
            removed = c.execute(
                delete(schema.messages).where(
                    schema.messages.c.account == account, schema.messages.c.date < messages_before
                )
            ).rowcount
            c.execute(
                delete(schema.responses).where(
                    schema.responses.c.account == account,
                    schema.responses.c.started_at < episodes_before,
                )
            )
        return int(removed or 0)

    def assign_threads(self, account: str, threads: Iterable[Thread]) -> None:
        """Persist each message's thread id where it changed (every row on a first scan).

        Written in chunks from the threads themselves: no second copy of a large mailbox's
        message → thread map is held in memory.
        """
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
        with self.engine.begin() as c:
            while rows := list(islice(changed, _CHUNK)):
                c.execute(statement, rows)

    def thread_account(self, thread_id: str) -> str | None:
        t = schema.messages
        with self.engine.connect() as c:
            return c.execute(
                select(t.c.account).where(t.c.thread_id == thread_id).limit(1)
            ).scalar_one_or_none()

    # -- drafts ---------------------------------------------------------------------------

    def draft(self, message_id: str) -> DraftRecord | None:
        with self.engine.connect() as c:
            row = c.execute(
                select(schema.drafts).where(schema.drafts.c.message_id == message_id)
            ).one_or_none()
        return DraftRecord(**row._mapping) if row is not None else None

    def record_draft(self, record: DraftRecord) -> None:
        with self.engine.begin() as c:
            exists = c.execute(
                select(schema.drafts.c.message_id).where(
                    schema.drafts.c.message_id == record.message_id
                )
            ).scalar_one_or_none()
            if exists is None:
                c.execute(insert(schema.drafts).values(**_asdict(record)))

    def drafts(self, account: str | None = None) -> list[DraftRecord]:
        query = select(schema.drafts).order_by(schema.drafts.c.created_at)
        if account is not None:
            query = query.where(schema.drafts.c.account == account)
        with self.engine.connect() as c:
            return [DraftRecord(**row._mapping) for row in c.execute(query)]

    # -- marks ----------------------------------------------------------------------------

    def add_mark(self, mark: Mark) -> None:
        with self.engine.begin() as c:
            c.execute(insert(schema.marks).values(**_asdict(mark)))

    def last_mark_id(self, account: str) -> int:
        """Grows with every mark: a long-running process notices marks made by `mark`."""
        t = schema.marks
        with self.engine.connect() as c:
            value = c.execute(select(func.max(t.c.id)).where(t.c.account == account)).scalar()
            return int(value or 0)

    def marks(self, account: str) -> list[Mark]:
        t = schema.marks
        with self.engine.connect() as c:
            rows = c.execute(select(t).where(t.c.account == account).order_by(t.c.at, t.c.id))
            return [
                Mark(
                    account=r.account,
                    thread_id=r.thread_id,
                    action=r.action,
                    stage=r.stage,
                    at=r.at,
                )
                for r in rows
            ]

    # -- response episodes (statistics) ---------------------------------------------------

    def save_episodes(self, account: str, rows: Iterable[EpisodeRow]) -> None:
        """Insert new episodes and update changed ones; unchanged ones cost no write.

        Every cycle re-derives every episode, and almost all are unchanged: comparing with
        one read of the stored rows keeps an unchanged poll from rewriting thousands of
        them. New rows are inserted in chunks, so a first scan holds no list of them all.
        """
        t = schema.responses
        with self.engine.begin() as c:
            stored = {
                (r.thread_id, r.started_at): (r.answered_at, r.due_at, r.counterpart, r.client)
                for r in c.execute(
                    select(
                        t.c.thread_id,
                        t.c.started_at,
                        t.c.answered_at,
                        t.c.due_at,
                        t.c.counterpart,
                        t.c.client,
                    ).where(t.c.account == account)
                )
            }
            new: list[dict[str, Any]] = []
            for row in rows:
                current = stored.get((row.thread_id, row.started_at))
                values = (row.answered_at, row.due_at, row.counterpart, row.client)
                if current is None:
                    new.append(_asdict(row))
                    if len(new) >= _CHUNK:
                        c.execute(insert(t), new)
                        new = []
                elif current != values:
                    c.execute(
                        update(t)
                        .where(
                            and_(
                                t.c.account == account,
                                t.c.thread_id == row.thread_id,
                                t.c.started_at == row.started_at,
                            )
                        )
                        .values(**_asdict(row))
                    )
            if new:
                c.execute(insert(t), new)

    def episodes(self, since: datetime) -> list[EpisodeRow]:
        t = schema.responses
        with self.engine.connect() as c:
            rows = c.execute(select(t).where(t.c.started_at >= since).order_by(t.c.started_at))
            return [EpisodeRow(**row._mapping) for row in rows]

    # -- digests ------------------------------------------------------------------------

    def digest(self, day: date, recipient: str) -> DigestRecord | None:
        t = schema.digests
        with self.engine.connect() as c:
            row = c.execute(
                select(t).where(t.c.day == day, t.c.recipient == recipient)
            ).one_or_none()
        return DigestRecord(**row._mapping) if row is not None else None

    def record_digest(
        self,
        day: date,
        recipient: str,
        message_id: str,
        *,
        at: datetime,
        delivered_to: str | None = None,
        error: str | None = None,
        next_attempt_at: datetime | None = None,
    ) -> DigestRecord:
        """One delivery attempt: sent (``delivered_to``) or failed (``error``, retry time)."""
        t = schema.digests
        with self.engine.begin() as c:
            row = c.execute(
                select(t).where(t.c.day == day, t.c.recipient == recipient)
            ).one_or_none()
            values: dict[str, Any] = {
                "message_id": message_id,
                "attempts": (row.attempts if row is not None else 0) + 1,
                "last_attempt_at": at,
                "last_error": error,
                "next_attempt_at": next_attempt_at if error is not None else None,
            }
            if error is None:
                values |= {"sent_at": at, "delivered_to": delivered_to}
            if row is None:
                c.execute(insert(t).values(day=day, recipient=recipient, **values))
            else:
                c.execute(
                    update(t).where(t.c.day == day, t.c.recipient == recipient).values(**values)
                )
        record = self.digest(day, recipient)
        if record is None:  # written in the transaction above
            raise InboxGuardError("state store lost a digest record it just wrote")
        return record

    # -- account health -------------------------------------------------------------------

    def record_poll(
        self,
        account: str,
        *,
        at: datetime,
        error: str | None,
        next_attempt_at: datetime | None = None,
    ) -> None:
        """Record a cycle's outcome; a failure counts one more in a row and sets when to retry.

        A success clears the failure streak and the retry time.
        """
        t = schema.account_health
        with self.engine.begin() as c:
            row = c.execute(select(t).where(t.c.account == account)).one_or_none()
            if error is None:
                values: dict[str, Any] = {
                    "last_success_at": at,
                    "failing_since": None,
                    "consecutive_failures": 0,
                    "next_attempt_at": None,
                }
            else:
                failing_since = row.failing_since if row is not None and row.failing_since else at
                values = {
                    "last_failure_at": at,
                    "failing_since": failing_since,
                    "last_error": error,
                    "consecutive_failures": (row.consecutive_failures if row is not None else 0)
                    + 1,
                    "next_attempt_at": next_attempt_at,
                }
            if row is None:
                c.execute(insert(t).values(account=account, **values))
            else:
                c.execute(update(t).where(t.c.account == account).values(**values))

    def account_health(self, account: str) -> AccountHealth | None:
        t = schema.account_health
        with self.engine.connect() as c:
            row = c.execute(select(t).where(t.c.account == account)).one_or_none()
        return AccountHealth(**row._mapping) if row is not None else None

    def health(self) -> list[AccountHealth]:
        with self.engine.connect() as c:
            rows = c.execute(
                select(schema.account_health).order_by(schema.account_health.c.account)
            )
            return [AccountHealth(**row._mapping) for row in rows]


_CHUNK = 2000  # rows per executemany: bounded memory, few round trips


def _prepare_sqlite_file(path: Path) -> None:
    """Create the database file 0600 (and its directory 0700) before SQLite touches it."""
    path = path.expanduser()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    os.close(fd)
    path.chmod(0o600)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _asdict(item: Any) -> dict[str, Any]:
    return {name: getattr(item, name) for name in item.__slots__}


def _addresses_json(addresses: Iterable[Address]) -> str:
    return json.dumps([[a.name, a.address] for a in addresses], ensure_ascii=False)


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
            found = tuple(self.address(name, address) for name, address in json.loads(raw))
            self._lists[raw] = found
        return found

    def keywords(self, raw: str) -> frozenset[str]:
        found = self._keywords.get(raw)
        if found is None:
            found = self._keywords[raw] = frozenset(json.loads(raw))
        return found


def _ids(raw: str) -> tuple[str, ...]:
    return () if raw == "[]" else tuple(json.loads(raw))


def _promise_columns(promise: Promise | None) -> dict[str, Any]:
    """A promise as the three message columns that hold it (all None without one)."""
    return {
        "promise_phrase": promise.phrase if promise else None,
        "promise_date": promise.date if promise else None,
        "promise_due_at": promise.due_at if promise else None,
    }


def _incident_columns(facts: IncidentFacts | None) -> dict[str, Any]:
    """Incident facts as the three message columns that hold them (all None: not read)."""
    if facts is None:
        return {"incident_score": None, "incident_keywords_json": None, "report_stages": None}
    return {
        "incident_score": facts.score,
        "incident_keywords_json": json.dumps(list(facts.keywords), ensure_ascii=False),
        "report_stages": ",".join(sorted(facts.stages)),
    }


def _incident_facts(row: Mapping[Any, Any]) -> IncidentFacts | None:
    if row["incident_score"] is None:
        return None
    keywords = row["incident_keywords_json"]
    stages = row["report_stages"]
    return IncidentFacts(
        score=float(row["incident_score"]),
        keywords=tuple(json.loads(keywords)) if keywords and keywords != "[]" else (),
        stages=frozenset(stages.split(",")) if stages else frozenset(),
    )


def _message_row(m: TrackedMessage, seen_at: datetime) -> dict[str, Any]:
    return {
        "account": m.account,
        "folder": m.folder,
        "uid": m.uid,
        "role": m.role.value,
        "message_id": m.message_id,
        "subject": m.subject,
        "sender_name": m.sender.name,
        "sender_address": m.sender.address,
        "to_json": _addresses_json(m.to),
        "cc_json": _addresses_json(m.cc),
        "in_reply_to_json": json.dumps(list(m.in_reply_to)),
        "references_json": json.dumps(list(m.references)),
        "date": m.date,
        "provider_thread_id": m.provider_thread_id,
        "automated_reason": m.automated_reason,
        "ack_only": m.ack_only,
        **_promise_columns(m.promise),
        "keywords_json": json.dumps(sorted(m.keywords)),
        "seen_at": seen_at,
        "text_read": m.text_read,
        **_incident_columns(m.incident),
    }


def _tracked(row: Mapping[Any, Any], shared: _Shared) -> TrackedMessage:
    promise = None
    if row["promise_date"] is not None and row["promise_due_at"] is not None:
        promise = Promise(row["promise_phrase"] or "", row["promise_date"], row["promise_due_at"])
    in_reply_to = _ids(row["in_reply_to_json"])
    # Most replies name the same parent in both headers: one tuple serves both.
    same = row["references_json"] == row["in_reply_to_json"]
    references = in_reply_to if same else _ids(row["references_json"])
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
    )

"""One account's last assessment, thread by thread, kept between polls (SPEC §13: new mail
costs in proportion to the new mail).

A poll that brings new messages reassesses only the threads those messages can join, the
threads whose next change has come, and the threads losing a message to the look-back
window's edge; every other thread keeps its assessment. The result is the one a full
assessment of the store's snapshot gives (tests/service/test_incremental.py holds the two
side by side), because threading only ever joins messages within one component:

- a new message joins the threads holding its Message-ID or a parent id (References,
  In-Reply-To, ids never seen act as shared parents) or its provider thread id;
- subject joining (a headerless message joins the latest one with the same normalised
  subject and other party) is a chain over every message of one (subject, party) key, so
  every thread holding that key is rebuilt with the new message, and a chain a new message
  cuts in two is rebuilt whole.

What the view cannot follow — a message vanished or a folder reset (a thread may split
across what is kept), keywords changed, a mark made in another process — ends the view:
the runner assesses the whole snapshot and starts a new one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from inboxguard.domain.assessment import ThreadAssessment
from inboxguard.domain.minutes import in_window
from inboxguard.domain.normalise import normalise_subject
from inboxguard.domain.threading import Thread, build_threads
from inboxguard.domain.tracked import TrackedMessage

OtherParty = Callable[[TrackedMessage], str | None]
SubjectKey = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Rework:
    """What one poll reassesses: the messages of the threads it touches (and the new
    ones), to be threaded again; ``replaced``: the thread ids they held before."""

    messages: list[TrackedMessage]
    replaced: frozenset[str]


@dataclass(slots=True)
class AccountView:
    """The threads of one account's window and their assessments, with the indexes that
    find the threads a new message can join."""

    account: str
    marks_seen: int
    threads: dict[str, Thread] = field(default_factory=dict)
    assessed: dict[str, ThreadAssessment] = field(default_factory=dict)
    _by_id: dict[str, str] = field(default_factory=dict)  # Message-ID or parent → thread
    _by_provider: dict[str, str] = field(default_factory=dict)
    _by_subject: dict[SubjectKey, set[str]] = field(default_factory=dict)
    _keys: dict[str, set[SubjectKey]] = field(default_factory=dict)  # thread → its keys
    _meetings: set[str] = field(default_factory=set)  # threads holding an invitation

    def next_change_at(self) -> datetime | None:
        """The earliest instant any thread changes with no new mail."""
        return min(
            (a.next_change_at for a in self.assessed.values() if a.next_change_at), default=None
        )

    def all_assessed(self, now: datetime) -> list[ThreadAssessment]:
        """Every thread's assessment, most urgent first (as ``assess`` orders them)."""
        return sorted(self.assessed.values(), key=lambda a: a.sort_key(now))

    def rework(
        self,
        added: Sequence[TrackedMessage],
        *,
        since: datetime,
        now: datetime,
        other_party: OtherParty,
    ) -> Rework:
        """The threads ``added`` can join, those whose next change has come, and those
        with a message older than ``since`` (it leaves the window as the snapshot would
        leave it out)."""
        touched: set[str] = set()
        for message in added:
            for ident in (message.message_id, *message.parents):
                if ident in self._by_id:
                    touched.add(self._by_id[ident])
            if message.provider_thread_id in self._by_provider:
                touched.add(self._by_provider[message.provider_thread_id])
            key = subject_key(message, other_party)
            if key is not None:
                touched.update(self._by_subject.get(key, ()))
        touched.update(
            thread_id
            for thread_id, assessment in self.assessed.items()
            if assessment.next_change_at is not None and assessment.next_change_at <= now
        )
        touched.update(
            thread_id
            for thread_id, thread in self.threads.items()
            # Date order: a thread whose oldest message is in the window is wholly in it.
            if thread.messages
            and thread.messages[0].date < since
            and any(not in_window(m, since) for m in thread.messages)
        )
        if added:
            # A meeting is one across threads (an update rarely threads under the
            # invitation, minutes may go in a thread of their own): with new mail, every
            # thread holding an invitation is looked at again. They are few.
            touched.update(self._meetings)
        kept = [m for t in touched for m in self.threads[t].messages if in_window(m, since)]
        return Rework([*kept, *(m for m in added if in_window(m, since))], frozenset(touched))

    def mail(self, replaced: Iterable[str], threads: Iterable[Thread]) -> list[TrackedMessage]:
        """The window's mail once ``threads`` replace the ``replaced`` ones: what facts
        across threads (a meeting's minutes sent in another thread, the lists mail came
        from) are read from."""
        gone = set(replaced)
        kept = [t for tid, t in self.threads.items() if tid not in gone]
        return sorted((m for t in (*kept, *threads) for m in t.messages), key=lambda m: m.date)

    def rethread(self, rework: Rework, other_party: OtherParty) -> list[Thread]:
        """The reworked messages threaded again, with the ids they had kept."""
        return build_threads(self.account, rework.messages, other_party=other_party)

    def replace_threads(
        self,
        replaced: Iterable[str],
        threads: Iterable[Thread],
        assessed: Iterable[ThreadAssessment],
        other_party: OtherParty,
    ) -> None:
        """Drop the ``replaced`` threads; hold ``threads`` (as assigned in the store) and
        their assessments instead."""
        for thread_id in replaced:
            self._drop(thread_id)
        for thread in threads:
            self._hold(thread, other_party)
        for assessment in assessed:
            self.assessed[assessment.thread.id] = assessment

    def _drop(self, thread_id: str) -> None:
        thread = self.threads.pop(thread_id, None)
        self.assessed.pop(thread_id, None)
        self._meetings.discard(thread_id)
        if thread is None:
            return
        for message in thread.messages:
            for ident in (message.message_id, *message.parents):
                if self._by_id.get(ident) == thread_id:
                    del self._by_id[ident]
            provider = message.provider_thread_id
            if provider is not None and self._by_provider.get(provider) == thread_id:
                del self._by_provider[provider]
        for key in self._keys.pop(thread_id, ()):
            holders = self._by_subject.get(key)
            if holders is not None:
                holders.discard(thread_id)
                if not holders:
                    del self._by_subject[key]

    def _hold(self, thread: Thread, other_party: OtherParty) -> None:
        self.threads[thread.id] = thread
        if any(m.invitation is not None for m in thread.messages):
            self._meetings.add(thread.id)
        keys: set[SubjectKey] = set()
        for message in thread.messages:
            for ident in (message.message_id, *message.parents):
                self._by_id[ident] = thread.id
            if message.provider_thread_id is not None:
                self._by_provider[message.provider_thread_id] = thread.id
            key = subject_key(message, other_party)
            if key is not None:
                keys.add(key)
                self._by_subject.setdefault(key, set()).add(thread.id)
        self._keys[thread.id] = keys


def as_assigned(threads: Iterable[Thread]) -> list[Thread]:
    """Each message with its thread's id, as the store holds it after ``assign_threads``
    (a snapshot read afterwards gives these; the next rebuild keeps the ids)."""
    return [
        replace(t, messages=tuple(replace(m, thread_id=t.id) for m in t.messages))
        if any(m.thread_id != t.id for m in t.messages)
        else t
        for t in threads
    ]


def subject_key(message: TrackedMessage, other_party: OtherParty) -> SubjectKey | None:
    """The key subject joining chains a message on (threading._join_by_subject)."""
    subject = normalise_subject(message.subject)
    party = other_party(message)
    if not subject or not party:
        return None
    return subject, party.lower()


def full_view(
    account: str,
    marks_seen: int,
    threads: Iterable[Thread],
    assessed: Iterable[ThreadAssessment],
    other_party: OtherParty,
) -> AccountView:
    """A view of a whole assessment (the first poll, or one the view could not follow)."""
    view = AccountView(account, marks_seen)
    view.replace_threads((), threads, assessed, other_party)
    return view

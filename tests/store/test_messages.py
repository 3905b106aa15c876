"""Messages, markers, keywords, pruning and the snapshot."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from inboxguard.domain.marks import Mark, MarkAction
from inboxguard.domain.message import Address
from inboxguard.domain.snapshot import AccountSnapshot
from inboxguard.domain.threading import Thread
from inboxguard.store import StateStore
from tests.store.helpers import AT, draft, tracked

OLD = AT - timedelta(days=60)
CUTOFF = AT - timedelta(days=30)


def old_thread(store: StateStore, thread_id: str, uid: str) -> None:
    """A message older than the window, in thread ``thread_id``."""
    message = tracked(uid, f"<{thread_id}@x>", date=OLD)
    store.apply_folder_sync("work", "INBOX", marker=None, added=[message], at=AT)
    store.assign_threads("work", [Thread(thread_id, "work", (message,))])


def test_prune_forgets_old_messages_but_keeps_threads_the_caller_names(
    store: StateStore,
) -> None:
    old_thread(store, "t-open", "1")
    old_thread(store, "t-done", "2")
    store.apply_folder_sync("work", "INBOX", marker=None, added=[tracked("3", "<new@x>")], at=AT)
    removed = store.prune(
        "work", messages_before=CUTOFF, episodes_before=CUTOFF, keep_threads={"t-open"}
    )
    assert removed == 1
    assert sorted(m.uid for m in store.messages("work")) == ["1", "3"]


def test_prune_keeps_every_thread_with_a_ledger_row_or_a_mark(store: StateStore) -> None:
    old_thread(store, "t-draft", "1")
    old_thread(store, "t-mark", "2")
    old_thread(store, "t-claim", "3")
    old_thread(store, "t-plain", "4")
    store.record_draft(draft(1, thread_id="t-draft"))
    store.claim_draft(draft(3, thread_id="t-claim"))
    store.add_mark(Mark("work", "t-mark", MarkAction.NO_REPLY, None, OLD))
    assert store.prune("work", messages_before=CUTOFF, episodes_before=CUTOFF) == 1
    assert sorted(m.thread_id or "" for m in store.messages("work")) == [
        "t-claim",
        "t-draft",
        "t-mark",
    ]


def test_prune_forgets_old_messages_not_yet_given_a_thread(store: StateStore) -> None:
    store.apply_folder_sync(
        "work", "INBOX", marker=None, added=[tracked("1", "<a@x>", date=OLD)], at=AT
    )
    assert store.prune("work", messages_before=CUTOFF, episodes_before=CUTOFF) == 1


def test_prune_touches_only_its_own_account(store: StateStore) -> None:
    other = tracked("1", "<a@x>", date=OLD, account="other")
    store.apply_folder_sync("other", "INBOX", marker=None, added=[other], at=AT)
    assert store.prune("work", messages_before=CUTOFF, episodes_before=CUTOFF) == 0
    assert len(store.messages("other")) == 1


def test_a_marker_is_stored_and_read_back_as_the_same_string(store: StateStore) -> None:
    marker = '{"uidvalidity": 7, "uidnext": 12, "highestmodseq": 99}'
    store.apply_folder_sync("work", "INBOX", marker=marker, added=[], at=AT)
    store.apply_folder_sync("work", "Sent", marker="opaque/delta-link?x=1", added=[], at=AT)
    assert store.folder_marker("work", "INBOX") == marker
    assert store.folder_markers("work") == {"INBOX": marker, "Sent": "opaque/delta-link?x=1"}
    assert store.folder_marker("work", "Drafts") is None


def test_an_intermediate_batch_does_not_move_the_marker(store: StateStore) -> None:
    store.apply_folder_sync("work", "INBOX", marker="m1", added=[], at=AT)
    store.apply_folder_sync("work", "INBOX", marker=None, added=[tracked("1", "<a@x>")], at=AT)
    assert store.folder_marker("work", "INBOX") == "m1"
    store.apply_folder_sync("work", "INBOX", marker="m2", added=[tracked("2", "<b@x>")], at=AT)
    assert store.folder_marker("work", "INBOX") == "m2"
    assert store.known_uids("work", "INBOX") == {"1", "2"}


def test_vanished_uids_are_removed(store: StateStore) -> None:
    batch = [tracked(str(n), f"<{n}@x>") for n in range(1200)]
    store.apply_folder_sync("work", "INBOX", marker="m1", added=batch, at=AT)
    store.apply_folder_sync(
        "work", "INBOX", marker="m2", added=[], removed=[str(n) for n in range(1, 1200)], at=AT
    )
    assert store.known_uids("work", "INBOX") == {"0"}


def test_keywords_count_only_the_messages_whose_keywords_changed(store: StateStore) -> None:
    store.apply_folder_sync(
        "work", "INBOX", marker="m", added=[tracked("1", "<a@x>"), tracked("2", "<b@x>")], at=AT
    )
    updates = {"1": frozenset({"$NoReplyNeeded"}), "2": frozenset(), "9": frozenset({"$x"})}
    assert store.update_keywords("work", "INBOX", updates) == 1
    assert store.update_keywords("work", "INBOX", updates) == 0
    keywords = {m.uid: m.keywords for m in store.messages("work")}
    assert keywords == {"1": frozenset({"$NoReplyNeeded"}), "2": frozenset()}


def test_a_snapshot_holds_the_window_the_marks_and_the_ledger_in_order(
    store: StateStore,
) -> None:
    early, late = tracked("1", "<a@x>", date=AT), tracked("2", "<b@x>", date=AT + timedelta(1))
    store.apply_folder_sync("work", "INBOX", marker="m", added=[late, early], at=AT)
    old_thread(store, "t-old", "3")
    second = Mark("work", "t1", MarkAction.REOPEN, None, AT + timedelta(hours=2))
    first = Mark("work", "t1", MarkAction.NO_REPLY, None, AT + timedelta(hours=1))
    store.add_mark(second)
    store.add_mark(first)
    store.add_mark(Mark("other", "t5", MarkAction.INCIDENT, None, AT))
    claimed = store.claim_draft(draft(2, created_at=AT + timedelta(minutes=5)))
    store.record_draft(draft(1))
    store.record_draft(draft(3, account="other"))
    assert claimed is not None
    snapshot = store.snapshot("work", CUTOFF)
    assert snapshot == AccountSnapshot(
        account="work",
        messages=[early, late],
        marks=[first, second],
        drafts=[draft(1), claimed],
    )
    assert snapshot.messages == store.messages("work", CUTOFF)


def test_a_header_holding_nul_is_stored_and_still_names_its_parent(store: StateStore) -> None:
    # PostgreSQL's text cannot hold NUL: it becomes U+FFFD, in every value, on both.
    parent = replace(tracked("1", "<p\x00@x>"), subject="件\x00名")
    child = replace(
        tracked("2", "<c@x>"),
        sender=Address("山\x00田", "taro@client.example"),
        in_reply_to=("<p\x00@x>",),
    )
    store.apply_folder_sync("work", "INBOX", marker="m", added=[parent, child], at=AT)
    first, second = store.messages("work")
    nul = "\ufffd"
    assert (first.message_id, first.subject) == (f"<p{nul}@x>", f"件{nul}名")
    assert second.in_reply_to == (first.message_id,) and second.sender.name == f"山{nul}田"
    assert store.known_uids("work", "INBOX") == {"1", "2"}

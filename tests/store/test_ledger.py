"""The draft ledger: a claim is won once, by one caller, whoever else tries and whenever."""

from __future__ import annotations

import multiprocessing
from dataclasses import replace
from datetime import timedelta

import pytest

from inboxguard.domain.drafts import DraftPurpose, DraftStatus
from inboxguard.errors import StoreError
from inboxguard.store import StateStore
from tests.conftest import Backend
from tests.store import workers
from tests.store.helpers import AT, draft

ROUNDS = 5


def test_a_first_claim_inserts_the_draft_as_claimed(store: StateStore) -> None:
    claimed = store.claim_draft(draft(1))
    assert claimed == replace(draft(1), status=DraftStatus.CLAIMED)
    assert store.draft(draft(1).message_id) == claimed
    assert claimed is not None and not claimed.settled


def test_a_second_claim_of_the_same_draft_gets_none(store: StateStore) -> None:
    assert store.claim_draft(draft(1)) is not None
    assert store.claim_draft(draft(1)) is None


def test_a_claim_of_the_same_identity_under_another_message_id_gets_none(
    store: StateStore,
) -> None:
    assert store.claim_draft(draft(1)) is not None
    assert store.claim_draft(replace(draft(1), message_id="<other@x>")) is None
    assert [d.message_id for d in store.drafts()] == [draft(1).message_id]


def test_another_purpose_or_anchor_in_the_same_thread_is_another_draft(
    store: StateStore,
) -> None:
    assert store.claim_draft(draft(1)) is not None
    report = replace(draft(1), message_id="<r@x>", purpose=DraftPurpose.FIRST_REPORT)
    later = replace(draft(1), message_id="<l@x>", clock_started_at=AT + timedelta(days=1))
    assert store.claim_draft(report) is not None
    assert store.claim_draft(later) is not None


def test_a_claim_after_the_draft_was_settled_gets_none(store: StateStore) -> None:
    store.claim_draft(draft(1))
    store.settle_draft(draft(1).message_id, status=DraftStatus.WRITTEN, location="uid 7")
    assert store.claim_draft(draft(1)) is None
    assert store.draft(draft(1).message_id) == replace(
        draft(1), status=DraftStatus.WRITTEN, location="uid 7"
    )


def test_a_claim_of_a_draft_recorded_by_record_draft_gets_none(store: StateStore) -> None:
    store.record_draft(draft(1))
    assert store.claim_draft(draft(1)) is None
    assert store.drafts() == [draft(1)]  # recorded settled: written


def test_unsettled_drafts_are_the_claims_of_that_account_not_yet_settled(
    store: StateStore,
) -> None:
    for n in (1, 2, 3):
        store.claim_draft(draft(n, created_at=AT + timedelta(minutes=n)))
    store.claim_draft(draft(4, account="other"))
    store.settle_draft(draft(2).message_id, status=DraftStatus.FOUND, location=None)
    assert [d.message_id for d in store.unsettled_drafts("work")] == [
        draft(1).message_id,
        draft(3).message_id,
    ]
    assert {d.status for d in store.drafts("work")} == {DraftStatus.CLAIMED, DraftStatus.FOUND}


def test_drafts_lists_every_ledger_row_with_its_status_in_creation_order(
    store: StateStore,
) -> None:
    store.claim_draft(draft(2, created_at=AT + timedelta(minutes=1)))
    store.record_draft(draft(1))
    assert [(d.message_id, d.status) for d in store.drafts()] == [
        (draft(1).message_id, DraftStatus.WRITTEN),
        (draft(2).message_id, DraftStatus.CLAIMED),
    ]


def test_settling_a_draft_the_ledger_does_not_hold_is_an_error(store: StateStore) -> None:
    with pytest.raises(StoreError, match="no draft"):
        store.settle_draft("<nowhere@x>", status=DraftStatus.WRITTEN, location=None)


def test_a_draft_is_not_settled_as_claimed(store: StateStore) -> None:
    store.claim_draft(draft(1))
    with pytest.raises(ValueError, match="written or found"):
        store.settle_draft(draft(1).message_id, status=DraftStatus.CLAIMED, location=None)


def test_two_processes_claiming_the_same_200_drafts_at_once_win_each_exactly_once(
    backend: Backend,
) -> None:
    path = backend.url()
    StateStore.open(path).close()
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    results = ctx.Queue()
    processes = [
        ctx.Process(target=workers.claim_all, args=(str(path), 200, ROUNDS, barrier, results))
        for _ in range(2)
    ]
    for process in processes:
        process.start()
    first, second = results.get(timeout=120), results.get(timeout=120)
    for process in processes:
        process.join(timeout=30)
    assert sorted(first + second) == list(range(200 * ROUNDS))
    store = StateStore.open(path)
    assert len(store.unsettled_drafts("work")) == 200 * ROUNDS
    store.close()

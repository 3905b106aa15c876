"""The alert outbox: one row per (channel, event key), sent once, dropped when no longer
true, retried with the channel's backoff; on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from inboxguard.domain.alert_events import AlertEvent, AlertFacts, AlertKind
from inboxguard.store import StateStore, StoreReadOnlyError
from tests.conftest import Backend
from tests.store.helpers import AT

FACTS = AlertFacts(
    account="work", thread_id="t1", who="山田 太郎", subject="見積", due_at=AT, holding_draft=True
)
AT_RISK = AlertEvent.of(AlertKind.AT_RISK, "at_risk:work:t1:x", FACTS, "reply:work:t1:x")
OVERDUE = AlertEvent.of(AlertKind.OVERDUE, "overdue:work:t1:x", FACTS, "reply:work:t1:x")


def test_an_event_is_queued_once_per_channel_however_often_it_is_offered(
    store: StateStore,
) -> None:
    items = [("phone", AT_RISK), ("chat", AT_RISK)]
    assert store.enqueue_alerts(items, at=AT) == 2
    assert store.enqueue_alerts(items, at=AT + timedelta(minutes=2)) == 0
    (queued,) = store.pending_alerts("phone")
    assert queued.event == AT_RISK  # kind, urgency, facts and subject read back as written
    assert queued.created_at == AT and queued.attempts == 0


def test_a_sent_event_is_never_pending_again_nor_queued_again(store: StateStore) -> None:
    store.enqueue_alerts([("phone", AT_RISK)], at=AT)
    store.record_alert_delivery("phone", [AT_RISK.key], at=AT, error=None)
    assert store.pending_alerts("phone") == []
    assert store.enqueue_alerts([("phone", AT_RISK)], at=AT) == 0
    (row,) = store.alerts("phone")
    assert row.sent_at == AT and row.attempts == 1


def test_a_failure_counts_attempts_and_the_channel_s_streak(store: StateStore) -> None:
    store.enqueue_alerts([("phone", AT_RISK), ("phone", OVERDUE)], at=AT)
    keys = [AT_RISK.key, OVERDUE.key]
    for n in range(2):
        later = AT + timedelta(minutes=n)
        store.record_alert_delivery("phone", keys, at=later, error="refused", next_attempt_at=later)
    health = store.alert_channel("phone")
    assert health is not None
    assert (health.failing_since, health.consecutive_failures) == (AT, 2)
    assert [q.attempts for q in store.pending_alerts("phone")] == [2, 2]
    store.record_alert_delivery("phone", keys, at=AT + timedelta(hours=1), error=None)
    health = store.alert_channel("phone")
    assert health is not None and health.failing_since is None and health.consecutive_failures == 0
    assert health.last_error == "refused"  # kept for the record, as for accounts


def test_unsent_events_about_something_settled_are_dropped(store: StateStore) -> None:
    store.enqueue_alerts([("phone", AT_RISK), ("chat", AT_RISK)], at=AT)
    store.record_alert_delivery("chat", [AT_RISK.key], at=AT, error=None)
    assert store.drop_resolved_alerts("work", {"reply:work:t1:x"}, at=AT) == 0
    assert store.drop_resolved_alerts("work", set(), at=AT) == 1  # the phone's; chat's was sent
    assert store.pending_alerts("phone") == []
    assert [q.sent_at for q in store.alerts("chat")] == [AT]


def test_pruning_forgets_settled_rows_only(store: StateStore) -> None:
    store.enqueue_alerts([("phone", AT_RISK), ("phone", OVERDUE)], at=AT)
    store.record_alert_delivery("phone", [AT_RISK.key], at=AT, error=None)
    assert store.prune_alerts(before=AT + timedelta(days=1)) == 1
    assert [q.key for q in store.alerts()] == [OVERDUE.key]


def test_a_what_if_store_refuses_to_queue(backend: Backend) -> None:
    read_only = StateStore.open(backend.url(), read_only=True)
    try:
        assert read_only.enqueue_alerts([], at=AT) == 0  # nothing to queue: no write at all
        with pytest.raises(StoreReadOnlyError):
            read_only.enqueue_alerts([("phone", AT_RISK)], at=AT)
    finally:
        read_only.close()

"""Schema v8 on both dialects: requests and invitations on messages, a mark's detail,
account leases (one holder, atomically, across connections) and cycle records."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text, update

from inboxguard.domain.marks import Mark, MarkAction
from inboxguard.domain.tracked import (
    CalendarMethod,
    Invitation,
    Occurrence,
    Request,
    TextFacts,
)
from inboxguard.errors import StoreReadOnlyError
from inboxguard.store import CycleRecord, Lease, StateStore, schema
from tests.conftest import Backend
from tests.store.helpers import AT, tracked

TOKYO = ZoneInfo("Asia/Tokyo")
TTL = timedelta(minutes=5)

REQUEST = Request(
    "ロゴのデータを金曜までにお送りいただけますか。",
    "ロゴのデータ",
    date(2026, 11, 27),
    datetime(2026, 11, 27, 18, 0, tzinfo=TOKYO),
)
INVITATION = Invitation(
    uid="040000008200E00074C5B7101A82E008@example.com",
    sequence=2,
    method=CalendarMethod.REQUEST,
    cancelled=False,
    summary="定例ミーティング",
    organizer="taro@client.example",
    attendees=("taro@client.example", "hanako@example.jp"),
    occurrences=(
        Occurrence(
            datetime(2026, 11, 24, 10, tzinfo=TOKYO), datetime(2026, 11, 24, 11, tzinfo=TOKYO)
        ),
        Occurrence(datetime(2026, 12, 1, 1, tzinfo=UTC), datetime(2026, 12, 1, 2, tzinfo=UTC)),
    ),
    recurrence_id=datetime(2026, 11, 24, 10, tzinfo=TOKYO),
)


def synced(store: StateStore, *messages: object) -> None:
    store.apply_folder_sync("work", "INBOX", marker="m", added=list(messages), at=AT)  # type: ignore[arg-type]


# -- requests and invitations --------------------------------------------------------------


def test_a_message_keeps_its_request_and_invitation_as_given(store: StateStore) -> None:
    message = replace(tracked("1", "<a@x>"), request=REQUEST, invitation=INVITATION)
    synced(store, message, tracked("2", "<b@x>"))
    first, second = store.messages("work")
    assert first == message  # instants compare as instants, whatever their zone
    assert first.request == REQUEST and first.invitation == INVITATION
    assert (second.request, second.invitation) == (None, None)


def test_text_facts_set_and_clear_the_request_and_the_invitation(store: StateStore) -> None:
    synced(store, tracked("1", "<a@x>"))
    undated = Request("資料をご確認ください。", "")
    store.apply_text_facts(
        "work", [TextFacts("INBOX", "1", False, None, request=undated, invitation=INVITATION)]
    )
    (message,) = store.messages("work")
    assert message.request == undated and message.request.due_at is None
    assert message.invitation == INVITATION
    store.apply_text_facts("work", [TextFacts("INBOX", "1", False, None)])
    (message,) = store.messages("work")
    assert (message.request, message.invitation) == (None, None)


# An invitation whose sittings have no offset: unreadable (the domain holds aware instants).
NAIVE = (
    '{"uid": "u", "sequence": 0, "method": "REQUEST", "cancelled": false,'
    ' "summary": "", "organizer": null, "attendees": [],'
    ' "occurrences": [["2026-11-24T10:00:00", "2026-11-24T11:00:00"]],'
    ' "recurrence_id": null}'
)


@pytest.mark.parametrize(
    "stored",
    [
        "{not json",
        NAIVE.replace("T10:00:00", "T10:00:00+09:00").replace("T11:00:00", "T11:00:00+09:00")
        + "trailing",
        "[]",
        '{"uid": "x"}',
        NAIVE,
        NAIVE.replace('"REQUEST"', '"COUNTER-OFFER"'),
        NAIVE.replace('"sequence": 0', '"sequence": "0"'),
    ],
)
def test_an_invitation_that_does_not_decode_reads_as_none(store: StateStore, stored: str) -> None:
    synced(store, replace(tracked("1", "<a@x>"), invitation=INVITATION))
    with store.engine.begin() as c:
        c.execute(update(schema.messages).values(invitation_json=stored))
    (message,) = store.messages("work")
    assert message.invitation is None
    assert message.message_id == "<a@x>"  # the rest of the message reads as ever


# -- marks ---------------------------------------------------------------------------------


def test_a_mark_keeps_its_occurrence_and_signals(store: StateStore) -> None:
    sitting = Occurrence(
        datetime(2026, 11, 25, 14, tzinfo=TOKYO), datetime(2026, 11, 25, 15, tzinfo=TOKYO)
    )
    meeting = Mark("work", "t1", MarkAction.MEETING, None, AT, occurrence=sitting)
    dismiss = Mark(
        "work", "t1", MarkAction.DISMISS, None, AT + timedelta(minutes=1),
        signals=("keyword:障害", "score"),
    )  # fmt: skip
    plain = Mark("work", "t1", MarkAction.NO_REPLY, None, AT + timedelta(minutes=2))
    for mark in (meeting, dismiss, plain):
        store.add_mark(mark)
    assert store.marks("work") == [meeting, dismiss, plain]
    with store.engine.connect() as c:
        details = c.execute(text("SELECT detail_json FROM marks ORDER BY id")).scalars().all()
    assert details[2] is None  # a mark without detail stores none


def test_a_mark_detail_that_does_not_decode_reads_as_a_mark_without_one(
    store: StateStore,
) -> None:
    store.add_mark(Mark("work", "t1", MarkAction.DISMISS, None, AT, signals=("score",)))
    with store.engine.begin() as c:
        c.execute(update(schema.marks).values(detail_json='{"occurrence": [1, 2]'))
    assert store.marks("work") == [Mark("work", "t1", MarkAction.DISMISS, None, AT)]


# -- leases --------------------------------------------------------------------------------


def test_a_lease_is_taken_renewed_by_its_holder_and_refused_to_another(
    store: StateStore,
) -> None:
    assert store.acquire_lease("work", "host-a:1", TTL, AT)
    assert not store.acquire_lease("work", "host-b:2", TTL, AT + timedelta(minutes=1))
    later = AT + timedelta(minutes=4)
    assert store.acquire_lease("work", "host-a:1", TTL, later)  # renewed
    assert store.leases(later) == [Lease("work", "host-a:1", AT, later + TTL)]
    assert not store.acquire_lease("work", "host-b:2", TTL, AT + timedelta(minutes=8))


def test_an_expired_lease_is_taken_over_and_listed_until_then(store: StateStore) -> None:
    assert store.acquire_lease("work", "dead", TTL, AT)
    assert store.acquire_lease("private", "alive", TTL, AT + TTL)
    after = AT + TTL + timedelta(seconds=1)
    listed = store.leases(after)
    assert [(lease.account, lease.expired(after)) for lease in listed] == [
        ("private", False),
        ("work", True),
    ]
    assert store.acquire_lease("work", "new", TTL, after)
    assert store.leases(after)[1] == Lease("work", "new", after, after + TTL)


def test_a_released_lease_is_free_and_another_holder_cannot_release_it(
    store: StateStore,
) -> None:
    store.acquire_lease("work", "a", TTL, AT)
    store.release_lease("work", "b")
    assert not store.acquire_lease("work", "b", TTL, AT)
    store.release_lease("work", "a")
    assert store.leases(AT) == []
    assert store.acquire_lease("work", "b", TTL, AT)


def test_due_accounts_are_those_nobody_else_holds(store: StateStore) -> None:
    store.acquire_lease("a", "me", TTL, AT)
    store.acquire_lease("b", "other", TTL, AT)
    store.acquire_lease("c", "other", TTL, AT - TTL * 2)  # expired
    assert store.due_accounts(["a", "b", "c", "d"], "me", AT, 10) == ["a", "c", "d"]
    assert store.due_accounts(["d", "c", "b", "a"], "me", AT, 2) == ["d", "c"]
    assert store.due_accounts(["b"], "me", AT, 5) == []


@pytest.mark.parametrize("expired", [False, True], ids=["new", "expired"])
def test_eight_connections_racing_for_one_lease_one_wins_each_round(
    backend: Backend, expired: bool
) -> None:
    url = backend.url()
    stores = [StateStore.open(url) for _ in range(8)]
    rounds = 15
    barrier = threading.Barrier(len(stores))
    wins: list[list[str]] = [[] for _ in range(rounds)]
    failures: list[BaseException] = []

    def race(n: int, store: StateStore) -> None:
        try:
            for r in range(rounds):
                account = f"acct{r}"
                if expired and n == 0:
                    store.acquire_lease(account, "dead", TTL, AT - TTL * 2)
                barrier.wait()
                if store.acquire_lease(account, f"worker{n}", TTL, AT):
                    wins[r].append(f"worker{n}")
                barrier.wait()
        except BaseException as exc:
            failures.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=race, args=(n, s)) for n, s in enumerate(stores)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    assert [len(w) for w in wins] == [1] * rounds
    holders = {lease.account: lease.holder for lease in stores[0].leases(AT)}
    assert holders == {f"acct{r}": wins[r][0] for r in range(rounds)}
    for store in stores:
        store.close()


def test_a_lease_needs_an_aware_time_and_a_positive_ttl(store: StateStore) -> None:
    with pytest.raises(ValueError, match="positive"):
        store.acquire_lease("work", "a", timedelta(0), AT)
    with pytest.raises(Exception, match="naive datetime"):
        store.acquire_lease("work", "a", TTL, AT.replace(tzinfo=None))
    assert store.leases(AT) == []


# -- cycle records -------------------------------------------------------------------------


def test_a_cycle_record_is_replaced_by_the_next_one(store: StateStore) -> None:
    assert store.last_cycle("work") is None
    due = datetime(2026, 11, 21, 9, tzinfo=TOKYO)
    store.record_cycle("work", next_change_at=due, assessed_at=AT, fingerprint="f1")
    assert store.last_cycle("work") == CycleRecord("work", due, AT, "f1")
    later = AT + timedelta(minutes=5)
    store.record_cycle("work", next_change_at=None, assessed_at=later, fingerprint=None)
    assert store.last_cycle("work") == CycleRecord("work", None, later, None)
    assert store.last_cycle("other") is None


def test_a_read_only_store_refuses_leases_and_cycle_records(backend: Backend) -> None:
    url = backend.url()
    StateStore.open(url).close()
    store = StateStore.open(url, read_only=True)
    for write in (
        lambda: store.acquire_lease("work", "a", TTL, AT),
        lambda: store.release_lease("work", "a"),
        lambda: store.record_cycle("work", next_change_at=None, assessed_at=AT, fingerprint=None),
    ):
        with pytest.raises(StoreReadOnlyError):
            write()
    assert store.leases(AT) == [] and store.last_cycle("work") is None
    store.close()

"""Short thread ids: `mark` takes a unique start of an id; an ambiguous one is refused in
one line that lists the candidates."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from inboxguard.domain.message import Address
from inboxguard.domain.threading import Thread
from inboxguard.domain.tracked import FolderRole, TrackedMessage
from inboxguard.errors import UnknownThreadError
from inboxguard.service.marking import AmbiguousThreadError, resolve_thread_id
from inboxguard.service.status_view import short_ids
from inboxguard.store import StateStore

AT = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


def stored_threads(store: StateStore, *ids: str) -> None:
    messages = [
        TrackedMessage(
            account="work",
            folder="INBOX",
            uid=str(n),
            role=FolderRole.INCOMING,
            message_id=f"<m{n}@client.example>",
            subject="見積",
            sender=Address("", f"c{n}@client.example"),
            to=(Address("", "hanako@example.jp"),),
            cc=(),
            date=AT,
        )
        for n in range(len(ids))
    ]
    store.apply_folder_sync("work", "INBOX", marker="{}", added=messages, at=AT)
    store.assign_threads(
        "work",
        [Thread(id=i, account="work", messages=(m,)) for i, m in zip(ids, messages, strict=True)],
    )


def test_a_unique_start_of_an_id_resolves_to_the_thread(store: StateStore) -> None:
    stored_threads(store, "tabc1234567890ab", "tdef1234567890ab")
    assert resolve_thread_id(store, "tabc123") == "tabc1234567890ab"
    assert resolve_thread_id(store, "tdef1234567890ab") == "tdef1234567890ab"


def test_an_ambiguous_start_is_refused_listing_the_candidates(store: StateStore) -> None:
    stored_threads(store, "tabc1234567890ab", "tabc1299999999ff")
    with pytest.raises(AmbiguousThreadError) as caught:
        resolve_thread_id(store, "tabc12")
    message = str(caught.value)
    assert "\n" not in message and caught.value.exit_code == 2
    assert "tabc1234567890ab" in message and "tabc1299999999ff" in message


def test_an_unknown_id_stays_unknown(store: StateStore) -> None:
    stored_threads(store, "tabc1234567890ab")
    assert resolve_thread_id(store, "tzzz999") == "tzzz999"
    assert store.thread_account("tzzz999") is None
    assert UnknownThreadError("tzzz999").exit_code == 2


def test_short_ids_are_at_least_seven_characters_and_unique() -> None:
    ids = ["tabc1234567890ab", "tabc1239999999ff", "t0000000000000000"]
    shown = short_ids(ids)
    assert len(set(shown.values())) == 3
    assert {len(v) for v in shown.values()} == {8}  # tabc123 is shared: one more character
    assert short_ids(["tabc1234567890ab"]) == {"tabc1234567890ab": "tabc123"}

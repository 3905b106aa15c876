"""Joining messages into threads: headers, provider ids, Thread-Index, subject fallback, ids."""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping

from inboxguard.domain.threading import Thread, build_threads, new_thread_id, thread_index_root
from inboxguard.domain.tracked import FolderRole, TrackedMessage
from tests.domain.factories import ACCOUNT, IDENTITY, OTHER_CLIENT, OWNER, jst, msg


def threads_of(
    messages: Iterable[TrackedMessage], previous_ids: Mapping[str, str] | None = None
) -> list[Thread]:
    return build_threads(
        ACCOUNT, messages, other_party=IDENTITY.other_party, previous_ids=previous_ids
    )


def ids_per_thread(threads: list[Thread]) -> list[set[str]]:
    return [{m.message_id for m in t.messages} for t in threads]


# -- Message-ID / In-Reply-To / References ---------------------------------------------


def test_reply_joins_its_parent_by_in_reply_to() -> None:
    question = msg(jst(2026, 11, 16, 10), message_id="<q@client.example>")
    reply = msg(
        jst(2026, 11, 16, 15),
        sender=OWNER,
        subject="Re: 別件",  # the subject does not matter when the headers say
        message_id="<r@example.jp>",
        in_reply_to=("<q@client.example>",),
    )

    assert ids_per_thread(threads_of([question, reply])) == [
        {"<q@client.example>", "<r@example.jp>"}
    ]


def test_siblings_of_a_missing_message_join_through_the_phantom_parent() -> None:
    root = msg(jst(2026, 11, 16, 10), message_id="<a@client.example>")
    # <b@example.jp> (my reply) was never seen; both answers name it.
    first = msg(
        jst(2026, 11, 17, 10),
        message_id="<c@client.example>",
        references=("<a@client.example>", "<b@example.jp>"),
        in_reply_to=("<b@example.jp>",),
    )
    second = msg(
        jst(2026, 11, 17, 11),
        sender=OTHER_CLIENT,
        subject="Re: 見積のご依頼 (追記)",
        message_id="<d@other.example>",
        in_reply_to=("<b@example.jp>",),
    )

    threads = threads_of([root, first, second])

    assert ids_per_thread(threads) == [
        {"<a@client.example>", "<c@client.example>", "<d@other.example>"}
    ]


def test_messages_sharing_a_provider_thread_id_join() -> None:
    one = msg(jst(2026, 11, 16, 10), subject="見積", provider_thread_id="1780000000000000001")
    two = msg(
        jst(2026, 11, 16, 15),
        sender=OWNER,
        subject="金額",
        provider_thread_id="1780000000000000001",
    )
    unrelated = msg(jst(2026, 11, 16, 16), subject="見積", provider_thread_id="1780000000000000002")

    threads = threads_of([one, two, unrelated])

    assert ids_per_thread(threads) == [{one.message_id, two.message_id}, {unrelated.message_id}]


# -- Outlook Thread-Index ----------------------------------------------------------------

# 6 bytes of FILETIME and a 16-byte GUID: the conversation's 22-byte header.
CONVERSATION = bytes.fromhex("01d95c3a7b2f") + bytes.fromhex("8f1e2d3c4b5a69788796a5b4c3d2e1f0")
OTHER_CONVERSATION = CONVERSATION[:6] + bytes(16)


def thread_index(header: bytes, children: int = 0) -> str:
    """A Thread-Index value: the header and 5 bytes per reply, base64 as Outlook sends it."""
    child_blocks = b"".join(bytes([0x00, 0x00, 0x12, 0x34, n]) for n in range(children))
    return base64.b64encode(header + child_blocks).decode("ascii")


def test_thread_index_root_is_the_shared_22_byte_header() -> None:
    root = thread_index_root(thread_index(CONVERSATION))

    assert root == "outlook:" + CONVERSATION.hex()
    assert thread_index_root(thread_index(CONVERSATION, children=3)) == root
    assert thread_index_root(thread_index(OTHER_CONVERSATION)) != root


def test_thread_index_root_tolerates_folded_whitespace_and_missing_padding() -> None:
    value = thread_index(CONVERSATION, children=1)  # 27 bytes: base64 ends in "="
    folded = value[:20] + "\r\n " + value[20:].rstrip("=")

    assert thread_index_root(folded) == thread_index_root(value)


def test_thread_index_root_of_garbage_or_short_input_is_none() -> None:
    assert thread_index_root(None) is None
    assert thread_index_root("") is None
    assert thread_index_root("not base64 at all!!") is None
    assert thread_index_root(base64.b64encode(CONVERSATION[:21]).decode()) is None


def test_messages_sharing_a_thread_index_root_join() -> None:
    question = msg(
        jst(2026, 11, 16, 10),
        subject="見積",
        provider_thread_id=thread_index_root(thread_index(CONVERSATION)),
    )
    answer = msg(
        jst(2026, 11, 16, 15),
        sender=OWNER,
        subject="お見積の件",
        provider_thread_id=thread_index_root(thread_index(CONVERSATION, children=1)),
    )
    other = msg(
        jst(2026, 11, 16, 16),
        subject="見積",
        provider_thread_id=thread_index_root(thread_index(OTHER_CONVERSATION)),
    )

    threads = threads_of([question, answer, other])

    assert ids_per_thread(threads) == [
        {question.message_id, answer.message_id},
        {other.message_id},
    ]


# -- subject fallback ----------------------------------------------------------------


def test_headerless_reply_joins_by_subject_and_other_party() -> None:
    question = msg(jst(2026, 11, 16, 10), subject="見積のご依頼")
    reply = msg(jst(2026, 11, 16, 15), sender=OWNER, subject="Re: 見積のご依頼")

    assert ids_per_thread(threads_of([question, reply])) == [
        {question.message_id, reply.message_id}
    ]


def test_headerless_reply_to_someone_else_does_not_join_by_subject() -> None:
    question = msg(jst(2026, 11, 16, 10), subject="見積のご依頼")
    reply = msg(jst(2026, 11, 16, 15), sender=OWNER, to=(OTHER_CLIENT,), subject="Re: 見積のご依頼")

    assert len(threads_of([question, reply])) == 2


def test_headerless_reply_more_than_30_days_later_does_not_join_by_subject() -> None:
    question = msg(jst(2026, 10, 1, 10), subject="見積のご依頼")
    reply = msg(jst(2026, 11, 2, 10), sender=OWNER, subject="Re: 見積のご依頼")

    assert len(threads_of([question, reply])) == 2


def test_reply_with_headers_pointing_elsewhere_does_not_join_by_subject() -> None:
    question = msg(jst(2026, 11, 16, 10), subject="見積のご依頼")
    reply = msg(
        jst(2026, 11, 16, 15),
        sender=OWNER,
        subject="Re: 見積のご依頼",
        in_reply_to=("<older-request@client.example>",),
    )

    assert len(threads_of([question, reply])) == 2


# -- ids and duplicates ----------------------------------------------------------------


def test_the_same_messages_give_the_same_thread_ids_in_any_order() -> None:
    messages = [
        msg(jst(2026, 11, 16, 10), subject="見積のご依頼"),
        msg(jst(2026, 11, 16, 15), sender=OWNER, subject="Re: 見積のご依頼"),
        msg(jst(2026, 11, 17, 9), subject="請求書"),
    ]

    first = [t.id for t in threads_of(messages)]
    again = [t.id for t in threads_of(reversed(messages))]

    assert first == again
    assert first[0] == new_thread_id(ACCOUNT, messages[0].message_id)


def test_a_component_keeps_its_earlier_id_when_an_earlier_message_joins() -> None:
    question = msg(
        jst(2026, 11, 16, 10),
        message_id="<q@client.example>",
        references=("<origin@example.jp>",),
    )
    reply = msg(
        jst(2026, 11, 16, 15),
        sender=OWNER,
        message_id="<r@example.jp>",
        in_reply_to=("<q@client.example>",),
    )
    (before,) = threads_of([question, reply])
    # My original mail, older than both, is read later (say, Sent was synced afterwards).
    origin = msg(jst(2026, 11, 10, 9), sender=OWNER, message_id="<origin@example.jp>")
    previous = {m.message_id: before.id for m in before.messages}

    (with_history,) = threads_of([origin, question, reply], previous_ids=previous)
    (fresh,) = threads_of([origin, question, reply])

    assert with_history.id == before.id
    assert with_history.messages[0] == origin
    assert fresh.id != before.id


def test_copies_of_one_message_id_in_several_folders_count_once() -> None:
    question = msg(jst(2026, 11, 16, 10), message_id="<q@client.example>")
    sent = msg(
        jst(2026, 11, 16, 15),
        sender=OWNER,
        message_id="<r@example.jp>",
        in_reply_to=("<q@client.example>",),
    )
    inbox_copy = msg(
        jst(2026, 11, 16, 15),
        sender=OWNER,
        message_id="<r@example.jp>",
        in_reply_to=("<q@client.example>",),
        role=FolderRole.INCOMING,
        folder="INBOX",
    )

    (only,) = threads_of([question, sent, inbox_copy])

    assert [m.message_id for m in only.messages] == ["<q@client.example>", "<r@example.jp>"]


def test_a_sent_copy_beats_a_draft_copy_of_the_same_message_id() -> None:
    draft = msg(
        jst(2026, 11, 16, 15), sender=OWNER, message_id="<r@example.jp>", role=FolderRole.DRAFTS
    )
    sent = msg(jst(2026, 11, 16, 15), sender=OWNER, message_id="<r@example.jp>")

    (only,) = threads_of([draft, sent])

    assert [m.role for m in only.messages] == [FolderRole.SENT]

"""The Graph backend's pieces: the header block built from Graph's JSON, `check`, errors,
its sync marker, and drafts written by createReply on the message they answer."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from inboxguard.backends.base import Folder, OutgoingDraft, ReplyTarget
from inboxguard.backends.graph import MESSAGE_ID_PROPERTY, GraphBackend, GraphMarker
from inboxguard.backends.graph_headers import categories, draft_fields, header_block
from inboxguard.backends.graph_http import retry_after
from inboxguard.domain.tracked import FolderRole
from inboxguard.errors import BackendError
from inboxguard.parse import parse_message
from tests.graph.conftest import NOW, graph_account, graph_config
from tests.graph.fake_graph import TOKEN, FakeGraph
from tests.mailboxes import CLIENT, OWNER, build_message

INBOX = Folder("inbox", FolderRole.INCOMING)

ITEM = {
    "id": "AAkALgAAAAAAHYQDEapmEc2byACqAC-EWg0A00000001AAA=",
    "internetMessageId": "<q1@client.example>",
    "conversationId": "AAQkAGI2TG93AAAQAK00000001=",
    "subject": "見積のご依頼",
    "from": {"emailAddress": {"name": "山田 太郎", "address": CLIENT}},
    "toRecipients": [{"emailAddress": {"name": "佐藤 花子", "address": OWNER}}],
    "ccRecipients": [],
    "replyTo": [],
    "sentDateTime": "2026-11-19T06:00:00Z",
    "receivedDateTime": "2026-11-19T06:00:05Z",
    "categories": ["$Incident", "赤"],
    "internetMessageHeaders": [
        {"name": "Received", "value": "from mail.client.example by example.outlook.com"},
        {"name": "In-Reply-To", "value": "<q0@example.jp>"},
        {"name": "References", "value": "<root@example.jp> <q0@example.jp>"},
        {"name": "Auto-Submitted", "value": "auto-replied"},
    ],
}


def test_the_header_block_parses_back_to_the_graph_fields() -> None:
    message = parse_message(header_block(ITEM))
    assert message.message_id == "<q1@client.example>"
    assert message.subject == "見積のご依頼"
    assert (message.sender.name, message.sender.address) == ("山田 太郎", CLIENT)
    assert [a.address for a in message.to] == [OWNER]
    assert message.date == datetime(2026, 11, 19, 6, 0, tzinfo=UTC)
    assert message.in_reply_to == ("<q0@example.jp>",)
    assert message.references == ("<root@example.jp>", "<q0@example.jp>")
    assert message.automation.auto_submitted == "auto-replied"
    assert b"Received" not in header_block(ITEM)  # only the headers the parser reads


def test_hostile_values_stay_on_their_own_line_and_inject_no_header() -> None:
    hostile = {
        **ITEM,
        "subject": "Hello\r\nBcc: victim@example.com",
        "from": {"emailAddress": {"name": 'Eve"\r\nX-Evil: 1', "address": "eve@example.com"}},
        "internetMessageHeaders": [{"name": "References", "value": "<a@b>\r\nX-Evil: 2"}],
    }
    block = header_block(hostile)
    names = [line.split(b":", 1)[0] for line in block.split(b"\r\n") if line]
    assert names == [b"Message-ID", b"From", b"To", b"Subject", b"Date", b"References"]


def test_a_message_without_internet_message_id_gets_a_synthesised_id_as_any_mail_would() -> None:
    block = header_block({**ITEM, "internetMessageId": None})
    assert b"Message-ID" not in block
    message = parse_message(block)
    assert message.message_id_synthesized
    assert parse_message(header_block({**ITEM, "internetMessageId": None})) == message


def test_categories_are_keywords_and_ours_are_recognised_without_the_dollar() -> None:
    assert categories(ITEM) == {"$Incident", "赤"}
    assert categories({"categories": ["NoReplyNeeded"]}) == {"NoReplyNeeded", "$NoReplyNeeded"}


def test_our_draft_becomes_graph_json_with_its_text_and_recipients() -> None:
    raw = (
        "Message-ID: <ig-1@inboxguard.invalid>\nFrom: hanako@example.jp\n"
        f"To: =?utf-8?b?5bGx55SwIOWkqumDjg==?= <{CLIENT}>\nSubject: =?utf-8?b?UmU6IOimi+epjQ==?=\n"
        "In-Reply-To: <q1@client.example>\nContent-Type: text/plain; charset=utf-8\n"
        "Content-Transfer-Encoding: 8bit\nMIME-Version: 1.0\n\n山田様\n\n> 引用\n"
    ).encode()
    fields = draft_fields(raw)
    assert fields["subject"] == "Re: 見積"
    assert fields["toRecipients"] == [{"emailAddress": {"name": "山田 太郎", "address": CLIENT}}]
    assert fields["body"] == {"contentType": "text", "content": "山田様\n\n> 引用\n"}


def test_retry_after_is_seconds_or_an_http_date_and_a_default_when_missing() -> None:
    assert retry_after("120") == timedelta(seconds=120)
    now = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
    assert retry_after("Fri, 20 Nov 2026 03:01:30 GMT", now=now) == timedelta(seconds=90)
    assert retry_after(None) == timedelta(minutes=5)
    assert retry_after("99999999") == timedelta(days=1)  # a garbled figure parks no account


def test_describe_names_each_folder_and_its_messages_in_the_window_without_a_prefix(
    graph: FakeGraph, tmp_path: Path
) -> None:
    config = graph_config(graph, tmp_path)
    for days in (1, 2, 45):
        graph.add_mail(
            "inbox",
            sender=CLIENT,
            to=OWNER,
            subject="件名",
            date=NOW - timedelta(days=days),
            message_id=f"<d{days}@client.example>",
        )
    with GraphBackend(graph_account(config), token=lambda: TOKEN) as backend:
        lines = backend.describe(now=NOW, lookback=timedelta(days=30))
    assert lines[0] == f"graph me at {graph.base_url} (tenant organizations)"
    assert lines[1:] == [
        "  incoming  Inbox: 2 message(s) in the last 30 days",
        "  sent      Sent Items: 0 message(s) in the last 30 days",
        "  drafts    Drafts: 0 message(s) in the last 30 days",
    ]
    assert graph.writes() == []


def test_check_with_a_refused_token_says_to_run_inboxguard_auth(
    graph: FakeGraph, tmp_path: Path
) -> None:
    config = graph_config(graph, tmp_path)
    with (
        GraphBackend(graph_account(config), token=lambda: "stale-token") as backend,
        pytest.raises(BackendError, match=r"InvalidAuthenticationToken.*inboxguard auth work`$"),
    ):
        backend.describe(now=NOW, lookback=timedelta(days=30))


def test_an_unreachable_graph_names_the_host_and_nothing_else(tmp_path: Path) -> None:
    config = graph_config(FakeGraph(base_url="http://127.0.0.1:1/v1.0"), tmp_path)
    with (
        GraphBackend(graph_account(config), token=lambda: TOKEN) as backend,
        pytest.raises(BackendError, match=r"Microsoft Graph at 127\.0\.0\.1:1 unreachable"),
    ):
        backend.describe(now=NOW, lookback=timedelta(days=30))


def backend(graph: FakeGraph, tmp_path: Path) -> GraphBackend:
    return GraphBackend(graph_account(graph_config(graph, tmp_path)), token=lambda: TOKEN)


def client_mail(graph: FakeGraph, mid: str = "<q1@client.example>") -> str:
    return graph.add_mail(
        "inbox",
        sender=f"山田 太郎 <{CLIENT}>",
        to=OWNER,
        subject="見積のご依頼",
        date=NOW - timedelta(hours=20),
        message_id=mid,
    )


def test_the_marker_is_the_delta_link_as_stored_before_and_an_unchanged_folder_lists_nothing(
    graph: FakeGraph, tmp_path: Path
) -> None:
    client_mail(graph)
    since = NOW - timedelta(days=30)
    with backend(graph, tmp_path) as graph_backend:
        first = graph_backend.changes(INBOX, None, since=since, known_uids=frozenset)
        assert isinstance(first.marker, GraphMarker) and len(first.new_uids) == 1
        stored = first.marker.encode()
        assert stored == json.dumps({"delta": first.marker.delta}, sort_keys=True)

        def known() -> set[str]:
            raise AssertionError("a delta link needs no listing of stored ids")

        again = graph_backend.changes(INBOX, stored, since=since, known_uids=known)
    assert again.unchanged and not again.reset
    assert isinstance(again.marker, GraphMarker)


@pytest.mark.parametrize(
    "stored", ["{", '{"delta": 7}', '{"sync_state": "H4sIAAAA"}', '{"missing": true}', "null"]
)
def test_a_marker_it_cannot_read_is_a_reset_of_the_window_not_an_error(
    graph: FakeGraph, tmp_path: Path, stored: str
) -> None:
    original = client_mail(graph)
    with backend(graph, tmp_path) as graph_backend:
        changes = graph_backend.changes(
            INBOX, stored, since=NOW - timedelta(days=30), known_uids=frozenset
        )
    assert changes.reset and list(changes.new_uids) == [original]
    assert isinstance(changes.marker, GraphMarker)


def our_draft(*, in_reply_to: str | None = None) -> OutgoingDraft:
    # No In-Reply-To in the bytes by default: what the draft answers comes from reply_to.
    message = build_message(
        sender=OWNER,
        to=f"山田 太郎 <{CLIENT}>",
        subject="Re: 見積のご依頼",
        date=NOW,
        message_id="<ig-7@inboxguard.invalid>",
        body="山田様\n\n11月25日(水)までに回答いたします。\n",
        in_reply_to=in_reply_to,
    )
    return OutgoingDraft("<ig-7@inboxguard.invalid>", message.as_bytes())


def replying_to(uid: str, message_id: str = "<q1@client.example>") -> OutgoingDraft:
    return OutgoingDraft(
        "<ig-7@inboxguard.invalid>", our_draft().raw, ReplyTarget(message_id, INBOX, uid)
    )


def requests(graph: FakeGraph) -> list[tuple[str, str, str]]:
    return [(r.method, r.path, r.query.get("$filter", "")) for r in graph.requests]


def test_a_draft_replies_by_create_reply_on_the_message_it_answers_with_no_lookup(
    graph: FakeGraph, tmp_path: Path
) -> None:
    original = client_mail(graph)
    with backend(graph, tmp_path) as graph_backend:
        graph.clear_requests()
        location = graph_backend.append_draft(replying_to(original))
    assert requests(graph) == [
        ("POST", f"/me/messages/{original}/createReply", ""),
        ("PATCH", f"/me/messages/{location}", ""),
        ("GET", "/me/mailFolders/drafts", ""),
    ]
    (draft,) = graph.drafts()
    assert draft.id == location
    assert draft.in_reply_to == "<q1@client.example>"  # Exchange threads it under the original
    assert draft.fields["conversationId"] == graph.messages[original].fields["conversationId"]
    assert draft.fields["internetMessageId"] == "<ig-7@inboxguard.invalid>"
    assert draft.extended[MESSAGE_ID_PROPERTY.lower()] == "<ig-7@inboxguard.invalid>"
    assert "11月25日(水)までに回答いたします。" in draft.fields["body"]["content"]
    assert graph.violations == []


def test_an_original_moved_since_it_was_read_is_found_again_by_its_message_id(
    graph: FakeGraph, tmp_path: Path
) -> None:
    moved = client_mail(graph)  # Graph gives a moved message a new id; the stored one is stale
    with backend(graph, tmp_path) as graph_backend:
        graph.clear_requests()
        graph_backend.append_draft(replying_to("AAkALgStaleIdOfTheMessageBeforeItMoved="))
    assert [(m, p) for m, p, _ in requests(graph)][:3] == [
        ("POST", "/me/messages/AAkALgStaleIdOfTheMessageBeforeItMoved=/createReply"),
        ("GET", "/me/messages"),
        ("POST", f"/me/messages/{moved}/createReply"),
    ]
    assert requests(graph)[1][2] == "internetMessageId eq '<q1@client.example>'"
    (draft,) = graph.drafts()
    assert draft.in_reply_to == "<q1@client.example>"


def test_an_original_that_is_gone_or_a_draft_answering_none_becomes_a_new_draft(
    graph: FakeGraph, tmp_path: Path
) -> None:
    with backend(graph, tmp_path) as graph_backend:
        gone = graph_backend.append_draft(replying_to("AAkALgDeletedMessage=", "<gone@c>"))
        plain = graph_backend.append_draft(our_draft(in_reply_to="<q1@client.example>"))
    new_drafts = [(m, p) for m, p, _ in requests(graph) if m == "POST"]
    assert new_drafts == [
        ("POST", "/me/messages/AAkALgDeletedMessage=/createReply"),
        ("POST", "/me/messages"),
        ("POST", "/me/messages"),
    ]
    # Without reply_to nothing is looked up, even with an In-Reply-To in the bytes.
    lookups = [f for m, _, f in requests(graph) if m == "GET" and "internetMessageId" in f]
    assert lookups == ["internetMessageId eq '<gone@c>'"]
    assert {d.id for d in graph.drafts()} == {gone, plain}
    assert all(d.in_reply_to is None for d in graph.drafts())
    assert graph.violations == []

"""The Graph backend's pieces: the header block built from Graph's JSON, `check`, errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from inboxguard.backends.graph import GraphBackend
from inboxguard.backends.graph_headers import categories, draft_fields, header_block
from inboxguard.backends.graph_http import retry_after
from inboxguard.errors import BackendError
from inboxguard.parse import parse_message
from tests.graph.conftest import NOW, graph_account, graph_config
from tests.graph.fake_graph import TOKEN, FakeGraph
from tests.mailboxes import CLIENT, OWNER

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


def test_check_lines_name_each_folder_and_its_messages_in_the_window(
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
        lines = backend.check_lines(now=NOW, lookback=timedelta(days=30))
    assert lines[0] == f"[work] graph me at {graph.base_url} (tenant organizations)"
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
        backend.check_lines(now=NOW, lookback=timedelta(days=30))


def test_an_unreachable_graph_names_the_host_and_nothing_else(tmp_path: Path) -> None:
    config = graph_config(FakeGraph(base_url="http://127.0.0.1:1/v1.0"), tmp_path)
    with (
        GraphBackend(graph_account(config), token=lambda: TOKEN) as backend,
        pytest.raises(BackendError, match=r"Microsoft Graph at 127\.0\.0\.1:1 unreachable"),
    ):
        backend.check_lines(now=NOW, lookback=timedelta(days=30))

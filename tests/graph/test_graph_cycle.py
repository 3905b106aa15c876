"""The real cycle through the real Graph client, against a stateful fake of Graph's REST API.

Each test builds a configuration whose graph account points at the fake server, opens a
``GraphBackend`` on it (real httpx, only the token injected) and runs ``run_cycle``; what
the fake recorded proves what went over the wire.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from inboxguard.backends.graph import MESSAGE_ID_PROPERTY, GraphBackend
from inboxguard.domain.reply_clock import ThreadState
from inboxguard.service.assessing import assess_account
from inboxguard.service.context import Context
from inboxguard.service.cycle import AccountResult, run_cycle
from inboxguard.store import StateStore
from tests.graph.conftest import NOW, graph_account, graph_config
from tests.graph.fake_graph import FOLDERS, TOKEN, FakeGraph, Request
from tests.mailboxes import CLIENT, OWNER


class Sleeps:
    """Stands in for ``time.sleep``: records the pause asked for, never sleeps."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def backend(ctx: Context, token: str = TOKEN, sleeps: Sleeps | None = None) -> GraphBackend:
    return GraphBackend(graph_account(ctx.config), token=lambda: token, sleep=sleeps or Sleeps())


def cycle(
    ctx: Context,
    store: StateStore,
    now: datetime = NOW,
    *,
    ok: bool = True,
    token: str = TOKEN,
    sleeps: Sleeps | None = None,
) -> AccountResult:
    (result,) = run_cycle(ctx, store, [backend(ctx, token, sleeps)], now=now)
    if ok:
        assert result.ok, result.error
    return result


def client_mail(graph: FakeGraph, age: timedelta, mid: str | None = "<q1@client.example>") -> str:
    return graph.add_mail(
        "inbox",
        sender=f"山田 太郎 <{CLIENT}>",
        to=f"佐藤 花子 <{OWNER}>",
        subject="見積のご依頼",
        date=NOW - age,
        message_id=mid,
        body="佐藤様\n\nお見積りをお願いできますでしょうか。\n\n山田\n",
    )


def states(ctx: Context, store: StateStore) -> list[ThreadState]:
    return [view.status.state for view in assess_account(ctx, store, "work", NOW)]


def writes(graph: FakeGraph) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in graph.writes()]


def delta_gets(requests: list[Request]) -> list[Request]:
    return [r for r in requests if r.method == "GET" and r.path.endswith("/messages/delta")]


def test_client_mail_20h_old_gets_one_holding_draft_by_create_reply_and_patch_in_drafts(
    graph: FakeGraph, tmp_path: Path, store: StateStore
) -> None:
    ctx = Context.build(graph_config(graph, tmp_path))
    original = client_mail(graph, timedelta(hours=20))
    result = cycle(ctx, store)
    (record,) = result.drafts_written
    (draft,) = graph.drafts()
    assert writes(graph) == [
        ("POST", f"/me/messages/{original}/createReply"),
        ("PATCH", f"/me/messages/{draft.id}"),
    ]
    assert record.location == draft.id
    assert draft.json()["parentFolderId"] == FOLDERS["drafts"][0]
    assert draft.extended[MESSAGE_ID_PROPERTY.lower()] == record.message_id
    assert draft.fields["internetMessageId"] == record.message_id
    assert draft.fields["conversationId"] == graph.messages[original].fields["conversationId"]
    assert draft.fields["subject"] == "Re: 見積のご依頼"
    assert draft.fields["toRecipients"][0]["emailAddress"]["address"] == CLIENT
    assert draft.fields["body"]["contentType"] == "text"
    assert "お見積りをお願いできますでしょうか" in draft.fields["body"]["content"]  # quoted
    assert draft.in_reply_to == "<q1@client.example>"  # Exchange threads its reply
    assert graph.messages[original].fields["isRead"] is False  # read without marking it
    assert graph.violations == []


def test_a_second_cycle_and_a_restart_write_no_second_draft(
    graph: FakeGraph, tmp_path: Path
) -> None:
    ctx = Context.build(graph_config(graph, tmp_path))
    client_mail(graph, timedelta(hours=20))
    url = f"sqlite:///{tmp_path / 'state.db'}"
    for minutes in (0, 2, 4):  # each a new process: a new store handle and a new backend
        store = StateStore.open(url)
        cycle(ctx, store, NOW + timedelta(minutes=minutes))
        store.close()
    assert len(graph.drafts()) == 1
    assert [m for m, _ in writes(graph)] == ["POST", "PATCH"]


def test_a_reply_found_in_sent_items_answers_the_thread_and_no_draft_is_written(
    graph: FakeGraph, tmp_path: Path, store: StateStore
) -> None:
    ctx = Context.build(graph_config(graph, tmp_path))
    client_mail(graph, timedelta(hours=20))
    graph.add_mail(
        "sentitems",
        sender=f"佐藤 花子 <{OWNER}>",
        to=CLIENT,
        subject="Re: 見積のご依頼",
        date=NOW - timedelta(hours=2),
        message_id="<a1@example.jp>",
        in_reply_to="<q1@client.example>",
    )
    assert cycle(ctx, store).drafts_written == []
    assert states(ctx, store) == [ThreadState.ANSWERED]
    assert graph.writes() == []


def test_conversation_id_threads_a_sent_reply_without_references_under_another_subject(
    graph: FakeGraph, tmp_path: Path, store: StateStore
) -> None:
    ctx = Context.build(graph_config(graph, tmp_path))
    original = client_mail(graph, timedelta(hours=20))
    conversation = graph.messages[original].fields["conversationId"]
    # Sent items carry no internetMessageHeaders, and this reply names no parent and has
    # a subject of its own: only Exchange's conversationId ties it to the client's mail.
    graph.add_mail(
        "sentitems",
        sender=OWNER,
        to=CLIENT,
        subject="お見積りの件",
        date=NOW - timedelta(hours=1),
        message_id="<a2@example.jp>",
        conversation_id=conversation,
    )
    assert cycle(ctx, store).drafts_written == []
    (view,) = assess_account(ctx, store, "work", NOW)
    assert view.status.state is ThreadState.ANSWERED
    assert {m.provider_thread_id for m in view.thread.messages} == {conversation}


def test_without_the_conversation_id_the_same_reply_answers_nothing(
    graph: FakeGraph, tmp_path: Path, store: StateStore
) -> None:
    """The control for the test above: another conversation, so the clock runs on."""
    ctx = Context.build(graph_config(graph, tmp_path))
    client_mail(graph, timedelta(hours=20))
    graph.add_mail(
        "sentitems",
        sender=OWNER,
        to=CLIENT,
        subject="お見積りの件",
        date=NOW - timedelta(hours=1),
        message_id="<a2@example.jp>",
    )
    assert len(cycle(ctx, store).drafts_written) == 1


def test_an_unchanged_poll_is_one_get_of_the_stored_delta_link_per_folder(
    graph: FakeGraph, tmp_path: Path, store: StateStore
) -> None:
    ctx = Context.build(graph_config(graph, tmp_path))
    for hours in (1, 2, 3, 4, 5):  # five messages, pages of two: the first scan pages
        client_mail(graph, timedelta(hours=hours), f"<q{hours}@client.example>")
    cycle(ctx, store)
    assert any("$skiptoken" in r.query for r in graph.requests)
    cycle(ctx, store, NOW + timedelta(minutes=2))  # settles
    graph.clear_requests()
    result = cycle(ctx, store, NOW + timedelta(minutes=4))
    assert result.new_messages == 0
    polled = graph.requests
    assert len(polled) == 3  # inbox, sentitems, drafts
    assert delta_gets(polled) == polled
    assert all(set(r.query) == {"$deltatoken"} for r in polled)
    assert all("odata.maxpagesize=2" in r.prefer for r in polled)


def test_the_first_scan_asks_delta_for_the_window_and_only_the_fields_it_needs(
    graph: FakeGraph, tmp_path: Path, store: StateStore
) -> None:
    ctx = Context.build(graph_config(graph, tmp_path))
    client_mail(graph, timedelta(hours=3))
    client_mail(graph, timedelta(days=40), "<old@client.example>")
    result = cycle(ctx, store)
    assert result.new_messages == 1  # the 40-day-old mail is outside the window
    first = {r.path.split("/")[3]: r.query for r in delta_gets(graph.requests)}
    since = (NOW - ctx.lookback).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert {q["$filter"] for q in first.values()} == {f"receivedDateTime ge {since}"}
    assert "internetMessageHeaders" in first["inbox"]["$select"].split(",")
    assert "internetMessageHeaders" not in first["sentitems"]["$select"].split(",")
    assert "body" not in first["inbox"]["$select"].split(",")
    assert all('IdType="ImmutableId"' in r.prefer for r in graph.requests)


def test_a_429_with_retry_after_backs_the_account_off_for_the_time_asked(
    graph: FakeGraph, tmp_path: Path, store: StateStore
) -> None:
    ctx = Context.build(graph_config(graph, tmp_path))
    client_mail(graph, timedelta(hours=20))
    graph.throttle(429, retry_after="120")
    sleeps = Sleeps()
    result = cycle(ctx, store, ok=False, sleeps=sleeps)
    assert result.error is not None and "throttled" in result.error
    assert result.retry_at == NOW + timedelta(seconds=120)
    health = store.account_health("work")
    assert health is not None and health.next_attempt_at == NOW + timedelta(seconds=120)
    assert sleeps.calls == []  # two minutes are not waited in place
    assert cycle(ctx, store, NOW + timedelta(seconds=60)).skipped
    assert len(cycle(ctx, store, NOW + timedelta(seconds=121)).drafts_written) == 1
    assert graph.violations == []


def test_a_503_with_retry_after_is_throttling_too(
    graph: FakeGraph, tmp_path: Path, store: StateStore
) -> None:
    ctx = Context.build(graph_config(graph, tmp_path))
    graph.throttle(503, retry_after="30")
    result = cycle(ctx, store, ok=False)
    assert result.error is not None and "throttled" in result.error
    assert result.retry_at == NOW + timedelta(seconds=30)


def test_a_short_retry_after_is_waited_in_place_once_and_never_in_a_loop(
    graph: FakeGraph, tmp_path: Path, store: StateStore
) -> None:
    ctx = Context.build(graph_config(graph, tmp_path))
    client_mail(graph, timedelta(hours=3))
    graph.throttle(429, retry_after="2")
    sleeps = Sleeps()
    assert cycle(ctx, store, sleeps=sleeps).new_messages == 1
    assert sleeps.calls == [2.0]
    graph.throttle(429, retry_after="2", times=5)  # Graph keeps saying "wait"
    sleeps = Sleeps()
    result = cycle(ctx, store, NOW + timedelta(minutes=2), ok=False, sleeps=sleeps)
    assert sleeps.calls == [2.0]  # one wait, then the cycle gives the account up
    assert result.error is not None and "throttled" in result.error
    assert result.retry_at == NOW + timedelta(minutes=2, seconds=2)


def test_an_expired_delta_link_resyncs_the_window_and_writes_no_second_draft(
    graph: FakeGraph, tmp_path: Path, store: StateStore
) -> None:
    ctx = Context.build(graph_config(graph, tmp_path))
    client_mail(graph, timedelta(hours=20))
    assert len(cycle(ctx, store).drafts_written) == 1
    cycle(ctx, store, NOW + timedelta(minutes=2))  # reads our draft back from Drafts
    before = {f: store.known_uids("work", f) for f in ("inbox", "sentitems", "drafts")}
    assert before["inbox"] and before["drafts"]
    graph.expire_delta_tokens()
    graph.clear_requests()
    result = cycle(ctx, store, NOW + timedelta(minutes=4))
    assert result.drafts_written == []
    assert [r.status for r in graph.requests if r.status == 410] == [410, 410, 410]
    fresh = [r for r in delta_gets(graph.requests) if r.status == 200 and "$select" in r.query]
    assert len(fresh) == 3 and all("$filter" in r.query for r in fresh)  # the window again
    assert {f: store.known_uids("work", f) for f in before} == before
    assert len(graph.drafts()) == 1
    assert graph.writes() == []
    assert states(ctx, store) == [ThreadState.AT_RISK]


def test_a_message_without_internet_message_id_is_tracked_and_gets_one_reply_draft(
    graph: FakeGraph, tmp_path: Path, store: StateStore
) -> None:
    ctx = Context.build(graph_config(graph, tmp_path))
    original = client_mail(graph, timedelta(hours=20), mid=None)
    (record,) = cycle(ctx, store).drafts_written
    # No Message-ID is needed: createReply goes to the id the message was read under.
    assert [m for m, _ in writes(graph)] == ["POST", "PATCH"]
    assert writes(graph)[0] == ("POST", f"/me/messages/{original}/createReply")
    (draft,) = graph.drafts()
    assert draft.extended[MESSAGE_ID_PROPERTY.lower()] == record.message_id
    assert draft.fields["subject"] == "Re: 見積のご依頼"
    assert cycle(ctx, store, NOW + timedelta(minutes=2)).drafts_written == []
    assert len(graph.drafts()) == 1


def test_a_draft_recorded_nowhere_is_found_by_its_property_instead_of_written_again(
    graph: FakeGraph, tmp_path: Path
) -> None:
    """A crash after createReply and before the store recorded it: the draft is found."""
    ctx = Context.build(graph_config(graph, tmp_path))
    client_mail(graph, timedelta(hours=20))
    first = StateStore.open(f"sqlite:///{tmp_path / 'first.db'}")
    cycle(ctx, first)
    first.close()
    second = StateStore.open(f"sqlite:///{tmp_path / 'second.db'}")  # knows no draft
    found = cycle(ctx, second)
    assert found.drafts_written == []
    (record,) = found.drafts_found
    second.close()
    assert record.location == graph.drafts()[0].id
    assert len(graph.drafts()) == 1


def test_a_category_set_in_outlook_arrives_as_a_keyword_and_a_deletion_as_vanished(
    graph: FakeGraph, tmp_path: Path, store: StateStore
) -> None:
    ctx = Context.build(graph_config(graph, tmp_path))
    kept = client_mail(graph, timedelta(hours=3))
    gone = client_mail(graph, timedelta(hours=2), "<q2@client.example>")
    cycle(ctx, store)
    graph.set_categories(kept, ["NoReplyNeeded"])
    graph.delete(gone)
    cycle(ctx, store, NOW + timedelta(minutes=2))
    assert store.known_uids("work", "inbox") == {kept}
    assert states(ctx, store) == [ThreadState.NO_REPLY_NEEDED]
    assert graph.writes() == []


def test_a_refused_token_is_an_error_that_says_to_run_inboxguard_auth(
    graph: FakeGraph, tmp_path: Path, store: StateStore
) -> None:
    ctx = Context.build(graph_config(graph, tmp_path))
    result = cycle(ctx, store, ok=False, token="expired-access-token-value")
    assert result.error is not None
    assert "InvalidAuthenticationToken" in result.error
    assert result.error.endswith("run `inboxguard auth work`")
    assert "expired-access-token-value" not in result.error
    assert result.retry_at == NOW + timedelta(minutes=15)  # a refused login waits


def test_nothing_but_our_own_drafts_is_ever_written(
    graph: FakeGraph, tmp_path: Path, store: StateStore
) -> None:
    ctx = Context.build(graph_config(graph, tmp_path))
    first = client_mail(graph, timedelta(hours=20))
    client_mail(graph, timedelta(hours=18), mid=None)
    graph.add_mail(
        "inbox",
        sender="ニュース <news@list.example>",
        to=OWNER,
        subject="週刊ニュース",
        date=NOW - timedelta(hours=20),
        message_id="<n1@list.example>",
        extra={"List-Id": "<news.list.example>", "Precedence": "bulk"},
    )
    for minutes in range(0, 10, 2):
        cycle(ctx, store, NOW + timedelta(minutes=minutes))
        if minutes == 4:
            graph.expire_delta_tokens()
            graph.set_categories(first, ["赤"])
    assert graph.violations == []
    assert {method for method, _ in writes(graph)} <= {"POST", "PATCH"}
    for method, path in writes(graph):
        if method == "PATCH":
            assert graph.messages[path.removeprefix("/me/messages/")].ours
        else:
            assert path.endswith("/createReply") or path == "/me/messages"
    assert len(graph.drafts()) == 2  # the list mail is automated: no clock, no draft
    assert all(not m.fields["isRead"] for m in graph.messages.values() if m.folder == "inbox")

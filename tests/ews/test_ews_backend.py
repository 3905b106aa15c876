"""The EWS backend's edges: errors a person can act on, `check`, TLS with a private CA,
OAuth2 with the refreshed token persisted, header blocks built from item properties, and its
sync marker."""

from __future__ import annotations

import json
import socket
import stat
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs

import pytest

from inboxguard.auth.token_store import ConsentNeededError, token_path
from inboxguard.backends.base import Folder, OutgoingDraft
from inboxguard.backends.ews import EwsBackend, EwsMarker
from inboxguard.backends.ews_headers import header_block
from inboxguard.backends.ews_oauth import save_token
from inboxguard.config import EwsAccount
from inboxguard.domain.tracked import FolderRole
from inboxguard.errors import BackendError, LoginFailedError
from inboxguard.parse import parse_message
from tests.ews.conftest import client_mail, ews_account, ews_config
from tests.ews.fake_ews import FakeEws
from tests.live.tls import make_certificates, openssl_available
from tests.mailboxes import CLIENT, OWNER, build_message

INBOX = Folder("Inbox", FolderRole.INCOMING)
DRAFTS = Folder("Drafts", FolderRole.DRAFTS)


def backend(fake: FakeEws, tmp_path: Path, **account: Any) -> EwsBackend:
    return EwsBackend(ews_account(ews_config(fake, tmp_path, **account)))


def test_a_refused_password_is_a_login_failure_that_does_not_repeat_it(
    fake: FakeEws, tmp_path: Path
) -> None:
    fake.password = "changed-on-the-server"
    with (
        pytest.raises(LoginFailedError, match=r"login refused by 127\.0\.0\.1") as caught,
        backend(fake, tmp_path),
    ):
        pass
    assert "changed-on-the-server" not in str(caught.value)


def test_ews_switched_off_for_the_tenant_says_so_and_points_to_graph(
    fake: FakeEws, tmp_path: Path
) -> None:
    fake.ews_disabled = True
    with pytest.raises(BackendError) as raised, backend(fake, tmp_path):
        pass
    message = str(raised.value)
    assert "EWS is disabled" in message and 'kind = "graph"' in message
    assert "<html>" not in message  # the server's page is never repeated


def test_an_endpoint_nobody_listens_on_is_named_in_the_error(fake: FakeEws, tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    endpoint = f"http://127.0.0.1:{port}/EWS/Exchange.asmx"
    with (
        pytest.raises(BackendError, match=f"cannot connect to 127.0.0.1:{port}"),
        backend(fake, tmp_path, service_endpoint=endpoint),
    ):
        pass


def test_describe_names_the_server_version_folders_and_the_first_polls_work_once_each(
    fake: FakeEws, tmp_path: Path, now: datetime
) -> None:
    client_mail(fake, now - timedelta(hours=2))
    client_mail(fake, now - timedelta(days=60), mid="<old@client.example>")
    with backend(fake, tmp_path) as ews:
        lines = ews.describe(now=now, lookback=timedelta(days=30))
    assert lines[0].startswith("ews hanako at http://127.0.0.1:")
    assert "Microsoft Exchange Server 2016" in lines[0]
    assert lines[1:] == [
        "  incoming  Inbox: 2 item(s), 1 message(s) in the last 30 days",
        "  sent      Sent Items: 0 item(s), 0 message(s) in the last 30 days",
        "  drafts    Drafts: 0 item(s)",
    ]
    assert not any(line.startswith("[") for line in lines)  # `check` adds the account
    assert set(fake.operations) <= {"ConvertId", "GetFolder", "FindItem"}


def test_a_draft_read_back_from_drafts_is_described_from_its_properties(
    fake: FakeEws, tmp_path: Path
) -> None:
    draft = build_message(
        sender=f"佐藤 花子 <{OWNER}>",
        to=CLIENT,
        subject="Re: 見積のご依頼",
        date=datetime(2026, 11, 20, 12, 0, tzinfo=UTC),
        message_id="<ig-abc@inboxguard.invalid>",
        in_reply_to="<q1@client.example>",
        body="本文\n",
    )
    raw = draft.as_bytes()
    with backend(fake, tmp_path) as ews:
        assert ews.find_draft("<ig-abc@inboxguard.invalid>") is None
        location = ews.append_draft(OutgoingDraft("<ig-abc@inboxguard.invalid>", raw))
        assert ews.find_draft("<ig-abc@inboxguard.invalid>") == location
        (fetched,) = ews.fetch_headers(DRAFTS, [location])
        text = ews.fetch_text(DRAFTS, location, max_bytes=4096)
    message = parse_message(fetched.header_bytes)
    assert message.message_id == "<ig-abc@inboxguard.invalid>"
    assert message.in_reply_to == ("<q1@client.example>",)
    assert message.subject == "Re: 見積のご依頼"
    assert message.sender.address == OWNER
    assert [a.address for a in message.to] == [CLIENT]
    assert fetched.provider_thread_id  # ConversationId
    assert parse_message(text).text.strip() == "本文"


def test_a_hostile_header_value_cannot_add_a_header_line() -> None:
    item = SimpleNamespace(
        headers=[
            SimpleNamespace(name="Subject", value="hi\r\nBcc: victim@example.com"),
            SimpleNamespace(name="Received", value="from somewhere"),
        ],
        message_id="<m@x>\r\nX-Evil: 1",
        author=SimpleNamespace(name="Evil\nName", email_address="e@x.example"),
    )
    block = header_block(item)
    lines = block.split(b"\r\n")
    assert not any(line.lower().startswith((b"bcc", b"x-evil", b"received")) for line in lines)
    assert b"Subject: hi Bcc: victim@example.com" in lines


def test_a_message_without_internet_message_id_quotes_under_the_same_synthesised_id(
    fake: FakeEws, tmp_path: Path, now: datetime
) -> None:
    item = client_mail(fake, now - timedelta(hours=1), mid=None)
    with backend(fake, tmp_path) as ews:
        (fetched,) = ews.fetch_headers(INBOX, [item.id])
        text = ews.fetch_text(INBOX, item.id, max_bytes=4096)
    from_headers = parse_message(fetched.header_bytes)
    assert from_headers.message_id_synthesized
    assert parse_message(text).message_id == from_headers.message_id


@pytest.mark.skipif(not openssl_available(), reason="needs openssl for a throwaway CA")
def test_https_with_a_private_ca_is_trusted_through_ca_file_and_refused_without(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.ews.conftest import ENV_PASSWORD, PASSWORD

    monkeypatch.setenv(ENV_PASSWORD, PASSWORD)
    certs = make_certificates(tmp_path / "tls")
    server = FakeEws(OWNER, password=PASSWORD, tls=(str(certs.cert), str(certs.key))).start()
    try:
        with pytest.raises(BackendError, match="TLS to localhost"), backend(server, tmp_path):
            pass
        with backend(server, tmp_path, ca_file=str(certs.ca)) as ews:
            assert [f.name for f in ews.folders()] == ["Inbox", "Sent Items", "Drafts"]
    finally:
        server.stop()


class _TokenEndpoint:
    """Azure AD's v2.0 token endpoint for the refresh-token grant, nothing more."""

    def __init__(self, new_access: str) -> None:
        self.forms: list[dict[str, list[str]]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                form = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
                outer.forms.append(form)
                body = json.dumps(
                    {
                        "token_type": "Bearer",
                        "scope": "https://outlook.office365.com/EWS.AccessAsUser.All",
                        "expires_in": 3599,
                        "access_token": new_access,
                        "refresh_token": "rt-2",
                    }
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def authority(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> _TokenEndpoint:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def oauth_fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeEws]:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # plain http on loopback only
    server = FakeEws(OWNER, password="unused", bearer="at-2").start()
    yield server
    server.stop()


def test_oauth2_refreshes_an_expired_token_and_persists_the_new_one_0600(
    oauth_fake: FakeEws, tmp_path: Path
) -> None:
    environ = {"STATE_DIRECTORY": str(tmp_path / "state")}
    account = EwsAccount(
        name="o365",
        kind="ews",
        service_endpoint=oauth_fake.url,
        primary_smtp_address=OWNER,
        auth="oauth2",
        oauth_client_id="00000000-1111-2222-3333-444444444444",
        oauth_tenant="contoso.onmicrosoft.com",
    )
    expired = {
        "access_token": "at-1",
        "refresh_token": "rt-1",
        "token_type": "Bearer",
        "expires_in": -10,
        "expires_at": time.time() - 10,
    }
    save_token(account, expired, environ)
    with _TokenEndpoint("at-2") as endpoint:
        with EwsBackend(account, environ=environ, oauth_authority=endpoint.authority) as ews:
            assert len(ews.folders()) == 3
        (form,) = endpoint.forms
    assert form["grant_type"] == ["refresh_token"] and form["refresh_token"] == ["rt-1"]
    assert form["client_id"] == ["00000000-1111-2222-3333-444444444444"]
    path = token_path("o365", environ)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    stored = json.loads(path.read_text())
    assert stored["token"]["access_token"] == "at-2"
    assert stored["token"]["refresh_token"] == "rt-2"


def test_oauth2_without_stored_consent_asks_for_inboxguard_auth(tmp_path: Path) -> None:
    account = EwsAccount(
        name="o365",
        kind="ews",
        service_endpoint="https://outlook.office365.com/EWS/Exchange.asmx",
        primary_smtp_address=OWNER,
        auth="oauth2",
        oauth_client_id="00000000-1111-2222-3333-444444444444",
    )
    environ = {"STATE_DIRECTORY": str(tmp_path)}
    with (
        pytest.raises(ConsentNeededError, match="inboxguard auth o365"),
        EwsBackend(account, environ=environ),
    ):
        pass


def test_the_marker_is_the_sync_state_as_stored_before_and_an_unchanged_folder_reads_nothing(
    fake: FakeEws, tmp_path: Path, now: datetime
) -> None:
    client_mail(fake, now - timedelta(hours=2))
    since = now - timedelta(days=30)
    with backend(fake, tmp_path) as ews:
        first = ews.changes(INBOX, None, since=since, known_uids=frozenset)
        assert isinstance(first.marker, EwsMarker) and len(first.new_uids) == 1
        stored = first.marker.encode()
        assert stored == json.dumps({"sync_state": first.marker.sync_state}, sort_keys=True)
        fake.reset_counts()
        again = ews.changes(INBOX, stored, since=since, known_uids=frozenset)
    assert again.unchanged and not again.reset
    assert fake.operations == ["SyncFolderItems"]


@pytest.mark.parametrize("stored", ["garbage", '{"sync_state": ""}', '{"uidnext": 4}', "{}"])
def test_a_marker_it_cannot_read_is_a_reset_of_the_window_not_an_error(
    fake: FakeEws, tmp_path: Path, now: datetime, stored: str
) -> None:
    item = client_mail(fake, now - timedelta(hours=2))
    with backend(fake, tmp_path) as ews:
        changes = ews.changes(INBOX, stored, since=now - timedelta(days=30), known_uids=frozenset)
    assert changes.reset and list(changes.new_uids) == [item.id]
    assert isinstance(changes.marker, EwsMarker)

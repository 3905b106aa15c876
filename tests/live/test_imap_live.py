"""The IMAP backend against a real Dovecot: drafts, read-only guarantees, incremental polls."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from email.parser import BytesParser
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from imapclient import IMAPClient

from inboxguard.backends.base import Folder
from inboxguard.backends.imap import ImapBackend
from inboxguard.cli import main
from inboxguard.config import Config, ImapAccount, parse_config
from inboxguard.domain.tracked import FolderRole
from inboxguard.errors import BackendError
from inboxguard.service.assessing import assess_account
from inboxguard.service.context import Context
from inboxguard.service.cycle import AccountResult, run_cycle
from inboxguard.store import StateStore
from tests.live.conftest import ENV_PASSWORD, PASSWORD, Mailbox
from tests.mailboxes import CLIENT, OWNER, config_dict, write_config

pytestmark = pytest.mark.live

# Everything a read-only poll and a draft APPEND may send; nothing that changes mail.
ALLOWED = {
    "CAPABILITY", "LOGIN", "ENABLE", "LIST", "STATUS", "EXAMINE", "SEARCH", "FETCH", "APPEND",
    "LOGOUT", "NOOP", "UNSELECT",
}  # fmt: skip


class _RecordingClient(IMAPClient):  # type: ignore[misc]  # imapclient ships no type hints
    """The real client, recording every command it sends (``UID FETCH`` counts as FETCH)."""

    def __init__(self, commands: Counter[str], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        send = self._imap._command

        def recording(name: str, *rest: Any) -> Any:
            verb = str(rest[0]) if name.upper() == "UID" and rest else name
            commands[verb.upper()] += 1
            return send(name, *rest)

        self._imap._command = recording


class Recorder:
    def __init__(self) -> None:
        self.commands: Counter[str] = Counter()

    def factory(self, *args: Any, **kwargs: Any) -> Any:
        return _RecordingClient(self.commands, *args, **kwargs)


def imap_settings(mailbox: Mailbox, **account: Any) -> dict[str, Any]:
    return {
        "name": "work",
        "kind": "imap",
        "host": mailbox.server.host,
        "port": mailbox.server.port,
        "security": "none",
        "username": mailbox.user,
        "password_env": ENV_PASSWORD,
        **account,
    }


def imap_config(mailbox: Mailbox, tmp_path: Path, **account: Any) -> Config:
    data = config_dict(tmp_path / "unused", tmp_path)
    data["accounts"] = [imap_settings(mailbox, **account)]
    return parse_config(data)


def account_of(config: Config) -> ImapAccount:
    account = config.accounts[0]
    assert isinstance(account, ImapAccount)
    return account


def cycle(
    ctx: Context, store: StateStore, now: datetime, recorder: Recorder | None = None
) -> AccountResult:
    factory = recorder.factory if recorder else IMAPClient
    backend = ImapBackend(account_of(ctx.config), client_factory=factory)
    (result,) = run_cycle(ctx, store, [backend], now=now)
    assert result.ok, result.error
    return result


def sent_reply(mailbox: Mailbox, date: datetime) -> None:
    mailbox.add(
        "Sent",
        sender=OWNER,
        to=CLIENT,
        subject="Re: 見積のご依頼",
        date=date,
        message_id="<a1@example.jp>",
        in_reply_to="<q1@client.example>",
        flags=(b"\\Seen",),
    )


def thread_ids(ctx: Context, store: StateStore, now: datetime) -> set[str]:
    return {view.thread.id for view in assess_account(ctx, store, "work", now)}


def test_client_mail_20h_old_gets_one_threaded_draft_flagged_as_draft_in_drafts(
    mailbox: Mailbox, tmp_path: Path, store: StateStore, now: datetime
) -> None:
    ctx = Context.build(imap_config(mailbox, tmp_path))
    mailbox.client_mail("INBOX", now - timedelta(hours=20))
    result = cycle(ctx, store, now)
    (draft_flags, raw) = next(iter(mailbox.messages("Drafts").values()))
    assert len(result.drafts_written) == 1
    assert result.drafts_written[0].location  # the APPENDUID the server answered
    assert {b"\\Draft", b"\\Seen"} <= draft_flags
    draft = BytesParser(policy=default_policy).parsebytes(raw)
    assert draft["In-Reply-To"] == "<q1@client.example>"
    assert draft["Message-ID"] == result.drafts_written[0].message_id
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")  # CRLF throughout
    assert cycle(ctx, store, now + timedelta(minutes=2)).drafts_written == []
    assert len(mailbox.messages("Drafts")) == 1


def test_client_mail_answered_from_sent_is_answered_and_gets_no_draft(
    mailbox: Mailbox, tmp_path: Path, store: StateStore, now: datetime
) -> None:
    ctx = Context.build(imap_config(mailbox, tmp_path))
    mailbox.client_mail("INBOX", now - timedelta(hours=20))
    sent_reply(mailbox, now - timedelta(hours=2))
    result = cycle(ctx, store, now)
    assert result.drafts_written == []
    assert result.states == {"answered": 1}
    assert mailbox.messages("Drafts") == {}


def test_second_cycle_on_an_unchanged_mailbox_writes_nothing_and_issues_no_fetch_or_examine(
    mailbox: Mailbox, tmp_path: Path, store: StateStore, now: datetime
) -> None:
    ctx = Context.build(imap_config(mailbox, tmp_path))
    mailbox.client_mail("INBOX", now - timedelta(hours=20))
    sent_reply(mailbox, now - timedelta(hours=2))
    first = Recorder()
    cycle(ctx, store, now, first)
    assert first.commands["FETCH"] > 0
    second = Recorder()
    result = cycle(ctx, store, now + timedelta(minutes=2), second)
    assert result.new_messages == 0 and result.drafts_written == []
    assert second.commands["FETCH"] == 0
    assert second.commands["EXAMINE"] == 0
    assert second.commands["STATUS"] == 3  # INBOX, Sent, Drafts: one STATUS each
    assert second.commands["LIST"] == 0  # folders found on the first connection are kept
    assert set(second.commands) <= {"CAPABILITY", "LOGIN", "ENABLE", "STATUS", "LOGOUT"}


def test_a_folder_that_disappears_is_reported_and_folders_are_looked_for_again(
    mailbox: Mailbox, tmp_path: Path, store: StateStore, now: datetime
) -> None:
    mailbox.imap.create_folder("Clients")
    ctx = Context.build(imap_config(mailbox, tmp_path, watch=["Clients"]))
    mailbox.client_mail("Clients", now - timedelta(hours=2))
    cycle(ctx, store, now)
    mailbox.imap.rename_folder("Clients", "Clients-old")  # the owner reorganises
    backend = ImapBackend(account_of(ctx.config))
    (lost,) = run_cycle(ctx, store, [backend], now=now + timedelta(minutes=2))
    assert not lost.ok and "not found" in (lost.error or "")
    mailbox.imap.rename_folder("Clients-old", "Clients")
    recorder = Recorder()
    backend = ImapBackend(account_of(ctx.config), client_factory=recorder.factory)
    (found,) = run_cycle(ctx, store, [backend], now=now + timedelta(hours=1))
    assert found.ok, found.error
    assert recorder.commands["LIST"] == 1  # the remembered folders were forgotten


def test_after_a_draft_is_written_the_mailbox_settles_and_later_cycles_fetch_nothing(
    mailbox: Mailbox, tmp_path: Path, store: StateStore, now: datetime
) -> None:
    ctx = Context.build(imap_config(mailbox, tmp_path))
    mailbox.client_mail("INBOX", now - timedelta(hours=20))
    cycle(ctx, store, now)
    reads_own_draft = Recorder()
    assert cycle(ctx, store, now + timedelta(minutes=2), reads_own_draft).drafts_written == []
    assert reads_own_draft.commands["APPEND"] == 0
    settled = Recorder()
    assert cycle(ctx, store, now + timedelta(minutes=4), settled).drafts_written == []
    assert settled.commands["FETCH"] == 0 and settled.commands["APPEND"] == 0


def test_cycles_change_no_message_bytes_or_flags_and_never_mark_mail_seen(
    mailbox: Mailbox, tmp_path: Path, store: StateStore, now: datetime
) -> None:
    ctx = Context.build(imap_config(mailbox, tmp_path))
    mailbox.client_mail("INBOX", now - timedelta(hours=20))  # unread: no \Seen
    mailbox.client_mail("INBOX", now - timedelta(hours=3), mid="<q2@client.example>")
    mailbox.append(
        "INBOX",
        b"From: x@list.example\r\nSubject: news\r\nMessage-ID: <n@l>\r\n\r\nhi\r\n",
        when=now - timedelta(hours=5),
        flags=(b"$NoReplyNeeded", b"\\Flagged"),
    )
    sent_reply(mailbox, now - timedelta(hours=30))
    before = mailbox.snapshot()
    recorder = Recorder()
    for minutes in (0, 2, 4):
        cycle(ctx, store, now + timedelta(minutes=minutes), recorder)
    after = mailbox.snapshot()
    ours = {key for key in after.keys() - before.keys() if key[0] == "Drafts"}
    assert len(ours) == 1  # the one holding draft, and nothing else new
    assert {k: v for k, v in after.items() if k not in ours} == before
    assert all(
        b"\\Seen" not in flags for (folder, _), (flags, _) in after.items() if folder == "INBOX"
    )
    assert set(recorder.commands) <= ALLOWED, recorder.commands


def test_recreated_watched_folder_with_new_uidvalidity_keeps_thread_ids_and_writes_no_second_draft(
    mailbox: Mailbox, tmp_path: Path, store: StateStore, now: datetime
) -> None:
    mailbox.imap.create_folder("Clients")
    ctx = Context.build(imap_config(mailbox, tmp_path, watch=["Clients"]))
    received = now - timedelta(hours=20)
    raw = mailbox.client_mail("Clients", received)
    assert len(cycle(ctx, store, now).drafts_written) == 1
    before = thread_ids(ctx, store, now)
    old_validity = mailbox.imap.folder_status("Clients", ["UIDVALIDITY"])[b"UIDVALIDITY"]
    mailbox.imap.delete_folder("Clients")
    mailbox.imap.create_folder("Clients")
    mailbox.append("Clients", raw, when=received)
    assert mailbox.imap.folder_status("Clients", ["UIDVALIDITY"])[b"UIDVALIDITY"] != old_validity
    result = cycle(ctx, store, now + timedelta(minutes=5))
    assert result.drafts_written == []
    assert thread_ids(ctx, store, now + timedelta(minutes=5)) == before
    assert len(mailbox.messages("Drafts")) == 1


def test_new_mail_after_the_first_scan_is_fetched_alone_with_keywords_and_utc_internaldate(
    mailbox: Mailbox, tmp_path: Path, now: datetime
) -> None:
    account = account_of(imap_config(mailbox, tmp_path))
    inbox = Folder("INBOX", FolderRole.INCOMING)
    since = now - timedelta(days=30)
    mailbox.client_mail("INBOX", now - timedelta(hours=3))
    mailbox.client_mail("INBOX", now - timedelta(days=40), mid="<old@client.example>")
    with ImapBackend(account) as backend:
        first = backend.changes(inbox, None, since=since, known_uids=frozenset)
        assert len(first.new_uids) == 1  # the 40-day-old mail is outside the look-back window
        when = now - timedelta(hours=1)
        mailbox.append(
            "INBOX", b"Subject: new\r\nMessage-ID: <new@c>\r\n\r\n.\r\n", when=when,
            flags=(b"$NoReplyNeeded",),
        )  # fmt: skip
        later = backend.changes(
            inbox, first.marker.encode(), since=since, known_uids=lambda: set(first.new_uids)
        )
        assert not later.reset and not later.vanished_uids
        (fetched,) = backend.fetch_headers(inbox, later.new_uids)
    assert b"Message-ID: <new@c>" in fetched.header_bytes
    assert fetched.keywords == {"$NoReplyNeeded"}
    assert fetched.received_at == when


def test_password_from_a_command_logs_in(mailbox: Mailbox, tmp_path: Path) -> None:
    script = tmp_path / "pass.sh"
    script.write_text(f"#!/bin/sh\necho '{PASSWORD}'\necho second-line-ignored\n")
    script.chmod(0o700)
    config = imap_config(mailbox, tmp_path, password_env=None, password_command=f"{script} show")
    with ImapBackend(account_of(config)) as backend:
        assert "IMAP4REV1" in backend.capabilities


def test_password_from_the_environment_logs_in(mailbox: Mailbox, tmp_path: Path) -> None:
    with ImapBackend(account_of(imap_config(mailbox, tmp_path))) as backend:
        assert {f.role for f in backend.folders()} == set(FolderRole)


def test_wrong_password_is_a_backend_error_that_never_shows_the_password(
    mailbox: Mailbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong = "Wr0ng-but-secret-7731"
    monkeypatch.setenv(ENV_PASSWORD, wrong)
    with (
        pytest.raises(BackendError) as caught,
        ImapBackend(account_of(imap_config(mailbox, tmp_path))),
    ):
        pass
    assert "login failed: check `username` and the password" in str(caught.value)
    assert wrong not in str(caught.value) and wrong not in repr(caught.value)
    assert caught.value.__suppress_context__  # no chained traceback repeats the exchange


def test_connection_refused_names_host_and_port(mailbox: Mailbox, tmp_path: Path) -> None:
    config = imap_config(mailbox, tmp_path, port=1)
    with (
        pytest.raises(BackendError, match=r"127\.0\.0\.1:1 refused"),
        ImapBackend(account_of(config)),
    ):
        pass


def test_check_describes_capabilities_folders_and_window_counts(
    mailbox: Mailbox, tmp_path: Path, now: datetime
) -> None:
    mailbox.client_mail("INBOX", now - timedelta(hours=3))
    data = config_dict(tmp_path / "unused", tmp_path)
    data["accounts"] = [imap_settings(mailbox)]
    config = write_config(tmp_path / "config.toml", data)
    env = {"INBOXGUARD_CONFIG": str(config), ENV_PASSWORD: PASSWORD}
    result = CliRunner().invoke(main, ["check"], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "CONDSTORE" in result.output
    assert "incoming  INBOX: 1 message(s)" in result.output
    assert "drafts    Drafts: 0 message(s)" in result.output
    assert "sent      Sent: 0 message(s)" in result.output
    assert PASSWORD not in result.output


def test_check_fails_in_one_line_on_a_drafts_folder_the_server_lacks_without_imapclient_noise(
    mailbox: Mailbox, tmp_path: Path
) -> None:
    data = config_dict(tmp_path / "unused", tmp_path)
    data["accounts"] = [imap_settings(mailbox, drafts_folder="Entwürfe")]
    config = write_config(tmp_path / "config.toml", data)
    env = {"INBOXGUARD_CONFIG": str(config), ENV_PASSWORD: PASSWORD}
    result = CliRunner().invoke(main, ["check"], env=env, catch_exceptions=False)
    assert result.exit_code == 1, result.output
    # Only the problem line: imapclient's "error occurred while decoding" warning is not shown.
    assert result.stderr.splitlines() == [
        f"[work] problem: account 'work': Drafts folder 'Entwürfe' does not exist on "
        f"{mailbox.server.host}: create it in your mail client, or set drafts_folder to an "
        "existing one"
    ]
    assert not mailbox.imap.folder_exists("Entwürfe")  # check created nothing


def test_expunged_mail_is_reported_vanished_without_fetching(
    mailbox: Mailbox, tmp_path: Path, now: datetime
) -> None:
    account = account_of(imap_config(mailbox, tmp_path))
    inbox = Folder("INBOX", FolderRole.INCOMING)
    since = now - timedelta(days=30)
    mailbox.client_mail("INBOX", now - timedelta(hours=3))
    mailbox.client_mail("INBOX", now - timedelta(hours=2), mid="<q2@client.example>")
    recorder = Recorder()
    with ImapBackend(account, client_factory=recorder.factory) as backend:
        first = backend.changes(inbox, None, since=since, known_uids=frozenset)
    gone = first.new_uids[0]
    mailbox.imap.select_folder("INBOX")  # the test, not the product, deletes mail
    mailbox.imap.delete_messages([int(gone)])
    mailbox.imap.expunge()
    with ImapBackend(account, client_factory=recorder.factory) as backend:
        later = backend.changes(
            inbox, first.marker.encode(), since=since, known_uids=lambda: set(first.new_uids)
        )
    assert list(later.vanished_uids) == [gone] and not later.new_uids
    assert recorder.commands["FETCH"] == 0


def test_a_keyword_the_owner_sets_later_is_picked_up_through_condstore(
    mailbox: Mailbox, tmp_path: Path, store: StateStore, now: datetime
) -> None:
    mailbox.client_mail("INBOX", now - timedelta(hours=2))
    ctx = Context.build(imap_config(mailbox, tmp_path))
    assert cycle(ctx, store, now).states == {"waiting": 1}
    mailbox.imap.select_folder("INBOX")  # the owner's own client, read-write
    (uid,) = mailbox.imap.search(["ALL"])
    mailbox.imap.add_flags([uid], [b"$NoReplyNeeded"])
    mailbox.imap.unselect_folder()
    recorder = Recorder()
    result = cycle(ctx, store, now + timedelta(minutes=2), recorder)
    assert result.states == {"no_reply_needed": 1}
    assert recorder.commands["FETCH"] == 1  # the changed message's FLAGS, nothing else


def test_japanese_folder_names_travel_as_modified_utf7(
    mailbox: Mailbox, tmp_path: Path, store: StateStore, now: datetime
) -> None:
    mailbox.imap.create_folder("クライアント")
    mailbox.imap.create_folder("下書き")
    ctx = Context.build(
        imap_config(mailbox, tmp_path, watch=["クライアント"], drafts_folder="下書き")
    )
    mailbox.client_mail("クライアント", now - timedelta(hours=20))
    result = cycle(ctx, store, now)
    assert result.new_messages == 1 and len(result.drafts_written) == 1
    (draft,) = mailbox.messages("下書き").values()
    assert b"\\Draft" in draft[0]
    raw_names = [name for _, _, name in mailbox.imap.list_folders()]
    assert "下書き" in raw_names  # imapclient decodes the wire form (&Tgtm+DBN-) back


def test_the_incident_keyword_set_in_the_owners_client_brings_one_first_report_draft(
    mailbox: Mailbox, tmp_path: Path, store: StateStore, now: datetime
) -> None:
    mailbox.client_mail("INBOX", now - timedelta(hours=2))
    ctx = Context.build(imap_config(mailbox, tmp_path))
    assert cycle(ctx, store, now).drafts_written == []
    mailbox.imap.select_folder("INBOX")  # the owner flags the mail in their own client
    (uid,) = mailbox.imap.search(["ALL"])
    mailbox.imap.add_flags([uid], [b"$Incident"])
    mailbox.imap.unselect_folder()
    (written,) = cycle(ctx, store, now + timedelta(minutes=2)).drafts_written
    assert written.purpose == "first_report"
    (view,) = assess_account(ctx, store, "work", now + timedelta(minutes=3))
    assert view.incident is not None and view.incident.opened_by.value == "keyword"
    assert cycle(ctx, store, now + timedelta(minutes=4)).drafts_written == []
    (flags, raw) = next(iter(mailbox.messages("Drafts").values()))
    assert b"\\Draft" in flags and len(mailbox.messages("Drafts")) == 1
    draft = BytesParser(policy=default_policy).parsebytes(raw)
    assert draft["X-InboxGuard-Purpose"] == "first_report"
    assert draft["In-Reply-To"] == "<q1@client.example>"

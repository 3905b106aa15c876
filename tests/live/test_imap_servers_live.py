"""Servers offering less than Dovecot (issue 16): no CONDSTORE (Microsoft 365, Outlook.com,
Yahoo), no UNSELECT, no custom keywords, an APPEND into the selected mailbox refused.

Each is a real Dovecot with its advertised capabilities cut down (``imap_capability``), seen
through the proxy of tests/live/proxy.py, which answers ``NO`` to an APPEND into the mailbox
the connection has selected and keeps every command line the client sent.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from inboxguard.backends import imap
from inboxguard.backends.base import Folder
from inboxguard.backends.imap import ImapBackend, ImapMarker
from inboxguard.config import Config, ImapAccount, parse_config
from inboxguard.delivery import deliver
from inboxguard.domain.tracked import FolderRole
from inboxguard.service.assessing import assess_account
from inboxguard.service.context import Context
from inboxguard.service.cycle import AccountResult, run_cycle
from inboxguard.store import StateStore
from tests.delivery.digests import DAY, digest_message
from tests.live.conftest import ENV_PASSWORD, Dovecot, Mailbox
from tests.live.proxy import CuttingProxy, Rewrite
from tests.mailboxes import CLIENT, OWNER, config_dict

pytestmark = pytest.mark.live

# Every command a poll, a draft's APPEND and leaving a read-only view may send.
ALLOWED = {
    "CAPABILITY", "LOGIN", "ENABLE", "LIST", "STATUS", "EXAMINE", "SEARCH", "FETCH", "APPEND",
    "LOGOUT", "NOOP", "UNSELECT", "CLOSE",
}  # fmt: skip
INBOX = Folder("INBOX", FolderRole.INCOMING)
_VERB = re.compile(rb"^\S+ (?:UID )?([A-Za-z]+)")


def _settings(
    mailbox: Mailbox,
    proxy: CuttingProxy,
    tmp_path: Path,
    *,
    digest: dict[str, str] | None = None,
    **account: Any,
) -> Config:
    data = config_dict(tmp_path / "unused", tmp_path)
    if digest is not None:
        data["digest"] = digest
    data["accounts"] = [
        {
            "name": "work",
            "kind": "imap",
            "host": proxy.host,
            "port": proxy.port,
            "security": "none",
            "username": mailbox.user,
            "password_env": ENV_PASSWORD,
            **account,
        }
    ]
    return parse_config(data)


def _account(config: Config) -> ImapAccount:
    account = config.accounts[0]
    assert isinstance(account, ImapAccount)
    return account


def _cycle(ctx: Context, store: StateStore, now: datetime) -> AccountResult:
    (result,) = run_cycle(ctx, store, [ImapBackend(_account(ctx.config))], now=now)
    assert result.ok, result.error
    return result


def _verbs(lines: list[bytes]) -> set[str]:
    return {m.group(1).decode().upper() for line in lines if (m := _VERB.match(line))}


def _offers(server: Dovecot, capability: bytes) -> bool:
    client = server.client(server.new_user())
    try:
        return capability in client.capabilities()
    finally:
        client.logout()


def _flag(mailbox: Mailbox, folder: str, message_id: str, keyword: bytes) -> str:
    """The owner sets a keyword in their own client (read-write, outside the product)."""
    mailbox.imap.select_folder(folder)
    (uid,) = mailbox.imap.search(["HEADER", "Message-ID", message_id])
    mailbox.imap.add_flags([uid], [keyword])
    mailbox.imap.close_folder()
    return str(uid)


def test_the_whole_cycle_gives_the_result_of_full_dovecot_through_a_proxy_refusing_append(
    any_mailbox: Mailbox, tmp_path: Path, store: StateStore, now: datetime
) -> None:
    """Threads, drafts, a keyword set later, a UIDVALIDITY reset: on every server alike."""
    mailbox = any_mailbox
    condstore = _offers(mailbox.server, b"CONDSTORE")
    unselect = _offers(mailbox.server, b"UNSELECT")
    mailbox.imap.create_folder("Clients")
    raw_old = mailbox.client_mail("Clients", now - timedelta(hours=20))
    raw_new = mailbox.add(
        "Clients",
        sender=f"山田 太郎 <{CLIENT}>",
        to=f"佐藤 花子 <{OWNER}>",
        subject="打ち合わせの日程",
        date=now - timedelta(hours=2),
        message_id="<q2@client.example>",
    )
    server = mailbox.server
    with CuttingProxy(server.host, server.port, refuse_append_to_selected=True) as proxy:
        ctx = Context.build(
            _settings(mailbox, proxy, tmp_path, watch=["Clients"], keyword_rescan=2)
        )
        first = _cycle(ctx, store, now)
        assert len(first.drafts_written) == 1 and first.states == {"at_risk": 1, "waiting": 1}
        threads = {v.thread.id for v in assess_account(ctx, store, "work", now)}
        _flag(mailbox, "Clients", "<q2@client.example>", b"$NoReplyNeeded")
        # Seen on the next poll with CONDSTORE, by the flags scan within keyword_rescan
        # polls without it.
        states = [_cycle(ctx, store, now + timedelta(minutes=m)).states for m in (2, 4)]
        assert states[-1] == {"at_risk": 1, "no_reply_needed": 1}
        if condstore:
            assert states[0] == states[-1]
        # The folder recreated (a new UIDVALIDITY), the mail back with its keyword.
        mailbox.imap.delete_folder("Clients")
        mailbox.imap.create_folder("Clients")
        mailbox.append("Clients", raw_old, when=now - timedelta(hours=20))
        mailbox.append(
            "Clients", raw_new, when=now - timedelta(hours=2), flags=(b"$NoReplyNeeded",)
        )
        later = now + timedelta(minutes=6)
        reset = _cycle(ctx, store, later)
        assert reset.drafts_written == [] and reset.states == {"at_risk": 1, "no_reply_needed": 1}
        assert {v.thread.id for v in assess_account(ctx, store, "work", later)} == threads
        assert _cycle(ctx, store, later + timedelta(minutes=2)).drafts_written == []
    assert proxy.refused == []  # no APPEND ever met a selected mailbox
    assert len(mailbox.messages("Drafts")) == 1
    verbs = _verbs(proxy.lines)
    assert verbs <= ALLOWED, verbs
    assert "APPEND" in verbs
    if not unselect:
        assert "UNSELECT" not in verbs and "CLOSE" in verbs
    if not condstore:
        sent = b"".join(proxy.lines).upper()
        assert b"CONDSTORE" not in sent and b"MODSEQ" not in sent and b"CHANGEDSINCE" not in sent


def test_the_proxy_refuses_an_append_into_the_selected_mailbox(
    mailbox: Mailbox,
) -> None:
    """The proxy's own contract: an APPEND while Drafts is EXAMINEd is answered NO."""
    server = mailbox.server
    with CuttingProxy(server.host, server.port, refuse_append_to_selected=True) as proxy:
        client = IMAPClient(proxy.host, proxy.port, ssl=False, timeout=10)
        client.login(mailbox.user, server.password)
        client.select_folder("Drafts", readonly=True)
        with pytest.raises(IMAPClientError, match="READ-ONLY"):
            client.append("Drafts", b"Subject: x\r\n\r\nx\r\n")
        client.unselect_folder()
        client.append("Drafts", b"Subject: y\r\n\r\ny\r\n")
        client.logout()
    assert proxy.refused == ["Drafts"]
    assert len(mailbox.messages("Drafts")) == 1


def test_the_digest_is_appended_to_inbox_after_its_search_there_through_a_proxy_refusing_append(
    any_mailbox: Mailbox, tmp_path: Path
) -> None:
    """The digest SEARCHes INBOX (EXAMINEd) before its APPEND there: the view is left first,
    by UNSELECT or, without it, CLOSE; delivered twice, one unread digest."""
    mailbox = any_mailbox
    server = mailbox.server
    with CuttingProxy(server.host, server.port, refuse_append_to_selected=True) as proxy:
        digest = {"delivery": "imap-append", "account": "work"}
        config = _settings(mailbox, proxy, tmp_path, digest=digest)
        first = deliver(digest_message(), config, day=DAY)
        again = deliver(digest_message(), config, day=DAY)
    assert not first.already_there and again.already_there
    assert proxy.refused == []
    assert "APPEND" in _verbs(proxy.lines) and _verbs(proxy.lines) <= ALLOWED
    ((flags, _),) = mailbox.messages("INBOX").values()
    assert b"\\Seen" not in flags


@pytest.fixture
def bare_mailbox(cut_down_dovecots: dict[str, Dovecot]) -> Any:
    server = cut_down_dovecots["no-condstore"]
    box = Mailbox(server, server.new_user())
    yield box
    box.close()


class _Counting(IMAPClient):  # type: ignore[misc]  # imapclient ships no type hints
    """Counts the commands sent through imaplib (``UID FETCH`` as FETCH)."""

    commands: ClassVar[list[str]] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        send = self._imap._command

        def recording(name: str, *rest: Any) -> Any:
            verb = str(rest[0]) if name.upper() == "UID" and rest else name
            _Counting.commands.append(verb.upper())
            return send(name, *rest)

        self._imap._command = recording


def test_without_condstore_unchanged_polls_are_one_status_each_until_a_batched_flags_scan(
    bare_mailbox: Mailbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, now: datetime
) -> None:
    mailbox = bare_mailbox
    for n in range(3):
        mailbox.client_mail("INBOX", now - timedelta(hours=2 + n), mid=f"<m{n}@client.example>")
    monkeypatch.setattr(imap, "FLAGS_BATCH", 2)
    with CuttingProxy(mailbox.server.host, mailbox.server.port) as proxy:
        account = _account(_settings(mailbox, proxy, tmp_path, keyword_rescan=3))
        since = now - timedelta(days=30)
        with ImapBackend(account, client_factory=_Counting) as backend:
            first = backend.changes(INBOX, None, since=since, known_uids=frozenset)
            known = set(first.new_uids)
            marker = first.marker.encode()
            polls = []
            for _ in range(3):
                _Counting.commands = []
                got = backend.changes(INBOX, marker, since=since, known_uids=lambda: known)
                sent = [c for c in _Counting.commands if c != "UNSELECT"]  # the first scan's view
                polls.append((sent, dict(got.keyword_updates)))
                marker = got.marker.encode()
            # Two polls of one STATUS each, then the flags scan: 3 UIDs, 2 per FETCH.
            assert polls[0] == (["STATUS"], {}) and polls[1] == (["STATUS"], {})
            assert polls[2][0] == ["STATUS", "EXAMINE", "FETCH", "FETCH"]
            assert polls[2][1] == dict.fromkeys(known, frozenset())
            decoded = ImapMarker.decode(marker)
            assert decoded is not None and decoded.polls == 0 and decoded.flags
            # The next scan finds what the last one did: nothing to report.
            for _ in range(3):
                got = backend.changes(INBOX, marker, since=since, known_uids=lambda: known)
                marker = got.marker.encode()
            assert got.unchanged
            flagged = _flag(mailbox, "INBOX", "<m1@client.example>", b"$Incident")
            updates = []
            for _ in range(3):
                got = backend.changes(INBOX, marker, since=since, known_uids=lambda: known)
                updates.append(dict(got.keyword_updates))
                marker = got.marker.encode()
            assert updates[:2] == [{}, {}]  # seen with the delay `check` announces
            assert updates[2] == {**dict.fromkeys(known, frozenset()), flagged: {"$Incident"}}


def test_check_says_keywords_set_later_are_seen_within_keyword_rescan_polls_without_condstore(
    any_mailbox: Mailbox, tmp_path: Path, now: datetime
) -> None:
    mailbox = any_mailbox
    condstore = _offers(mailbox.server, b"CONDSTORE")
    with CuttingProxy(mailbox.server.host, mailbox.server.port) as proxy:
        account = _account(_settings(mailbox, proxy, tmp_path, keyword_rescan=4))
        with ImapBackend(account) as backend:
            lines = backend.describe(now=now, lookback=timedelta(days=30))
    notes = [line for line in lines if line.startswith("  keywords: ")]
    if condstore:
        assert notes == []
    else:
        (note,) = notes
        assert "no CONDSTORE" in note and "within 4 poll(s)" in note
        assert "keyword_rescan = 4" in note


# Microsoft 365's list: system flags and $MDNSent, no \* (no keyword of one's own).
NO_KEYWORDS = rb"[PERMANENTFLAGS (\Seen \Answered \Flagged \Deleted \Draft $MDNSent)]"
ANY_KEYWORD = rb"[PERMANENTFLAGS (\Seen \Answered \Flagged \Deleted \Draft \*)]"


@pytest.mark.parametrize("permanent", [None, ANY_KEYWORD, NO_KEYWORDS])
def test_check_says_when_the_watched_folder_takes_no_custom_keywords(
    mailbox: Mailbox, tmp_path: Path, now: datetime, permanent: bytes | None
) -> None:
    server = mailbox.server
    with CuttingProxy(server.host, server.port) as proxy:
        if permanent is not None:  # Dovecot's EXAMINE answers an empty list
            pattern = re.compile(rb"\[PERMANENTFLAGS \([^)]*\)\]")
            proxy.rewrite(Rewrite(pattern, permanent.replace(b"\\", b"\\\\")))
        with ImapBackend(_account(_settings(mailbox, proxy, tmp_path))) as backend:
            lines = backend.describe(now=now, lookback=timedelta(days=30))
    notes = [line for line in lines if line.startswith("  keywords: ")]
    if permanent is NO_KEYWORDS:
        (note,) = notes
        assert note.startswith("  keywords: INBOX takes no custom keywords")
        assert "inboxguard mark" in note and 'kind = "graph"' in note
    else:
        assert notes == []

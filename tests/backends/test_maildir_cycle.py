"""The maildir backend under the service cycle: mail it did not create stays as it was,
keywords set later are read."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from inboxguard.backends.maildir import MaildirBackend
from inboxguard.config import parse_config
from inboxguard.service.context import Context
from inboxguard.service.cycle import run_cycle
from inboxguard.store import StateStore
from tests.mailboxes import CLIENT, OWNER, Maildir, config_dict, maildir_account

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=ZoneInfo("Asia/Tokyo"))


def _snapshot(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in root.rglob("*")
        if p.is_file() and "Drafts" not in p.parts
    }


def test_cycles_never_change_move_or_flag_mail_they_did_not_create(tmp_path: Path) -> None:
    mail = Maildir(tmp_path / "Mail")
    for i in range(5):
        mail.add(
            "INBOX",
            sender=CLIENT,
            to=OWNER,
            subject=f"質問{i}",
            date=NOW - timedelta(hours=20 + i),
            message_id=f"<q{i}@c>",
            flags="",  # unread: must stay unread
        )
    (mail.root / "INBOX" / "new" / "1795100000.N.host").write_bytes(
        f"From: {CLIENT}\nTo: {OWNER}\nSubject: new\nMessage-ID: <n@c>\n\n?\n".encode()
    )
    before = _snapshot(mail.root)
    ctx = Context.build(parse_config(config_dict(mail.root, tmp_path)))
    store = StateStore.open(f"sqlite:///{tmp_path / 'state.db'}")
    for hours in (0, 1, 2):
        run_cycle(
            ctx,
            store,
            [MaildirBackend(maildir_account(ctx.config))],
            now=NOW + timedelta(hours=hours),
        )
    store.close()
    assert _snapshot(mail.root) == before
    # Five clocks passed holding_draft_after; the undated new/ mail counts from its
    # delivery time (12h before NOW) and has no draft yet.
    assert len(mail.drafts()) == 5


def test_a_keyword_set_after_the_first_read_is_picked_up(tmp_path: Path) -> None:
    mail = Maildir(tmp_path / "Mail")
    (mail.root / "INBOX" / "dovecot-keywords").write_text("0 $NoReplyNeeded\n")
    path = mail.add("INBOX", sender=CLIENT, to=OWNER, subject="s", date=NOW, message_id="<k@c>")
    ctx = Context.build(parse_config(config_dict(mail.root, tmp_path)))
    store = StateStore.open(f"sqlite:///{tmp_path / 'state.db'}")
    backend = MaildirBackend(maildir_account(ctx.config))
    (first,) = run_cycle(ctx, store, [backend], now=NOW)
    assert first.states == {"waiting": 1}
    path.rename(path.with_name(path.name + "a"))  # the owner's client sets $NoReplyNeeded
    (second,) = run_cycle(ctx, store, [backend], now=NOW + timedelta(minutes=2))
    store.close()
    assert second.states == {"no_reply_needed": 1}

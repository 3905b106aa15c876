"""The real digest appended into the owner's INBOX on Dovecot, read back and polled again."""

from __future__ import annotations

from datetime import datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path

import pytest

from inboxguard.config import parse_config
from inboxguard.digest.render import LABELS
from inboxguard.digest.sending import send_digest
from inboxguard.service.context import Context
from inboxguard.store import StateStore
from tests.digest.test_digest import read_html
from tests.live.conftest import Mailbox
from tests.live.test_imap_live import cycle, imap_settings
from tests.mailboxes import config_dict

pytestmark = pytest.mark.live


def test_an_appended_digest_arrives_unread_reads_back_and_starts_no_thread(
    mailbox: Mailbox, tmp_path: Path, store: StateStore, now: datetime
) -> None:
    data = config_dict(tmp_path / "unused", tmp_path)
    data["accounts"] = [imap_settings(mailbox)]
    data["digest"] = {"delivery": "imap-append", "account": "work"}
    ctx = Context.build(parse_config(data))
    mailbox.client_mail("INBOX", now - timedelta(hours=30))
    assert cycle(ctx, store, now).states == {"overdue": 1}

    outcome = send_digest(ctx, store, now, force=True)
    assert outcome.status == "sent", outcome.error
    digests = [
        (flags, raw)
        for flags, raw in mailbox.messages("INBOX").values()
        if b"X-InboxGuard-Purpose: digest" in raw
    ]
    (flags, raw) = digests[0]
    assert len(digests) == 1 and b"\\Seen" not in flags
    message = message_from_bytes(raw, policy=default_policy)
    assert isinstance(message, EmailMessage)
    html = message.get_body(preferencelist=("html",))
    assert isinstance(html, EmailMessage)
    page = read_html(html.get_content())
    assert f"{LABELS['ja']['overdue']} (1)" in page.text
    assert "見積のご依頼" in page.text

    # The service reads its own digest on the next poll: it is no client mail and no answer.
    later = cycle(ctx, store, now + timedelta(minutes=2))
    assert later.states == {"overdue": 1}

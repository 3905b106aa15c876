"""Strangers' subjects reach the owner neutralised and bounded: status, digest and drafts.

A right-to-left override (U+202E) in a subject makes "invoice \u202efdp.exe" read as
"invoice exe.pdf"; a 5,000-character subject pushes a table off the screen. Machine-readable
output (`status --json`) keeps the subject exactly as decoded.
"""

from __future__ import annotations

import json
from email.parser import BytesParser
from email.policy import default as default_policy
from pathlib import Path

import pytest

from inboxguard.backends.maildir import MaildirBackend
from inboxguard.config import parse_config
from inboxguard.digest.sending import compose
from inboxguard.domain.display import ELLIPSIS, MAX_SHOWN_COLUMNS
from inboxguard.service.context import Context
from inboxguard.service.cycle import run_cycle
from inboxguard.store import StateStore
from tests.cli.test_cli import NOW, invoke, thread
from tests.mailboxes import Maildir, config_dict, maildir_account

RLO = "\u202e"
TRICK = f"invoice {RLO}fdp.exe"
LONG = "A" * 5000


@pytest.fixture
def hostile(mail: Maildir) -> Maildir:
    thread(mail, "trick", TRICK, 30)  # overdue
    thread(mail, "long", LONG, 20)  # at risk: due within 24 hours
    thread(mail, "zw", "pay\u200bment \x1b[31mdue", 22)
    return mail


def test_status_table_shows_subjects_without_bidi_controls_and_cut_to_fit(
    config: Path, hostile: Maildir
) -> None:
    result = invoke(config, "status")
    assert result.exit_code == 0, result.output
    assert RLO not in result.stdout
    assert "\u200b" not in result.stdout and "\x1b" not in result.stdout
    assert "fdp.exe" in result.stdout
    # The table may fold the shown subject across lines, but never all 5,000 characters.
    assert result.stdout.count("A") <= MAX_SHOWN_COLUMNS
    assert ELLIPSIS in result.stdout


def test_status_json_keeps_the_subject_exactly_as_decoded(config: Path, hostile: Maildir) -> None:
    data = json.loads(invoke(config, "status", "--json").stdout)
    subjects = {item["subject"] for item in data["threads"]}
    assert TRICK in subjects
    assert LONG in subjects


def _poll(mail: Maildir, tmp_path: Path, store: StateStore) -> Context:
    data = config_dict(mail.root, tmp_path)
    data["digest"] = {"delivery": "file", "path": str(tmp_path / "digests")}
    ctx = Context.build(parse_config(data))
    backend = MaildirBackend(maildir_account(ctx.config))
    (result,) = run_cycle(ctx, store, [backend], now=NOW, write_drafts=True)
    assert result.ok, result.error
    return ctx


def test_digest_lines_show_subjects_neutralised_and_shortened(
    hostile: Maildir, tmp_path: Path, store: StateStore
) -> None:
    ctx = _poll(hostile, tmp_path, store)
    built = compose(ctx, store, NOW)
    content = built.content
    assert [line.subject for line in content.overdue] == ["invoice fdp.exe"]
    long = next(line.subject for line in content.due_soon if line.subject.startswith("AAA"))
    assert len(long) == MAX_SHOWN_COLUMNS and long.endswith(ELLIPSIS)
    assert "payment [31mdue" in {line.subject for line in content.due_soon}
    for rendered in (built.html, built.text):
        assert RLO not in rendered
        assert LONG not in rendered


def test_a_holding_draft_subject_carries_no_bidi_override(
    hostile: Maildir, tmp_path: Path, store: StateStore
) -> None:
    _poll(hostile, tmp_path, store)
    subjects = [
        str(BytesParser(policy=default_policy).parsebytes(path.read_bytes())["Subject"])
        for path in hostile.drafts()
    ]
    assert subjects, "the at-risk threads get holding drafts"
    assert all(RLO not in subject and "\u200b" not in subject for subject in subjects)
    assert {"Re: invoice fdp.exe", "Re: payment [31mdue"} <= set(subjects)

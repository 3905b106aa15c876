"""Bad input for the client's turn (issue 14 "Bad input"), through ``decide`` and whole
cycles on a real Maildir: broken, huge or odd invitations and unusable dates never crash,
never draft to a machine, and make no ``awaiting`` clock."""

from __future__ import annotations

from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from inboxguard.domain.tracked import FolderRole, TrackedMessage
from inboxguard.parse import parse_message
from inboxguard.service.assessing import assess_all
from inboxguard.service.text_facts import decide
from tests.mailboxes import CLIENT, OWNER, build_message
from tests.service.test_client_turn_cycle import jst
from tests.service.test_meetings_cycle import FIXTURES, Cycles, text_of, to_of

SENT = jst(12, 1, 10)  # Tuesday


def tracked(raw: bytes, *, folder: str, role: FolderRole, at: datetime) -> TrackedMessage:
    return TrackedMessage.from_message(
        parse_message(raw), account="work", folder=folder, uid="1", role=role, date=at
    )


@pytest.mark.parametrize(
    ("fixture", "start", "minutes"),
    [
        ("duration_no_dtend.eml", jst(12, 3, 11), 30),  # DURATION:PT30M
        ("no_dtend_no_duration.eml", jst(12, 3, 11), 60),  # neither: one hour
        ("unknown_tzid.eml", jst(12, 8, 13), 60),  # TZID=JST-Local: read in my zone
    ],
)
def test_odd_invitations_read_through_decide_and_minuted_once(
    tmp_path: Path, fixture: str, start: datetime, minutes: int
) -> None:
    cycles = Cycles(tmp_path)
    raw = (FIXTURES / fixture).read_bytes()
    message = tracked(raw, folder="INBOX", role=FolderRole.INCOMING, at=SENT)

    facts = decide(cycles.ctx, message, "", raw=raw)

    assert facts.invitation is not None
    (sitting,) = facts.invitation.occurrences
    assert (sitting.start, sitting.end) == (start, start + timedelta(minutes=minutes))
    assert facts.request is None and facts.promise is None
    cycles.invitation(fixture)
    end = start + timedelta(minutes=minutes)
    cycles.run(SENT + timedelta(hours=30), end - timedelta(minutes=1))
    assert cycles.drafts() == []  # an invitation is no mail awaiting an answer
    cycles.run(end + timedelta(minutes=1), end + timedelta(minutes=30))
    (draft,) = cycles.drafts()
    assert to_of(draft) == [CLIENT]
    assert f"{start:%H:%M}–{end:%H:%M}" in text_of(draft)


def test_a_broken_ics_is_no_meeting_and_no_crash(tmp_path: Path) -> None:
    cycles = Cycles(tmp_path)
    raw = (FIXTURES / "broken_ics.eml").read_bytes()
    message = tracked(raw, folder="INBOX", role=FolderRole.INCOMING, at=SENT)
    assert decide(cycles.ctx, message, "", raw=raw).invitation is None
    cycles.invitation("broken_ics.eml")

    cycles.run(jst(12, 1, 12), jst(12, 3, 9), jst(12, 3, 18, 30))

    # Read as a person's mail (it is one): it may get a holding reply, never minutes.
    assert all(d["X-InboxGuard-Purpose"] != "minutes" for d in cycles.drafts())


def huge_invitation(events: int) -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "METHOD:REQUEST", "PRODID:-//x//y//EN"]
    for n in range(events):
        lines += [
            "BEGIN:VEVENT",
            f"UID:huge-{n}@client.example",
            "DTSTAMP:20261201T000000Z",
            "DTSTART:20261203T050000Z",
            "DTEND:20261203T060000Z",
            f"SUMMARY:{'長い説明' * 40}",
            f"ORGANIZER:mailto:{CLIENT}",
            f"ATTENDEE:mailto:{OWNER}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    message = EmailMessage()
    message["From"] = CLIENT
    message["To"] = OWNER
    message["Subject"] = "Invitation: everything"
    message["Date"] = "Tue, 01 Dec 2026 01:00:00 +0000"
    message["Message-ID"] = "<huge@client.example>"
    message.set_content("see the attachment\n")
    message.add_attachment(
        ("\r\n".join(lines) + "\r\n").encode(),
        "application",
        "ics",
        filename="invite.ics",
    )
    return message.as_bytes()


def test_a_huge_ics_is_handled_without_a_crash_or_minutes(tmp_path: Path) -> None:
    cycles = Cycles(tmp_path)
    raw = huge_invitation(5000)  # several MB
    assert len(raw) > 2_000_000
    cycles.invitation("", raw=raw)

    cycles.run(jst(12, 1, 12), jst(12, 3, 15, 5), jst(12, 3, 18, 30))

    assert all(d["X-InboxGuard-Purpose"] != "minutes" for d in cycles.drafts())


def test_a_recurrence_without_end_is_bounded_and_quick(tmp_path: Path) -> None:
    cycles = Cycles(tmp_path)
    raw = (FIXTURES / "google_ja_weekly_no_end.eml").read_bytes()
    message = tracked(raw, folder="INBOX", role=FolderRole.INCOMING, at=SENT)

    invitation = decide(cycles.ctx, message, "", raw=raw).invitation

    assert invitation is not None
    sittings = invitation.occurrences
    assert sittings[0].start == jst(12, 3, 10)
    assert 20 <= len(sittings) <= 40  # weekly, about 200 days ahead, not forever
    assert sittings[-1].start - SENT <= timedelta(days=201)


@pytest.mark.parametrize(
    "body",
    [
        "ロゴのデータを11月16日(月)までにいただけますと幸いです。\n",  # already past
        "ロゴのデータを2027年9月1日までにいただけますと幸いです。\n",  # > 200 days ahead
        "ロゴのデータを明日3時までにいただけますと幸いです。\n",  # 3時: 午前 or 午後?
        "Could you send the files by 3 o'clock tomorrow\n",  # no am/pm, no question mark
        "ロゴのデータを13月45日までにいただけますと幸いです。\n",  # no such date
    ],
)
def test_unusable_dates_make_no_awaiting_clock(tmp_path: Path, body: str) -> None:
    cycles = Cycles(tmp_path)
    message = build_message(
        sender=OWNER, to=CLIENT, subject="ロゴ", date=SENT, message_id="<a@example.jp>", body=body
    )
    raw = message.as_bytes()
    mine = tracked(raw, folder="Sent", role=FolderRole.SENT, at=SENT)

    facts = decide(cycles.ctx, mine, body, raw=raw)

    assert facts.request is None, facts.request
    cycles.mail.add_raw("Sent", raw, SENT)
    for now in (jst(12, 2, 9), jst(12, 20, 9)):
        cycles.run(now)
        assert not {"awaiting", "awaiting_overdue"} & {
            a.status.state.value for a in assess_all(cycles.ctx, cycles.store, now)
        }
    assert cycles.drafts() == []


def test_cycles_on_bad_invitations_log_no_address_or_summary_above_debug(
    tmp_path: Path,
) -> None:
    cycles = Cycles(tmp_path)
    names = ("broken_ics.eml", "unknown_tzid.eml", "noreply_booking.eml", "outlook_custom_tzid.eml")
    for name in names:
        cycles.invitation(name)
    cycles.invitation("", raw=huge_invitation(3000))

    with capture_logs() as logs:
        cycles.run(jst(12, 1, 12), jst(12, 5, 13, 35), jst(12, 8, 14, 5))

    assert any(entry["log_level"] == "info" for entry in logs)  # the capture works
    shown = "\n".join(repr(entry) for entry in logs if entry["log_level"] != "debug")
    secrets = (
        CLIENT,
        "booking.example",
        "月次レビュー",
        "現地打ち合わせ",
        "Consultation",
        "長い説明",
    )
    for secret in secrets:
        assert secret not in shown

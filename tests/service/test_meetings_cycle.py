"""Meetings from the invitation fixtures through whole cycles on a real Maildir (SPEC §5
``minutes_due``, §6 Meetings): every calendar client's shape, recurrences, moves and
cancellations, calendar answers and machine senders. Drafts are read back with the email
package and threaded by the independent JWZ threader (tests/jwz.py)."""

from __future__ import annotations

import email
import email.policy
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import getaddresses
from pathlib import Path

import pytest

from inboxguard.backends.maildir import MaildirBackend
from inboxguard.config import parse_config
from inboxguard.service.assessing import assess_all
from inboxguard.service.context import Context
from inboxguard.service.cycle import run_cycle
from inboxguard.store import StateStore
from tests.jwz import same_thread
from tests.mailboxes import OWNER, Maildir, config_dict, maildir_account
from tests.service.test_client_turn_cycle import TOKYO, jst

FIXTURES = Path(__file__).parent.parent / "fixtures" / "invitations"
TARO = "taro@client.example"
ICHIRO = "ichiro@other.example"
MISAKI = "misaki.takahashi@other.example"


class Cycles:
    """One account, one store; ``clients`` is the owner's rules/clients.toml, if any."""

    def __init__(self, tmp_path: Path, clients: str = "", **sla: str) -> None:
        self.mail = Maildir(tmp_path / "Mail")
        data = config_dict(self.mail.root, tmp_path, **sla)
        if clients:
            rules = tmp_path / "rules"
            rules.mkdir()
            (rules / "clients.toml").write_text(clients, encoding="utf-8")
            data["rules_dir"] = str(rules)
        self.ctx = Context.build(parse_config(data))
        self.store = StateStore.open(f"sqlite:///{tmp_path / 'state.db'}")
        self.backend = MaildirBackend(maildir_account(self.ctx.config))

    def invitation(self, name: str, *, folder: str = "INBOX", raw: bytes | None = None) -> str:
        data = raw if raw is not None else (FIXTURES / name).read_bytes()
        message = email.message_from_bytes(data)
        self.mail.add_raw(folder, data, email.utils.parsedate_to_datetime(str(message["Date"])))
        return str(message["Message-ID"])

    def run(self, *instants: datetime) -> None:
        for now in instants:
            run_cycle(self.ctx, self.store, [self.backend], now=now)

    def drafts(self) -> list[EmailMessage]:
        return [
            email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
            for p in self.mail.drafts()
        ]

    def minutes(self) -> list[EmailMessage]:
        return [d for d in self.drafts() if d["X-InboxGuard-Purpose"] == "minutes"]

    def everything(self) -> list[email.message.Message]:
        return [
            email.message_from_bytes(p.read_bytes())
            for p in self.mail.root.rglob("*")
            if p.is_file() and p.parent.name in ("cur", "new")
        ]

    def states(self, now: datetime) -> list[str]:
        return [a.status.state.value for a in assess_all(self.ctx, self.store, now)]


def to_of(draft: EmailMessage) -> list[str]:
    return sorted(a.lower() for _, a in getaddresses([str(draft["To"])]))


def recipients_of(draft: EmailMessage) -> set[str]:
    fields = [str(draft[h]) for h in ("To", "Cc", "Bcc") if draft[h] is not None]
    return {a.lower() for _, a in getaddresses(fields)}


def text_of(draft: EmailMessage) -> str:
    body = draft.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


@pytest.mark.parametrize(
    ("fixture", "ends", "subject"),
    [
        # Google one-off events are in UTC: 05:00-06:00Z is 14:00-15:00 in Tokyo.
        ("google_ja_request.eml", jst(12, 3, 15), "【議事録】デザイン打ち合わせ（12月3日(木)）"),
        # English invitation text: English minutes (no client rule needed).
        ("google_en_request.eml", jst(12, 3, 15), "Minutes: Design review (Thursday, December 3)"),
        # Apple: the .ics is an attachment (quoted-printable), TZID=Asia/Tokyo.
        ("apple_ics_tokyo.eml", jst(12, 4, 16), "【議事録】撮影の段取り確認（12月4日(金)）"),
        # Apple's exported event: octet-stream, no METHOD, floating 15:00-16:30 in my zone.
        (
            "apple_floating_octet_stream.eml",
            jst(12, 4, 16, 30),
            "【議事録】撮影の段取り確認（12月4日(金)）",
        ),
    ],
)
def test_minutes_drafted_once_to_the_client_when_the_meeting_ends(
    tmp_path: Path, fixture: str, ends: datetime, subject: str
) -> None:
    cycles = Cycles(tmp_path)
    parent = cycles.invitation(fixture)

    cycles.run(ends - timedelta(hours=20), ends - timedelta(minutes=1))
    assert cycles.drafts() == []  # no holding reply to an invitation; nothing before the end
    cycles.run(ends + timedelta(minutes=1), ends + timedelta(minutes=5))

    (draft,) = cycles.drafts()
    assert draft["X-InboxGuard-Purpose"] == "minutes"
    assert to_of(draft) == [TARO]
    assert OWNER not in recipients_of(draft)
    assert str(draft["Subject"]) == subject
    assert draft["In-Reply-To"] == parent
    assert same_thread(cycles.everything(), parent, str(draft["Message-ID"]))
    text = text_of(draft)
    start = ends - (timedelta(minutes=90) if "floating" in fixture else timedelta(hours=1))
    assert f"{start:%H:%M}–{ends:%H:%M}" in text  # the sitting in my zone, as it was held


def test_google_weekly_meeting_without_end_minutes_each_sitting_once(tmp_path: Path) -> None:
    cycles = Cycles(tmp_path)
    parent = cycles.invitation("google_ja_weekly_no_end.eml")  # Thursdays 10:00-10:30

    cycles.run(jst(12, 3, 10, 35), jst(12, 3, 18, 0), jst(12, 4, 9, 0))  # one sitting, 3 cycles
    assert [str(d["Subject"]) for d in cycles.minutes()] == ["【議事録】週次定例（12月3日(木)）"]
    cycles.run(jst(12, 9, 10, 35))  # Wednesday: no sitting
    assert len(cycles.minutes()) == 1
    cycles.run(jst(12, 10, 10, 35), jst(12, 10, 11, 0), jst(12, 11, 8, 0))
    subjects = sorted(str(d["Subject"]) for d in cycles.minutes())
    assert subjects == ["【議事録】週次定例（12月10日(木)）", "【議事録】週次定例（12月3日(木)）"]
    assert len({str(d["Message-ID"]) for d in cycles.minutes()}) == 2
    for draft in cycles.minutes():
        assert to_of(draft) == [TARO]
        assert same_thread(cycles.everything(), parent, str(draft["Message-ID"]))


def test_outlook_weekly_series_follows_moves_cancellations_and_exdates(tmp_path: Path) -> None:
    cycles = Cycles(tmp_path)
    cycles.invitation("outlook_ja_weekly_exdate.eml")  # Wednesdays 10-11, EXDATE Dec 23
    cycles.invitation("outlook_ja_sitting_moved.eml")  # Dec 9 moved to Thu Dec 10 14-15
    cycles.invitation("outlook_ja_sitting_cancel.eml")  # Dec 16 cancelled

    def days() -> list[str]:
        return sorted(str(d["Subject"]).rsplit("（", 1)[-1] for d in cycles.minutes())

    cycles.run(jst(12, 2, 11, 5), jst(12, 2, 11, 30))
    assert days() == ["12月2日(水)）"]
    cycles.run(jst(12, 9, 11, 5))  # the sitting that moved away
    assert days() == ["12月2日(水)）"]
    cycles.run(jst(12, 10, 14, 30))  # during its new time
    assert days() == ["12月2日(水)）"]
    cycles.run(jst(12, 10, 15, 5))
    assert days() == ["12月10日(木)）", "12月2日(水)）"]
    cycles.run(jst(12, 16, 11, 5), jst(12, 23, 11, 5))  # cancelled sitting, EXDATE
    assert len(days()) == 2
    for draft in cycles.minutes():
        assert to_of(draft) == [ICHIRO, MISAKI]


def test_an_updated_google_meeting_is_minuted_at_its_new_time_only(tmp_path: Path) -> None:
    cycles = Cycles(tmp_path)
    cycles.invitation("google_en_request.eml")  # Dec 3 14-15
    updated = cycles.invitation("google_en_updated.eml")  # moved to Dec 4 16-17

    cycles.run(jst(12, 3, 15, 5), jst(12, 3, 18, 30))
    assert cycles.drafts() == []
    assert "minutes_due" not in cycles.states(jst(12, 3, 18, 30))
    cycles.run(jst(12, 4, 17, 5))
    (draft,) = cycles.drafts()
    assert str(draft["Subject"]) == "Minutes: Design review (Friday, December 4)"
    assert draft["In-Reply-To"] == updated  # under the latest invitation
    assert "Fri, Dec 4, 2026 at 16:00–17:00" in text_of(draft)


@pytest.mark.parametrize(
    ("fixtures", "instants"),
    [
        (
            ("google_en_request.eml", "google_en_updated.eml", "google_en_cancel.eml"),
            (jst(12, 3, 15, 5), jst(12, 4, 17, 5), jst(12, 4, 18, 30), jst(12, 5, 9)),
        ),
        (
            ("google_ja_request.eml", "google_ja_cancel.eml"),
            (jst(12, 3, 15, 5), jst(12, 3, 18, 30), jst(12, 4, 9)),
        ),
        (
            ("outlook_ja_cancel.eml",),
            (jst(12, 2, 16), jst(12, 3, 16), jst(12, 4, 16, 5), jst(12, 4, 18, 30)),
        ),
    ],
)
def test_a_cancelled_meeting_gets_no_draft_and_no_state(
    tmp_path: Path, fixtures: tuple[str, ...], instants: tuple[datetime, ...]
) -> None:
    cycles = Cycles(tmp_path)
    for fixture in fixtures:
        cycles.invitation(fixture)

    cycles.run(*instants)

    assert cycles.drafts() == []
    for now in instants:
        states = cycles.states(now)
        assert not {"minutes_due", "waiting", "at_risk", "overdue"} & set(states), states


def test_a_clients_accepted_reply_starts_no_clock(tmp_path: Path) -> None:
    cycles = Cycles(tmp_path)
    raw = (FIXTURES / "google_en_reply_accepted.eml").read_bytes()
    # Outlook and Apple send calendar answers without Auto-Submitted: the same REPLY as a
    # person's client writes it must still not wait for an answer.
    human = raw.replace(b"Auto-Submitted: auto-generated\r\n", b"")
    assert human != raw
    cycles.invitation("", raw=human)

    cycles.run(jst(12, 2, 10), jst(12, 2, 20), jst(12, 3, 10), jst(12, 7, 12))

    assert cycles.drafts() == []
    for now in (jst(12, 2, 20), jst(12, 3, 10)):
        assert not {"waiting", "at_risk", "overdue", "minutes_due"} & set(cycles.states(now))


def test_a_booking_services_invitation_never_gets_a_draft(tmp_path: Path) -> None:
    cycles = Cycles(tmp_path)
    cycles.invitation("noreply_booking.eml")  # Dec 5 13:00-13:30, from no-reply@

    cycles.run(jst(12, 4, 10), jst(12, 5, 13, 35), jst(12, 5, 18, 30), jst(12, 6, 9))

    assert cycles.drafts() == []


def list_invitation(list_address: str) -> bytes:
    """My own invitation (in Sent) whose only other attendee is a mailing list."""
    calendar = "\r\n".join(
        [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:-//Google Inc//Google Calendar 70.9054//EN",
            "METHOD:REQUEST",
            "BEGIN:VEVENT",
            "UID:list-meeting-1@example.jp",
            "DTSTAMP:20261201T030000Z",
            "DTSTART:20261203T050000Z",
            "DTEND:20261203T060000Z",
            "SUMMARY:Sprint review",
            f"ORGANIZER;CN=Hanako:mailto:{OWNER}",
            f"ATTENDEE;CUTYPE=INDIVIDUAL;PARTSTAT=ACCEPTED:mailto:{OWNER}",
            f"ATTENDEE;CUTYPE=INDIVIDUAL;PARTSTAT=NEEDS-ACTION:mailto:{list_address}",
            "SEQUENCE:0",
            "STATUS:CONFIRMED",
            "END:VEVENT",
            "END:VCALENDAR",
            "",
        ]
    )
    message = EmailMessage()
    message["From"] = f"Hanako <{OWNER}>"
    message["To"] = list_address
    message["Subject"] = "Invitation: Sprint review"
    message["Date"] = "Tue, 01 Dec 2026 03:00:00 +0000"
    message["Message-ID"] = "<list-invite@example.jp>"
    message.set_content("Sprint review, Thu Dec 3 14:00\n")
    message.add_attachment(calendar.encode(), "text", "calendar", params={"method": "REQUEST"})
    return message.as_bytes()


def test_an_invitation_to_a_mailing_list_gets_no_minutes_draft(tmp_path: Path) -> None:
    team = "dev-team@lists.client.example"
    cycles = Cycles(tmp_path)
    # Mail from the list shows it is one: List-Id, sent To the list address.
    cycles.mail.add(
        "INBOX",
        sender=TARO,
        to=team,
        subject="[dev-team] build fixed",
        date=jst(11, 30, 10),
        message_id="<list-post@client.example>",
        extra={"List-Id": "<dev-team.lists.client.example>", "Precedence": "list"},
    )
    cycles.invitation("", folder="Sent", raw=list_invitation(team))

    cycles.run(jst(12, 3, 15, 5), jst(12, 3, 18, 30))

    assert all(team not in recipients_of(d) for d in cycles.drafts())
    assert "minutes_due" not in cycles.states(jst(12, 3, 18, 30))


def test_english_minutes_for_an_english_client(tmp_path: Path) -> None:
    clients = '[[client]]\nname = "Client Inc."\nmatch = ["client.example"]\nlanguage = "en"\n'
    cycles = Cycles(tmp_path, clients=clients)
    parent = cycles.invitation("google_en_request.eml")

    cycles.run(jst(12, 3, 15, 5), jst(12, 3, 15, 10))

    (draft,) = cycles.drafts()
    assert to_of(draft) == [TARO]
    assert str(draft["Subject"]) == "Minutes: Design review (Thursday, December 3)"
    assert draft["In-Reply-To"] == parent
    assert parent in str(draft["References"])
    assert same_thread(cycles.everything(), parent, str(draft["Message-ID"]))
    text = text_of(draft)
    assert text.startswith("Hi Taro Sato,")
    for line in (
        'Here are the minutes of "Design review".',
        "Decisions:",
        "Open points:",
        "Next actions (owner, due date):",
        "- Taro Sato <taro@client.example>",
        # Two business days after Thursday Dec 3.
        "Could you let me know of any corrections by Monday, December 7?",
    ):
        assert line in text, line
    assert "14:00–15:00" in text
    assert "議事録" not in text


def test_the_minutes_date_then_waits_for_the_attendees(tmp_path: Path) -> None:
    """Sent, the minutes' objection date is a date I asked for: `awaiting` until then."""
    cycles = Cycles(tmp_path)
    parent = cycles.invitation("google_ja_request.eml")
    cycles.run(jst(12, 3, 15, 5))
    (draft,) = cycles.drafts()
    # The owner fills it in and sends it at 17:00.
    del draft["X-InboxGuard-Purpose"]
    draft.replace_header("Date", email.utils.format_datetime(jst(12, 3, 17)))
    cycles.mail.add_raw("Sent", draft.as_bytes(), jst(12, 3, 17))
    cycles.run(jst(12, 3, 17, 5))

    assert cycles.states(jst(12, 4, 9)) == ["awaiting"]
    (view,) = assess_all(cycles.ctx, cycles.store, jst(12, 4, 9))
    awaiting = view.status.awaiting
    assert awaiting is not None and not awaiting.overdue
    assert awaiting.until.astimezone(TOKYO).date() == jst(12, 7, 0).date()  # 2 business days
    assert view.meeting is not None and view.meeting.sent_at == jst(12, 3, 17)
    assert "minutes_due" not in cycles.states(jst(12, 3, 18, 30))
    # Silence by that date is agreement (「本メールをもって合意とさせていただきます」): no 催促.
    cycles.run(jst(12, 7, 18, 5), jst(12, 8, 9), jst(12, 10, 9))
    assert [d["X-InboxGuard-Purpose"] for d in cycles.drafts()] == ["minutes"]
    assert not {"awaiting", "awaiting_overdue"} & set(cycles.states(jst(12, 8, 9)))
    assert same_thread(cycles.everything(), parent, str(draft["Message-ID"]))

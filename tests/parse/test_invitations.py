"""invitation_in: calendar parts read as Google, Outlook and Apple send them; never a crash."""

from __future__ import annotations

import base64
import time as wall
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import structlog
from hypothesis import given, settings
from hypothesis import strategies as st

from inboxguard.domain.tracked import CalendarMethod, Invitation
from inboxguard.parse.invitations import MAX_OCCURRENCES, invitation_in

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "invitations"
TOKYO = ZoneInfo("Asia/Tokyo")
SENT = datetime(2026, 12, 1, 10, 0, tzinfo=TOKYO)
OWNER = "hanako@example.jp"
TARO = "taro@client.example"
ICHIRO = "ichiro@other.example"
MISAKI = "misaki.takahashi@other.example"


def raw(name: str) -> bytes:
    return (FIXTURES / f"{name}.eml").read_bytes()


def read(name: str, *, tz: ZoneInfo = TOKYO, sent_at: datetime = SENT) -> Invitation:
    invitation = invitation_in(raw(name), tz=tz, sent_at=sent_at)
    assert invitation is not None, name
    return invitation


def sittings(invitation: Invitation, tz: ZoneInfo = TOKYO) -> list[str]:
    """Each sitting as 'MM-DD HH:MM-HH:MM' on ``tz``'s wall clock."""
    return [
        f"{o.start.astimezone(tz):%m-%d %H:%M}-{o.end.astimezone(tz):%H:%M}"
        for o in invitation.occurrences
    ]


def calendar_mail(ics: str, *, content_type: str = "text/calendar; method=REQUEST") -> bytes:
    body = base64.encodebytes(ics.replace("\n", "\r\n").encode())
    return (
        b"From: Taro <taro@client.example>\r\nTo: hanako@example.jp\r\nSubject: x\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: " + content_type.encode() + b"\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n" + body
    )


def event(*lines: str, method: str = "REQUEST", extra: str = "") -> str:
    body = "\n".join(lines)
    return (
        f"BEGIN:VCALENDAR\nVERSION:2.0\nMETHOD:{method}\n{extra}BEGIN:VEVENT\n"
        f"UID:u-1@test.example\nORGANIZER:mailto:{TARO}\nATTENDEE:mailto:{OWNER}\n"
        f"{body}\nEND:VEVENT\nEND:VCALENDAR\n"
    )


# -- what each fixture reads as ------------------------------------------------------------

EXPECTED = {
    "google_en_request": (CalendarMethod.REQUEST, 0, False, "Design review", ["12-03 14:00-15:00"]),
    "google_en_updated": (CalendarMethod.REQUEST, 1, False, "Design review", ["12-04 16:00-17:00"]),
    "google_en_cancel": (CalendarMethod.CANCEL, 2, True, "Design review", ["12-04 16:00-17:00"]),
    "google_ja_request": (
        CalendarMethod.REQUEST,
        0,
        False,
        "デザイン打ち合わせ",
        ["12-03 14:00-15:00"],
    ),
    "google_ja_cancel": (
        CalendarMethod.CANCEL,
        1,
        True,
        "デザイン打ち合わせ",
        ["12-03 14:00-15:00"],
    ),
    "google_en_reply_accepted": (CalendarMethod.REPLY, 0, False, "Kick-off", ["12-07 10:00-11:00"]),
    "google_en_all_day": (CalendarMethod.REQUEST, 0, False, "Offsite", []),
    "outlook_ja_request": (
        CalendarMethod.REQUEST,
        0,
        False,
        "定例打ち合わせ",
        ["12-03 10:00-11:00"],
    ),
    "outlook_ja_cancel": (
        CalendarMethod.CANCEL,
        1,
        True,
        "キャンセル: 臨時打ち合わせ",
        ["12-04 15:00-16:00"],
    ),
    "outlook_ja_sitting_moved": (
        CalendarMethod.REQUEST,
        1,
        False,
        "週次定例（水曜）",
        ["12-10 14:00-15:00"],
    ),
    "outlook_ja_sitting_cancel": (
        CalendarMethod.CANCEL,
        2,
        True,
        "キャンセル: 週次定例（水曜）",
        ["12-16 10:00-11:00"],
    ),
    # "Customized Time Zone" is UTC+7 by its VTIMEZONE: 09:00 there is 11:00 in Tokyo.
    "outlook_custom_tzid": (
        CalendarMethod.REQUEST,
        0,
        False,
        "現地打ち合わせ",
        ["12-07 11:00-12:00"],
    ),
    "apple_ics_tokyo": (
        CalendarMethod.REQUEST,
        0,
        False,
        "撮影の段取り確認",
        ["12-04 15:00-16:00"],
    ),
    # Exported from Calendar: no METHOD (PUBLISH), floating times read in the owner's zone.
    "apple_floating_octet_stream": (
        CalendarMethod.PUBLISH,
        0,
        False,
        "撮影の段取り確認",
        ["12-04 15:00-16:30"],
    ),
    "duration_no_dtend": (
        CalendarMethod.REQUEST,
        0,
        False,
        "30-minute check-in",
        ["12-03 11:00-11:30"],
    ),
    "no_dtend_no_duration": (CalendarMethod.REQUEST, 0, False, "Quick sync", ["12-03 11:00-12:00"]),
    # TZID=JST-Local is no zone anyone knows and comes without a VTIMEZONE: owner's zone.
    "unknown_tzid": (CalendarMethod.REQUEST, 0, False, "月次レビュー", ["12-08 13:00-14:00"]),
    "noreply_booking": (
        CalendarMethod.REQUEST,
        0,
        False,
        "Consultation with Hanako Yamada",
        ["12-05 13:00-13:30"],
    ),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_reads_as_the_client_meant(name: str) -> None:
    method, sequence, cancelled, summary, expected = EXPECTED[name]
    invitation = read(name)
    assert invitation.method is method
    assert invitation.sequence == sequence
    assert invitation.cancelled is cancelled
    assert invitation.summary == summary
    assert sittings(invitation) == expected


def test_every_fixture_but_the_broken_one_has_an_expectation() -> None:
    names = {path.stem for path in FIXTURES.glob("*.eml")}
    assert names - set(EXPECTED) == {
        "broken_ics",
        "outlook_ja_weekly_exdate",
        "google_ja_weekly_no_end",
    }


def test_google_uid_is_shared_by_request_update_and_cancel() -> None:
    uids = {read(n).uid for n in ("google_en_request", "google_en_updated", "google_en_cancel")}
    assert uids == {"7kukuqrfedlm2f9t0vl3o3v9hm@google.com"}


def test_addresses_come_from_mailto_in_lower_case_organizer_listed_once() -> None:
    outlook = read("outlook_ja_request")
    assert outlook.organizer == ICHIRO
    assert outlook.attendees == (OWNER, MISAKI)  # Misaki.Takahashi@Other.Example
    google = read("google_en_request")
    assert google.organizer == TARO
    assert google.attendees == (TARO, OWNER)
    scheduler = read("duration_no_dtend")  # ORGANIZER:MAILTO:, ATTENDEE MAILTO:TARO@...
    assert scheduler.organizer == TARO
    assert scheduler.attendees == (TARO, OWNER)


def test_reply_names_only_the_attendee_who_answered() -> None:
    reply = read("google_en_reply_accepted")
    assert reply.organizer == OWNER
    assert reply.attendees == (ICHIRO,)


def test_noreply_organizer_is_kept_for_the_domain_to_filter() -> None:
    assert read("noreply_booking").organizer == "no-reply@booking.example"


def test_outlook_windows_zone_is_asia_tokyo() -> None:
    start = read("outlook_ja_request").occurrences[0].start
    assert start == datetime(2026, 12, 3, 1, 0, tzinfo=UTC)


def test_single_sitting_update_carries_its_recurrence_id() -> None:
    moved = read("outlook_ja_sitting_moved")
    assert moved.recurrence_id == datetime(2026, 12, 9, 10, 0, tzinfo=TOKYO)
    cancelled = read("outlook_ja_sitting_cancel")
    assert cancelled.recurrence_id == datetime(2026, 12, 16, 10, 0, tzinfo=TOKYO)
    assert read("outlook_ja_request").recurrence_id is None


def test_weekly_outlook_series_skips_its_exdate_and_stops_at_until() -> None:
    weekly = read("outlook_ja_weekly_exdate")
    assert weekly.uid.startswith("040000008200E00074C5B7101A82E008")
    # Folded by octets, a character cut in two: joined before decoding, it reads whole.
    assert weekly.summary == "週次定例（水曜）"
    days = [s[:5] for s in sittings(weekly)]
    assert "12-23" not in days
    assert days[:4] == ["12-02", "12-09", "12-16", "12-30"]
    assert days[-1] == "02-24"
    assert len(days) == 12
    assert all(s.endswith("10:00-11:00") for s in sittings(weekly))


def test_rrule_without_end_is_expanded_over_the_window_only() -> None:
    weekly = read("google_ja_weekly_no_end")
    starts = [o.start for o in weekly.occurrences]
    assert starts[0] == datetime(2026, 12, 3, 10, 0, tzinfo=TOKYO)
    assert all(s.astimezone(TOKYO).weekday() == 3 for s in starts)
    assert starts[-1] <= SENT + timedelta(days=200)
    assert len(starts) == 29
    later = read("google_ja_weekly_no_end", sent_at=SENT + timedelta(days=70))
    assert later.occurrences[0].start == datetime(
        2027, 2, 11, 10, 0, tzinfo=TOKYO
    )  # window opens Feb 8


def test_unended_daily_rule_from_long_ago_is_capped_and_quick() -> None:
    ics = event(
        "DTSTART;TZID=Asia/Tokyo:19900101T090000",
        "DTEND;TZID=Asia/Tokyo:19900101T093000",
        "RRULE:FREQ=DAILY;BYHOUR=9,15",
        "SUMMARY:stand-up",
    )
    began = wall.monotonic()
    invitation = invitation_in(calendar_mail(ics), tz=TOKYO, sent_at=SENT)
    elapsed = wall.monotonic() - began
    assert invitation is not None
    assert len(invitation.occurrences) == MAX_OCCURRENCES  # 2 a day for 201 days, capped
    assert invitation.occurrences[0].start >= SENT - timedelta(days=1, minutes=30)
    assert elapsed < 10


@pytest.mark.parametrize("rule", ["FREQ=MINUTELY", "FREQ=SECONDLY", "FREQ=HOURLY;COUNT=5"])
def test_recurrence_finer_than_daily_is_not_a_meeting(rule: str) -> None:
    ics = event("DTSTART:20261201T000000Z", f"RRULE:{rule}", "SUMMARY:tick")
    assert invitation_in(calendar_mail(ics), tz=TOKYO, sent_at=SENT) is None


def test_daily_rule_with_a_sitting_every_minute_is_refused() -> None:
    minutes = ",".join(str(m) for m in range(60))
    ics = event("DTSTART:20261201T000000Z", f"RRULE:FREQ=DAILY;BYMINUTE={minutes}")
    assert invitation_in(calendar_mail(ics), tz=TOKYO, sent_at=SENT) is None


def test_overrides_in_the_same_calendar_move_and_cancel_sittings() -> None:
    ics = (
        "BEGIN:VCALENDAR\nVERSION:2.0\nMETHOD:REQUEST\n"
        "BEGIN:VEVENT\nUID:w@test.example\nSEQUENCE:3\nSUMMARY:週次\n"
        "DTSTART;TZID=Asia/Tokyo:20261202T100000\nDTEND;TZID=Asia/Tokyo:20261202T110000\n"
        "RRULE:FREQ=WEEKLY;COUNT=4\nEND:VEVENT\n"
        "BEGIN:VEVENT\nUID:w@test.example\nSEQUENCE:3\n"
        "RECURRENCE-ID;TZID=Asia/Tokyo:20261209T100000\n"
        "DTSTART;TZID=Asia/Tokyo:20261210T160000\nDTEND;TZID=Asia/Tokyo:20261210T170000\n"
        "END:VEVENT\n"
        "BEGIN:VEVENT\nUID:w@test.example\nSEQUENCE:3\nSTATUS:CANCELLED\n"
        "RECURRENCE-ID;TZID=Asia/Tokyo:20261216T100000\n"
        "DTSTART;TZID=Asia/Tokyo:20261216T100000\nDTEND;TZID=Asia/Tokyo:20261216T110000\n"
        "END:VEVENT\nEND:VCALENDAR\n"
    )
    invitation = invitation_in(calendar_mail(ics), tz=TOKYO, sent_at=SENT)
    assert invitation is not None
    assert invitation.recurrence_id is None
    assert invitation.sequence == 3
    assert sittings(invitation) == ["12-02 10:00-11:00", "12-10 16:00-17:00", "12-23 10:00-11:00"]


def test_each_message_reads_its_own_customized_time_zone() -> None:
    """Outlook calls every edited zone "Customized Time Zone"; icalendar caches the first."""

    def custom(offset: str) -> str:
        zone = (
            "BEGIN:VTIMEZONE\nTZID:Customized Time Zone\nBEGIN:STANDARD\n"
            f"DTSTART:16010101T000000\nTZOFFSETFROM:{offset}\nTZOFFSETTO:{offset}\n"
            "END:STANDARD\nEND:VTIMEZONE\n"
        )
        return event(
            "DTSTART;TZID=Customized Time Zone:20261207T090000",
            "DTEND;TZID=Customized Time Zone:20261207T100000",
            extra=zone,
        )

    east = invitation_in(calendar_mail(custom("+0700")), tz=TOKYO, sent_at=SENT)
    west = invitation_in(calendar_mail(custom("-0500")), tz=TOKYO, sent_at=SENT)
    assert east is not None
    assert west is not None
    assert east.occurrences[0].start == datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
    assert west.occurrences[0].start == datetime(2026, 12, 7, 14, 0, tzinfo=UTC)


def test_unknown_tzid_and_floating_times_are_read_in_the_owners_zone() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    unknown = read("unknown_tzid", tz=berlin)
    assert sittings(unknown, berlin) == ["12-08 13:00-14:00"]
    floating = read("apple_floating_octet_stream", tz=berlin)
    assert sittings(floating, berlin) == ["12-04 15:00-16:30"]


def test_unknown_tzid_is_logged_at_debug_without_summary_or_address() -> None:
    with structlog.testing.capture_logs() as logs:
        read("unknown_tzid")
    assert any("TZID" in entry["event"] for entry in logs)
    assert all(entry["log_level"] == "debug" for entry in logs)


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.eml")), ids=lambda p: p.stem)
def test_logs_name_no_address_and_no_summary(path: Path) -> None:
    with structlog.testing.capture_logs() as logs:
        invitation = invitation_in(path.read_bytes(), tz=TOKYO, sent_at=SENT)
    for entry in logs:
        assert entry["log_level"] == "debug"
        assert "@" not in repr(entry)
        assert invitation is None or not invitation.summary or invitation.summary not in repr(entry)


def test_meeting_rooms_are_not_attendees() -> None:
    ics = event(
        "DTSTART:20261203T010000Z",
        "ATTENDEE;CUTYPE=ROOM;CN=会議室A:mailto:room-a@other.example",
        "ATTENDEE;CUTYPE=RESOURCE:mailto:c_188abc@resource.calendar.google.com",
        "ATTENDEE;CUTYPE=INDIVIDUAL:mailto:Jiro@Client.Example",
    )
    invitation = invitation_in(calendar_mail(ics), tz=TOKYO, sent_at=SENT)
    assert invitation is not None
    assert invitation.attendees == (OWNER, "jiro@client.example")


def test_status_cancelled_in_a_request_cancels() -> None:
    ics = event("DTSTART:20261203T010000Z", "STATUS:CANCELLED", "SEQUENCE:4")
    invitation = invitation_in(calendar_mail(ics), tz=TOKYO, sent_at=SENT)
    assert invitation is not None
    assert invitation.method is CalendarMethod.REQUEST
    assert invitation.cancelled
    assert invitation.sequence == 4


def test_shift_jis_calendar_is_decoded() -> None:
    ics = event("DTSTART:20261203T010000Z", "SUMMARY:打ち合わせ（第２回）")
    mail = (
        b"From: a@b.example\r\nTo: hanako@example.jp\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/calendar; charset=Shift_JIS; method=REQUEST\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\n" + ics.replace("\n", "\r\n").encode("cp932")
    )
    invitation = invitation_in(mail, tz=TOKYO, sent_at=SENT)
    assert invitation is not None
    assert invitation.summary == "打ち合わせ（第２回）"


def test_an_ics_named_octet_stream_attachment_is_read() -> None:
    invitation = read("apple_floating_octet_stream")
    assert invitation.uid == "B2C1D0E9-F8A7-4B6C-9D5E-0F1A2B3C4D5E"


@pytest.mark.parametrize(
    "mail",
    [
        b"",
        b"From: a@b.example\r\nSubject: hello\r\n\r\nno calendar here\r\n",
        calendar_mail("BEGIN:VCALENDAR\nVERSION:2.0\nEND:VCALENDAR\n"),  # no event
        calendar_mail(event("SUMMARY:no start")),
        calendar_mail(event("DTSTART:garbage")),
        calendar_mail(event("DTSTART:20261203T010000Z").replace("UID:u-1@test.example\n", "")),
        calendar_mail(event("DTSTART:20261203T010000Z", method="X-UNKNOWN")),
        calendar_mail("not a calendar at all\n"),
    ],
    ids=[
        "empty",
        "plain-mail",
        "no-event",
        "no-dtstart",
        "bad-dtstart",
        "no-uid",
        "unknown-method",
        "junk",
    ],
)
def test_no_usable_calendar_is_none(mail: bytes) -> None:
    assert invitation_in(mail, tz=TOKYO, sent_at=SENT) is None


def test_a_nonsense_label_on_ascii_calendar_still_reads() -> None:
    mail = calendar_mail(
        event("DTSTART:20261203T010000Z"), content_type="text/calendar; charset=zlib"
    )
    assert invitation_in(mail, tz=TOKYO, sent_at=SENT) is not None


def test_broken_ics_fixture_is_none_and_logged_without_content() -> None:
    with structlog.testing.capture_logs() as logs:
        assert invitation_in(raw("broken_ics"), tz=TOKYO, sent_at=SENT) is None
    assert logs
    for entry in logs:
        assert entry["log_level"] == "debug"
        assert "@" not in repr(entry)
        assert "壊" not in repr(entry)  # the broken event's summary


@pytest.mark.parametrize("label", [b"utf-8", b"iso-2022-jp", b"shift_jis", b"x-bogus"])
def test_bytes_no_charset_reads_are_none(label: bytes) -> None:
    ics = (
        event("DTSTART:20261203T010000Z", "SUMMARY:x")
        .encode()
        .replace(b"SUMMARY:x", b"SUMMARY:\xff\xfe\xfd\x80\x81")
    )
    mail = (
        b"MIME-Version: 1.0\r\nContent-Type: text/calendar; charset=" + label + b"\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\n" + ics
    )
    assert invitation_in(mail, tz=TOKYO, sent_at=SENT) is None


def test_huge_calendar_and_too_many_events_are_none() -> None:
    padding = "X-PAD:" + "a" * 70 + "\n"
    huge = event("DTSTART:20261203T010000Z", padding * 8000)  # about 600 KiB
    assert invitation_in(calendar_mail(huge), tz=TOKYO, sent_at=SENT) is None
    many = (
        "BEGIN:VCALENDAR\nVERSION:2.0\n"
        + "".join(
            f"BEGIN:VEVENT\nUID:e{i}\nDTSTART:20261203T010000Z\nEND:VEVENT\n" for i in range(201)
        )
        + "END:VCALENDAR\n"
    )
    assert invitation_in(calendar_mail(many), tz=TOKYO, sent_at=SENT) is None


def test_truncated_inside_the_calendar_is_none() -> None:
    message = raw("outlook_ja_request")
    cut = message.index(b"method=REQUEST") + 400  # inside the base64 calendar
    assert invitation_in(message[:cut], tz=TOKYO, sent_at=SENT) is None


def test_truncated_after_the_inline_calendar_still_reads() -> None:
    message = raw("google_en_request")
    cut = message.index(b"invite.ics") + 200  # inside the attached copy
    invitation = invitation_in(message[:cut], tz=TOKYO, sent_at=SENT)
    assert invitation is not None
    assert invitation.summary == "Design review"


def test_every_cut_of_a_fixture_gives_none_or_a_whole_invitation() -> None:
    message = raw("google_ja_request")
    for cut in range(0, len(message), 97):
        invitation = invitation_in(message[:cut], tz=TOKYO, sent_at=SENT)
        assert invitation is None or invitation.summary == "デザイン打ち合わせ"


def test_forwarded_invitation_inside_an_attached_message_is_not_read() -> None:
    inner = raw("google_en_request")
    mail = (
        b"From: someone@else.example\r\nTo: hanako@example.jp\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="fw"\r\n\r\n--fw\r\n'
        b"Content-Type: text/plain\r\n\r\nFYI\r\n--fw\r\nContent-Type: message/rfc822\r\n\r\n"
        + inner
        + b"\r\n--fw--\r\n"
    )
    assert invitation_in(mail, tz=TOKYO, sent_at=SENT) is None


# -- never raises ---------------------------------------------------------------------------

FIXTURE_BYTES = [path.read_bytes() for path in sorted(FIXTURES.glob("*.eml"))]


@st.composite
def mangled_fixture(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(FIXTURE_BYTES)))
    operation = draw(st.sampled_from(["flip", "truncate", "insert", "delete_line", "swap_lines"]))
    if operation == "flip":
        for _ in range(draw(st.integers(min_value=1, max_value=30))):
            index = draw(st.integers(min_value=0, max_value=len(data) - 1))
            data[index] ^= draw(st.integers(min_value=1, max_value=255))
    elif operation == "truncate":
        data = data[: draw(st.integers(min_value=0, max_value=len(data)))]
    elif operation == "insert":
        index = draw(st.integers(min_value=0, max_value=len(data)))
        data[index:index] = draw(st.binary(min_size=1, max_size=200))
    else:
        lines = bytes(data).split(b"\r\n")
        i = draw(st.integers(min_value=0, max_value=len(lines) - 1))
        j = draw(st.integers(min_value=0, max_value=len(lines) - 1))
        if operation == "delete_line":
            del lines[i]
        else:
            lines[i], lines[j] = lines[j], lines[i]
        data = bytearray(b"\r\n".join(lines))
    return bytes(data)


def _assert_sound(invitation: Invitation | None) -> None:
    if invitation is None:
        return
    assert invitation.uid
    assert len(invitation.occurrences) <= MAX_OCCURRENCES
    for occurrence in invitation.occurrences:
        assert occurrence.start.tzinfo is not None
        assert occurrence.end > occurrence.start


@settings(max_examples=300, deadline=None)
@given(mangled_fixture())
def test_mangled_fixtures_never_raise(data: bytes) -> None:
    _assert_sound(invitation_in(data, tz=TOKYO, sent_at=SENT))


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=2048))
def test_arbitrary_bytes_never_raise(data: bytes) -> None:
    _assert_sound(invitation_in(data, tz=TOKYO, sent_at=SENT))


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=400))
def test_arbitrary_calendar_lines_never_raise(text: str) -> None:
    ics = event("DTSTART:20261203T010000Z", text.replace("\r", ""))
    _assert_sound(invitation_in(calendar_mail(ics), tz=TOKYO, sent_at=SENT))

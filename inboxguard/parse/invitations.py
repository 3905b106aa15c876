"""The calendar invitation a message carries, read with ``icalendar`` (SPEC §6 Meetings).

Invitations arrive as a ``text/calendar`` part (inline in multipart/alternative, as Outlook
and Google send them) or as an ``.ics`` attachment (application/ics, text/calendar, or
application/octet-stream named ``*.ics``, as Google and Apple Calendar add). The first part
that reads as a calendar wins; Google's inline part and its invite.ics carry the same data.

Times become absolute here, the way the clients mean them:

- ``TZID=Asia/Tokyo`` is an IANA zone; Outlook's Windows names (``Tokyo Standard Time``) are
  mapped with icalendar's Windows→Olson table (CLDR) rather than read from the VTIMEZONE
  Outlook sends, which often carries only the current year's rule.
- Any other TZID is read from the VTIMEZONE of *this* calendar. icalendar caches VTIMEZONEs
  process-wide by TZID, first one wins, and Outlook names every custom zone "Customized Time
  Zone": trusting the cache would read one sender's zone with another's offsets.
- Floating times, and a TZID with no definition, are read in the owner's zone.

Nothing raises out of ``invitation_in``: broken, truncated or hostile input is None, logged
at debug with the reason only (never a summary or an address).
"""

from __future__ import annotations

import email.message
import email.parser
import email.policy
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar
import recurring_ical_events  # type: ignore[import-untyped]  # ships no py.typed marker
import structlog
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

from inboxguard.domain.tracked import CalendarMethod, Invitation, Occurrence
from inboxguard.parse.charsets import decode_text

log = structlog.get_logger(__name__)

MAX_ICS_BYTES = 512 * 1024
MAX_EVENTS = 200
MAX_OCCURRENCES = 400
WINDOW_BEFORE = timedelta(days=1)
WINDOW_AFTER = timedelta(days=200)
# RFC 5545 makes a DTSTART-only event zero-length; every client shows such a meeting as
# an hour, and a zero-length sitting would "end" before anyone spoke.
DEFAULT_LENGTH = timedelta(hours=1)
_MAX_PARTS = 200
_MAX_DEPTH = 20
# A meeting repeats at most every day: finer rules (every minute, every hour) are not
# meetings, and expanding them is where an RRULE without end turns into millions of rows.
_MEETING_FREQS = frozenset({"DAILY", "WEEKLY", "MONTHLY", "YEARLY"})
# With a daily rule, BYHOUR x BYMINUTE x BYSECOND sittings a day: a cap keeps the window's
# expansion bounded (201 days x 24) before the occurrence cap applies.
_MAX_SITTINGS_A_DAY = 24

_CALENDAR_TYPES = frozenset({"text/calendar", "application/ics", "text/x-vcalendar"})
# What the method does to a meeting. COUNTER/DECLINECOUNTER/REFRESH are an attendee's
# proposals or requests: like a REPLY they never change the meeting. ADD adds sittings to
# one the organizer already sent: an update.
_METHODS = {
    "REQUEST": CalendarMethod.REQUEST,
    "ADD": CalendarMethod.REQUEST,
    "CANCEL": CalendarMethod.CANCEL,
    "REPLY": CalendarMethod.REPLY,
    "COUNTER": CalendarMethod.REPLY,
    "DECLINECOUNTER": CalendarMethod.REPLY,
    "REFRESH": CalendarMethod.REPLY,
    "PUBLISH": CalendarMethod.PUBLISH,
}
# Meeting rooms and equipment booked as attendees (Outlook's room mailboxes, Google's
# resource calendars): nobody there reads minutes.
_NOT_PEOPLE = frozenset({"RESOURCE", "ROOM"})
_FOLD = re.compile(rb"\r?\n[ \t]")
_BEGIN_EVENT = re.compile(rb"^BEGIN:VEVENT\s*$", re.IGNORECASE | re.MULTILINE)
_END_CALENDAR = re.compile(rb"^END:VCALENDAR\s*$", re.IGNORECASE | re.MULTILINE)


class Unreadable(Exception):  # a reason to log, not an error to report
    """Why a calendar part gives no invitation; the message is the debug log's reason."""


def invitation_in(raw: bytes, *, tz: ZoneInfo, sent_at: datetime) -> Invitation | None:
    """The invitation in the message ``raw`` (its first 64 KiB), or None.

    ``tz`` is the owner's zone (floating times, undefined TZIDs); ``sent_at`` (aware)
    anchors the window recurrences are expanded in: one day before it to 200 days after.
    """
    if not _may_hold_calendar(raw):
        return None
    try:
        parts = list(_calendar_parts(raw))
    except Exception as error:  # any bytes at all may arrive: never raise
        log.debug("invitation: message unreadable", error=type(error).__name__)
        return None
    for index, part in enumerate(parts):
        try:
            return _read_calendar(part, tz, sent_at)
        except Unreadable as why:
            log.debug("invitation: calendar part skipped", part=index, reason=str(why))
        except Exception as error:  # icalendar / dateutil on hostile data: never raise
            log.debug("invitation: part unreadable", part=index, error=type(error).__name__)
    return None


# -- MIME ---------------------------------------------------------------------------------

# Whether a part is a calendar is decided by its Content-Type and Content-Disposition
# alone (``_is_calendar``), so mail whose fields of those names never mention one needs no
# MIME parse (most of the cost of reading a text). Any RFC 2231 parameter (``name*0=``) may
# spell a name in pieces: it is parsed.
_PART_FIELDS = re.compile(rb"^content-(?:type|disposition):[^\n]*(?:\n[ \t][^\n]*)*", re.I | re.M)
_CALENDAR_HINT = re.compile(rb"calendar|ics|ical|\*", re.I)


def _may_hold_calendar(raw: bytes) -> bool:
    return any(_CALENDAR_HINT.search(f) for f in _PART_FIELDS.findall(raw))


@dataclass(frozen=True, slots=True)
class _Part:
    data: bytes  # transfer-decoded
    charset: str | None  # the MIME label; iCalendar's own default is UTF-8 (RFC 5545 3.1.4)


def _calendar_parts(raw: bytes) -> Iterator[_Part]:
    """Every calendar part, transfer-decoded, in document order (inline before attached)."""
    root = email.parser.BytesParser(policy=email.policy.compat32).parsebytes(raw)
    stack: list[tuple[email.message.Message, int]] = [(root, 0)]
    seen = 0
    while stack and seen < _MAX_PARTS:
        part, depth = stack.pop()
        seen += 1
        if part.get_content_maintype().lower() == "message":
            continue  # an attached mail's invitation was sent to someone else, earlier
        payload = part.get_payload()
        if part.is_multipart() and isinstance(payload, list):
            if depth < _MAX_DEPTH:
                children = [c for c in payload if isinstance(c, email.message.Message)]
                stack.extend((child, depth + 1) for child in reversed(children))
            continue
        if _is_calendar(part):
            data = part.get_payload(decode=True)
            if isinstance(data, bytes) and data.strip():
                yield _Part(data, _charset(part))


def _is_calendar(part: email.message.Message) -> bool:
    kind = part.get_content_type().lower()
    if kind in _CALENDAR_TYPES:
        return True
    name = part.get_filename() or part.get_param("name")
    if isinstance(name, tuple):  # RFC 2231 form: (charset, language, value)
        name = name[2]
    return isinstance(name, str) and name.strip().strip('"').lower().endswith((".ics", ".ical"))


def _charset(part: email.message.Message) -> str | None:
    charset = part.get_param("charset")
    if isinstance(charset, tuple):
        charset = charset[2]
    return charset.strip() if isinstance(charset, str) and charset.strip() else None


# -- iCalendar ------------------------------------------------------------------------------


def _calendar_text(data: bytes, charset: str | None) -> str:
    if len(data) > MAX_ICS_BYTES:
        raise Unreadable(f"calendar larger than {MAX_ICS_BYTES} bytes")
    if len(_BEGIN_EVENT.findall(data)) > MAX_EVENTS:
        raise Unreadable(f"more than {MAX_EVENTS} events")
    if not _END_CALENDAR.search(data):
        raise Unreadable("no END:VCALENDAR (truncated or not a calendar)")
    # Unfold before decoding: Exchange folds at 75 octets and may cut a UTF-8 character in
    # two; joined first, the character is whole again. ``decode_text`` repairs the Shift_JIS
    # and ISO-2022-JP that Japanese clients mislabel.
    decoded = decode_text(_FOLD.sub(b"", data), charset or "utf-8", "calendar")
    # Last resort of ``decode_text`` is Latin-1, which reads anything: for a calendar that
    # is mojibake in every summary, so no reading fits and the part is refused.
    gave_up = any("decoded as Latin-1" in note for note in decoded.repairs)
    if gave_up or ("\ufffd" in decoded.text and b"\xef\xbf\xbd" not in data):
        raise Unreadable("charset does not fit the bytes")
    return decoded.text


def _read_calendar(part: _Part, owner: ZoneInfo, sent_at: datetime) -> Invitation:
    text = _calendar_text(part.data, part.charset)
    components = icalendar.Calendar.from_ical(text, multiple=True)
    calendar = next((c for c in components if c.name == "VCALENDAR"), None)
    if calendar is None:
        raise Unreadable("no VCALENDAR")
    events = [e for e in calendar.walk("VEVENT") if _dt(e, "DTSTART") is not None]
    if not events:
        raise Unreadable("no VEVENT with DTSTART")
    uid = str(events[0].get("UID", "")).strip()
    if not uid:
        raise Unreadable("VEVENT without UID")
    # One meeting per invitation: a calendar that bundles several (a PUBLISH feed) is
    # read for its first; the rest would need messages of their own to be tracked.
    mine = [e for e in events if str(e.get("UID", "")).strip() == uid]
    masters = [e for e in mine if "RECURRENCE-ID" not in e]
    head = masters[0] if masters else mine[0]
    method_text = str(calendar.get("METHOD", "PUBLISH")).strip().upper()
    method = _METHODS.get(method_text)
    if method is None:
        raise Unreadable(f"unknown METHOD {method_text[:20]!r}")
    zones = _Zones(owner, {str(t.get("TZID", "")): t for t in calendar.walk("VTIMEZONE")})
    start_prop: Any = head.get("DTSTART")
    if "TZID" in getattr(start_prop, "params", {}) and _dt(head, "DTSTART") is not None:
        value = _dt(head, "DTSTART")
        if isinstance(value, datetime) and value.tzinfo is None:
            # icalendar knew neither the name nor a VTIMEZONE for it: read as floating.
            log.debug("invitation: unknown TZID without VTIMEZONE read in the owner's zone")
    recurrence_id: datetime | None = None
    if masters:
        occurrences = _expand(calendar, head, mine, zones, sent_at)
    else:
        # An update or cancellation of one sitting: the sitting itself, wherever it falls.
        recurrence_id = _instant(_dt(head, "RECURRENCE-ID"), zones)
        occurrences = _sittings([head], zones)
    organizer = _address(head.get("ORGANIZER"))
    people = (a for a in _listed(head) if _cutype(a) not in _NOT_PEOPLE)
    attendees = tuple(dict.fromkeys(a for a in map(_address, people) if a))
    return Invitation(
        uid=uid,
        sequence=_sequence(head.get("SEQUENCE")),
        method=method,
        cancelled=method is CalendarMethod.CANCEL or _status(head) == "CANCELLED",
        summary=" ".join(str(head.get("SUMMARY", "")).split()),
        organizer=organizer,
        attendees=attendees,
        occurrences=occurrences,
        recurrence_id=recurrence_id,
    )


def _expand(
    calendar: icalendar.Component,
    head: icalendar.Component,
    mine: list[icalendar.Component],
    zones: _Zones,
    sent_at: datetime,
) -> tuple[Occurrence, ...]:
    if not isinstance(_dt(head, "DTSTART"), datetime):
        return ()  # an all-day event (VALUE=DATE): a day blocked, not a meeting to minute
    rules = _listed(head, "RRULE")
    if not rules and "RDATE" not in head:
        return _sittings([head], zones)
    for rule in rules:
        _check_rule(rule)
    only = icalendar.Calendar()
    for timezone in calendar.walk("VTIMEZONE"):
        only.add_component(timezone)
    for event in mine:
        only.add_component(event)
    start = (sent_at - WINDOW_BEFORE).astimezone(zones.owner)
    end = (sent_at + WINDOW_AFTER).astimezone(zones.owner)
    found = recurring_ical_events.of(only).between(start, end)
    if not isinstance(found, list):
        raise Unreadable("expansion gave no list")
    kept = [c for c in found if _status(c) != "CANCELLED" or _status(head) == "CANCELLED"]
    sittings = sorted(_sittings(kept, zones), key=lambda o: o.start)
    if len(sittings) > MAX_OCCURRENCES:
        log.debug("invitation: occurrences capped", found=len(sittings), kept=MAX_OCCURRENCES)
    return tuple(sittings[:MAX_OCCURRENCES])


def _check_rule(rule: Any) -> None:
    freqs = [str(f).upper() for f in rule.get("FREQ", [])]
    if len(freqs) != 1 or freqs[0] not in _MEETING_FREQS:
        raise Unreadable(f"recurrence {'/'.join(freqs)[:20]!r} is not a meeting's")
    per_day = 1
    for part in ("BYHOUR", "BYMINUTE", "BYSECOND"):
        per_day *= max(1, len(rule.get(part, [])))
    if per_day > _MAX_SITTINGS_A_DAY:
        raise Unreadable(f"recurrence with {per_day} sittings a day")


def _sittings(components: Iterable[icalendar.Component], zones: _Zones) -> tuple[Occurrence, ...]:
    out: list[Occurrence] = []
    for component in components:
        value = _dt(component, "DTSTART")
        if not isinstance(value, datetime):
            continue  # an all-day sitting
        start = _instant(value, zones)
        end = _end_of(component, value, start, zones)
        out.append(Occurrence(start=start, end=end))
    return tuple(out)


def _end_of(
    component: icalendar.Component, value: datetime, start: datetime, zones: _Zones
) -> datetime:
    dtend, duration = _dt(component, "DTEND"), _dt(component, "DURATION")
    if isinstance(dtend, datetime):
        end = _instant(dtend, zones)
    elif isinstance(duration, timedelta):
        # Durations are nominal for days and weeks (RFC 5545 3.3.6): wall-clock arithmetic
        # on the value as read, then to an instant.
        end = _instant(value + duration, zones)
    else:
        end = start
    return end if end > start else start + DEFAULT_LENGTH


@dataclass
class _Zones:
    """Resolves the zone of each value as this message means it (see the module doc)."""

    owner: ZoneInfo
    definitions: dict[str, icalendar.Component]
    _made: dict[str, tzinfo] = field(default_factory=dict)

    def zone(self, tzid: str) -> tzinfo:
        zone = self._made.get(tzid)
        if zone is None:
            zone = self._resolve(tzid)
            self._made[tzid] = zone
        return zone

    def _resolve(self, tzid: str) -> tzinfo:
        cleaned = tzid.strip().strip("/")
        for name in (cleaned, WINDOWS_TO_OLSON.get(cleaned, "")):
            if name:
                try:
                    return ZoneInfo(name)
                except (ZoneInfoNotFoundError, ValueError, OSError):
                    pass
        definition = self.definitions.get(tzid)
        if isinstance(definition, icalendar.Timezone):
            try:
                made: tzinfo = definition.to_tz(lookup_tzid=False)
            except Exception as error:  # a VTIMEZONE icalendar cannot build
                log.debug("invitation: VTIMEZONE unusable", error=type(error).__name__)
            else:
                return made
        log.debug("invitation: unknown TZID read in the owner's zone")
        return self.owner


def _instant(value: date | timedelta | None, zones: _Zones) -> datetime:
    """An aware instant in UTC from a value icalendar or recurring_ical_events gave."""
    if value is None or isinstance(value, timedelta):
        raise Unreadable("a date-time property without a date-time")
    if not isinstance(value, datetime):
        return datetime.combine(value, datetime.min.time(), tzinfo=zones.owner).astimezone(UTC)
    if value.tzinfo is None:
        return value.replace(tzinfo=zones.owner).astimezone(UTC)
    if isinstance(value.tzinfo, ZoneInfo) or _is_utc(value):
        return value.astimezone(UTC)
    # A zone from icalendar's process-wide cache: re-read the wall time in this message's.
    tzid = _tzid_of(value.tzinfo)
    if not tzid:
        return value.astimezone(UTC)  # some other aware zone: it knows its own offsets
    return value.replace(tzinfo=zones.zone(tzid)).astimezone(UTC)


def _is_utc(value: datetime) -> bool:
    return value.utcoffset() == timedelta(0) and value.tzname() in {"UTC", "Z"}


def _tzid_of(zone: tzinfo) -> str:
    # dateutil's VTIMEZONE zone keeps its TZID in a private attribute; no public accessor.
    return str(getattr(zone, "_tzid", "") or "")


def _dt(component: icalendar.Component, name: str) -> date | timedelta | None:
    """The value of a date, date-time or duration property; None when absent or broken."""
    prop: Any = component.get(name)
    if isinstance(prop, list):  # the property given twice: the first counts
        prop = prop[0] if prop else None
    value = getattr(prop, "dt", None)
    return value if isinstance(value, date | timedelta) else None


def _listed(component: icalendar.Component, name: str = "ATTENDEE") -> list[Any]:
    value = component.get(name)
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _address(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    if text.lower().startswith("mailto:"):
        text = text[7:]
    text = text.strip().strip("<>").lower()
    if "@" not in text or any(c.isspace() for c in text) or len(text) > 320:
        return None
    return text


def _cutype(value: Any) -> str:
    params = getattr(value, "params", None)
    return str(params.get("CUTYPE", "")).upper() if params is not None else ""


def _sequence(value: Any) -> int:
    try:
        number = int(str(value).strip()) if value is not None else 0
    except ValueError:
        return 0
    return max(0, min(number, 2**31 - 1))


def _status(component: icalendar.Component) -> str:
    return str(component.get("STATUS", "")).strip().upper()

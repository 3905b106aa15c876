"""Commitment dates in my own messages (SPEC §6): "11月25日(火)までに回答いたします".

When in doubt there is no promise: a false promise hides a thread that needs an answer,
which is worse than a promise missed. Everything is resolved against the day the message
was sent in the owner's zone (``calendar.local(sent_at)``) and the owner's business calendar.

``read_deadlines`` is the one date reader: it reads my own text sentence by sentence
(quoted lines, quoted history and the signature left out) and says for each deadline whose
act it is. A deadline the sentence asks the reader to meet (「〇日までにいただけますと幸いで
す」, "could you send it by Friday") is a request (``requests.find_request``), never a
promise; one I keep (「〇日までに回答いたします」, "I'll send it by Friday", and 「〇日まで
お待ちください」, which asks only for patience with my date) is a promise.

What counts:

- Only a *deadline*: ja ``まで`` / ``までに`` / ``までには`` / ``中(に)``; en ``by …`` or
  ``no later than …``. A bare date (「25日に打ち合わせ」, 「11月25日に納品しました」) is
  not a promise, nor is ``まで`` that reads as "until" (「11月25日まで不在です」,
  「11月25日までの見積」).
- ja dates: ``11月25日``, ``2026年11月25日``, ``11/25``, ``2026/11/25``, ``25日`` (the next
  25th on or after sending, within two months); an optional weekday ``(火)`` must agree.
  Relative: ``本日中`` / ``今日中`` (that day), ``明日中`` / ``明日まで``, ``明後日``
  (+2 days), ``今週中`` / ``今週末まで`` (last business day of this week), ``来週中`` (last
  business day of next week), ``週明け`` (first business day of next week), ``来週月曜``
  (that weekday of next week), ``月末`` / ``今月末`` / ``今月中`` (last business day of
  this month).
- en dates: ``tomorrow``, ``today``, ``(this) Friday`` (the next Friday, today included),
  ``end of (the) day`` / ``EOD`` / ``COB``, ``end of (the) week`` / ``EOW``, ``end of
  (the) month`` / ``EOM``, ``Nov 25``, ``November 25th``, ``25 November``, ``Wednesday,
  November 25`` (weekday must agree), ``the 25th`` (the next 25th), ``11/25`` (US order).
- Business days: 「3営業日以内に」, 「2営業日後までに」, "within 3 business days" (counted
  from the day sent, as ``calendar.add_business_days``).
- Month/day without a year is the next such date on or after sending (「1月10日までに」
  written in December is next January). No deadline is more than 200 days ahead, whatever
  its year says.
- Time of day: 「15時までに」, 「15:00までに」, 「午後3時までに」, 「15時半までに」; en
  ``3pm``, ``3 pm``, ``15:00``, ``noon``, before or after a date (``by 3 pm tomorrow``,
  ``by Friday 5pm``). A time alone means today. An hour from 0 to 6 without 午前/午後 or
  am/pm is ambiguous (「3時」 is usually 15:00, but maybe not) and gives no promise.
- Due: the time of day given, in the owner's zone; without one, the end of business hours of
  that day (``calendar.end_of_business_day``), even when the named day is not a business
  day — the owner promised that day. A promise already due when the message was sent (a
  past date, 「15時までに」 written at 16:00, 「本日中に」 written after hours) is none.

No promise either, because the day meant is vague or one we do not resolve: 「来週まで」,
「今月まで」, 「中旬」「中頃」, 「来月末」「来月25日」「来年11月25日」「再来週」「明明後日」, a
weekday alone in Japanese (「金曜までに」, 「金曜の15時までに」: this week's or next?), a
recurring day (「毎月25日までに」), "by next week", "next Friday", "by Friday next week",
"by the 25th of next month", a possessive ("by Friday's courier", "by tomorrow's meeting":
a thing, not a deadline), European order ("by 25/11"), a year alone ("by 2025").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from inboxguard.domain.calendar import BusinessCalendar
from inboxguard.domain.normalise import normalise_for_matching
from inboxguard.domain.tracked import Promise

_JA_WEEKDAYS = "月火水木金土日"
_EN_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_EN_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MAX_AHEAD_DAYS = 200
_DAY_OF_MONTH_SCAN_DAYS = 62
# Reckoning runs up to a year past the sent day (and a week before it): keep clear of the
# years ``date`` cannot hold.
_FIRST_YEAR, _LAST_YEAR = 2, 9997

# All patterns run on normalise_for_matching output: NFKC (full-width digits, brackets and
# colons become ASCII), casefolded, whitespace collapsed.
_JA = re.compile(
    r"(?:"
    # 「来年11月25日」「来月25日」「再来週」「明明後日」「来月末」 name other days: no match.
    r"(?<![\d年])(?:(?P<year>\d{4})年)?(?P<month>\d{1,2})月(?P<day>\d{1,2})日"
    r"|(?<![\d/])(?:(?P<s_year>\d{4})/)?(?P<s_month>\d{1,2})/(?P<s_day>\d{1,2})(?![\d/])"
    r"|(?<![\d月/年])(?P<dom>\d{1,2})日"
    r"|(?<!再)(?P<next_wd>来週の?[月火水木金土日])曜日?"
    r"|(?<![再来先前翌明])(?P<rel>本日|今日|明後日|明日|今週末|今週|来週|週明け|今月末|今月|月末)"
    r")?"
    r"(?:\s*\((?P<wd>[月火水木金土日])(?:曜日?)?\))?"
    r"(?:\s*の?\s*(?P<ampm>午前|午後)?\s*(?<![\d:])(?P<hour>\d{1,2})"
    r"(?:時(?:(?P<minute>\d{1,2})分|(?P<half>半))?|:(?P<colon_minute>\d{2})))?"
    r"\s*(?:(?P<until>まで(?:に(?:は)?)?)|(?P<within>中(?:に(?:は)?)?))"
    # Bare まで that reads as "until" or "up to" (「25日まで不在」, 「25日までの見積」), and 中
    # that is 中旬/中頃 (mid-month/mid-week) or "during" (「本日中は不在」).
    r"(?:(?<!まで)|(?!\s*(?:の|が|と|で|は|も|だ|不在|休|お休み|出張|外出|留守|有効|延長|延期)))"
    r"(?:(?<!中)|(?!\s*(?:旬|頃|ごろ|止|断|国|は|の)))"
)

_EN_WEEKDAY = (
    r"(?:mon(?:day)?|tue(?:s(?:day)?)?|wed(?:nesday)?|thu(?:r(?:s(?:day)?)?)?|fri(?:day)?"
    r"|sat(?:urday)?|sun(?:day)?)\b\.?"
)
_EN_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b\.?"
)
_EN_DAY = (
    r"(?:today|tomorrow|eod|eow|eom|cob|close of business"
    r"|(?:the )?end of (?:the )?(?:business )?(?:day|week|month)"
    r"|(?:the )?end of (?:today|this week|this month)"
    rf"|(?:(?:this )?{_EN_WEEKDAY},? )?{_EN_MONTH} \d{{1,2}}(?:st|nd|rd|th)?(?:,? \d{{4}})?"
    rf"|(?:(?:this )?{_EN_WEEKDAY},? )?(?:the )?\d{{1,2}}(?:st|nd|rd|th)? (?:of )?{_EN_MONTH}"
    r"(?:,? \d{4})?"
    r"|the \d{1,2}(?:st|nd|rd|th)"
    r"|\d{1,2}/\d{1,2}(?:/\d{4})?(?![\d/])"
    rf"|(?:this )?{_EN_WEEKDAY})"
)
_EN_TIME = r"(?:\d{1,2}(?::\d{2})? ?(?:a\.?m\b\.?|p\.?m\b\.?)|\d{1,2}:\d{2}\b|noon|midday)"
_EN = re.compile(
    r"\b(?:by|no later than) "
    rf"(?:(?P<time_first>{_EN_TIME})(?: (?:on )?(?P<day_after>{_EN_DAY}))?"
    rf"|(?P<day>{_EN_DAY})(?:,? (?:at )?(?P<time_after>{_EN_TIME}))?)"
    r"(?![\w'’]|/\d)"
)
# "by Friday next week", "by the 25th of next month", "by 3pm next Monday": another day.
_EN_FOLLOWED_BY_OTHER_DAY = re.compile(
    rf"\s*,?\s*(?:next|after|of|on|this|the|tomorrow|today|\d|{_EN_WEEKDAY}|{_EN_MONTH})"
)
# 「金曜の15時までに」, 「来月3日 15時までに」: a time whose day we did not recognise.
_JA_UNRECOGNISED_DAY_BEFORE = re.compile(r"(?:の|曜|日|\)|[月火水木金土]|週|末|明け)\s*$")
_EN_TIME_PARTS = re.compile(r"(?P<hour>\d{1,2})(?::(?P<minute>\d{2}))? ?(?P<ampm>[ap])?")
_EN_MONTH_DAY = re.compile(
    rf"(?:(?P<wd>[a-z]+)\.?,? )?(?:(?P<month>{_EN_MONTH}) (?P<day>\d{{1,2}})"
    rf"|(?:the )?(?P<day2>\d{{1,2}})(?:st|nd|rd|th)? (?:of )?(?P<month2>{_EN_MONTH}))"
    r"(?:st|nd|rd|th)?(?:,? (?P<year>\d{4}))?$"
)
_EN_SLASH = re.compile(r"(?P<month>\d{1,2})/(?P<day>\d{1,2})(?:/(?P<year>\d{4}))?$")


@dataclass(frozen=True, slots=True)
class _Found:
    start: int  # span of the phrase in the normalised sentence
    end: int
    day: date
    at: time | None


@dataclass(frozen=True, slots=True)
class Sentence:
    """One sentence of my own text (quotes, quoted history and signature left out).

    ``raw`` is as written (lines of a wrapped sentence joined, whitespace collapsed): what
    is shown and quoted back. ``text`` is its NFKC form with case kept, ``normalised`` that
    casefolded letter by letter, so that a position in one is the same in the other.
    """

    raw: str
    text: str
    normalised: str


@dataclass(frozen=True, slots=True)
class Deadline:
    """A deadline phrase in a sentence of my message, resolved in the owner's calendar.

    ``asked`` says whose act is due: True when the sentence asks the reader to act by then
    (「〇日までにいただけますと幸いです」, "could you send it by Friday"), False when it is
    mine to keep (「〇日までに回答いたします」, "I'll send it by Friday").
    """

    phrase: str  # as matched in ``sentence.normalised``
    date: date
    due_at: datetime
    sentence: Sentence
    start: int  # the phrase's span in ``sentence.normalised`` (and ``sentence.text``)
    end: int
    asked: bool


def read_deadlines(text: str, sent_at: datetime, calendar: BusinessCalendar) -> list[Deadline]:
    """Every deadline in ``text`` still ahead of ``sent_at`` and at most 200 days away,
    earliest due first: the one date reader behind promises and requests."""
    if not text or not _FIRST_YEAR <= sent_at.year <= _LAST_YEAR:
        return []  # a Date header at the ends of the calendar is broken: no date to reckon
    sent_day = calendar.local(sent_at).date()
    out = []
    for sentence in sentences(text):
        plain = sentence.normalised
        # Each reader needs its word; most sentences have none and skip the long patterns.
        found = [
            *(_ja(plain, sent_day, calendar) if "まで" in plain or "中" in plain else ()),
            *(_en(plain, sent_day, calendar) if "by " in plain or "later than" in plain else ()),
            *(
                _business_days(plain, sent_day, calendar)
                if "営業日" in plain or "within" in plain
                else ()
            ),
        ]
        for item in found:
            if (item.day - sent_day).days > _MAX_AHEAD_DAYS:
                continue  # an explicit year can name any day; none that far is a reply date
            due = (
                datetime.combine(item.day, item.at, tzinfo=calendar.tz)
                if item.at is not None
                else calendar.end_of_business_day(item.day)
            )
            if due <= sent_at:
                continue
            phrase = sentence.normalised[item.start : item.end]
            asked = _asks_reader(sentence.normalised, item.start, item.end)
            out.append(Deadline(phrase, item.day, due, sentence, item.start, item.end, asked))
    return sorted(out, key=lambda d: (d.due_at, d.phrase))


def find_promises(text: str, sent_at: datetime, calendar: BusinessCalendar) -> list[Promise]:
    """Every commitment in ``text`` resolved against ``sent_at`` in the owner's calendar.

    A deadline the message asks the reader to meet is theirs, not mine: it is a request
    (``requests.find_request``), never a promise.
    """
    promises: dict[tuple[date, datetime], Promise] = {}
    for deadline in read_deadlines(text, sent_at, calendar):
        if not deadline.asked:
            key = (deadline.date, deadline.due_at)
            promises.setdefault(key, Promise(deadline.phrase, deadline.date, deadline.due_at))
    return sorted(promises.values(), key=lambda p: (p.due_at, p.phrase))


def earliest_promise(text: str, sent_at: datetime, calendar: BusinessCalendar) -> Promise | None:
    promises = find_promises(text, sent_at, calendar)
    return promises[0] if promises else None


# -- my own text, in sentences ----------------------------------------------------------

# parse/newtext.py already hands the domain the new text; these few marks keep a caller that
# passes a whole body (explain, tests) from reading a quoted question or date as mine.
_QUOTED_LINE = re.compile(r"^\s*[>＞]")
_HISTORY_LINE = re.compile(
    r"^\s*(?:-{2,}\s*(?:original message|元のメッセージ|forwarded message"
    r"|転送(?:された)?メッセージ)"
    r"|begin forwarded message\s*:|on\s.{1,300}\swrote\s*:\s*$|.{1,200}書きました\s*[:：]?\s*$)",
    re.IGNORECASE,
)
_SIGNATURE_DELIMITER = "--"
# Full-width stops always end a sentence; ASCII ! and ? only before a space, the end or
# Japanese text (not inside "https://x/?a=1"); "." only before a space, and not after an
# abbreviation ("Nov. 25", "5 p.m. today", "e.g. the logo").
_SENTENCE_END = re.compile(
    r"[。！？]+[」』）)\"'’”]*|[!?]+[\"'’”)]*(?=\s|$|[^\x00-\x7f])|\.[\"'’”)]*(?=\s|$)"
)
_ABBREVIATIONS = frozenset(
    (
        *("mr", "mrs", "ms", "dr", "st", "vs", "etc", "e.g", "i.e", "approx", "no"),
        *("p.m", "a.m", "am", "pm", "mon", "tue", "tues", "wed", "thu", "thur", "thurs"),
        *("fri", "sat", "sun", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept"),
        *("oct", "nov", "dec"),
    )
)
_OPENERS, _CLOSERS = "「『（(“", "」』）)”"
_WHITESPACE = re.compile(r"\s+")


def own_lines(text: str) -> list[str]:
    """The lines I wrote: up to quoted history or the signature, quoted lines left out."""
    lines = []
    for index, line in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n")):
        stripped = line.strip()
        if index > 0 and stripped == _SIGNATURE_DELIMITER:
            break
        if _HISTORY_LINE.match(line):
            break
        if not _QUOTED_LINE.match(line):
            lines.append(stripped)
    return lines


def sentences(text: str) -> list[Sentence]:
    """My own text cut into sentences; a blank line always ends one."""
    out: list[Sentence] = []
    paragraph: list[str] = []
    for line in [*own_lines(text), ""]:
        if line:
            paragraph.append(line)
        elif paragraph:
            out.extend(sentences_of(paragraph))
            paragraph = []
    return out


def sentences_of(lines: Sequence[str]) -> list[Sentence]:
    """The sentences of one paragraph. A sentence wrapped over lines is joined: with no
    space between Japanese text, with one elsewhere."""
    parts: list[str] = []
    for line in lines:
        if not line:
            continue
        if parts and not (_is_wide(parts[-1][-1]) and _is_wide(line[0])):
            parts.append(" ")
        parts.append(line)
    joined = "".join(parts)
    out = []
    start = 0
    brackets = _Brackets()
    for match in _SENTENCE_END.finditer(joined):
        if brackets.open_at(joined, match.start()) or _after_abbreviation(joined, match):
            continue
        out.append(joined[start : match.end()])
        start = match.end()
    out.append(joined[start:])
    return [_sentence(raw) for raw in out if raw.strip()]


def _sentence(raw: str) -> Sentence:
    raw = _WHITESPACE.sub(" ", raw).strip()
    text = " ".join(unicodedata.normalize("NFKC", raw).split())
    normalised = normalise_for_matching(text)
    if len(normalised) != len(text):
        # casefold turned ß into ss: fold letter by letter, so that positions agree.
        normalised = "".join(
            folded if len(folded := normalise_for_matching(char)) == 1 else char for char in text
        )
    return Sentence(raw, text, normalised)


def _is_wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F")


class _Brackets:
    """Whether a position is inside 「…」 or (…): a stop there is someone's words quoted
    (「いつ届きますか？」と…), not the end of my sentence. Read once, left to right; a bracket
    left open for long was a typo and is forgotten, so one stray 「 cannot join a whole
    message into one sentence."""

    _FORGET_AFTER = 200

    def __init__(self) -> None:
        self._read = 0
        self._depth = 0
        self._opened_at = 0

    def open_at(self, text: str, end: int) -> bool:
        for index in range(self._read, end):
            char = text[index]
            if char in _OPENERS:
                if not self._depth:
                    self._opened_at = index
                self._depth += 1
            elif char in _CLOSERS and self._depth:
                self._depth -= 1
        self._read = max(self._read, end)
        if self._depth and end - self._opened_at > self._FORGET_AFTER:
            self._depth = 0
        return self._depth > 0


def _after_abbreviation(text: str, match: re.Match[str]) -> bool:
    if not match.group(0).startswith("."):
        return False
    word = text[: match.start()].rsplit(maxsplit=1)[-1:] or [""]
    return word[0].casefold() in _ABBREVIATIONS


# -- whose act is due -------------------------------------------------------------------

# ja: what follows the deadline decides. An ask to the reader: いただけ…/いただき…/ください/
# お願い…/願います/頂戴…/賜り…/もらえ…/ほしい; but させていただきます is my own act.
_JA_ASK = re.compile(
    r"(?<!させて)(?<!せて)(?:いただ|頂)"
    r"(?:け(?:ます|ません|ないでしょうか|ないか|る(?:でしょうか|か))"
    # 「いただければ幸いです」 and 「お送りいただければ対応いたします」 alike: the date is theirs.
    r"|け(?:れば|ると|ますと|ましたら|たら)"
    r"|き(?:たく|たい|ます|ますよう|ませんか)"
    # 「ご確認いただき、ご返信ください」 chains asks; 「ご連絡いただき、ありがとう」 thanks.
    r"|き\s*[、,](?!\s*(?:誠に|大変|本当に)?\s*(?:ありがと|有難|感謝|恐縮|助かりました)))"
    r"|(?:くださ|下さ)(?:い|る|れば|ったら)"
    r"|お願い(?!が|を|の|は|した|しま(?:した|す)?(?:ので|が))"
    r"|願います|頂戴(?:でき|したく|いたしたく|致したく)|賜(?:り|れ)"
    r"|(?:もらえ|貰え)(?:ます|ません|る|ない)|(?:ほし|欲し)い|くれ(?:ます|ません|る|ない)か"
)
# Before that ask, an act of mine or a clause of my own ends the deadline's reach:
# 「25日までにお送りしますので、ご確認ください」 promises the 25th and asks for no date.
_JA_MINE_FIRST = re.compile(
    r"させ|(?:し|いたし|致し|申し上げ|参り|伺い|ておき)ま(?:す|した)|ました|ます(?:ので|から|[。、]|$)"
    r"|ので|予定|つもり|てから"
)
# Asking the reader to wait is asking them to accept my date: a promise. So is asking for
# time *until* a day (「25日までお時間をください」), not time *by* one (「来週中にお時間を
# いただけますか」: a meeting).
_JA_WAIT_FOR_ME = re.compile(r"お待ち|待って|ご容赦|ご了承")
_JA_TIME_FOR_ME = re.compile(r"お時間|時間を|猶予")
_EN_ASK = re.compile(
    r"\b(?:could|can|would|will) you\b(?! (?:like|want) (?:me|us)\b)"
    r"|\bplease\b(?!,? (?:note|find|see|be (?:aware|advised)|expect|rest assured|bear with|wait"
    r"|hold|stand by|allow|accept|excuse|forgive)\b)"
    r"|\blet (?:me|us) know\b|\bkindly\b|\bif you (?:could|can|would|are able to)\b"
    r"|\b(?:i|we)(?:['’]d| would) (?:appreciate|be grateful|like you to)\b"
    r"|\b(?:i|we) need you to\b|\bare you able to\b|\bwould you mind\b"
    r"|\b(?:is|would) it be possible\b|\bis it possible\b|\bdo you think you could\b"
    r"|\bmake sure (?:to|you)\b|\bi look forward to (?:your|receiving|hearing)\b"
)
# A subject of mine between the ask and the deadline makes the deadline mine ("could you
# check the layout so I can send it by Friday").
_EN_MINE = re.compile(r"\b(?:i|we)(?:['’](?:ll|m|ve|d|re))?\b(?!\.)|\b(?:me|us) to\b")


def _asks_reader(text: str, start: int, end: int) -> bool:
    """Whether the deadline at ``text[start:end]`` is the reader's to meet."""
    after = text[end:]
    ask = _JA_ASK.search(after)
    if ask is not None:
        before_ask = after[: ask.start()]
        until = text[start:end].endswith("まで")
        if not (
            _JA_MINE_FIRST.search(before_ask)
            or _JA_WAIT_FOR_ME.search(before_ask)
            or (until and _JA_TIME_FOR_ME.search(before_ask))
        ):
            return True
    for anchor in _EN_ASK.finditer(text):
        if anchor.end() <= start and not _EN_MINE.search(text, anchor.end(), start):
            return True
        if (
            anchor.start() >= end
            and not _EN_MINE.search(text, 0, start)
            and not _EN_MINE.search(text, end, anchor.start())
        ):
            return True
    return False


# -- Japanese ---------------------------------------------------------------------------


def _ja(text: str, sent_day: date, calendar: BusinessCalendar) -> list[_Found]:
    out = []
    for match in _JA.finditer(text):
        has_time = match["hour"] is not None
        if has_time and match["within"]:
            continue  # 「15時中」 is not Japanese
        at = _ja_time(match) if has_time else None
        if has_time and at is None:
            continue
        day = _ja_day(match, sent_day, calendar)
        if _time_alone(match) and _JA_UNRECOGNISED_DAY_BEFORE.search(text[: match.start()]):
            continue
        if day is None or not _weekday_agrees(day, match["wd"], _JA_WEEKDAYS):
            continue
        out.append(_Found(match.start(), match.end(), day, at))
    return out


def _ja_day(match: re.Match[str], sent_day: date, calendar: BusinessCalendar) -> date | None:
    if match["month"]:
        return _month_day(match["year"], match["month"], match["day"], sent_day)
    if match["s_month"]:
        return _month_day(match["s_year"], match["s_month"], match["s_day"], sent_day)
    if match["dom"]:
        return _next_day_of_month(int(match["dom"]), sent_day)
    if match["next_wd"]:
        if match["within"]:
            return None  # 「来週月曜中」 is not how anyone writes
        monday = sent_day - timedelta(days=sent_day.weekday()) + timedelta(days=7)
        return monday + timedelta(days=_JA_WEEKDAYS.index(match["next_wd"][-1]))
    if match["rel"]:
        return _ja_relative(match["rel"], bool(match["within"]), sent_day, calendar)
    # A time of day alone: today. No time and no date: only a particle, nothing named.
    return sent_day if match["hour"] is not None else None


def _time_alone(match: re.Match[str]) -> bool:
    named = ("month", "s_month", "dom", "next_wd", "rel")
    return match["hour"] is not None and all(match[group] is None for group in named)


def _ja_relative(
    word: str, within: bool, sent_day: date, calendar: BusinessCalendar
) -> date | None:
    if word in ("本日", "今日"):
        return sent_day
    if word == "明日":
        return sent_day + timedelta(days=1)
    if word == "明後日":
        return sent_day + timedelta(days=2)
    if word in ("今週", "今週末"):
        return _last_business_day_of_week(sent_day, calendar)
    if word == "来週":
        # 「来週中に」 is the end of next week; 「来週まで」 could mean its start: doubt.
        if not within:
            return None
        return _last_business_day_of_week(sent_day + timedelta(days=7), calendar)
    if word == "週明け":
        monday = sent_day - timedelta(days=sent_day.weekday()) + timedelta(days=7)
        return _first_business_day_from(monday, calendar)
    if word == "今月" and not within:
        return None  # 「今月まで」: which end of the month is meant is not clear
    return _last_business_day_of_month(sent_day, calendar)  # 月末, 今月末, 今月中


def _ja_time(match: re.Match[str]) -> time | None:
    hour = int(match["hour"])
    minute = int(match["minute"] or match["colon_minute"] or (30 if match["half"] else 0))
    ampm = match["ampm"]
    if ampm == "午後":
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + 12
    elif ampm == "午前":
        if not 1 <= hour <= 11:
            return None
    elif hour < 7:
        return None  # 「3時」 is probably 15:00, but not surely
    return _time(hour, minute)


# 「3営業日以内に」「2営業日後までに」, "within 3 business days": counted from the day sent.
_BUSINESS_DAYS = re.compile(
    r"(?<![\d.])(?P<ja>\d{1,2})\s*営業日\s*(?:以内|内|後まで|まで)(?:に(?:は)?)?"
    r"|\bwithin (?P<en>\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten)"
    r" (?:business|working) days?\b"
)
_EN_NUMBERS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
_MAX_BUSINESS_DAYS = 60


def _business_days(text: str, sent_day: date, calendar: BusinessCalendar) -> list[_Found]:
    out = []
    for match in _BUSINESS_DAYS.finditer(text):
        count = match["ja"] or match["en"]
        n = _EN_NUMBERS.index(count) + 1 if count in _EN_NUMBERS else int(count)
        if 1 <= n <= _MAX_BUSINESS_DAYS:
            day = calendar.add_business_days(sent_day, n)
            out.append(_Found(match.start(), match.end(), day, None))
    return out


# -- English ----------------------------------------------------------------------------


def _en(text: str, sent_day: date, calendar: BusinessCalendar) -> list[_Found]:
    out = []
    for match in _EN.finditer(text):
        time_text = match["time_first"] or match["time_after"]
        at = _en_time(time_text) if time_text else None
        if time_text and at is None:
            continue
        day_text = match["day"] or match["day_after"]
        if _EN_FOLLOWED_BY_OTHER_DAY.match(text, match.end()):
            continue
        day = _en_day(day_text, sent_day, calendar) if day_text else sent_day
        if day is None:
            continue
        out.append(_Found(match.start(), match.end(), day, at))
    return out


def _en_day(text: str, sent_day: date, calendar: BusinessCalendar) -> date | None:
    text = text.removeprefix("this ")
    if text.startswith("the end of "):
        text = text.removeprefix("the ")
    end_of = text.startswith("end of ")
    if text in ("today", "eod", "cob", "close of business") or (end_of and text.endswith("day")):
        return sent_day
    if text == "tomorrow":
        return sent_day + timedelta(days=1)
    if text == "eow" or (end_of and text.endswith("week")):
        return _last_business_day_of_week(sent_day, calendar)
    if text == "eom" or (end_of and text.endswith("month")):
        return _last_business_day_of_month(sent_day, calendar)
    if text.startswith("the ") and text[-2:] in ("st", "nd", "rd", "th"):
        return _next_day_of_month(int(text[4:-2]), sent_day)
    if slash := _EN_SLASH.match(text):
        return _month_day(slash["year"], slash["month"], slash["day"], sent_day)
    if month_day := _EN_MONTH_DAY.match(text):
        month = _EN_MONTHS.index((month_day["month"] or month_day["month2"])[:3]) + 1
        day_number = month_day["day"] or month_day["day2"]
        resolved = _month_day(month_day["year"], str(month), day_number, sent_day)
        weekday = month_day["wd"]
        if resolved is None or (
            weekday is not None and _EN_WEEKDAYS.index(weekday[:3]) != resolved.weekday()
        ):
            return None
        return resolved
    return _en_weekday(text, sent_day)


def _en_weekday(text: str, sent_day: date) -> date | None:
    prefix = text.rstrip(".")[:3]
    if prefix not in _EN_WEEKDAYS:
        return None
    return sent_day + timedelta(days=(_EN_WEEKDAYS.index(prefix) - sent_day.weekday()) % 7)


def _en_time(text: str) -> time | None:
    if text in ("noon", "midday"):
        return time(12, 0)
    parts = _EN_TIME_PARTS.match(text)
    if parts is None:
        return None
    hour, minute = int(parts["hour"]), int(parts["minute"] or 0)
    if parts["ampm"]:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if parts["ampm"] == "p" else 0)
    elif hour < 7:
        return None  # "by 3:00" is probably 15:00, but not surely
    return _time(hour, minute)


# -- shared -----------------------------------------------------------------------------


def _month_day(year: str | None, month: str, day: str, sent_day: date) -> date | None:
    """An explicit date, or the month/day on or after the day the message was sent."""
    if year is not None:
        try:
            return date(int(year), int(month), int(day))
        except ValueError:
            return None
    for candidate_year in (sent_day.year, sent_day.year + 1):
        try:
            candidate = date(candidate_year, int(month), int(day))
        except ValueError:
            return None
        if candidate >= sent_day:
            # Anything further than ~half a year ahead is not a reply promise.
            return candidate if (candidate - sent_day).days <= _MAX_AHEAD_DAYS else None
    return None


def _next_day_of_month(day_number: int, sent_day: date) -> date | None:
    """The next date numbered ``day_number`` on or after ``sent_day`` (「25日」, "the 25th")."""
    for offset in range(_DAY_OF_MONTH_SCAN_DAYS):
        candidate = sent_day + timedelta(days=offset)
        if candidate.day == day_number:
            return candidate
    return None


def _weekday_agrees(day: date, weekday: str | None, names: Sequence[str]) -> bool:
    if weekday is None:
        return True
    return names.index(weekday) == day.weekday()


def _time(hour: int, minute: int) -> time | None:
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return time(hour, minute)


def _last_business_day_of_week(day: date, calendar: BusinessCalendar) -> date:
    """The last business day of ``day``'s week, not before ``day`` itself."""
    candidate = day + timedelta(days=6 - day.weekday())
    while candidate > day and not calendar.is_business_day(candidate):
        candidate -= timedelta(days=1)
    return candidate


def _last_business_day_of_month(day: date, calendar: BusinessCalendar) -> date:
    """The last business day of ``day``'s month, not before ``day`` itself."""
    next_month = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    candidate = next_month - timedelta(days=1)
    while candidate > day and not calendar.is_business_day(candidate):
        candidate -= timedelta(days=1)
    return candidate


def _first_business_day_from(day: date, calendar: BusinessCalendar) -> date:
    candidate = day
    for _ in range(14):
        if calendar.is_business_day(candidate):
            return candidate
        candidate += timedelta(days=1)
    return day

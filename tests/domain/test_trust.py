"""The trust figures (domain/trust.py): promises kept / due, follow-ups sent, minutes the
same day / meetings held, per client and overall, over 7 and 30 days; and the digest that
shows them, built from a real Maildir through real cycles."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from inboxguard.digest.sending import compose
from inboxguard.domain.durations import Allowance
from inboxguard.domain.threading import Thread
from inboxguard.domain.trust import MeetingRecord, TrustFigures, overall, trust_figures
from tests.domain.factories import (
    CLIENT,
    IDENTITY,
    JP_CALENDAR,
    OTHER_CLIENT,
    OWNER,
    asked_by,
    jst,
    msg,
    promise_until,
    question,
    thread,
)
from tests.service.test_meetings_cycle import Cycles

NOW = jst(2026, 12, 18, 9)  # a Friday
WEEK = NOW - timedelta(days=7)
MONTH = NOW - timedelta(days=30)
THREE_DAYS = Allowance(business_days=3)


def figures(
    threads: list[Thread],
    meetings: list[MeetingRecord] = [],  # noqa: B006 - never mutated
    *,
    since: datetime = MONTH,
    follow_up_after: Allowance | None = THREE_DAYS,
) -> dict[str | None, TrustFigures]:
    names = {CLIENT.address: "Client A", OTHER_CLIENT.address: "Client B"}

    def client_of(t: Thread) -> str | None:
        people = [m.sender.address for m in t.messages] + [
            a.address for m in t.messages for a in m.to
        ]
        return next((names[p] for p in people if p in names), None)

    return trust_figures(
        threads,
        meetings,
        client_of=client_of,
        identity=IDENTITY,
        calendar=JP_CALENDAR,
        follow_up_after=follow_up_after,
        business=False,
        since=since,
        now=NOW,
    )


def promised(day: datetime, answered: datetime | None, *, who: object = CLIENT) -> Thread:
    """The client asks, I promise an answer by ``day``, and answer at ``answered``."""
    asked = msg(day - timedelta(days=3), sender=who)  # type: ignore[arg-type]
    promise = msg(
        day - timedelta(days=3) + timedelta(hours=1),
        sender=OWNER,
        to=(who,),  # type: ignore[arg-type]
        promise=promise_until(day),
    )
    answer = (
        [msg(answered, sender=OWNER, to=(who,), subject="Re: 回答")]  # type: ignore[arg-type]
        if answered
        else []
    )
    return thread(asked, promise, *answer, thread_id=f"t-{day.isoformat()}-{answered}")


def test_promises_kept_by_their_date_over_promises_due() -> None:
    kept = promised(jst(2026, 12, 16, 18), answered=jst(2026, 12, 16, 17))
    late = promised(jst(2026, 12, 15, 18), answered=jst(2026, 12, 16, 10))
    never = promised(jst(2026, 12, 14, 18), answered=None)
    pending = promised(jst(2026, 12, 21, 18), answered=None)  # still inside its time

    got = figures([kept, late, never, pending])

    assert got == {"Client A": TrustFigures(promises_due=3, promises_kept=1)}


def test_seven_days_and_thirty_days_count_what_fell_due_in_each() -> None:
    recent = promised(jst(2026, 12, 16, 18), answered=jst(2026, 12, 16, 12))
    older = promised(jst(2026, 12, 1, 18), answered=jst(2026, 12, 1, 12))
    ancient = promised(jst(2026, 11, 10, 18), answered=jst(2026, 11, 10, 12))

    week = overall(figures([recent, older, ancient], since=WEEK))
    month = overall(figures([recent, older, ancient], since=MONTH))

    assert (week.promises_due, week.promises_kept) == (1, 1)
    assert (month.promises_due, month.promises_kept) == (2, 2)


def ask_thread(*later: tuple[str, datetime], date: datetime, request: object = None) -> Thread:
    ask = msg(jst(2026, 12, 7, 10), sender=OWNER, request=request or asked_by(date))  # type: ignore[arg-type]
    messages = [ask]
    for who, at in later:
        if who == "me":
            messages.append(msg(at, sender=OWNER, subject="Re: 見積のご依頼"))
        elif who == "ooo":
            messages.append(msg(at, automated_reason="Auto-Submitted: auto-replied"))
        else:
            messages.append(msg(at, subject="Re: 見積のご依頼"))
    return thread(*messages, thread_id=f"t-ask-{len(later)}-{later}")


def test_follow_ups_are_my_mail_after_the_date_asked_before_they_answered() -> None:
    due = jst(2026, 12, 9, 18)
    chased = ask_thread(("ooo", jst(2026, 12, 7, 11)), ("me", jst(2026, 12, 10, 9)), date=due)
    answered_first = ask_thread(
        ("them", jst(2026, 12, 9, 12)), ("me", jst(2026, 12, 10, 9)), date=due
    )
    before_the_date = ask_thread(("me", jst(2026, 12, 8, 9)), date=due)
    never_chased = ask_thread(date=due)

    got = overall(figures([chased, answered_first, before_the_date, never_chased]))

    assert got.follow_ups_sent == 1


def test_a_question_is_chased_after_follow_up_after_unless_it_is_off() -> None:
    # Asked Monday Dec 7 10:00: three business days end Thursday Dec 10 18:00.
    early = ask_thread(("me", jst(2026, 12, 10, 17)), date=NOW, request=question())
    chased = ask_thread(("me", jst(2026, 12, 11, 9)), date=NOW, request=question())

    assert overall(figures([early])).follow_ups_sent == 0
    assert overall(figures([chased])).follow_ups_sent == 1
    assert overall(figures([chased], follow_up_after=None)).follow_ups_sent == 0


def test_minutes_the_same_local_day_over_meetings_held_per_client() -> None:
    meetings = [
        MeetingRecord("Client A", jst(2026, 12, 16, 11), jst(2026, 12, 16, 17)),
        # An evening meeting minuted the next morning: not the same day.
        MeetingRecord("Client A", jst(2026, 12, 15, 23), jst(2026, 12, 16, 8)),
        MeetingRecord("Client B", jst(2026, 12, 14, 16), None),
        MeetingRecord("Client B", jst(2026, 12, 10, 16), jst(2026, 12, 10, 18)),
        MeetingRecord(None, jst(2026, 11, 1, 16), jst(2026, 11, 1, 17)),  # outside 30 days
        MeetingRecord("Client B", jst(2026, 12, 18, 10), None),  # later than now
    ]

    month = figures([], meetings)
    week = figures([], meetings, since=WEEK)

    assert month == {
        "Client A": TrustFigures(meetings_held=2, minutes_same_day=1),
        "Client B": TrustFigures(meetings_held=2, minutes_same_day=1),
    }
    assert overall(week) == TrustFigures(meetings_held=3, minutes_same_day=1)


def test_the_figures_sum_across_clients() -> None:
    a = promised(jst(2026, 12, 16, 18), answered=jst(2026, 12, 16, 12))
    b = promised(jst(2026, 12, 15, 18), answered=None, who=OTHER_CLIENT)
    got = figures([a, b])

    assert got["Client A"] == TrustFigures(promises_due=1, promises_kept=1)
    assert got["Client B"] == TrustFigures(promises_due=1, promises_kept=0)
    assert overall(got) == TrustFigures(promises_due=2, promises_kept=1)


def test_the_digest_shows_the_figures_from_real_mail(tmp_path: Path) -> None:
    clients = '[[client]]\nname = "Client Inc."\nmatch = ["client.example"]\n'
    cycles = Cycles(tmp_path, clients=clients)
    mail = cycles.mail
    tz = JP_CALENDAR.tz
    # A promise kept: asked Mon Nov 30, promised 12月2日(水), answered Dec 2 15:00.
    mail.add(
        "INBOX",
        sender="taro@client.example",
        to=OWNER.address,
        subject="見積",
        date=datetime(2026, 11, 30, 10, tzinfo=tz),
        message_id="<q@client.example>",
        body="お見積りをお願いできますか。\n",
    )
    mail.add(
        "Sent",
        sender=OWNER.address,
        to="taro@client.example",
        subject="Re: 見積",
        date=datetime(2026, 11, 30, 11, tzinfo=tz),
        message_id="<p@example.jp>",
        in_reply_to="<q@client.example>",
        body="12月2日(水)までに回答いたします。\n",
    )
    # The service runs while the mail comes in: my promise is read while it is my latest.
    cycles.run(datetime(2026, 11, 30, 12, tzinfo=tz))
    mail.add(
        "Sent",
        sender=OWNER.address,
        to="taro@client.example",
        subject="Re: 見積",
        date=datetime(2026, 12, 2, 15, tzinfo=tz),
        message_id="<a@example.jp>",
        in_reply_to="<p@example.jp>",
        body="お見積りをお送りします。\n",
    )
    # A meeting (Google, Dec 3 14:00-15:00) whose minutes went the same day.
    cycles.invitation("google_ja_request.eml")
    mail.add(
        "Sent",
        sender=OWNER.address,
        to="taro@client.example",
        subject="議事録",
        date=datetime(2026, 12, 3, 17, tzinfo=tz),
        message_id="<m@example.jp>",
    )
    now = datetime(2026, 12, 4, 8, tzinfo=tz)
    cycles.run(datetime(2026, 12, 3, 15, 5, tzinfo=tz), now)

    digest = compose(cycles.ctx, cycles.store, now)

    text = digest.text
    assert "== 約束の実績" in text
    lines = [
        line for line in text.splitlines() if line.startswith("* ") and "約束を守れた数" in line
    ]
    assert len(lines) == 3, lines  # 7 days, 30 days, Client Inc.
    for line in lines:
        assert "約束を守れた数 1/1" in line and "催促 0" in line and "当日の議事録 1/1" in line
    assert lines[2].startswith("* Client Inc.:")

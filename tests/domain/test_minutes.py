"""Minutes in the pure domain (domain/minutes.py, meetings.py, requests.py): who they go to,
which sitting is watched, and the objection date they ask for, which waits but is never
chased (silence by then is agreement)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from inboxguard.domain.meetings import (
    Meeting,
    counterparts,
    list_addresses,
    or_list,
)
from inboxguard.domain.message import Address
from inboxguard.domain.reply_clock import ThreadState, evaluate_thread
from inboxguard.domain.requests import find_request, silence_agrees
from inboxguard.domain.threading import Thread
from inboxguard.domain.tracked import Occurrence
from tests.domain.factories import (
    BUSINESS_POLICY,
    CLIENT,
    IDENTITY,
    JP_CALENDAR,
    OWNER,
    jst,
    msg,
    thread,
)

SENT = jst(2026, 12, 3, 17)  # Thursday


@pytest.mark.parametrize(
    "text",
    [
        "相違点がございましたら12月7日(月)までにご指摘ください。",
        "内容に誤りがありましたら、12月7日までにお知らせください。",
        "修正点があれば12月7日(月)までにご連絡いただけますと幸いです。",
        "ご異論がございます場合は12月7日までにお申し付けください。",
        "Could you let me know of any corrections by Monday, December 7?",
        "Please send any objections by Dec 7.",
    ],
)
def test_an_objection_deadline_asks_but_silence_agrees(text: str) -> None:
    request = find_request(text, SENT, JP_CALENDAR)
    assert request is not None and request.date is not None
    assert silence_agrees(request.phrase)


@pytest.mark.parametrize(
    "text",
    [
        "ロゴのデータを12月7日(月)までにいただけますと幸いです。",
        "修正版のデザイン案を12月7日までにお送りいただけますか。",
        "ご意見をまとめて12月7日までにいただけますと助かります。",
        "Could you send the revised files by Monday, December 7?",
        "Could you send me the list of changes by Dec 7?",
        "Please confirm the corrections are done by Dec 7.",
    ],
)
def test_an_ordinary_ask_is_chased(text: str) -> None:
    request = find_request(text, SENT, JP_CALENDAR)
    assert request is not None
    assert not silence_agrees(request.phrase)


def minutes_thread(text: str) -> Thread:
    request = find_request(text, SENT, JP_CALENDAR)
    assert request is not None
    return thread(msg(SENT, sender=OWNER, request=request, subject="【議事録】定例"))


def test_minutes_wait_until_their_date_then_stand_agreed() -> None:
    sent = minutes_thread("相違点がございましたら12月7日(月)までにご指摘ください。")

    def state(now: datetime) -> ThreadState | None:
        status = evaluate_thread(
            sent,
            now=now,
            identity=IDENTITY,
            policy=BUSINESS_POLICY,
            calendar=JP_CALENDAR,
        )
        return status.state if status is not None else None

    assert state(jst(2026, 12, 4, 9)) is ThreadState.AWAITING
    assert state(jst(2026, 12, 7, 17, 59)) is ThreadState.AWAITING
    assert state(jst(2026, 12, 7, 18)) not in (ThreadState.AWAITING, ThreadState.AWAITING_OVERDUE)
    assert state(jst(2026, 12, 9, 9)) not in (ThreadState.AWAITING, ThreadState.AWAITING_OVERDUE)


def test_the_same_date_for_material_is_chased() -> None:
    asked = minutes_thread("資料を12月7日(月)までにいただけますと幸いです。")
    status = evaluate_thread(
        asked,
        now=jst(2026, 12, 8, 9),
        identity=IDENTITY,
        policy=BUSINESS_POLICY,
        calendar=JP_CALENDAR,
    )
    assert status is not None and status.state is ThreadState.AWAITING_OVERDUE


def meeting(*people: str, organizer: str | None = None) -> Meeting:
    start = jst(2026, 12, 3, 14)
    return Meeting(
        uid="u1",
        summary="定例",
        organizer=organizer,
        attendees=people,
        occurrences=(Occurrence(start, start + timedelta(hours=1)),),
        message=msg(jst(2026, 12, 1, 10)),
        cancelled=False,
    )


def test_list_addresses_are_the_to_of_list_mail_not_its_sender_nor_me() -> None:
    team = "dev@lists.client.example"
    posted = msg(
        jst(2026, 11, 30, 10),
        to=(Address("dev", team), OWNER),
        automated_reason="List-Id present (mailing list)",
    )
    bulk = msg(
        jst(2026, 11, 30, 11),
        to=(Address("", "news@client.example"),),
        automated_reason="Precedence: list",
    )
    person = msg(jst(2026, 11, 30, 12), to=(Address("", "jiro@client.example"),))
    out_of_office = msg(
        jst(2026, 11, 30, 13),
        to=(Address("", "jiro2@client.example"),),
        automated_reason="Auto-Submitted: auto-replied",
    )

    lists = list_addresses([posted, bulk, person, out_of_office], IDENTITY.is_me)

    assert lists == frozenset({team, "news@client.example"})


def test_minutes_go_to_people_never_me_a_machine_or_a_list() -> None:
    team = "dev@lists.client.example"
    is_machine = or_list(lambda a: a.startswith("no-reply@"), frozenset({team}))
    everyone = meeting(
        OWNER.address,
        "DEV@lists.client.example",
        "no-reply@booking.example",
        CLIENT.address,
        organizer=CLIENT.address,
    )
    only_list = meeting(OWNER.address, team, organizer=OWNER.address)

    assert counterparts(everyone, IDENTITY.is_me, is_machine) == (CLIENT.address,)
    assert counterparts(only_list, IDENTITY.is_me, is_machine) == ()

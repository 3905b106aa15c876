"""Follow-ups (催促) through whole cycles on a real Maildir (SPEC §5 ``awaiting``, §6):
English drafts read back with the email package and threaded by tests/jwz.py, what stops
them and what does not."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from inboxguard.service.assessing import assess_all
from tests.jwz import same_thread
from tests.mailboxes import CLIENT, OWNER
from tests.service.test_client_turn_cycle import jst
from tests.service.test_meetings_cycle import Cycles, text_of, to_of

EN_CLIENT = '[[client]]\nname = "Client Inc."\nmatch = ["client.example"]\nlanguage = "en"\n'


def ask(cycles: Cycles, body: str, *, subject: str = "Logo files", when: datetime) -> None:
    cycles.mail.add(
        "Sent",
        sender=f"Hanako Sato <{OWNER}>",
        to=f"Taro Sato <{CLIENT}>",
        subject=subject,
        date=when,
        message_id="<ask@example.jp>",
        body=body,
    )


@pytest.mark.parametrize("clients", ["", EN_CLIENT])
def test_english_follow_up_quotes_what_i_asked_and_threads(tmp_path: Path, clients: str) -> None:
    cycles = Cycles(tmp_path, clients=clients)
    body = "Hi Taro,\n\nCould you send the logo files by Friday?\n\nBest,\nHanako\n"
    ask(cycles, body, when=jst(12, 1, 10))  # Tuesday: Friday is Dec 4

    cycles.run(jst(12, 4, 17))
    assert cycles.drafts() == []
    assert [a.status.state.value for a in assess_all(cycles.ctx, cycles.store, jst(12, 4, 17))] == [
        "awaiting"
    ]
    cycles.run(jst(12, 7, 9), jst(12, 7, 10), jst(12, 8, 9))

    (draft,) = cycles.drafts()
    assert draft["X-InboxGuard-Purpose"] == "follow_up"
    assert to_of(draft) == [CLIENT]
    assert str(draft["Subject"]) == "Re: Logo files"
    assert draft["In-Reply-To"] == "<ask@example.jp>"
    assert "<ask@example.jp>" in str(draft["References"])
    assert same_thread(cycles.everything(), "<ask@example.jp>", str(draft["Message-ID"]))
    text = text_of(draft)
    assert text.startswith("Hi Taro")
    assert "I am just following up on the logo files I asked about on" in text
    assert "could you let me have it by" in text
    assert "> Could you send the logo files by Friday?" in text  # my asking message, quoted
    for japanese in ("様", "お世話", "いかが"):
        assert japanese not in text


def test_an_out_of_office_reply_does_not_stop_the_follow_up(tmp_path: Path) -> None:
    cycles = Cycles(tmp_path)
    ask(
        cycles,
        "資料を12月3日(木)までにいただけますと幸いです。\n",
        subject="資料のお願い",
        when=jst(12, 1, 10),
    )
    cycles.mail.add(
        "INBOX",
        sender=CLIENT,
        to=OWNER,
        subject="自動応答: 資料のお願い",
        date=jst(12, 1, 10, 1),
        message_id="<ooo@client.example>",
        in_reply_to="<ask@example.jp>",
        body="ただいま不在にしております。12月10日に戻ります。\n",
        extra={"Auto-Submitted": "auto-replied"},
    )

    cycles.run(jst(12, 4, 9))

    (draft,) = cycles.drafts()
    assert draft["X-InboxGuard-Purpose"] == "follow_up"
    assert "先日お願いしておりました資料の件、その後いかがでしょうか。" in text_of(draft)


def test_a_question_without_a_date_waits_three_business_days(tmp_path: Path) -> None:
    cycles = Cycles(tmp_path)
    ask(
        cycles,
        "来週のお打ち合わせ、ご都合のよい日はございますか？\n",
        subject="ご都合",
        when=jst(12, 3, 10),  # Thursday: the third business day after is Tuesday Dec 8
    )

    cycles.run(jst(12, 8, 9))
    assert cycles.drafts() == []
    (view,) = assess_all(cycles.ctx, cycles.store, jst(12, 8, 9))
    assert view.status.state.value == "awaiting"
    assert view.status.awaiting is not None
    assert view.status.awaiting.until.astimezone(jst(1, 1, 0).tzinfo) == jst(12, 8, 18)
    cycles.run(jst(12, 8, 17, 55))
    assert cycles.drafts() == []
    cycles.run(jst(12, 8, 18, 5))
    (draft,) = cycles.drafts()
    assert "先日ご相談しておりました件、その後いかがでしょうか。" in text_of(draft)


def test_the_client_writing_anything_stops_it(tmp_path: Path) -> None:
    cycles = Cycles(tmp_path)
    ask(cycles, "Could you please confirm by Dec 3?\n", when=jst(12, 1, 10))
    cycles.mail.add(
        "INBOX",
        sender=CLIENT,
        to=OWNER,
        subject="Re: Logo files",
        date=jst(12, 2, 10),
        message_id="<busy@client.example>",
        in_reply_to="<ask@example.jp>",
        body="Sorry, still checking with the team.\n",
    )

    cycles.run(jst(12, 4, 9), jst(12, 7, 9))

    assert all(d["X-InboxGuard-Purpose"] != "follow_up" for d in cycles.drafts())

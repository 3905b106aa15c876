"""Both directions of the promise through whole cycles on a real Maildir (SPEC §5, §6):
what I ask clients for and the follow-up when it does not come; meetings from real
invitations and the minutes drafted when they end. Drafts are read back with the email
package and threaded by an independent (JWZ) threader."""

from __future__ import annotations

import email
import email.policy
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import getaddresses
from pathlib import Path
from zoneinfo import ZoneInfo

from inboxguard.backends.maildir import MaildirBackend
from inboxguard.config import parse_config
from inboxguard.service.assessing import EvaluationCache, assess_all
from inboxguard.service.context import Context
from inboxguard.service.cycle import run_cycle
from inboxguard.store import StateStore
from tests.jwz import same_thread
from tests.mailboxes import CLIENT, OWNER, Maildir, config_dict, maildir_account

TOKYO = ZoneInfo("Asia/Tokyo")
FIXTURES = Path(__file__).parent.parent / "fixtures" / "invitations"
ASKED = datetime(2026, 11, 12, 10, 0, tzinfo=TOKYO)  # Thursday
ASK = "お世話になっております。\nロゴのデータを11月16日(月)までにいただけますと幸いです。\n"


def jst(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=TOKYO)


class Setup:
    def __init__(self, tmp_path: Path, **sla: str) -> None:
        self.mail = Maildir(tmp_path / "Mail")
        self.ctx = Context.build(parse_config(config_dict(self.mail.root, tmp_path, **sla)))
        self.store = StateStore.open(f"sqlite:///{tmp_path / 'state.db'}")
        self.backend = MaildirBackend(maildir_account(self.ctx.config))

    def run(self, now: datetime) -> None:
        run_cycle(self.ctx, self.store, [self.backend], now=now)

    def drafts(self) -> list[EmailMessage]:
        return [
            email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
            for p in self.mail.drafts()
        ]

    def everything(self) -> list[email.message.Message]:
        return [
            email.message_from_bytes(p.read_bytes())
            for p in self.mail.root.rglob("*")
            if p.is_file() and p.parent.name in ("cur", "new")
        ]

    def state(self, now: datetime) -> dict[str, str]:
        return {
            a.thread.subject: a.status.state.value for a in assess_all(self.ctx, self.store, now)
        }


def ask(setup: Setup) -> None:
    setup.mail.add(
        "Sent",
        sender=OWNER,
        to=CLIENT,
        subject="ロゴのご相談",
        date=ASKED,
        message_id="<ask@example.jp>",
        body=ASK,
    )


def test_a_date_i_asked_for_passes_and_one_polite_follow_up_is_drafted(tmp_path: Path) -> None:
    setup = Setup(tmp_path)
    ask(setup)

    setup.run(jst(11, 13, 9))
    assert setup.drafts() == []
    assert setup.state(jst(11, 13, 9)) == {"ロゴのご相談": "awaiting"}  # not my promise

    setup.run(jst(11, 17, 9))
    setup.run(jst(11, 17, 10))  # again: still one
    (draft,) = setup.drafts()
    assert [a for _, a in getaddresses([str(draft["To"])])] == [CLIENT]
    assert draft["In-Reply-To"] == "<ask@example.jp>"
    assert str(draft["Subject"]) == "Re: ロゴのご相談"
    body = draft.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert "先日お願いしておりましたロゴのデータの件、その後いかがでしょうか。" in text
    assert "までにご確認いただけますと幸いです。" in text
    assert "> ロゴのデータを11月16日(月)までにいただけますと幸いです。" in text
    assert same_thread(setup.everything(), "<ask@example.jp>", str(draft["Message-ID"]))
    assert setup.state(jst(11, 17, 10)) == {"ロゴのご相談": "awaiting_overdue"}


def test_the_client_answering_stops_the_follow_up(tmp_path: Path) -> None:
    setup = Setup(tmp_path)
    ask(setup)
    setup.mail.add(
        "INBOX",
        sender=CLIENT,
        to=OWNER,
        subject="Re: ロゴのご相談",
        date=jst(11, 16, 11),
        message_id="<logo@client.example>",
        in_reply_to="<ask@example.jp>",
        body="ロゴのデータをお送りします。\n",
    )

    setup.run(jst(11, 17, 9))

    assert all(d["X-InboxGuard-Purpose"] != "follow_up" for d in setup.drafts())
    assert setup.state(jst(11, 17, 9)) == {"ロゴのご相談": "at_risk"}  # my turn now


def test_no_follow_up_after_a_question_when_turned_off(tmp_path: Path) -> None:
    setup = Setup(tmp_path, follow_up_after="off")
    setup.mail.add(
        "Sent",
        sender=OWNER,
        to=CLIENT,
        subject="ご都合",
        date=ASKED,
        message_id="<q@example.jp>",
        body="来週のお打ち合わせ、ご都合のよい日はございますか？\n",
    )

    setup.run(jst(11, 30, 9))

    assert setup.drafts() == []


def invitation(setup: Setup, name: str) -> None:
    raw = (FIXTURES / name).read_bytes()
    message = email.message_from_bytes(raw)
    sent = email.utils.parsedate_to_datetime(str(message["Date"]))
    setup.mail.add_raw("INBOX", raw, sent)


def test_an_outlook_invitation_waits_for_no_answer_and_gets_minutes_once_it_ends(
    tmp_path: Path,
) -> None:
    setup = Setup(tmp_path)
    invitation(setup, "outlook_ja_request.eml")  # 定例打ち合わせ, Dec 3 10:00-11:00 JST

    setup.run(jst(12, 2, 12))  # the next day: no holding draft for an invitation
    assert setup.drafts() == []
    setup.run(jst(12, 3, 10, 30))  # during the meeting
    assert setup.drafts() == []
    setup.run(jst(12, 3, 11, 5))
    setup.run(jst(12, 3, 11, 10))
    (draft,) = setup.drafts()
    to = sorted(a for _, a in getaddresses([str(draft["To"])]))
    assert to == ["ichiro@other.example", "misaki.takahashi@other.example"]  # never me
    assert str(draft["Subject"]).startswith("【議事録】定例打ち合わせ")
    text = draft.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    for heading in (
        "■ 日時",
        "■ 参加者",
        "■ 決定事項",
        "■ 未決定事項",
        "■ 次のアクション（担当・期限）",
    ):
        assert heading in text
    # 2 business days after Thursday Dec 3: Monday Dec 7.
    assert (
        "本メールをもって合意とさせていただきます。相違点がございましたら12月7日(月)までにご指摘ください。"
        in text
    )
    parent = "<TYCPR01MB8321A1B2C3D4E5F6A7B8C9D0E1F2A@TYCPR01MB8321.jpnprd01.prod.outlook.com>"
    assert draft["In-Reply-To"] == parent
    assert same_thread(setup.everything(), parent, str(draft["Message-ID"]))


def test_minutes_due_by_evening_when_nothing_went_to_the_attendees(tmp_path: Path) -> None:
    setup = Setup(tmp_path)
    invitation(setup, "google_ja_request.eml")  # デザイン打ち合わせ, Dec 3 14:00-15:00 JST

    setup.run(jst(12, 3, 15, 5))
    views = assess_all(setup.ctx, setup.store, jst(12, 3, 18, 0))
    (view,) = views
    assert view.status.state.value == "minutes_due"
    assert view.meeting is not None and view.meeting.attendees == ("taro@client.example",)

    setup.mail.add(
        "Sent",
        sender=OWNER,
        to=CLIENT,
        subject="本日の議事録",
        date=jst(12, 3, 17, 30),
        message_id="<minutes@example.jp>",
    )
    setup.run(jst(12, 3, 18, 0))
    (after,) = assess_all(setup.ctx, setup.store, jst(12, 3, 18, 0))
    assert after.status.state.value != "minutes_due"
    assert after.meeting is not None and after.meeting.sent_at == jst(12, 3, 17, 30)


def test_a_cancelled_meeting_gets_no_minutes_and_no_holding_reply(tmp_path: Path) -> None:
    setup = Setup(tmp_path)
    invitation(setup, "outlook_ja_cancel.eml")  # キャンセル: 臨時打ち合わせ, was Dec 4 15:00

    for hours in (0, 20, 30, 40):
        setup.run(jst(12, 4, 0) + timedelta(hours=hours))

    assert setup.drafts() == []


def test_the_service_sees_minutes_sent_in_a_thread_of_their_own(tmp_path: Path) -> None:
    """A long-running service reassesses only what new mail touches and what comes due: it
    must wake when the meeting ends (a day after the invitation was read) to draft the
    skeleton, and minutes sent as a thread of their own still count: not minutes_due."""
    setup = Setup(tmp_path)
    cache = EvaluationCache()
    invitation(setup, "outlook_ja_request.eml")  # 定例打ち合わせ, Dec 3 10:00-11:00 JST

    def poll(at: datetime) -> None:
        run_cycle(setup.ctx, setup.store, [setup.backend], now=at, cache=cache)

    poll(jst(12, 2, 12))
    poll(jst(12, 3, 11, 1))  # ended: the skeleton is drafted
    assert len(setup.drafts()) == 1
    setup.mail.add(
        "Sent",
        sender=OWNER,
        to="ichiro@other.example",
        subject="本日の議事録",
        date=jst(12, 3, 11, 30),
        message_id="<minutes@example.jp>",
    )
    poll(jst(12, 3, 11, 35))  # the minutes are read
    poll(jst(12, 3, 18, 30))  # past minutes_by: the meeting's thread alone
    view = cache.views["work"]
    meeting = [a for a in view.assessed.values() if a.meeting is not None]
    assert [a.status.state.value for a in meeting] != ["minutes_due"]
    assert meeting[0].meeting is not None
    assert meeting[0].meeting.sent_at == jst(12, 3, 11, 30)

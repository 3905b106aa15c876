"""The shapes the shipped signals read (rules/incident.toml over incident_signals.py): a
failure stated in any inflection, the counter-signals that take the alarm out, each with
the words that decided."""

from __future__ import annotations

from pathlib import Path

import pytest

from inboxguard.domain.incidents import (
    MAX_TEXT_CHARS,
    IncidentRules,
    decode_signal,
    score_incident,
)
from inboxguard.rules import load_rules


@pytest.fixture(scope="module")
def rules() -> IncidentRules:
    return load_rules(None).incident


def fired(rules: IncidentRules, text: str, subject: str = "") -> dict[str, str]:
    return {s.name: s.evidence for s in score_incident(subject, text, rules).signals}


@pytest.mark.parametrize(
    ("text", "evidence"),
    [
        ("メールが届きません。", "届く"),
        ("先週から一通も届いていないようです。", "届く"),
        ("社外からのメールが受信できなくなっています。", "受信"),
        ("トップページが何も表示されません。", "表示"),
        ("パスワードを入れてもログインできず困っています。", "ログイン"),
        ("今朝からカード決済ができない状態です。", "決済"),
        ("レジとサーバーがつながらず、売上が記録されていません。", "繋がる"),
        ("購入ボタンを押しても次の画面に進めません。", "進める"),
    ],
)
def test_a_negated_capability_is_a_failure_in_any_inflection(
    rules: IncidentRules, text: str, evidence: str
) -> None:
    assert fired(rules, text)["failure"] == evidence


@pytest.mark.parametrize(
    ("text", "evidence"),
    [
        ("起動するとすぐに落ちてしまいます。", "落ちる"),
        ("在庫連携が昨日から止まっているようです。", "止まる"),
        ("商品画像が全部消えていて、枠だけです。", "消える"),
        ("画面が固まってしまいます。", "固まる"),
    ],
)
def test_a_breaking_verb_stated_as_happening_is_breakage(
    rules: IncidentRules, text: str, evidence: str
) -> None:
    assert fired(rules, text)["breakage"] == evidence


@pytest.mark.parametrize(
    "text",
    [
        "来週から広告を一時停止していただけますか。",  # asked for
        "サイトが落ちた場合の連絡先を教えてください。",  # hypothetical
        "ここ数ヶ月、売上が落ちているので施策を考えたいです。",  # another sense
        "アプリは落ちていません。",  # negated
    ],
)
def test_breaking_verbs_asked_for_imagined_or_in_another_sense_are_not_breakage(
    rules: IncidentRules, text: str
) -> None:
    assert "breakage" not in fired(rules, text)


@pytest.mark.parametrize(
    "text",
    [
        "申し訳ありません、来週の定例は参加できません。",
        "社内で決められず、候補を絞っていただけますか。",
        "届かない場合はご連絡ください。",
        "表示されないようにしていただけますか。",
    ],
)
def test_a_negation_on_something_else_or_in_a_request_is_no_failure(
    rules: IncidentRules, text: str
) -> None:
    assert "failure" not in fired(rules, text)


@pytest.mark.parametrize(
    ("text", "evidence"),
    [
        ("We can't log in to the dashboard.", "log"),
        ("The page doesn't load on Safari.", "load"),
        ("I placed a test order and nothing arrived.", "arrive"),
        ("The inventory sync no longer works.", "work"),
        ("Our tills can\u2019t connect to the server.", "connect"),
        ("Customers couldn't check out all morning.", "check out"),
        ("When I click pay, the page doesn't load.", "load"),
        ("None of the emails from the contact form have reached us.", "reach"),
    ],
)
def test_english_negated_actions_are_failures(
    rules: IncidentRules, text: str, evidence: str
) -> None:
    assert fired(rules, text)["failure"] == evidence


@pytest.mark.parametrize(
    ("text", "evidence"),
    [
        ("The app keeps crashing when it opens.", "crash"),
        ("Card payments have been failing since 3pm.", "fail"),
        ("The site is down for everyone.", "be down"),
    ],
)
def test_english_breakage(rules: IncidentRules, text: str, evidence: str) -> None:
    assert fired(rules, text)["breakage"] == evidence


@pytest.mark.parametrize(
    "text",
    [
        "Sales are down a bit this quarter.",
        "Down the road we might want a members area.",
        "If the payment fails, show a friendly message.",
        "Please stop the ads from the 24th.",
        "The site will be down on Sunday night for the migration.",
    ],
)
def test_english_breakage_words_in_other_senses_plans_or_requests_do_not_fire(
    rules: IncidentRules, text: str
) -> None:
    assert "breakage" not in fired(rules, text)


@pytest.mark.parametrize(
    "text",
    [
        "サイトにアクセスすると「503 Service Unavailable」と出ます。",
        "The site is throwing 502 Bad Gateway.",
        "The landing page returns a 404.",
        "キャンペーンページが404エラーになっています。",
    ],
)
def test_http_errors_by_number(rules: IncidentRules, text: str) -> None:
    assert "http_error" in fired(rules, text)


@pytest.mark.parametrize("text", ["We need 500 flyers.", "定員は404名です。", "The 503 bus."])
def test_numbers_that_are_not_http_errors(rules: IncidentRules, text: str) -> None:
    assert "http_error" not in fired(rules, text)


@pytest.mark.parametrize(
    ("subject", "text", "counter"),
    [
        ("先日の障害対応のお礼", "先日はご対応いただき誠にありがとうございました。", "past_thanks"),
        ("Thanks!", "Thanks for fixing the checkout so quickly last week.", "past_thanks"),
        ("Re: ログインの件", "再起動したら、ログインできるようになりました。", "resolved"),
        ("Re: can't log in", "Never mind - it was our VPN.", "resolved"),
        ("細かい修正", "急ぎではありませんので、次回で大丈夫です。", "not_urgent"),
        ("about page", "The photo looks stretched. Not urgent at all.", "not_urgent"),
        ("エラーページ", "404エラーページのデザインもお願いできますか。", "about_errors"),
        ("Re: 初稿", "3ページ目のリンクが機能していません。", "draft_review"),
        ("Re: newsletter draft", "The second link is broken.", "draft_review"),
    ],
)
def test_counter_signals_take_the_alarm_out(
    rules: IncidentRules, subject: str, text: str, counter: str
) -> None:
    result = score_incident(subject, text, rules)
    assert counter in {s.name for s in result.signals}
    assert not result.opens


def test_each_signal_counts_once_and_the_subject_weighs_more(rules: IncidentRules) -> None:
    body = score_incident("", "メールが届きません。メールが届きません。", rules)
    assert body.score == 4
    subject = score_incident("メールが届きません", "", rules)
    assert subject.score == 4 * rules.subject_weight
    assert subject.signals[0].where == "subject"


def test_counter_signals_are_not_multiplied_by_the_subject_weight(rules: IncidentRules) -> None:
    signals = score_incident("急ぎではありません", "", rules).signals
    assert [(s.name, s.weight, s.where) for s in signals] == [("not_urgent", -4, "subject")]


def test_signals_are_kept_as_name_evidence_weight_and_add_up_to_the_score(
    rules: IncidentRules,
) -> None:
    result = score_incident("【至急】本番サイト", "お客様がログインできません。", rules)
    decoded = [decode_signal(k) for k in result.keywords]
    assert ("failure:ログイン", 4.0) in decoded
    assert sum(weight for _, weight in filter(None, decoded)) == pytest.approx(result.score)


def test_a_bare_keyword_stored_before_signals_decodes_to_nothing() -> None:
    assert decode_signal("障害") is None
    assert decode_signal("failure:届く=x") is None


def test_hostile_text_scores_without_raising(rules: IncidentRules) -> None:
    texts = ["\x00\ufffd" * 5000, "障" * 60_000, "\u202e" + "届かない" * 3000, "=" * 70_000]
    for text in texts:
        score_incident(text[:200], text, rules)


def test_only_the_start_of_a_long_text_is_read(rules: IncidentRules) -> None:
    filler = "ご確認をお願いいたします。" * (MAX_TEXT_CHARS // 13 + 1)
    assert score_incident("", "メールが届きません。" + filler, rules).opens
    assert not score_incident("", filler + "メールが届きません。", rules).signals


def test_a_request_to_fix_is_not_a_resolution(rules: IncidentRules) -> None:
    result = score_incident("URGENT", "Customers are emailing us. Please fix now.", rules)
    assert "resolved" not in {s.name for s in result.signals}


# --- shapes from the blind1 round (sentences written for these tests, not the corpus's) ---


@pytest.mark.parametrize(
    ("text", "signal"),
    [
        # a thing that is not there is no action that fails
        ("今月の予約はありません。", "failure"),
        # a past verb describing a noun is no statement that something is solved
        ("先週届いた請求書について質問があります。", "resolved"),
        # 〜ではなく denies the phrase before it
        ("障害ではなく、仕様の確認です。", "outage"),
        # the subject of the clause, not only the word before the verb, gives the sense
        ("今月は売上が昨年の半分ほどまで落ちています。", "breakage"),
        ("障害のある方向けの案内ページを作りたいです。", "outage"),
        ("Sorry to sound like a broken record, but can the banner be blue?", "breakage"),
        ("The menu looks a bit broken up on the second option.", "breakage"),
        # a spaced dash ends the clause of the negation
        ("Not important - opening times can change next week.", "failure"),
        # the negation belongs to the verb of knowing
        ("I didn't know it could send receipts automatically.", "failure"),
        ("Enquiries are down to a handful this month.", "breakage"),
        ("Can you show the prices in euros instead of pounds?", "wrong_data"),
        # a specification, not a report
        ("予約フォームで同じ枠に予約が重ならないようにしたいです。", "duplicated"),
        ("Could we make member names visible on the team page?", "exposure"),
    ],
)
def test_other_senses_idioms_and_denials_do_not_fire(
    rules: IncidentRules, text: str, signal: str
) -> None:
    assert signal not in fired(rules, text)


@pytest.mark.parametrize(
    ("text", "signal", "evidence"),
    [
        ("注文確認メールが来ないとお客様から言われました。", "failure", "来る"),
        ("None of the form messages have landed in our inbox since Friday.", "failure", "land"),
        ("We lost three orders this morning.", "breakage", "lose"),
        ("メールの本文に、他人の住所が載っていました。", "exposure", "住所+他人"),
        ("Our customers' invoices are visible on Google.", "exposure", "invoice+visible"),
        ("同じ注文が二重に登録されています。", "duplicated", "注文+二重"),
        ("Every booking shows up twice in the calendar.", "duplicated", "booking+twice"),
        ("Google lists dozens of 404s on our old blog links.", "http_error", "404s"),
        ("リンクをクリックすると404です。", "http_error", "404です"),
        ("The price list says 12% but it's actually 21%.", "wrong_data", "it actually"),
        ("請求書の金額がお見積りと違っています。", "not_as_agreed", "見積りと違"),
    ],
)
def test_the_shapes_added_in_the_blind1_round(
    rules: IncidentRules, text: str, signal: str, evidence: str
) -> None:
    assert fired(rules, text)[signal] == evidence


def test_what_went_out_is_no_draft_under_review(rules: IncidentRules) -> None:
    text = "The proof we approved went out to 800 subscribers with the wrong date on it."
    signals = fired(rules, text)
    assert "published" in signals and "draft_review" not in signals
    assert score_incident("Newsletter date", text, rules).opens
    assert "draft_review" in fired(rules, "The proof has the wrong date on it.")


def test_a_commission_to_write_about_failures_names_them_as_its_topic(rules: IncidentRules) -> None:
    text = (
        "For the blog, could you write up an article idea: hacked sites, broken forms and "
        "outages? Around 800 words."
    )
    result = score_incident("Blog post", text, rules)
    names = {s.name for s in result.signals}
    assert "writing_job" in names and not names & {"outage", "breakage", "damage"}
    assert not result.opens


@pytest.mark.parametrize(
    ("subject", "text"),
    [
        (
            "Re: Site down",
            "No action needed: the site came back by itself and has been up since 9.",
        ),
        ("サーバーの件", "サーバーの件、こちらで直しましたので特に対応は不要です。"),
    ],
)
def test_nothing_to_do_takes_the_alarm_out(rules: IncidentRules, subject: str, text: str) -> None:
    assert not score_incident(subject, text, rules).opens


def test_a_rule_file_may_cancel_and_except_for_any_kind(tmp_path: Path) -> None:
    (tmp_path / "incident.toml").write_text(
        "threshold = 3\nsubject_weight = 1\n"
        '[[signal]]\nname = "down"\nkind = "words"\nweight = 4\nwhy = "w"\nen = ["down"]\n'
        'except_en = ["down payment"]\n'
        '[[signal]]\nname = "plan"\nkind = "words"\nweight = -1\nwhy = "p"\nen = ["plan"]\n'
        'cancels = ["down"]\n'
        + "[reports]"
        + (Path(__file__).parents[2] / "rules" / "incident.toml")
        .read_text(encoding="utf-8")
        .split("\n[reports]", 1)[1],
        encoding="utf-8",
    )
    own = load_rules(tmp_path).incident
    assert score_incident("", "The site is down.", own).opens
    assert not score_incident("", "The down payment is due.", own).opens
    assert not score_incident("", "The site is down, as the plan said.", own).opens


# The blind2 round's shapes, in sentences of their own (not the corpus's).
@pytest.mark.parametrize(
    ("subject", "text"),
    [
        ("Training", "Could you give our intern a crash course on the booking system?"),
        ("Video notes", "Love the crash zoom at 0:10. The glitch effect at 0:40 feels broken."),
        ("Layouts", "The broken grid layout is bold; we like it."),
        (
            "A question",
            "If our server goes down at night, who fixes it? If we got hacked, what then?",
        ),
        ("Security?", "Should we be worried about hacking? Everything is running fine."),
        ("Test order", "I placed an order on purpose to test it; no need to do anything."),
        ("Oops (all sorted)", "I deleted the FAQ page by accident, then restored it."),
        ("Re: URGENT checkout is down", "All fine since your fix, thanks! Could you add a page?"),
        ("Staging", "On the staging site the contact link goes to a blank page, and a typo."),
        ("New site", "Online ordering would be nice but not essential at launch."),
        (
            "デザイン案",
            "デザイン初稿、拝見しました。壊れたような加工は狙い通りで、エラー画面っぽい配色も好きです。",
        ),
        ("発表", "前回は頭が真っ白になってしまったので、今回は台本もお願いしたいです。"),
        (
            "動画",
            "落ち着いた雰囲気でお願いしていた動画です。次回の打ち合わせ日程をご相談させてください。",
        ),
        (
            "障害について（ご報告のみ）",
            "昨夜の障害は復旧したとのことで、今朝は通常どおり表示されています。念のため共有します。",
        ),
    ],
)
def test_idioms_questions_and_things_over_open_nothing(
    rules: IncidentRules, subject: str, text: str
) -> None:
    assert not score_incident(subject, text, rules).opens, fired(rules, text, subject)


@pytest.mark.parametrize(
    ("subject", "text"),
    [
        ("画像", "商品の写真が一枚も出なくなっています。"),
        (
            "ページが見つかりません",
            "チラシのQRコードから開くと「ページが見つかりません（４０４）」と出ます。",
        ),
        (
            "ご請求について",
            "お見積りでは30万円でしたが、請求書では42万円となっており、差額の理由を教えてください。",
        ),
        (
            "至急",
            "URLを変えると他の人の住所が表示されてしまいます。個人情報の流出ではないでしょうか。",
        ),
        (
            "配信について",
            "何名に届いたのか確認したいのですが、退会した方にまで届いており、苦情が来ています。",
        ),
        ("Newsletter", "Our customers received yesterday's newsletter twice and some are angry."),
        (
            "Vanished from Google",
            "We no longer show up on Google; a noindex tag was left on from the staging site.",
        ),
    ],
)
def test_the_blind2_misses_are_read(rules: IncidentRules, subject: str, text: str) -> None:
    assert score_incident(subject, text, rules).opens, fired(rules, text, subject)


def test_a_voided_signal_voids_nothing(rules: IncidentRules) -> None:
    # published voids draft_review, so draft_review's own cancels do not apply.
    text = "The proof went out to 5,000 homes and the phone number is wrong."
    assert "wrong_data" in fired(rules, text)
    assert "draft_review" not in fired(rules, text)


def test_a_reply_subject_counts_once() -> None:
    rules = load_rules(None).incident
    new = score_incident("Site down", "Hi.", rules)
    reply = score_incident("Re: Site down", "Hi.", rules)
    assert new.score > reply.score > 0

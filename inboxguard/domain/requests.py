"""What I ask the client for in my own message (SPEC §5 ``awaiting``, §6 requests).

A request makes the thread the counterpart's move (相手ボール): past its date, one polite
follow-up is owed. Two kinds, and a dated one wins:

- **A dated ask**: a deadline, read by the same reader as promises
  (``promises.read_deadlines``: dates, weekdays, 営業日, 今週中, times, the 200-day limit,
  nothing for ambiguous hours or past dates), in a sentence that asks the reader to meet
  it: 「ロゴのデータを11月16日(月)までにいただけますと幸いです」, 「25日までにご返信ください」,
  "could you send the files by Friday", "please confirm by Nov 25". Among several, the
  earliest due. Due as for promises: the time given, else the end of that business day.
- **A question**: the last sentence of my new text (quotes, history, closing lines and the
  signature left out) asks the reader something and ends in ？ or ?. It has no date: its
  clock (``sla.follow_up_after``) is decided at evaluation. A rhetorical or self-question
  (「どうしようかな？」, "who knows?", "…, right?") and a quoted one (「…ですか？」と) do not
  count.

``what`` names what was asked for, to quote in the follow-up; it is a piece of the sentence
(NFKC), never made up, at most 60 characters, and "" when it is not clear:

- ja: the noun phrase before the を that the ask governs, kept whole with its honorific
  verbal noun (「修正案のご確認を」 gives 「修正案のご確認」, which reads right in
  「修正案のご確認の件」); when that is only a bare verbal noun (「ご返信を」) and the sentence
  names a topic (「見積の件」, 「デザイン案について」), the topic.
- en: the object of the verb asked for ("send me the files by Friday" gives "the files");
  nothing for a pronoun ("send it") or a verb without one ("confirm by Friday").
"""

from __future__ import annotations

import re
from datetime import datetime

from inboxguard.domain.calendar import BusinessCalendar
from inboxguard.domain.promises import Sentence, own_lines, read_deadlines, sentences_of
from inboxguard.domain.tracked import Request

MAX_WHAT_CHARS = 60


def find_request(text: str, sent_at: datetime, calendar: BusinessCalendar) -> Request | None:
    """What ``text`` (my message, sent at ``sent_at``) asks the reader for, if anything."""
    for deadline in read_deadlines(text, sent_at, calendar):  # earliest due first
        if deadline.asked:
            return Request(
                phrase=deadline.sentence.raw,
                what=_what(deadline.sentence),
                date=deadline.date,
                due_at=deadline.due_at,
            )
    question = _question(text)
    if question is None:
        return None
    return Request(phrase=question.raw, what=_what(question))


def asks_question(text: str) -> str | None:
    """The last sentence of my new text when it is a question to the reader, as written."""
    question = _question(text)
    return question.raw if question is not None else None


# -- the closing question ---------------------------------------------------------------

_CLOSING = re.compile(
    r"^(?:(?:何卒|なにとぞ|引き続き|今後とも|どうぞ|どうか|改めまして|重ねて|ご確認の程|"
    r"ご検討の程)?\s*(?:よろしく|宜しく)|以上(?:です|となります|[、。]|\s*$)|取り急ぎ|敬具|草々|"
    r"(?:best|kind|warm|warmest)?\s*regards\b|best\b|many thanks|thanks|thank you|cheers|"
    r"sincerely|yours|all the best|talk soon|have a (?:nice|good|great)|br\b)",
    re.IGNORECASE,
)
# Contact details and company names, in a line that is no sentence (a sentence ends in a
# stop: "The mobile layout looks off." is content, "Mobile: 090-…" is not).
_SIGNATURE_MARK = re.compile(
    r"^(?:TEL|FAX|Mobile|Phone|E-?mail|URL|Web|携帯|電話)\b|https?://|〒|株式会社|㈱|有限会社"
    r"|合同会社|\S@\S|\d{2,4}-\d{2,4}-\d{3,4}|^[\s━─\-=＝*＊※_＿~〜～+]{6,}$",
    re.IGNORECASE,
)
_COMPANY_SUFFIX = re.compile(r"\b(?:inc|ltd|co|corp|llc)\.", re.IGNORECASE)
_ENDS_SENTENCE = re.compile(r"[。.!！]$")
_SENTENCE_MARK = re.compile(r"[。、．，.,!?！？…:：]")
_HIRAGANA_END = re.compile(r"[\u3041-\u309f]$")
_ASKED = re.compile(r"[?？]$")
# 「どうしようかな？」「なぜでしょう？」「〜のではないでしょうか？」: thinking aloud, or an
# opinion put softly, not something the reader must answer.
_JA_NOT_ASKING = re.compile(
    r"(?:かな|かしら|だろうか|だろう|でしょうかね|のではないでしょうか|んじゃないでしょうか"
    r"|じゃないですか|なぜでしょう(?:か)?|どうしてでしょう(?:か)?|なんでだろう|でしょうね)\?+$"
)
_EN_NOT_ASKING = re.compile(
    r"^(?:who knows|why not|guess what|go figure|what (?:could go wrong|else is new|can i say"
    r"|was i thinking)|how (?:cool|great|nice|amazing) is that|how about that)\b"
    r"|,? (?:right|isn['’]t it|aren['’]t they|doesn['’]t it|don['’]t you think"
    r"|wouldn['’]t you say|you know)\?+$"
    r"|^i (?:wonder|was wondering|ask myself)\b(?!.*\byou\b)"
)
# A question inside quotation marks is someone's words reported, not mine to the reader.
_QUOTED_QUESTION = re.compile(r"\?+[\"'’”」』]$")


def _question(text: str) -> Sentence | None:
    lines = _without_closing(own_lines(text))
    paragraph: list[str] = []
    for line in reversed(lines):
        if not line:
            break
        paragraph.insert(0, line)
    found = sentences_of(paragraph) if paragraph else []
    if not found:
        return None
    last = found[-1]
    plain = last.normalised
    if _QUOTED_QUESTION.search(plain) or not _ASKED.search(plain):
        return None
    if _JA_NOT_ASKING.search(plain) or _EN_NOT_ASKING.search(plain):
        return None
    return last


def _without_closing(lines: list[str]) -> list[str]:
    """``lines`` without the closing words, name and contact block after the last content
    line (「よろしくお願いいたします。」, "Thanks,", 「山田 花子」, "TEL 03-…")."""
    end = len(lines)
    while end > 0:
        line = lines[end - 1]
        bare = _COMPANY_SUFFIX.sub("", line)  # "Studio Sample Inc." ends no sentence
        if line and _ASKED.search(line):
            break  # a line that asks is content, whatever it begins with
        signature = not _ENDS_SENTENCE.search(bare) and (
            _SIGNATURE_MARK.search(bare) is not None or _is_name(bare)
        )
        if not line or signature or _CLOSING.match(line):
            end -= 1
            continue
        break
    return lines[:end]


def _is_name(line: str) -> bool:
    """A short line with no sentence in it: a name, a title, a company."""
    return (
        len(line) <= 20
        and len(line.split()) <= 3
        and not _SENTENCE_MARK.search(line)
        and not _HIRAGANA_END.search(line)
    )


# -- what was asked for -----------------------------------------------------------------


def _what(sentence: Sentence) -> str:
    found = _ja_what(sentence.text) or _en_what(sentence.text)
    return found if len(found) <= MAX_WHAT_CHARS else ""


_JA_ASK_VERB = re.compile(r"いただ|頂|くださ|下さ|お願い|願い|頂戴|賜|もらえ|貰え|ほし|欲し")
_JA_TOPIC = re.compile(r"の件|について|につきまして|に関して|に関しまして")
_BARE_VERBAL_NOUN = re.compile(r"^[ごお御][\u4e00-\u9fff]{1,3}$")
# Okurigana that stay inside a noun (見積もり, お問い合わせ, 支払い, 差し替え); not the
# particles に/で/と/は/が/を and not verb endings (た, る, て), which end the phrase.
_OKURIGANA = frozenset("いきしちみりえけせわもげじび")
_NOUN_SYMBOLS = frozenset("・ー々〆-_./&+#")


def _ja_what(text: str) -> str:
    asks = [m.start() for m in _JA_ASK_VERB.finditer(text)]
    if not asks:
        return ""
    limit = asks[-1]
    objects = [m.start() for m in re.finditer("を", text[:limit])]
    obj = _noun_before(text, objects[-1]) if objects else ""
    topics = [_noun_before(text, m.start()) for m in _JA_TOPIC.finditer(text[:limit])]
    topic = next((t for t in topics if t), "")
    if topic and (not obj or _BARE_VERBAL_NOUN.match(obj)):
        return topic
    return obj


def _noun_before(text: str, end: int) -> str:
    """The noun phrase that ends at ``text[end]``: kanji, katakana and Latin letters joined
    by の, with an honorific お/ご and okurigana; a 「quoted name」 whole."""
    if end > 0 and text[end - 1] in "」』":
        opener = text.rfind("「" if text[end - 1] == "」" else "『", 0, end - 1)
        return text[opener:end] if opener >= 0 else ""
    start = end
    while start > 0 and _in_noun(text, start - 1):
        start -= 1
    return text[start:end].lstrip("の・-_./&+#")


def _in_noun(text: str, index: int) -> bool:
    char = text[index]
    if _is_word_char(char) or char in _NOUN_SYMBOLS:
        return True
    before = text[index - 1] if index > 0 else ""
    after = text[index + 1] if index + 1 < len(text) else ""
    if char == "の":  # 「ロゴのデータ」「修正案のご確認」
        after_next = text[index + 2] if index + 2 < len(text) else ""
        honorific = after in "おご御" and _is_word_char(after_next)
        return _is_word_char(before) and (_is_word_char(after) or honorific)
    if char in "おご御":
        return _is_kanji(after) or _is_katakana(after)
    if char in _OKURIGANA:
        two_back = text[index - 2] if index > 1 else ""
        return _is_kanji(before) or (before in _OKURIGANA and _is_kanji(two_back))
    return False


def _is_word_char(char: str) -> bool:
    return bool(char) and (
        _is_kanji(char) or _is_katakana(char) or (char.isascii() and char.isalnum())
    )


def _is_kanji(char: str) -> bool:
    return bool(char) and ("\u4e00" <= char <= "\u9fff" or char in "々〆")


def _is_katakana(char: str) -> bool:
    return bool(char) and "\u30a1" <= char <= "\u30ff"


# en: the object after the verb asked for, up to the deadline or the end of the clause.
_EN_ASKING = (
    r"(?:(?:could|can|would|will) you|please|kindly|if you (?:could|can|would)"
    r"|(?:i|we) need you to|are you able to|would you mind|do you think you could"
    r"|make sure to)(?: (?:please|kindly|also|possibly|just|quickly|then))*"
)
_EN_OBJECT_PATTERNS = (
    re.compile(rf"\b{_EN_ASKING} (?:have|take) a (?:quick )?look (?:at|over) (?P<object>.+)", re.I),
    re.compile(r"\blet (?:me|us) know (?:about |of )?(?P<object>.+)", re.I),
    re.compile(
        r"\b(?:i|we)(?:['’]d| would) (?:appreciate|be grateful for|welcome) (?P<object>.+)",
        re.I,
    ),
    re.compile(r"\bi look forward to (?:receiving |seeing |getting )?(?P<object>.+)", re.I),
    re.compile(
        rf"\b{_EN_ASKING} (?!let\b|be\b)[a-z]+(?: (?:me|us|over|back|along|across))*"
        r" (?P<object>.+)",
        re.I,
    ),
)
_EN_OBJECT_END = re.compile(
    r"\s*(?:[,;:.!?()]|\b(?:by|no later than|before|until|when|if|so|as soon|asap|at your"
    r"|at the latest|today|tomorrow|this|next|to (?:me|us)|for (?:me|us)|with (?:me|us))\b)",
    re.I,
)
_EN_NOT_AN_OBJECT = re.compile(
    r"^(?:to|with|on|about|in|for|from|at|back|up|out|me|us|it|this|that|them|these|those"
    r"|whether|if|what|when|how|why|where|who|which|and|or|a look|know|yourself|anything"
    r"|something|everything)\b",
    re.I,
)
_EN_MAX_OBJECT_WORDS = 8


def _en_what(text: str) -> str:
    for pattern in _EN_OBJECT_PATTERNS:
        match = pattern.search(text)
        if match is None:
            continue
        candidate = match["object"]
        cut = _EN_OBJECT_END.search(candidate)
        candidate = (candidate[: cut.start()] if cut else candidate).strip()
        if candidate and not _EN_NOT_AN_OBJECT.match(candidate):
            return candidate if len(candidate.split()) <= _EN_MAX_OBJECT_WORDS else ""
        return ""
    return ""

"""The holding-reply draft: wording, threading headers, and no way for mail to inject headers."""

from __future__ import annotations

import email.policy
import re
from dataclasses import replace
from datetime import UTC, date, datetime
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from inboxguard.domain.draft_ids import draft_message_id
from inboxguard.domain.message import Address, Message
from inboxguard.drafting.dates import format_promise_date
from inboxguard.drafting.reply_draft import (
    MAX_REFERENCES,
    DraftError,
    ReplyDraftInput,
    as_bytes,
    build_holding_reply,
    header_text,
    reference_chain,
    to_bytes,
)
from inboxguard.drafting.templates import TemplateRenderer, text_renderer

TOKYO = ZoneInfo("Asia/Tokyo")
NOW = datetime(2026, 11, 21, 2, 0, tzinfo=TOKYO)
RECEIVED = datetime(2026, 11, 20, 10, 0, tzinfo=TOKYO)
PROMISED = date(2026, 11, 25)
ORIGINAL_ID = "<orig-1@client.example>"
DRAFT_ID = draft_message_id("work", "thread-1", RECEIVED, "holding")

# Exactly the headers a holding draft carries; anything else on reparse is an injection.
EXPECTED_HEADERS = {
    "from",
    "to",
    "subject",
    "date",
    "message-id",
    "in-reply-to",
    "references",
    "x-inboxguard-purpose",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
}

ORIGINAL = Message(
    message_id=ORIGINAL_ID,
    subject="見積のご相談",
    sender=Address("山田太郎", "taro@client.example"),
    to=(Address("佐藤 花子", "hanako@example.jp"),),
    date=RECEIVED,
    in_reply_to=("<mid@example.jp>",),
    references=("<root@client.example>", "<mid@example.jp>"),
    text="佐藤様\r\n\r\nお世話になっております。\r\n見積をお願いできますでしょうか。\r\n\r\n山田\r\n",
)


def make_input(**changes: Any) -> ReplyDraftInput:
    base = ReplyDraftInput(
        original=ORIGINAL,
        counterpart=ORIGINAL.sender,
        counterpart_display_name="山田太郎",
        company=None,
        owner_name="佐藤 花子",
        owner_address="hanako@example.jp",
        signature="--\n佐藤 花子\nhanako@example.jp",
        language="ja",
        promised_date=PROMISED,
        message_id=DRAFT_ID,
        now=NOW,
        tz=TOKYO,
        original_received=RECEIVED,
    )
    return replace(base, **changes)


@pytest.fixture(scope="module")
def templates() -> TemplateRenderer:
    return text_renderer()


def reparse(msg: EmailMessage, *, crlf: bool = True) -> EmailMessage:
    parsed = BytesParser(policy=email.policy.default).parsebytes(to_bytes(msg, crlf=crlf))
    assert isinstance(parsed, EmailMessage)
    return parsed


def body_of(msg: EmailMessage, *, crlf: bool = False) -> str:
    # Reading the LF (Maildir) form: a parser keeps a CRLF source's line endings in
    # quoted-printable text, which is transport detail, not wording.
    part = reparse(msg, crlf=crlf).get_body(("plain",))
    assert part is not None
    content = part.get_content()
    assert isinstance(content, str)
    return content


# --- wording ---------------------------------------------------------------------------------


def test_japanese_reply_is_business_keigo_with_the_promised_date(
    templates: TemplateRenderer,
) -> None:
    body = body_of(build_holding_reply(make_input(), templates))
    promised = format_promise_date(PROMISED, "ja")
    assert promised == "11月25日(水)"  # 2026-11-25 is a Wednesday
    lines = body.splitlines()
    assert lines[0] == "山田太郎様"
    for phrase in (
        "いつもお世話になっております。佐藤 花子です。",
        "ご連絡いただきありがとうございます。",
        "お問い合わせの件、確認しております。",
        f"内容を確認のうえ、{promised}までに回答いたします。",
        "お待たせしてしまい恐縮ですが",
        "引き続きどうぞよろしくお願いいたします。",
        "--\n佐藤 花子\nhanako@example.jp",
    ):
        assert phrase in body


def test_company_line_comes_above_the_name(templates: TemplateRenderer) -> None:
    body = body_of(build_holding_reply(make_input(company="株式会社クライアント"), templates))
    assert body.splitlines()[:2] == ["株式会社クライアント", "山田太郎様"]


def test_english_reply_promises_the_date_in_words(templates: TemplateRenderer) -> None:
    inp = make_input(
        language="en",
        counterpart=Address("Taro Yamada", "taro@client.example"),
        counterpart_display_name="Taro Yamada",
        original=replace(ORIGINAL, sender=Address("Taro Yamada", "taro@client.example")),
        owner_name="Hanako Sato",
        signature="Hanako Sato\nhanako@example.jp",
    )
    body = body_of(build_holding_reply(inp, templates))
    assert body.startswith("Hi Taro Yamada,\n")
    assert "I'll answer by Wednesday, November 25." in body
    assert "Best regards,\nHanako Sato\nhanako@example.jp\n" in body
    assert "On Fri, Nov 20, 2026 at 10:00, Taro Yamada <taro@client.example> wrote:\n" in body


def test_japanese_attribution_line_then_every_original_line_quoted(
    templates: TemplateRenderer,
) -> None:
    body = body_of(build_holding_reply(make_input(), templates))
    head, _, quoted = body.partition("2026年11月20日(金) 10:00 山田太郎 <taro@client.example>:\n")
    assert quoted, body
    assert "山田太郎様" in head
    assert quoted.splitlines() == [
        "> 佐藤様",
        ">",
        "> お世話になっております。",
        "> 見積をお願いできますでしょうか。",
        ">",
        "> 山田",
    ]


def test_attribution_time_is_shown_in_the_owners_zone(templates: TemplateRenderer) -> None:
    inp = make_input(original_received=datetime(2026, 11, 20, 1, 0, tzinfo=UTC))
    body = body_of(build_holding_reply(inp, templates))
    assert "2026年11月20日(金) 10:00 山田太郎" in body


def test_truncated_original_says_so_in_the_quote(templates: TemplateRenderer) -> None:
    original = replace(ORIGINAL, text="first part", text_truncated=True)
    body = body_of(build_holding_reply(make_input(original=original), templates))
    assert body.rstrip("\n").endswith("> first part\n> […]")


@pytest.mark.parametrize(
    ("honorific", "display", "expected"),
    [
        ("山田様", "山田太郎", "山田様"),  # already honorific: no 様様
        ("", "山田太郎", "山田太郎様"),
        ("", "", "taro様"),
        ("山田\r\n> 偽の引用", "", "山田 > 偽の引用様"),  # one line, whatever the name holds
    ],
)
def test_addressee_falls_back_from_honorific_to_display_name_to_local_part(
    templates: TemplateRenderer, honorific: str, display: str, expected: str
) -> None:
    inp = make_input(
        counterpart_display_name=honorific,
        counterpart=Address(display, "taro@client.example"),
    )
    assert body_of(build_holding_reply(inp, templates)).splitlines()[0] == expected


def test_empty_signature_falls_back_to_the_owner_name(templates: TemplateRenderer) -> None:
    body = body_of(build_holding_reply(make_input(signature=""), templates))
    assert "引き続きどうぞよろしくお願いいたします。\n\n佐藤 花子\n" in body


@pytest.mark.parametrize("language", ["ja", "en"])
def test_promise_detector_reads_the_promised_date_back_from_the_draft(
    templates: TemplateRenderer, language: str
) -> None:
    # SPEC §6: the holding reply's own wording must count as a promise once it is sent.
    from inboxguard.domain.calendar import BusinessCalendar
    from inboxguard.domain.promises import find_promises

    calendar = BusinessCalendar.from_settings(
        timezone="Asia/Tokyo",
        workdays=["mon", "tue", "wed", "thu", "fri"],
        business_hours="09:00-18:00",
        holidays="",
    )
    body = body_of(build_holding_reply(make_input(language=language), templates))
    assert [p.date for p in find_promises(body, NOW, calendar)] == [PROMISED]


def test_owner_template_override_is_used_for_the_body(tmp_path: Path) -> None:
    (tmp_path / "holding_reply.ja.txt.j2").write_text(
        "{{ counterpart_name }}様\n{{ promised_date }}までにご連絡します。\n", encoding="utf-8"
    )
    body = body_of(build_holding_reply(make_input(), text_renderer(tmp_path)))
    assert body == "山田太郎様\n11月25日(水)までにご連絡します。\n"


# --- headers ---------------------------------------------------------------------------------


def test_headers_of_a_holding_draft(templates: TemplateRenderer) -> None:
    parsed = reparse(build_holding_reply(make_input(), templates))
    assert {name.lower() for name in parsed} == EXPECTED_HEADERS
    assert len(parsed.keys()) == len(EXPECTED_HEADERS)
    assert parsed["From"].addresses[0].display_name == "佐藤 花子"
    assert parsed["From"].addresses[0].addr_spec == "hanako@example.jp"
    assert parsed["To"].addresses[0].display_name == "山田太郎"
    assert parsed["To"].addresses[0].addr_spec == "taro@client.example"
    assert parsed["Subject"] == "Re: 見積のご相談"
    assert parsed["Date"].datetime == NOW
    assert parsed["Date"] == "Sat, 21 Nov 2026 02:00:00 +0900"
    assert parsed["Message-ID"] == DRAFT_ID
    assert parsed["In-Reply-To"] == ORIGINAL_ID
    assert parsed["References"] == f"<root@client.example> <mid@example.jp> {ORIGINAL_ID}"
    assert parsed["X-InboxGuard-Purpose"] == "holding"
    assert parsed["MIME-Version"] == "1.0"
    assert parsed.get_content_type() == "text/plain"
    assert parsed.get_content_charset() == "utf-8"


def test_serialised_draft_is_7bit_clean_with_one_kind_of_line_ending(
    templates: TemplateRenderer,
) -> None:
    msg = build_holding_reply(make_input(), templates)
    crlf = to_bytes(msg, crlf=True)
    lf = as_bytes(msg)
    assert crlf.isascii() and lf.isascii()
    assert b"\r" not in lf
    assert crlf.count(b"\n") == crlf.count(b"\r\n") and crlf.count(b"\r") == crlf.count(b"\r\n")
    assert crlf.replace(b"\r\n", b"\n") == lf
    assert b"\0" not in crlf
    assert body_of(msg, crlf=True).replace("\r\n", "\n") == body_of(msg)


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Re: 見積", "Re: 見積"),
        ("RE: quote", "Re: quote"),
        ("返信: 見積", "Re: 見積"),
        ("Fwd: 見積", "Re: 見積"),
        ("見積", "Re: 見積"),
    ],
)
def test_subject_never_doubles_the_reply_prefix(
    templates: TemplateRenderer, subject: str, expected: str
) -> None:
    original = replace(ORIGINAL, subject=subject)
    parsed = reparse(build_holding_reply(make_input(original=original), templates))
    assert parsed["Subject"] == expected
    assert not re.match(r"(?i)re:\s*re:", str(parsed["Subject"]))


def test_parent_moves_to_the_end_of_references_and_duplicates_go() -> None:
    original = replace(
        ORIGINAL,
        references=("<root@x>", ORIGINAL_ID, "<a@x>", "<root@x>", "<b@x>"),
    )
    assert reference_chain(original) == ("<root@x>", "<a@x>", "<b@x>", ORIGINAL_ID)


def test_long_reference_chain_keeps_the_root_and_the_most_recent_ids() -> None:
    chain = tuple(f"<m{i}@x>" for i in range(50))
    original = replace(ORIGINAL, references=chain)
    result = reference_chain(original)
    assert len(result) == MAX_REFERENCES
    assert result[0] == "<m0@x>"
    assert result[-1] == ORIGINAL_ID
    assert result[1:-1] == chain[-(MAX_REFERENCES - 2) :]


def test_parent_without_references_contributes_its_in_reply_to() -> None:
    original = replace(ORIGINAL, references=(), in_reply_to=("<grandparent@x>",))
    assert reference_chain(original) == ("<grandparent@x>", ORIGINAL_ID)


def test_unusable_ids_are_dropped_from_references() -> None:
    original = replace(
        ORIGINAL,
        references=("<ok@x>", "<has space@x>", "", "<=?utf-8?q?x?=@x>", "bare@x", "<a<b@x>"),
    )
    assert reference_chain(original) == ("<ok@x>", "<bare@x>", ORIGINAL_ID)


def test_synthesised_original_id_is_not_replied_to(templates: TemplateRenderer) -> None:
    original = replace(
        ORIGINAL,
        message_id="<0123abcd@inboxguard.invalid>",
        message_id_synthesized=True,
        references=(),
        in_reply_to=(),
    )
    parsed = reparse(build_holding_reply(make_input(original=original), templates))
    assert "In-Reply-To" not in parsed
    assert "References" not in parsed
    assert parsed["Message-ID"] == DRAFT_ID


def test_long_outlook_ids_are_folded_between_ids_never_encoded(
    templates: TemplateRenderer,
) -> None:
    long_ids = tuple(
        f"<TYAPR01MB6330A8F8C0E9B8E4C6D2B7F2D5B1{i}@TYAPR01MB6330.jpnprd01.prod.outlook.com>"
        for i in range(3)
    )
    original = replace(ORIGINAL, message_id=long_ids[-1], references=long_ids[:-1])
    raw = to_bytes(build_holding_reply(make_input(original=original), templates), crlf=True)
    head = raw.split(b"\r\n\r\n")[0].decode("ascii")
    id_headers = re.findall(
        r"^(?:In-Reply-To|References):[^\r]*(?:\r\n [^\r]*)*", head, re.MULTILINE
    )
    assert len(id_headers) == 2
    assert all("=?" not in header for header in id_headers)
    # Each id too long to share a 78-column line gets a line of its own, unbroken.
    assert id_headers[0].split("\r\n") == [f"In-Reply-To: {long_ids[2]}"]
    assert id_headers[1].split("\r\n") == [f"References: {long_ids[0]}"] + [
        f" {msg_id}" for msg_id in long_ids[1:]
    ]
    parsed = BytesParser(policy=email.policy.default).parsebytes(raw)
    assert parsed["In-Reply-To"] == long_ids[-1]
    assert parsed["References"] == " ".join(long_ids)
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))


# --- hostile input ---------------------------------------------------------------------------

HOSTILE = [
    "見積\r\nBcc: victim@evil.example",
    "quote\nBcc: victim@evil.example",
    "quote\rBcc: victim@evil.example",
    "quote\r\n\r\nbody injection",
    "nul\0byte",
    "=?utf-8?q?a=0D=0ABcc:_victim@evil.example?=",
    "x =?utf-8?b?DQpCY2M6IHZpY3RpbUBldmlsLmV4YW1wbGU=?= y",
    "line\u2028Bcc: victim@evil.example",
    "nel\x85Bcc: victim@evil.example",
    "山田\r\n 太郎",
    "見積" * 3000,
    "A" * 5000,
    '"quoted" <fake@evil.example>, other@evil.example',
    "\udcff\udcfe undecodable",
]


def assert_exact_headers(msg: EmailMessage) -> EmailMessage:
    raw = to_bytes(msg, crlf=True)
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert all(len(line) <= 998 for line in head.split(b"\r\n"))
    parsed = BytesParser(policy=email.policy.default).parsebytes(raw)
    assert isinstance(parsed, EmailMessage)
    names = [name.lower() for name in parsed]
    assert sorted(names) == sorted(EXPECTED_HEADERS)
    for name, value in parsed.items():
        assert not re.search(r"[\x00-\x1f\x7f\x85\u2028\u2029]", str(value)), (name, value)
    assert len(parsed["To"].addresses) == 1
    assert parsed["To"].addresses[0].addr_spec == "taro@client.example"
    return parsed


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_subject_cannot_add_headers(templates: TemplateRenderer, hostile: str) -> None:
    original = replace(ORIGINAL, subject=hostile)
    parsed = assert_exact_headers(build_holding_reply(make_input(original=original), templates))
    assert str(parsed["Subject"]).startswith("Re: ")


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_display_names_cannot_add_headers(
    templates: TemplateRenderer, hostile: str
) -> None:
    inp = make_input(
        counterpart=Address(hostile, "taro@client.example"),
        counterpart_display_name=hostile,
        company=hostile,
        owner_name=hostile,
        original=replace(ORIGINAL, sender=Address(hostile, "taro@client.example")),
    )
    assert_exact_headers(build_holding_reply(inp, templates))


def test_hostile_name_cannot_fake_lines_in_the_body(templates: TemplateRenderer) -> None:
    inp = make_input(counterpart_display_name="山田\n\n> 偽の引用\n", company="A\r\nB")
    body = body_of(build_holding_reply(inp, templates))
    assert body.splitlines()[:2] == ["A B", "山田 > 偽の引用様"]


def test_control_characters_in_the_original_text_stay_out_of_the_body(
    templates: TemplateRenderer,
) -> None:
    original = replace(ORIGINAL, text="a\0b\x1bc\r\nd\re\x7f")
    msg = build_holding_reply(make_input(original=original), templates)
    body = body_of(msg)
    assert "> abc\n> d\n> e\n" in body
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", body)


def test_undecodable_bytes_in_the_original_text_become_replacement_characters(
    templates: TemplateRenderer,
) -> None:
    original = replace(ORIGINAL, text="ok \udcff\udcfe end")
    signature = "佐藤\udc80"
    body = body_of(
        build_holding_reply(make_input(original=original, signature=signature), templates)
    )
    assert "> ok \ufffd\ufffd end" in body
    assert "佐藤\ufffd" in body


@pytest.mark.parametrize(
    "address",
    [
        "taro@client.example\r\nBcc: victim@evil.example",
        "taro@client.example, victim@evil.example",
        "Taro <taro@client.example>",
        "not-an-address",
        "taro@",
        "=?utf-8?q?x?=@client.example",
        "山田@client.example",
        "",
    ],
)
def test_unusable_counterpart_address_is_a_draft_error(
    templates: TemplateRenderer, address: str
) -> None:
    with pytest.raises(DraftError, match="counterpart address"):
        build_holding_reply(make_input(counterpart=Address("山田", address)), templates)


def test_internationalised_domain_is_written_as_punycode(templates: TemplateRenderer) -> None:
    inp = make_input(counterpart=Address("山田", "taro@例え.jp"))
    parsed = reparse(build_holding_reply(inp, templates))
    assert parsed["To"].addresses[0].addr_spec == "taro@xn--r8jz45g.jp"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a\r\nb", "a b"),
        ("  many   spaces\t\there ", "many spaces here"),
        ("=?utf-8?q?x?=", "= ?utf-8?q?x?="),
        ("what is x=?", "what is x=?"),
        ("見積\u2029書", "見積 書"),
    ],
)
def test_header_text_is_one_inert_line(value: str, expected: str) -> None:
    assert header_text(value) == expected


def test_input_refuses_naive_times_and_unknown_languages() -> None:
    with pytest.raises(ValueError, match="now must be timezone-aware"):
        make_input(now=datetime(2026, 11, 21, 2, 0))
    with pytest.raises(ValueError, match="language"):
        make_input(language="fr")
    with pytest.raises(ValueError, match="msg-id"):
        make_input(message_id="no-brackets@x")


# --- threading, checked by an independent implementation ------------------------------------

_ID = re.compile(r"<[^<>\s]+>")


def jwz_parents(messages: list[tuple[str, str, str]]) -> dict[str, str | None]:
    """Parent links per JWZ steps 1A-1C, from (Message-ID, References, In-Reply-To) text."""
    parent: dict[str, str | None] = {}

    def is_ancestor(candidate: str, node: str) -> bool:
        seen: set[str] = set()
        current: str | None = node
        while current is not None and current not in seen:
            if current == candidate:
                return True
            seen.add(current)
            current = parent.get(current)
        return False

    for message_id, references, in_reply_to in messages:
        refs = _ID.findall(references)
        reply_to = _ID.findall(in_reply_to)
        if reply_to and (not refs or refs[-1] != reply_to[0]):
            refs.append(reply_to[0])
        previous: str | None = None
        for ref in refs:
            parent.setdefault(ref, None)
            # 1B: link consecutive references unless it would create a loop or re-parent.
            if previous is not None and parent[ref] is None and not is_ancestor(ref, previous):
                parent[ref] = previous
            previous = ref
        # 1C: the message's own parent is its last reference, whatever was there before.
        parent[message_id] = previous if previous != message_id else None
    return parent


def test_draft_threads_under_the_original_for_an_independent_jwz_threader(
    templates: TemplateRenderer,
) -> None:
    draft = reparse(build_holding_reply(make_input(), templates))
    parents = jwz_parents(
        [
            (ORIGINAL_ID, " ".join(ORIGINAL.references), " ".join(ORIGINAL.in_reply_to)),
            (
                str(draft["Message-ID"]),
                str(draft.get("References", "")),
                str(draft.get("In-Reply-To", "")),
            ),
        ]
    )
    assert parents[DRAFT_ID] == ORIGINAL_ID
    assert parents[ORIGINAL_ID] == "<mid@example.jp>"
    assert parents["<mid@example.jp>"] == "<root@client.example>"
    assert parents["<root@client.example>"] is None


def test_draft_threads_when_only_in_reply_to_is_read(templates: TemplateRenderer) -> None:
    # Some clients (and Exchange's conversation fallback) read In-Reply-To alone.
    draft = reparse(build_holding_reply(make_input(), templates))
    parents = jwz_parents([(str(draft["Message-ID"]), "", str(draft["In-Reply-To"]))])
    assert parents[DRAFT_ID] == ORIGINAL_ID

"""Header decoding: encoded-words, addresses, message ids and dates."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta, timezone

import pytest

from inboxguard.domain.message import Address
from inboxguard.parse.addresses import parse_addresses
from inboxguard.parse.encoded_words import decode_header
from inboxguard.parse.header_fields import parse_date, parse_message_id, parse_message_ids


def _b(data: bytes, charset: str) -> str:
    return f"=?{charset}?B?{base64.b64encode(data).decode()}?="


def test_iso2022jp_words_split_mid_character_are_joined_before_decoding() -> None:
    data = "見積書".encode("iso2022_jp")
    raw = " ".join(_b(data[i : i + 4], "ISO-2022-JP") for i in range(0, len(data), 4))
    assert decode_header(raw.encode(), "subject").text == "見積書"


def test_utf8_words_split_mid_character_are_joined_before_decoding() -> None:
    data = "請求".encode()
    raw = f"{_b(data[:2], 'utf-8')}\r\n {_b(data[2:], 'UTF-8')}".replace("\r\n", "")
    assert decode_header(raw.encode(), "subject").text == "請求"


def test_text_between_encoded_words_is_kept_but_whitespace_is_not() -> None:
    raw = f"Re: {_b('見'.encode(), 'utf-8')} {_b('積'.encode(), 'utf-8')} (2)"
    assert decode_header(raw.encode(), "subject").text == "Re: 見積 (2)"


def test_adjacent_words_in_different_charsets_decode_separately() -> None:
    raw = f"{_b('あ'.encode(), 'utf-8')} {_b('い'.encode('cp932'), 'shift_jis')}"
    assert decode_header(raw.encode(), "subject").text == "あい"


def test_q_encoding_and_underscores() -> None:
    assert decode_header(b"=?utf-8?q?caf=C3=A9_au_lait?=", "subject").text == "café au lait"


def test_undecodable_words_never_leave_raw_syntax_when_decodable() -> None:
    raw = b"=?utf-8?B?5pel5pys?=x=?utf-8?B?6Kqe?="
    assert decode_header(raw, "subject").text == "日本x語"


def test_decoded_headers_stay_on_one_line() -> None:
    raw = b"=?utf-8?Q?a=0D=0AInjected:_yes?="
    assert decode_header(raw, "subject").text == "a  Injected: yes"


def test_comma_inside_an_encoded_display_name_does_not_split_the_list() -> None:
    raw = b"=?UTF-8?Q?Yamada,_Taro?= <Taro@Example.JP>, b@example.jp"
    addresses, _ = parse_addresses(raw, "to")
    assert addresses == (
        Address(name="Yamada, Taro", address="taro@example.jp"),
        Address(name="", address="b@example.jp"),
    )


def test_raw_shift_jis_name_with_backslash_trail_byte_is_decoded() -> None:
    raw = "ソフト表示 <a@example.jp>".encode("cp932")
    addresses, notes = parse_addresses(raw, "from")
    assert addresses == (Address(name="ソフト表示", address="a@example.jp"),)
    assert notes.repairs


def test_name_without_address_is_a_name() -> None:
    addresses, _ = parse_addresses(b"Undisclosed", "from")
    assert addresses == (Address(name="Undisclosed", address=""),)


def test_message_id_drops_comments_and_whitespace_and_keeps_case() -> None:
    assert parse_message_id(" (x) <\tAbC.1@Host.Example > ") == "<AbC.1@Host.Example>"
    assert parse_message_id("abc@host") == "<abc@host>"
    assert parse_message_id("") is None
    assert parse_message_id("<>") is None


def test_references_are_ordered_deduplicated_and_tolerant() -> None:
    value = "<a@x>,<b@x> junk c@x\t<b@x> (comment <d@x>) <e@x>"
    assert parse_message_ids(value) == ("<a@x>", "<b@x>", "<c@x>", "<e@x>")


def test_in_reply_to_prose_addresses_are_ignored_beside_a_real_id() -> None:
    value = '<id@x> (taro@example.jp\'s message of "Thu")'
    assert parse_message_ids(value, bare_beside_brackets=False) == ("<id@x>",)
    assert parse_message_ids("id@x", bare_beside_brackets=False) == ("<id@x>",)


def test_date_keeps_its_utc_offset() -> None:
    parsed = parse_date("Fri, 20 Nov 2026 10:00:00 +0900 (JST)")
    assert parsed == datetime(2026, 11, 20, 10, tzinfo=timezone(timedelta(hours=9)))
    assert parsed is not None
    assert parsed.utcoffset() == timedelta(hours=9)


def test_date_without_offset_is_utc() -> None:
    assert parse_date("Fri, 20 Nov 2026 10:00:00 -0000") == datetime(2026, 11, 20, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    "value", ["", "yesterday", "Fri, 20 Nov 1970 10:00:00 +0000", "Fri, 20 Nov 2200 10:00 +0000"]
)
def test_unusable_dates_are_none(value: str) -> None:
    assert parse_date(value) is None


# --- whole mailboxes inside one encoded-word (compat32 Header, mb_encode_mimeheader) --------

YAMADA = "山田 太郎 <yamada@client-a.co.jp>"


def _q(text: str) -> str:
    encoded = "".join(
        c if c.isascii() and c.isalnum() else f"={b:02X}" for c in text for b in c.encode()
    )
    return f"=?utf-8?q?{encoded}?="


@pytest.mark.parametrize(
    "raw",
    [
        _b(YAMADA.encode(), "utf-8"),
        _q(YAMADA),
        _b(YAMADA.encode("iso2022_jp"), "ISO-2022-JP"),
        _b(YAMADA.encode("cp932"), "Shift_JIS"),
        _b(YAMADA.encode("euc_jp"), "EUC-JP"),
    ],
    ids=["utf-8-b", "utf-8-q", "iso-2022-jp", "shift_jis", "euc-jp"],
)
def test_a_whole_mailbox_in_one_encoded_word_gives_its_address_back(raw: str) -> None:
    addresses, notes = parse_addresses(raw.encode(), "from")
    assert addresses == (Address(name="山田 太郎", address="yamada@client-a.co.jp"),)
    assert "from: address recovered from an encoded-word" in notes.repairs


def test_a_mailbox_folded_across_several_encoded_words_is_recovered() -> None:
    data = YAMADA.encode("iso2022_jp")
    raw = " ".join(_b(data[i : i + 7], "ISO-2022-JP") for i in range(0, len(data), 7))
    addresses, _ = parse_addresses(raw.encode(), "from")
    assert addresses == (Address(name="山田 太郎", address="yamada@client-a.co.jp"),)


@pytest.mark.parametrize("where", ["to", "cc", "reply-to"])
def test_several_mailboxes_in_one_encoded_word_are_each_recovered(where: str) -> None:
    raw = _b('山田 <A@X.example>, "鈴木, 一郎" <b@y.example>, c@z.example'.encode(), "utf-8")
    addresses, notes = parse_addresses(f"{raw}, Hanako <h@example.jp>".encode(), where)
    assert addresses == (
        Address(name="山田", address="a@x.example"),
        Address(name="鈴木, 一郎", address="b@y.example"),
        Address(name="", address="c@z.example"),
        Address(name="Hanako", address="h@example.jp"),
    )
    assert notes.repairs == [f"{where}: address recovered from an encoded-word"]


def test_bare_addr_specs_in_an_encoded_word_are_recovered() -> None:
    raw = _b(b"a@x.example, b@y.example", "utf-8")
    addresses, _ = parse_addresses(raw.encode(), "to")
    assert [a.address for a in addresses] == ["a@x.example", "b@y.example"]


@pytest.mark.parametrize(
    "decoded",
    [
        "山田 太郎",
        "Yamada, Taro",
        "山田 (yamada at client-a.co.jp)",
        "山田 <yamada at client-a.co.jp>",
        "山田 <yamada@client-a.co.jp> 様",
        "山田 <yamada@@client-a.co.jp>",
        "山田 <yamada@client-a.co.jp.>",
        "a@x.example, 山田",
        "山田 <a@x.example>\r\nBcc: <evil@x.example>",
        "山田 <a@x.example> 鈴木 <b@y.example>",
    ],
)
def test_an_encoded_name_that_does_not_spell_out_mailboxes_stays_a_name(decoded: str) -> None:
    addresses, notes = parse_addresses(_b(decoded.encode(), "utf-8").encode(), "from")
    assert len(addresses) == 1
    assert addresses[0].address == ""
    assert not notes.repairs


def test_an_address_outside_the_encoded_word_is_the_one_used() -> None:
    raw = f"{_b('山田 <other@x.example>'.encode(), 'utf-8')} <yamada@client-a.co.jp>"
    addresses, notes = parse_addresses(raw.encode(), "from")
    assert addresses == (Address(name="山田 <other@x.example>", address="yamada@client-a.co.jp"),)
    assert not notes.repairs

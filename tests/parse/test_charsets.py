"""Charset repair: Microsoft extensions, wrong and missing labels, never an exception."""

from __future__ import annotations

import pytest

from inboxguard.parse.charsets import decode_text
from inboxguard.parse.iso2022jp import decode_iso2022jp, jis_to_sjis

NEC_AND_IBM = "①Ⅱ㈱℡髙﨑"


def _jis(text: str) -> bytes:
    """CP50220-style JIS bytes for ``text`` (double-byte characters only)."""
    out = bytearray(b"\x1b$B")
    for char in text:
        s1, s2 = char.encode("cp932")
        row = s1 - 0x70 if s1 < 0xA0 else s1 - 0xB0
        if s2 < 0x9F:
            out.extend((row * 2 - 1, s2 - 0x1F if s2 < 0x7F else s2 - 0x20))
        else:
            out.extend((row * 2, s2 - 0x7E))
    return bytes(out + b"\x1b(B")


def test_jis_to_sjis_maps_the_first_and_last_rows() -> None:
    assert jis_to_sjis(0x21, 0x21) == b"\x81\x40"
    assert jis_to_sjis(0x30, 0x21) == "亜".encode("cp932")
    assert jis_to_sjis(0x2D, 0x21) == "①".encode("cp932")
    assert jis_to_sjis(0x7C, 0x7E) == b"\xee\xfc"


def test_iso2022jp_reads_nec_and_ibm_extensions_like_cp50220() -> None:
    result = decode_iso2022jp(_jis(NEC_AND_IBM))
    assert result.text == NEC_AND_IBM
    assert {"NEC", "IBM"} <= result.extensions
    assert result.undecodable == 0


def test_iso2022jp_agrees_with_the_stdlib_on_standard_text() -> None:
    text = "お世話になっております。ABC 123 漢字かなカナ"
    assert decode_iso2022jp(text.encode("iso2022_jp")).text == text


def test_iso2022jp_reads_half_width_katakana_in_every_form() -> None:
    assert decode_iso2022jp(b"\x1b(I6@6E\x1b(B").text == "ｶﾀｶﾅ"
    assert decode_iso2022jp(b"a\x0e6@\x0fb").text == "aｶﾀb"
    assert decode_iso2022jp(b"\xb6\xc0").text == "ｶﾀ"


def test_iso2022jp_reads_jis_x_0212_and_esc_ampersand_prefix() -> None:
    assert decode_iso2022jp(b'\x1b&@\x1b$B$"\x1b(B').text == "あ"
    assert decode_iso2022jp(b"\x1b$(D+!\x1b(B").text == "á"


def test_iso2022jp_returns_to_ascii_at_a_line_end() -> None:
    assert decode_iso2022jp(b'\x1b$B$"\nabc').text == "あ\nabc"


def test_truncated_double_byte_is_undecodable_not_an_error() -> None:
    result = decode_iso2022jp(b"\x1b$B$")
    assert result.undecodable == 1


@pytest.mark.parametrize("label", ["Shift_JIS", "shift-jis", "SJIS", "x-sjis", "MS_Kanji"])
def test_shift_jis_labels_decode_as_cp932_and_say_so(label: str) -> None:
    decoded = decode_text(NEC_AND_IBM.encode("cp932"), label, "body")
    assert decoded.text == NEC_AND_IBM
    assert decoded.repairs == [f"body: Shift_JIS label '{label.lower()}' decoded as CP932"]


@pytest.mark.parametrize("label", ["Windows-31J", "cp932", "MS932"])
def test_cp932_labels_need_no_repair(label: str) -> None:
    decoded = decode_text(NEC_AND_IBM.encode("cp932"), label, "body")
    assert decoded.text == NEC_AND_IBM
    assert decoded.repairs == []


@pytest.mark.parametrize(
    "label", ["iso-2022-jp", "ISO-2022-JP-2", "csISO2022JP", "CP50220", "iso-2022-jp-2004"]
)
def test_iso2022jp_labels_use_the_cp50220_decoder(label: str) -> None:
    decoded = decode_text(_jis("①髙"), label, "subject")
    assert decoded.text == "①髙"
    assert decoded.repairs == [
        f"subject: {label.upper()} decoded as CP50220 (IBM extensions, NEC extensions)"
    ]


def test_euc_jp_with_nec_row_13_is_read_as_cp51932() -> None:
    decoded = decode_text("確認".encode("euc_jp") + b"\xad\xa1", "EUC-JP", "body")
    assert decoded.text == "確認①"
    assert decoded.repairs


@pytest.mark.parametrize("label", ["uft-8", "utf8", "UTF_8", '"utf-8"'])
def test_utf8_misspellings_decode_as_utf8(label: str) -> None:
    assert decode_text("日本語".encode(), label, "body").text == "日本語"


def test_misspelled_label_is_recorded() -> None:
    assert decode_text("日本語".encode(), "uft-8", "body").repairs == [
        "body: label 'uft-8' treated as utf-8"
    ]


def test_utf7_label_is_honoured() -> None:
    assert decode_text("納品".encode("utf-7"), "unicode-1-1-utf-7", "body").text == "納品"


@pytest.mark.parametrize(
    ("data", "note"),
    [
        ("テスト".encode("iso2022_jp"), "body: no charset, detected ISO-2022-JP"),
        ("テスト".encode(), "body: no charset, detected UTF-8"),
        ("テストです".encode("cp932"), "body: no charset, detected Shift_JIS (CP932)"),
        ("テストです".encode("euc_jp"), "body: no charset, detected EUC-JP"),
    ],
)
def test_undeclared_charset_is_detected(data: bytes, note: str) -> None:
    decoded = decode_text(data, None, "body")
    assert decoded.text.startswith("テスト")
    assert decoded.repairs[0] == note


def test_euc_jp_prose_is_not_mistaken_for_half_width_katakana() -> None:
    text = "お世話になっております。よろしくお願いいたします。"
    assert decode_text(text.encode("euc_jp"), None, "body").text == text


def test_us_ascii_label_with_eight_bit_content_is_repaired() -> None:
    decoded = decode_text("日本語".encode("cp932"), "us-ascii", "body")
    assert decoded.text == "日本語"
    assert decoded.repairs


def test_wrong_label_falls_back_to_detection() -> None:
    decoded = decode_text("請求書".encode("cp932"), "utf-8", "body")
    assert decoded.text == "請求書"
    assert "does not fit" in decoded.repairs[0]


@pytest.mark.parametrize("label", ["x-unknown", "unicode_escape", "zlib", "rot13", "undefined"])
def test_unknown_or_dangerous_labels_are_read_as_best_effort(label: str) -> None:
    decoded = decode_text(b"plain \\x41 text", label, "body")
    assert decoded.text == "plain \\x41 text"


def test_undecodable_bytes_fall_back_to_latin1_with_a_note() -> None:
    decoded = decode_text(b"\x80\x81\xff\xfe\x80", None, "body")
    assert decoded.text == "\x80\x81\xff\xfe\x80"
    assert "Latin-1" in decoded.repairs[0]


# ISO-2022-JP-MS (nkf -j --cp932): IBM extensions in JIS X 0212 rows 83-84, at the cells the
# eucJP-ms definition gives them (G3 0xF3F3 ⅰ, 0xF3F4 ⅱ, 0xF4BD 﨑, 0xF4FB 髙) less the high bits.
JIS_MS_IBM = {"ⅰ": b"ss", "ⅱ": b"st", "﨑": b"t=", "髙": b"t{"}


def _jis_ms(text: str) -> bytes:
    return b"\x1b$(D" + b"".join(JIS_MS_IBM[char] for char in text) + b"\x1b(B"


def test_iso2022jp_ms_reads_ibm_extensions_in_jis_x_0212_rows() -> None:
    # JIS X 0213 plane 2, the other reading of these bytes, gives 翏𦀗 for 髙﨑.
    result = decode_iso2022jp(_jis_ms("髙﨑ⅰⅱ"))
    assert result.text == "髙﨑ⅰⅱ"
    assert result.undecodable == 0


def test_iso2022jp_ms_mixes_with_jis_x_0208_and_standard_jis_x_0212() -> None:
    data = b"\x1b$B0lO:\x1b$(Dt{+!\x1b$B$5$s\x1b(B"
    assert decode_iso2022jp(data).text == "一郎髙áさん"


def test_iso2022jp_ms_is_noted_as_such() -> None:
    decoded = decode_text(_jis_ms("髙﨑"), "ISO-2022-JP", "subject")
    assert decoded.text == "髙﨑"
    assert decoded.repairs == [
        "subject: ISO-2022-JP decoded as ISO-2022-JP-MS (IBM extensions in JIS X 0212 rows)"
    ]


def test_undeclared_iso2022jp_ms_is_detected_and_read() -> None:
    decoded = decode_text(b"abc " + _jis_ms("髙"), None, "body")
    assert decoded.text == "abc 髙"
    assert decoded.repairs[0] == "body: no charset, detected ISO-2022-JP"


def test_every_eucjp_ms_ibm_cell_reads_the_same_in_iso2022jp_ms() -> None:
    """The JIS X 0212 rows of ISO-2022-JP-MS are eucJP-ms's G3 rows 83-84, cell for cell."""
    for row, cells in ((0xF3, range(0xF3, 0xFF)), (0xF4, range(0xA1, 0xFF))):
        for cell in cells:
            euc = decode_text(bytes((0x8F, row, cell)), "EUC-JP", "body").text
            jis = decode_iso2022jp(b"\x1b$(D" + bytes((row & 0x7F, cell & 0x7F))).text
            assert jis == euc, (hex(row), hex(cell))
            assert "\ufffd" not in jis

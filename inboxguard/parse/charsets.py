"""Bytes to text for the charsets real mail declares, misdeclares or forgets.

Every function here returns text and never raises. When the label is wrong or missing, or a
Microsoft extension had to be used, a human-readable note says what was done (it ends up in
``Message.charset_repairs``); U+FFFD appears only when no candidate reads the bytes, and then
a defect is noted too.
"""

from __future__ import annotations

import codecs
import unicodedata
from dataclasses import dataclass, field

from inboxguard.parse.eucjp_ms import ibm_extension
from inboxguard.parse.iso2022jp import (
    IBM_IN_JIS0212,
    decode_iso2022jp,
    has_jis_escapes,
    jis_to_sjis,
)

_CP932_LABELS = frozenset(
    {"windows-31j", "cp932", "ms932", "ibm-943", "x-ms-cp932", "cswindows31j"}
)
_SHIFT_JIS_LABELS = frozenset({"shift-jis", "sjis", "x-sjis", "ms-kanji", "csshiftjis", "s-jis"})
_EUC_JP_LABELS = frozenset(
    {
        "euc-jp",
        "eucjp",
        "eucjp-ms",
        "x-euc-jp",
        "euc-jp-ms",
        "cseucpkdfmtjapanese",
        "ujis",
        "cp51932",
    }
)
_ISO2022JP_LABELS = frozenset(
    {
        "iso-2022-jp",
        "iso-2022-jp-1",
        "iso-2022-jp-2",
        "iso-2022-jp-3",
        "iso-2022-jp-2004",
        "iso-2022-jp-ext",
        "cp50220",
        "cp50221",
        "cp50222",
        "csiso2022jp",
        "csiso2022jp2",
        "jis",
        "x-jis",
    }
)
_UTF8_LABELS = frozenset({"utf-8", "unicode-1-1-utf-8", "unicode-2-0-utf-8", "x-unicode20utf8"})
_UTF8_MISSPELLINGS = frozenset({"utf8", "uft-8", "uft8", "utf-8-sig", "utf--8", "ut-8", "utf"})
_NOTE_NAMES = {"NEC": "NEC extensions", "IBM": "IBM extensions"}
_UTF7_LABELS = frozenset({"utf-7", "unicode-1-1-utf-7", "csunicode11utf7", "x-unicode-2-0-utf-7"})
_ASCII_LABELS = frozenset({"us-ascii", "ascii", "ansi_x3.4-1968", "iso646-us", "us", "csascii"})

# Text codecs Python offers that no mail label should reach: they interpret backslash
# escapes or always fail, so a hostile label could make text mean something else.
_REFUSED_CODECS = frozenset(
    {"unicode_escape", "raw_unicode_escape", "undefined", "idna", "punycode", "escape"}
)


@dataclass
class Decoded:
    """Text plus the notes on how it was obtained (both lists may be empty)."""

    text: str
    repairs: list[str] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)


def canonical_label(label: str) -> str:
    """Lower-case a charset label and strip the quoting and junk mailers wrap it in."""
    # RFC 2231 allows "charset*language"; the language part is irrelevant to decoding.
    return shown_label(label).split("*", 1)[0].replace("_", "-")


def shown_label(label: str) -> str:
    """The label as declared, minus quotes and surrounding space, for notes."""
    return label.strip().strip("\"'").strip().lower()


def _strict(data: bytes, encoding: str) -> str | None:
    try:
        return codecs.decode(data, encoding, "strict")
    except (UnicodeDecodeError, LookupError, ValueError):
        return None


def _japanese_score(text: str) -> int:
    """How much a decoding looks like Japanese prose rather than mojibake.

    EUC-JP bytes usually also "decode" as CP932, into runs of half-width katakana and odd
    kanji; the real reading has hiragana. Hiragana counts most, half-width katakana and
    private-use characters count against.
    """
    score = 0
    for char in text:
        code = ord(char)
        if 0x3041 <= code <= 0x309F:
            score += 3
        elif 0x30A0 <= code <= 0x30FF or 0x3000 <= code <= 0x303F:
            score += 2
        elif 0x4E00 <= code <= 0x9FFF:
            score += 1
        elif 0xFF61 <= code <= 0xFF9F or 0xE000 <= code <= 0xF8FF:
            score -= 2
        elif unicodedata.category(char) in {"Cc", "Co", "Cn"} and char not in "\r\n\t":
            score -= 3
    return score


def _decode_jis(data: bytes, where: str, label: str | None) -> Decoded | None:
    """Decode with the CP50220-compatible decoder; None if the bytes are not really JIS."""
    result = decode_iso2022jp(data)
    if result.eight_bit and result.undecodable:
        return None  # 8-bit bytes that are not katakana: this is not ISO-2022-JP at all
    decoded = Decoded(result.text)
    shown = (label or "ISO-2022-JP").upper()
    ms_used = sorted(result.extensions & {"NEC", "IBM", "half-width katakana", "8-bit katakana"})
    if ms_used:
        used = ", ".join(_NOTE_NAMES.get(name, name) for name in ms_used)
        decoded.repairs.append(f"{where}: {shown} decoded as CP50220 ({used})")
    if IBM_IN_JIS0212 in result.extensions:
        decoded.repairs.append(f"{where}: {shown} decoded as ISO-2022-JP-MS ({IBM_IN_JIS0212})")
    others = sorted(result.extensions - set(ms_used) - {IBM_IN_JIS0212})
    if others:
        decoded.repairs.append(f"{where}: {shown} used {', '.join(others)}")
    if result.undecodable:
        decoded.defects.append(f"{where}: {result.undecodable} undecodable ISO-2022-JP byte(s)")
    return decoded


def _decode_euc(data: bytes, where: str) -> Decoded | None:
    """EUC-JP, reading CP51932, eucJP-ms and JIS X 0213 characters character by character."""
    text = _strict(data, "euc_jp")
    if text is not None:
        return Decoded(text)
    out: list[str] = []
    used: set[str] = set()
    pos = 0
    size = len(data)
    while pos < size:
        byte = data[pos]
        if byte < 0x80:
            out.append(chr(byte))
            pos += 1
            continue
        width = 3 if byte == 0x8F else 2
        chunk = data[pos : pos + width]
        char = _strict(chunk, "euc_jp")
        if char is None and width == 2 and len(chunk) == 2 and min(chunk) >= 0xA1:
            # CP51932 puts NEC row 13 and the IBM extensions where CP932 has them.
            char = _strict(jis_to_sjis(chunk[0] & 0x7F, chunk[1] & 0x7F), "cp932")
            if char is not None:
                used.add("CP51932")
        if char is None and width == 3 and len(chunk) == 3:
            char = ibm_extension(chunk[1], chunk[2])
            if char is not None:
                used.add("eucJP-ms")
        if char is None:
            char = _strict(chunk, "euc_jis_2004")
            if char is not None:
                used.add("EUC-JIS-2004")
        if char is None:
            return None
        out.append(char)
        pos += width
    decoded = Decoded("".join(out))
    decoded.repairs.append(f"{where}: EUC-JP decoded with {' and '.join(sorted(used))} extensions")
    return decoded


def _detect(data: bytes, where: str, why: str) -> Decoded:
    """Decode bytes whose label is missing or wrong: JIS, UTF-8, CP932, EUC-JP, Latin-1."""
    if has_jis_escapes(data):
        jis = _decode_jis(data, where, None)
        if jis is not None:
            jis.repairs.insert(0, f"{where}: {why}, detected ISO-2022-JP")
            return jis
    text = _strict(data, "utf-8")
    if text is not None:
        return Decoded(text, [f"{where}: {why}, detected UTF-8"])
    sjis = _strict(data, "cp932")
    euc = _decode_euc(data, where)
    if sjis is not None and (euc is None or _japanese_score(sjis) >= _japanese_score(euc.text)):
        return Decoded(sjis, [f"{where}: {why}, detected Shift_JIS (CP932)"])
    if euc is not None:
        euc.repairs.insert(0, f"{where}: {why}, detected EUC-JP")
        return euc
    return Decoded(
        data.decode("latin-1"),
        [f"{where}: {why}, no Japanese or UTF-8 reading fits; decoded as Latin-1"],
    )


def _decode_cp932(data: bytes, where: str, label: str, shown: str) -> Decoded:
    text = _strict(data, "cp932")
    if text is None:
        return _detect(data, where, f"label '{shown}' does not fit the bytes")
    decoded = Decoded(text)
    # Python's shift_jis is JIS X 0208 only; Windows writes CP932 under that label. Note it
    # only when the difference mattered (extensions present or a character read differently).
    if label in _SHIFT_JIS_LABELS and _strict(data, "shift_jis") != text:
        decoded.repairs.append(f"{where}: Shift_JIS label '{shown}' decoded as CP932")
    return decoded


def _python_codec(label: str) -> str | None:
    try:
        info = codecs.lookup(label)
    except LookupError:
        return None
    name = info.name.replace("-", "_")
    if name in _REFUSED_CODECS or not getattr(info, "_is_text_encoding", True):
        return None
    return info.name


def decode_text(data: bytes, label: str | None, where: str) -> Decoded:
    """Decode ``data`` declared as ``label`` (None when undeclared); never raises.

    ``where`` ("subject", "body", ...) prefixes every note so a reader can tell which part
    of the message needed the repair.
    """
    try:
        return _decode_text(data, label, where)
    except Exception as error:  # the parser's promise is to never raise
        return Decoded(
            data.decode("latin-1"), defects=[f"{where}: decoder failed ({type(error).__name__})"]
        )


def _decode_text(data: bytes, label: str | None, where: str) -> Decoded:
    name = canonical_label(label) if label else ""
    if not name or name in _ASCII_LABELS:
        if data.isascii():
            if has_jis_escapes(data):
                return _detect(data, where, "no charset" if not name else f"label '{name}'")
            return Decoded(data.decode("ascii"))
        why = "no charset" if not name else f"label '{name}' with 8-bit content"
        return _detect(data, where, why)
    if name in _UTF8_LABELS or name in _UTF8_MISSPELLINGS:
        text = _strict(data, "utf-8-sig")
        if text is None:
            return _detect(data, where, f"label '{name}' does not fit the bytes")
        declared = shown_label(label or "")
        notes = (
            [] if declared in _UTF8_LABELS else [f"{where}: label '{declared}' treated as utf-8"]
        )
        return Decoded(text, notes)
    if name in _ISO2022JP_LABELS:
        jis = _decode_jis(data, where, shown_label(label or "") or None)
        return jis if jis is not None else _detect(data, where, f"label '{name}' has 8-bit bytes")
    if name in _CP932_LABELS or name in _SHIFT_JIS_LABELS:
        return _decode_cp932(data, where, name, shown_label(label or ""))
    if name in _EUC_JP_LABELS:
        euc = _decode_euc(data, where)
        return euc if euc is not None else _detect(data, where, f"label '{name}' does not fit")
    if name in _UTF7_LABELS:
        text = _strict(data, "utf-7")
        if text is not None:
            return Decoded(text)
        return _detect(data, where, f"label '{name}' does not fit the bytes")
    codec = _python_codec(name)
    if codec is None:
        return _detect(data, where, f"unknown label '{name}'")
    text = _strict(data, codec)
    if text is not None:
        return Decoded(text)
    return _detect(data, where, f"label '{name}' does not fit the bytes")


def decode_undeclared(data: bytes, where: str) -> Decoded:
    """Decode raw header bytes, which never carry a label.

    ASCII and UTF-8 pass without a note: RFC 6532 allows UTF-8 in headers. Anything else
    (8-bit Shift_JIS, raw JIS escapes) is a repair worth recording.
    """
    text = _strict(data, "utf-8")
    if text is not None and not has_jis_escapes(data):
        return Decoded(text)
    return decode_text(data, None, where)

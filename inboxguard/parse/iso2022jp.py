"""An ISO-2022-JP decoder that reads what Japanese mailers really send.

Python's ``iso2022_jp`` codec follows RFC 1468 to the letter and rejects the characters
Japanese users type every day: NEC row 13 (①, Ⅱ, ㈱, ℡), the NEC-selected IBM extensions
(髙, 﨑) and half-width katakana. Outlook, Becky! and most Japanese webmail encode those as
Microsoft's CP50220/CP50221 do: plain JIS X 0208 code points in rows that the standard leaves
empty. Converting each double-byte pair to its Shift_JIS position arithmetically and decoding
with CP932 gives exactly the CP50220 reading, so this module does that instead of keeping
its own tables.

ISO-2022-JP-MS (what ``nkf -j --cp932`` and some Windows mailers write) sends the IBM
extensions differently: in JIS X 0212 (``ESC $ ( D``) rows 83-84, the cells eucJP-ms gives
them in its G3 set. JIS X 0212 has nothing there, so those cells are read through the
eucJP-ms table first; JIS X 0213 plane 2, the other reading of the bytes, would turn 髙﨑
into 翏𦀗.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field

from inboxguard.parse.eucjp_ms import ibm_extension

ESC = 0x1B
SO = 0x0E
SI = 0x0F

# Modes the escape sequences switch between.
_ASCII = "ascii"
_KANA = "kana"  # JIS X 0201 katakana: ESC ( I, or SO ... SI
_JIS0208 = "jis0208"  # ESC $ @, ESC $ B (optionally after ESC & @)
_JIS0212 = "jis0212"  # ESC $ ( D
_JIS0213_1 = "jis0213-1"  # ESC $ ( O, ESC $ ( Q
_JIS0213_2 = "jis0213-2"  # ESC $ ( P
_GB2312 = "gb2312"  # ESC $ A (ISO-2022-JP-2)
_KSC5601 = "ksc5601"  # ESC $ ( C (ISO-2022-JP-2)

_ESCAPES: dict[bytes, str] = {
    b"(B": _ASCII,
    b"(J": _ASCII,  # JIS X 0201 Roman: ASCII except yen/overline, which readers expect as ASCII
    b"(H": _ASCII,  # a historical mistake for (J that old mailers still emit
    b"(I": _KANA,
    b"$@": _JIS0208,
    b"$B": _JIS0208,
    b"$(B": _JIS0208,
    b"$(D": _JIS0212,
    b"$(O": _JIS0213_1,
    b"$(Q": _JIS0213_1,
    b"$(P": _JIS0213_2,
    b"$A": _GB2312,
    b"$(C": _KSC5601,
}

_DOUBLE_BYTE = {_JIS0208, _JIS0212, _JIS0213_1, _JIS0213_2, _GB2312, _KSC5601}

# JIS X 0208 rows that only exist in Microsoft's extension of the character set.
_NEC_ROW_13 = 0x2D
_IBM_ROWS = range(0x79, 0x7D)
# What ``extensions`` says when ISO-2022-JP-MS's JIS X 0212 rows 83-84 were read.
IBM_IN_JIS0212 = "IBM extensions in JIS X 0212 rows"


@dataclass
class JisDecodeResult:
    """Decoded text plus what it took: extensions used and bytes that made no sense."""

    text: str
    extensions: set[str] = field(default_factory=set)
    undecodable: int = 0
    eight_bit: int = 0


def jis_to_sjis(j1: int, j2: int) -> bytes:
    """Map a JIS X 0208 code point (both bytes 0x21-0x7E) to its Shift_JIS bytes."""
    s1 = ((j1 + 1) >> 1) + (0x70 if j1 <= 0x5E else 0xB0)
    # Odd rows use the lower trail range, skipping 0x7F; even rows the upper one.
    s2 = (j2 + (0x1F if j2 <= 0x5F else 0x20)) if j1 & 1 else j2 + 0x7E
    return bytes((s1, s2))


def _decode_strict(data: bytes, encoding: str) -> str | None:
    try:
        return codecs.decode(data, encoding, "strict")
    except (UnicodeDecodeError, LookupError):
        return None


def _decode_pair(mode: str, j1: int, j2: int, result: JisDecodeResult) -> str:
    """Decode one double-byte character in ``mode``; U+FFFD only when nothing can."""
    high = bytes((j1 | 0x80, j2 | 0x80))
    if mode == _JIS0212:
        ibm = ibm_extension(high[0], high[1])
        if ibm is not None:
            result.extensions.add(IBM_IN_JIS0212)
            return ibm
    candidates: list[tuple[bytes, str]]
    if mode == _JIS0208:
        candidates = [(jis_to_sjis(j1, j2), "cp932"), (high, "euc_jis_2004")]
    elif mode == _JIS0212:
        candidates = [(b"\x8f" + high, "euc_jp"), (b"\x8f" + high, "euc_jis_2004")]
    elif mode == _JIS0213_1:
        candidates = [(high, "euc_jis_2004"), (jis_to_sjis(j1, j2), "cp932")]
    elif mode == _JIS0213_2:
        candidates = [(b"\x8f" + high, "euc_jis_2004")]
    elif mode == _GB2312:
        candidates = [(high, "gb2312")]
    else:
        candidates = [(high, "euc_kr")]
    for raw, encoding in candidates:
        text = _decode_strict(raw, encoding)
        if text is not None:
            if mode == _JIS0208 and j1 == _NEC_ROW_13:
                result.extensions.add("NEC")
            elif mode == _JIS0208 and j1 in _IBM_ROWS:
                result.extensions.add("IBM")
            elif mode != _JIS0208:
                result.extensions.add(mode)
            return text
    result.undecodable += 1
    return "\ufffd"


def _read_escape(data: bytes, pos: int) -> tuple[str | None, int]:
    """Return the mode an escape sequence at ``pos`` selects and the position after it."""
    # "ESC & @" announces that the next JIS X 0208 designation is the 1990 edition.
    if data[pos + 1 : pos + 3] == b"&@":
        return None, pos + 3
    for sequence, mode in _ESCAPES.items():
        if data.startswith(sequence, pos + 1):
            return mode, pos + 1 + len(sequence)
    return None, pos + 1


class _Reader:
    """The decoder's state: current mode, SO/SI shift, output so far."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0
        self.mode = _ASCII
        self.shifted = False  # SO ... SI selects katakana without an escape sequence
        self.out: list[str] = []
        self.result = JisDecodeResult(text="")

    def control(self, byte: int) -> bool:
        """Handle ESC, SO, SI and line ends; True when ``byte`` was one of them."""
        if byte == ESC:
            new_mode, self.pos = _read_escape(self.data, self.pos)
            if new_mode is not None:
                self.mode, self.shifted = new_mode, False
            return True
        if byte in (SO, SI):
            self.shifted = byte == SO
            self.pos += 1
            return True
        if byte in (0x0A, 0x0D):
            # RFC 1468 lines end in ASCII; a writer that forgot to switch back still
            # means the next line to start in ASCII.
            self.mode, self.shifted = _ASCII, False
            self.out.append(chr(byte))
            self.pos += 1
            return True
        return False

    def eight_bit(self, byte: int) -> None:
        # 8-bit bytes do not belong here. Half-width katakana sent as raw JIS X 0201
        # (0xA1-0xDF) is common enough to read as such.
        self.result.eight_bit += 1
        if 0xA1 <= byte <= 0xDF:
            self.result.extensions.add("8-bit katakana")
            self.out.append(bytes((byte,)).decode("cp932"))
        else:
            self.result.undecodable += 1
            self.out.append("\ufffd")
        self.pos += 1

    def double_byte(self, byte: int) -> None:
        data = self.data
        if self.pos + 1 < len(data) and 0x21 <= data[self.pos + 1] <= 0x7E:
            self.out.append(_decode_pair(self.mode, byte, data[self.pos + 1], self.result))
            self.pos += 2
        else:
            # Half a character: the rest was lost (truncated, or cut by a broken mailer).
            self.result.undecodable += 1
            self.out.append("\ufffd")
            self.pos += 1

    def run(self) -> JisDecodeResult:
        data = self.data
        while self.pos < len(data):
            byte = data[self.pos]
            if self.control(byte):
                continue
            if byte >= 0x80:
                self.eight_bit(byte)
            elif (self.mode == _KANA or self.shifted) and 0x21 <= byte <= 0x5F:
                self.result.extensions.add("half-width katakana")
                self.out.append(bytes((byte | 0x80,)).decode("cp932"))
                self.pos += 1
            elif self.mode in _DOUBLE_BYTE and 0x21 <= byte <= 0x7E:
                self.double_byte(byte)
            else:
                self.out.append(chr(byte))
                self.pos += 1
        self.result.text = "".join(self.out)
        return self.result


def decode_iso2022jp(data: bytes) -> JisDecodeResult:
    """Decode ISO-2022-JP and its CP5022x/-1/-2/-3/-2004 relatives; never raises."""
    return _Reader(data).run()


def has_jis_escapes(data: bytes) -> bool:
    """True when ``data`` contains a JIS designation: the sign of undeclared ISO-2022-JP."""
    return b"\x1b$" in data or b"\x1b(" in data

"""Address headers (From, To, Cc, Reply-To) to ``Address`` values.

Display names are decoded only after the list has been split: an encoded-word such as
``=?UTF-8?Q?Yamada,_Taro?=`` holds a comma that ``getaddresses`` would otherwise take for a
separator, and raw Shift_JIS names hold bytes (0x5C) that look like quoted-pair backslashes.
So raw 8-bit text is decoded first, encoded-words are replaced by inert placeholders, the
list is split, and each name is decoded on its own.
"""

from __future__ import annotations

import email.utils
import itertools
import re

from inboxguard.domain.message import Address
from inboxguard.parse.charsets import Decoded, decode_undeclared
from inboxguard.parse.encoded_words import ENCODED_WORD, clean_header_text, decode_encoded_words

MAX_ADDRESSES = 500


def _placeholder_prefix(text: str) -> str:
    """An atom that does not occur in ``text``, so placeholders cannot collide."""
    for attempt in itertools.count():
        prefix = f"igew{attempt}x"
        if prefix not in text:
            return prefix
    raise AssertionError("unreachable")  # pragma: no cover


def parse_addresses(raw: bytes, where: str) -> tuple[tuple[Address, ...], Decoded]:
    """Parse an address list; the ``Decoded`` carries notes (its text is unused)."""
    notes = Decoded("")
    first = decode_undeclared(raw, where)
    notes.repairs.extend(first.repairs)
    notes.defects.extend(first.defects)
    text = first.text
    prefix = _placeholder_prefix(text)
    words: list[str] = []

    def stash(match: re.Match[str]) -> str:
        words.append(match.group(0))
        return f"{prefix}{len(words) - 1}z"

    placeholder = re.compile(rf"{prefix}(\d+)z")

    def unstash(value: str) -> str:
        return placeholder.sub(lambda match: words[int(match.group(1))], value)

    masked = clean_header_text(ENCODED_WORD.sub(stash, text))
    result: list[Address] = []
    for raw_name, raw_address in email.utils.getaddresses([masked])[:MAX_ADDRESSES]:
        name, address = unstash(raw_name), clean_header_text(unstash(raw_address))
        if address and "@" not in address and not name:
            # "From: 山田太郎" with no addr-spec: what was written is a name.
            name, address = address, ""
        decoded = decode_encoded_words(name, where)
        notes.repairs.extend(decoded.repairs)
        notes.defects.extend(decoded.defects)
        name = clean_header_text(decoded.text)
        if name or address:
            result.append(Address(name=name, address=address.lower()))
    return tuple(result), notes


def first_address(addresses: tuple[Address, ...]) -> Address:
    """The sender is the first mailbox of From; an empty Address when there is none."""
    return addresses[0] if addresses else Address(name="", address="")

"""Address headers (From, To, Cc, Reply-To) to ``Address`` values.

Display names are decoded only after the list has been split: an encoded-word such as
``=?UTF-8?Q?Yamada,_Taro?=`` holds a comma that ``getaddresses`` would otherwise take for a
separator, and raw Shift_JIS names hold bytes (0x5C) that look like quoted-pair backslashes.
So raw 8-bit text is decoded first, encoded-words are replaced by inert placeholders, the
list is split, and each name is decoded on its own.

Some mailers encode the whole mailbox, address included, as one encoded-word: Python's
compat32 ``Header``, PHP's ``mb_encode_mimeheader`` and some Japanese mobile mailers write
``From: =?utf-8?b?...?=`` for ``山田 太郎 <yamada@client-a.co.jp>``. RFC 2047 forbids it,
but read literally the mail has no sender address and would go untracked. When a mailbox
without an address decodes to text that spells out mailboxes, each with an exact addr-spec,
those are taken instead, and the repair is noted; anything less is left a name.
"""

from __future__ import annotations

import email.utils
import functools
import itertools
import re

from inboxguard.domain.message import Address
from inboxguard.parse.charsets import Decoded, decode_undeclared
from inboxguard.parse.encoded_words import ENCODED_WORD, clean_header_text, decode_encoded_words

MAX_ADDRESSES = 500
# A mailbox's headers repeat the same few correspondents thousands of times: a header up to
# this long is parsed once per process (the result is a pure function of the bytes).
CACHED_BYTES = 1024

# A run of encoded-words separated by folding only: one display name (or, from the mailers
# above, one whole mailbox split across words), so it becomes one placeholder.
_ENCODED_RUN = re.compile(rf"{ENCODED_WORD.pattern}(?:\s+{ENCODED_WORD.pattern})*")
_MAILBOX = re.compile(r"([^<>]*)<([^<>]*)>")
# RFC 5322 dot-atom addr-spec in ASCII, nothing looser: a recovered address must be one that
# was written out whole, never pieced together from prose.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_ADDR_SPEC = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})*")


def _placeholder_prefix(text: str) -> str:
    """An atom that does not occur in ``text``, so placeholders cannot collide."""
    for attempt in itertools.count():
        prefix = f"igew{attempt}x"
        if prefix not in text:
            return prefix
    raise AssertionError("unreachable")  # pragma: no cover


def parse_addresses(raw: bytes, where: str) -> tuple[tuple[Address, ...], Decoded]:
    """Parse an address list; the ``Decoded`` carries notes (its text is unused)."""
    if len(raw) > CACHED_BYTES:
        return _parse_addresses(raw, where)
    addresses, repairs, defects = _cached(raw, where)
    return addresses, Decoded("", list(repairs), list(defects))


@functools.lru_cache(maxsize=4096)
def _cached(raw: bytes, where: str) -> tuple[tuple[Address, ...], tuple[str, ...], tuple[str, ...]]:
    addresses, notes = _parse_addresses(raw, where)
    return addresses, tuple(notes.repairs), tuple(notes.defects)


def _parse_addresses(raw: bytes, where: str) -> tuple[tuple[Address, ...], Decoded]:
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

    masked = clean_header_text(_ENCODED_RUN.sub(stash, text))
    result: list[Address] = []
    for raw_name, raw_address in email.utils.getaddresses([masked])[:MAX_ADDRESSES]:
        name, address = unstash(raw_name), clean_header_text(unstash(raw_address))
        if address and "@" not in address and not name:
            # "From: 山田太郎" with no addr-spec: what was written is a name.
            name, address = address, ""
        decoded = decode_encoded_words(name, where)
        notes.repairs.extend(decoded.repairs)
        notes.defects.extend(decoded.defects)
        recovered = None
        if not address and ENCODED_WORD.search(name):
            recovered = _mailboxes_in(decoded.text)
        if recovered:
            notes.repairs.append(f"{where}: address recovered from an encoded-word")
            result.extend(recovered)
            continue
        name = clean_header_text(decoded.text)
        if name or address:
            result.append(Address(name=name, address=address.lower()))
    return tuple(result[:MAX_ADDRESSES]), notes


def _mailboxes_in(text: str) -> list[Address] | None:
    """The mailboxes ``text`` spells out (``山田 <a@x>, "鈴木, 一郎" <b@y>, c@z``).

    None unless every comma-separated item is ``name <addr-spec>`` or a bare addr-spec,
    each address exact: a name that merely mentions an address, or prose around one,
    stays a name.
    """
    found: list[Address] = []
    for item in _list_items(text):
        mailbox = _MAILBOX.fullmatch(item)
        if mailbox is not None:
            name, address = email.utils.unquote(mailbox.group(1).strip()), mailbox.group(2)
        else:
            name, address = "", item
        address = address.strip()
        if not _is_addr_spec(address):
            return None
        found.append(Address(name=clean_header_text(name), address=address.lower()))
    return found or None


def _list_items(text: str) -> list[str]:
    """``text`` split at the commas outside quoted strings and angle brackets."""
    items: list[str] = []
    current: list[str] = []
    quoted = angle = escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"' and not angle:
            quoted = not quoted
        elif char in "<>" and not quoted:
            angle = char == "<"
        elif char == "," and not (quoted or angle):
            items.append("".join(current))
            current = []
            continue
        current.append(char)
    items.append("".join(current))
    return [item.strip() for item in items if item.strip()]


def _is_addr_spec(value: str) -> bool:
    local, _, _ = value.partition("@")
    return len(value) <= 254 and len(local) <= 64 and _ADDR_SPEC.fullmatch(value) is not None


def first_address(addresses: tuple[Address, ...]) -> Address:
    """The sender is the first mailbox of From; an empty Address when there is none."""
    return addresses[0] if addresses else Address(name="", address="")

"""Message-IDs, references and dates: the header fields threading and clocks rely on.

Real headers carry comments, missing angle brackets, commas between ids, folding inside an
id and dates in every format a mail client ever invented. Each reader here takes what can
be used and ignores the rest; none raises.
"""

from __future__ import annotations

import email.utils
import hashlib
import re
from datetime import UTC, datetime

from inboxguard.parse.header_block import HeaderBlock

# Whole tokens, each consumed in one step: searching for "x@y" inside a token instead would
# make a hostile 64 KB header quadratic.
_ID_TOKEN = re.compile(r"<([^<>]*)>|([^\s<>,;()\"]+)")
_COMMENT = re.compile(r"\([^()]*\)")
_WHITESPACE = re.compile(r"\s+")
_ID_FORBIDDEN = re.compile(r"[\x00-\x20\x7f<>]")
MAX_IDS = 200
MIN_YEAR = 1990
MAX_YEAR = 2100


def _clean_id(inner: str) -> str | None:
    inner = _WHITESPACE.sub("", inner)
    if not inner or len(inner) > 998 or _ID_FORBIDDEN.search(inner):
        return None
    return f"<{inner}>"


def parse_message_ids(value: str, *, bare_beside_brackets: bool = True) -> tuple[str, ...]:
    """All msg-ids in a References/In-Reply-To value, in order, without duplicates.

    Ids missing their angle brackets are taken too. In-Reply-To often carries prose such as
    "taro@example.jp's message of ..." beside the real id, so there (``bare_beside_brackets``
    False) bare tokens count only when no bracketed id exists.
    """
    ids: list[str] = []
    bare: list[str] = []
    for match in _ID_TOKEN.finditer(_COMMENT.sub(" ", value)):
        if match.group(1) is not None:
            cleaned = _clean_id(match.group(1))
            if cleaned is not None:
                ids.append(cleaned)
        elif "@" in match.group(2).strip("@"):
            bare.append(f"<{match.group(2)}>")
            if bare_beside_brackets:
                ids.append(bare[-1])
    if not ids:
        ids = bare
    return tuple(dict.fromkeys(ids))[:MAX_IDS]


def parse_message_id(value: str) -> str | None:
    """The one id of a Message-ID header, comments and whitespace dropped; None if unusable."""
    ids = parse_message_ids(value)
    if ids:
        return ids[0]
    token = _COMMENT.sub(" ", value).strip()
    # A bare token without "@" is still an identifier some old mailers use; keep it if sane.
    return _clean_id(token) if token and " " not in token else None


def synthesize_message_id(block: HeaderBlock) -> str:
    """A stable id for a message without one, from its headers alone.

    Only headers every backend fetches take part (the IMAP backend reads a fixed list of
    header fields, never the body), so a header-only read and a full read of the same
    message give the same id. Content-Type's MIME boundary tells apart two otherwise
    identical mails.
    """
    digest = hashlib.sha256()
    for name in _SYNTHESIS_FIELDS:
        digest.update(name.encode("ascii") + b":" + (block.first(name) or b"") + b"\n")
    return f"<{digest.hexdigest()[:32]}@inboxguard.invalid>"


_SYNTHESIS_FIELDS = (
    "date",
    "from",
    "to",
    "cc",
    "subject",
    "in-reply-to",
    "references",
    "content-type",
)


def parse_date(value: str) -> datetime | None:
    """The Date header as an aware datetime; None when missing, unparseable or absurd."""
    text = value.strip()
    if not text:
        return None
    parsed: datetime | None
    try:
        parsed = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        parsed = None
    if parsed is None:
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            return None
    if parsed.tzinfo is None:
        # "-0000" means "the offset is unknown"; UTC is the only honest reading.
        parsed = parsed.replace(tzinfo=UTC)
    if not MIN_YEAR <= parsed.year <= MAX_YEAR:
        return None
    return parsed

"""Reply drafts (SPEC §6, §7): rendered text in a message that threads and cannot inject.

The holding reply and the incident reports are built here alike: a template rendered with
values from the original mail, in a message addressed to the counterpart that replies to it.

Everything that reaches a header here came, at some point, from a stranger's mail: the
subject, the counterpart's display name and address, the ids in References. So each value
is reduced to one clean line before it is set, and the finished message is parsed back
before it is returned: if its header set is not exactly the one built, no draft is made.
That last check is not paranoia. The interpreter this project runs on (3.11.7) predates the
fix for CVE-2024-6923: ``email.policy.default`` decodes an encoded-word such as
``=?utf-8?q?x=0D=0ABcc:_y?=`` inside a display name or subject and writes the CR LF out raw.

Message-ID, In-Reply-To and References get their own header class. The stock policy treats
the latter two as unstructured text and, on this interpreter, RFC 2047-encodes any id too
long for one 78-column line (Outlook's ids usually are), after which no client threads.
"""

from __future__ import annotations

import email.policy
import email.utils
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from email._header_value_parser import TokenList
from email.headerregistry import Address as HeaderAddress
from email.headerregistry import BaseHeader, HeaderRegistry
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import Policy
from typing import Any, ClassVar, Literal
from zoneinfo import ZoneInfo

from inboxguard.domain.display import neutralised
from inboxguard.domain.message import Address, Message
from inboxguard.domain.normalise import reply_subject
from inboxguard.drafting.dates import format_due, format_promise_date
from inboxguard.drafting.templates import TemplateRenderer
from inboxguard.errors import InboxGuardError

PURPOSE = "holding"
PURPOSE_HEADER = "X-InboxGuard-Purpose"

# Clients and servers cope with long References, but a thread of hundreds of mails would
# make a header of tens of kilobytes. RFC 5322 §3.6.4 suggests keeping the first (the root)
# and the most recent ids; the last is the parent, which is what threading needs most.
MAX_REFERENCES = 20

# Header text this long is an attack or an accident. The caps keep the header small and
# every line legal: a display name is written as one quoted string that cannot be folded,
# so 5,000 "A"s would otherwise make a 5,000-octet line (RFC 5322 allows 998).
MAX_SUBJECT_CHARS = 900
MAX_NAME_CHARS = 200

# msg-id as it may appear on the wire: printable ASCII without "<" or ">" inside the
# brackets, short enough that "References: " plus the id fits in RFC 5322's 998 octets.
_MSG_ID = re.compile(r"<[\x21-\x3b\x3d\x3f-\x7e]{1,900}>")

# An RFC 2047 encoded-word. In header *text* one is never legitimate: the parser already
# decoded the real ones, so what is left would be decoded a second time by the policy.
_ENCODED_WORD = re.compile(r"=\?([^?\s]*)\?([bBqQ])\?")

_ADDR_SPEC = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?"
)

# Body text: everything but newline and tab among the C0 controls, and DEL. NUL in
# particular may not appear in an IMAP APPEND literal.
_BODY_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")

# Lone surrogates (bytes a decoder could not read) cannot be encoded as UTF-8 at all.
_SURROGATES = re.compile(r"[\ud800-\udfff]")

_EN_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class DraftError(InboxGuardError):
    """A draft could not be built safely from this input (e.g. an unusable address)."""


@dataclass(frozen=True, slots=True)
class ReplyDraftInput:
    """Everything a reply draft says; the caller has resolved names, dates and the id."""

    original: Message
    counterpart: Address
    counterpart_display_name: str  # honorific name from the client rule, resolved by caller
    company: str | None
    owner_name: str
    owner_address: str
    signature: str
    language: Literal["ja", "en"]
    promised_date: date  # holding: the promised answer; incident: the next report's day
    message_id: str  # from draft_message_id(...)
    now: datetime  # aware; becomes the Date header
    tz: ZoneInfo  # the owner's zone: Date header and the quoted original's time
    original_received: datetime  # aware; when the original counts from
    # Everyone the draft goes to when it is not only ``counterpart`` (a follow-up to those
    # my message went to, minutes to the attendees); ``counterpart`` is named first.
    recipients: tuple[Address, ...] = ()

    def __post_init__(self) -> None:
        if self.language not in ("ja", "en"):
            raise ValueError(f"language must be 'ja' or 'en', got {self.language!r}")
        for name in ("now", "original_received"):
            value: datetime = getattr(self, name)
            if value.tzinfo is None or value.utcoffset() is None:
                raise ValueError(f"{name} must be timezone-aware, got {value.isoformat()}")
        if not _MSG_ID.fullmatch(self.message_id):
            raise ValueError(f"message_id {self.message_id!r} is not a <msg-id>")


def build_holding_reply(inp: ReplyDraftInput, templates: TemplateRenderer) -> EmailMessage:
    """The holding-reply draft for ``inp``, ready for ``to_bytes``.

    Raises ``TemplateError`` when the template is missing or broken and ``DraftError``
    when the counterpart or owner address cannot be written into a header.
    """
    return build_reply_draft(
        inp, templates, template=f"holding_reply.{inp.language}.txt.j2", purpose=PURPOSE
    )


def build_reply_draft(
    inp: ReplyDraftInput,
    templates: TemplateRenderer,
    *,
    template: str,
    purpose: str,
    extra: Mapping[str, object] | None = None,
    subject: str | None = None,
) -> EmailMessage:
    """A reply draft with ``template`` rendered as its body.

    The template sees the values of ``reply_context`` plus ``extra`` (which the caller
    has already made safe: single lines, or text from the owner's own configuration).
    """
    body = templates.render(template, {**reply_context(inp), **(extra or {})})

    msg = EmailMessage(policy=DRAFT_POLICY)
    msg["From"] = _mailbox(inp.owner_name, inp.owner_address, "owner address")
    # The owner sends this: no bidi override or invisible character of the stranger's
    # subject or name may travel in it (U+202E makes "fdp.exe" read "exe.pdf").
    to = [inp.counterpart, *(a for a in inp.recipients if a.address != inp.counterpart.address)]
    msg["To"] = [_mailbox(neutralised(a.name), a.address, "counterpart address") for a in to]
    # ``subject``: a draft that is not a plain reply names itself (「【議事録】…」).
    written = subject if subject is not None else reply_subject(inp.original.subject)
    msg["Subject"] = header_text(neutralised(written))[:MAX_SUBJECT_CHARS].rstrip()
    msg["Date"] = email.utils.format_datetime(inp.now.astimezone(inp.tz))
    msg["Message-ID"] = inp.message_id
    parent = _parent_id(inp.original)
    if parent is not None:
        msg["In-Reply-To"] = parent
    references = reference_chain(inp.original)
    if references:
        msg["References"] = " ".join(references)
    msg[PURPOSE_HEADER] = purpose
    msg.set_content(_body_text(body), subtype="plain", charset="utf-8")
    _verify_reparses_identically(msg)
    return msg


def to_bytes(msg: EmailMessage, *, crlf: bool) -> bytes:
    """Serialised ``msg`` with one line ending throughout: CRLF for IMAP APPEND, LF else."""
    return msg.as_bytes(policy=msg.policy.clone(linesep="\r\n" if crlf else "\n"))


def as_bytes(msg: EmailMessage) -> bytes:
    """The Maildir form: LF line endings, as every Maildir reader expects."""
    return to_bytes(msg, crlf=False)


def reference_chain(original: Message) -> tuple[str, ...]:
    """References for a reply to ``original``: its chain plus its own id, parent last.

    Unusable ids are dropped, duplicates removed (first place kept), and a long chain is
    cut to the root plus the most recent ids.
    """
    # RFC 5322 §3.6.4: a parent without References but with a single In-Reply-To id
    # contributes that id, so the grandparent link is not lost.
    inherited = original.references
    if not inherited and len(original.in_reply_to) == 1:
        inherited = original.in_reply_to
    ids = [clean for raw in inherited if (clean := _clean_msg_id(raw))]
    chain = list(dict.fromkeys(ids))
    parent = _parent_id(original)
    if parent is not None:
        # The parent must be last whatever the original's References said, or JWZ-style
        # threading hangs the draft under the wrong message.
        if parent in chain:
            chain.remove(parent)
        chain.append(parent)
    if len(chain) > MAX_REFERENCES:
        chain = [chain[0], *chain[-(MAX_REFERENCES - 1) :]]
    return tuple(chain)


def header_text(value: str) -> str:
    """``value`` as one line that the email policy will write exactly as text.

    Control characters (CR, LF, NUL, …) and Unicode line separators become spaces, runs of
    whitespace collapse, and encoded-word openers lose their meaning (``=?`` → ``= ?``).
    """
    return _ENCODED_WORD.sub(r"= ?\1?\2?", _one_line(value))


# --- message-id headers -------------------------------------------------------------------


class _MessageIdsHeader(BaseHeader):
    """Message-ID, In-Reply-To, References: ids only, folded between ids, never encoded."""

    max_count: ClassVar[Literal[1] | None] = 1

    @classmethod
    def parse(cls, value: str, kwds: dict[str, Any]) -> None:
        # Only well-formed ids survive; comments and junk around them are dropped.
        kwds["decoded"] = " ".join(_MSG_ID.findall(value))
        # The stock fold() reads the parse tree; ours does not, so an empty one will do.
        kwds["parse_tree"] = TokenList()

    def fold(self, *, policy: Policy) -> str:
        label = f"{self.name}:"
        limit = policy.max_line_length
        lines = [label]
        for msg_id in str(self).split():
            # Fold only between ids; an id longer than the limit gets a line of its own
            # (still within 998 octets, see _MSG_ID) rather than being split or encoded.
            if limit and lines[-1] != label and len(lines[-1]) + 1 + len(msg_id) > limit:
                lines.append("")
            lines[-1] += f" {msg_id}"
        return policy.linesep.join(lines) + policy.linesep


def _draft_policy() -> email.policy.EmailPolicy[EmailMessage]:
    registry = HeaderRegistry()
    for name in ("message-id", "in-reply-to", "references"):
        registry.map_to_type(name, _MessageIdsHeader)
    # 7bit: a body in base64 or quoted-printable is accepted by every IMAP server and
    # Maildir reader without 8BITMIME or UTF8=ACCEPT; the owner's client re-encodes on send.
    return email.policy.default.clone(header_factory=registry, cte_type="7bit")


DRAFT_POLICY = _draft_policy()

# --- values ----------------------------------------------------------------------------------


def reply_context(inp: ReplyDraftInput) -> dict[str, object]:
    """The values every reply template sees, each cleaned for the body."""
    sender = inp.original.sender
    name = _one_line(neutralised(sender.name))
    original_from = str(Address(name=name, address=_one_line(sender.address)))
    company = _one_line(inp.company or "")
    return {
        "language": inp.language,
        "company": company or None,
        "counterpart_name": _addressee(inp),
        "owner_name": _one_line(inp.owner_name),
        "signature": _normalise_newlines(inp.signature).strip("\n") or _one_line(inp.owner_name),
        "promised_date": format_promise_date(inp.promised_date, inp.language),
        "original_subject": _one_line(neutralised(inp.original.subject)),
        "original_date": attribution_date(inp.original_received.astimezone(inp.tz), inp.language),
        "original_from": original_from,
        "quoted_original": _quote(inp.original.text, truncated=inp.original.text_truncated),
    }


def _addressee(inp: ReplyDraftInput) -> str:
    """Honorific name, else display name, else the address's local part."""
    candidates = (
        neutralised(inp.counterpart_display_name),
        neutralised(inp.counterpart.name),
        inp.counterpart.address.partition("@")[0],
    )
    name = next((clean for c in candidates if (clean := _one_line(c))), "")
    # The template writes 様 itself; a client rule that already says "山田様" must not
    # become "山田様様".
    if inp.language == "ja":
        name = name.removesuffix("様").rstrip()
    return name


def attribution_date(moment: datetime, language: str) -> str:
    """``2026年11月20日(金) 10:00`` / ``Fri, Nov 20, 2026 at 10:00`` (fixed tables, no locale)."""
    if language == "ja":
        return f"{moment.year}年{format_due(moment, 'ja')}"
    weekday = _EN_WEEKDAYS[moment.weekday()]
    month = _EN_MONTHS[moment.month - 1]
    return f"{weekday}, {month} {moment.day}, {moment.year} at {moment:%H:%M}"


def _quote(text: str, *, truncated: bool) -> str:
    lines = _BODY_CONTROLS.sub("", _normalise_newlines(text)).split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    if truncated:
        lines.append("[…]")
    # An empty quoted line is ">" alone: trailing spaces get eaten or mangled in transit.
    return "\n".join(f"> {line}" if line else ">" for line in lines)


def _body_text(rendered: str) -> str:
    body = _BODY_CONTROLS.sub("", _normalise_newlines(rendered))
    body = _SURROGATES.sub("\N{REPLACEMENT CHARACTER}", body)
    return body if body.endswith("\n") else body + "\n"


def _mailbox(name: str, address: str, what: str) -> HeaderAddress:
    addr_spec = _ascii_addr_spec(address.strip())
    if addr_spec is None or "=?" in addr_spec:
        raise DraftError(f"{what} {address!r} cannot be used in a draft header")
    return HeaderAddress(display_name=header_text(name)[:MAX_NAME_CHARS], addr_spec=addr_spec)


def _ascii_addr_spec(address: str) -> str | None:
    local, at, domain = address.rpartition("@")
    if not at:
        return None
    if not domain.isascii():
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            return None
    candidate = f"{local}@{domain}"
    return candidate if _ADDR_SPEC.fullmatch(candidate) else None


def _parent_id(original: Message) -> str | None:
    # A synthesised id exists only in our store; no client has a message to thread it to.
    if original.message_id_synthesized:
        return None
    return _clean_msg_id(original.message_id)


def _clean_msg_id(raw: str) -> str | None:
    candidate = raw.strip()
    if not candidate.startswith("<"):
        candidate = f"<{candidate}>"
    # A receiving parser would decode an encoded-word inside the id and no longer match it.
    if "=?" in candidate or not _MSG_ID.fullmatch(candidate):
        return None
    return candidate


def _one_line(value: str) -> str:
    """Single-line body values (names, company): a hostile name must not add body lines."""
    return " ".join("".join(" " if _is_line_breaking(ch) else ch for ch in value).split())


def _is_line_breaking(ch: str) -> bool:
    # Cc: C0/C1 controls incl. CR, LF, NUL, NEL; Zl/Zp: U+2028/U+2029; Cs: lone surrogates
    # (undecodable bytes) that would otherwise become unknown-8bit in a header.
    return unicodedata.category(ch) in ("Cc", "Zl", "Zp", "Cs")


def _normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _verify_reparses_identically(msg: EmailMessage) -> None:
    """Parse ``msg`` back as a receiver would; refuse it unless the headers are ours exactly."""
    reparsed = BytesParser(policy=email.policy.default).parsebytes(to_bytes(msg, crlf=True))
    built = sorted(name.lower() for name in msg)
    seen = sorted(name.lower() for name in reparsed)
    if seen != built:
        raise DraftError(f"draft headers changed in serialisation: {built} became {seen}")
    for name in ("Message-ID", "In-Reply-To", "References"):
        if str(reparsed.get(name, "")) != str(msg.get(name, "")):
            raise DraftError(f"draft {name} changed in serialisation")
    for name, value in reparsed.items():
        if any(_is_line_breaking(ch) for ch in str(value)):
            raise DraftError(f"draft {name} carries a control character")

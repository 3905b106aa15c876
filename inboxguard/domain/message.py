"""The typed, immutable message every other layer speaks.

The parser produces a ``Message`` from raw bytes; backends attach where it lives
(``Located``); the domain core reads nothing else. Bodies are never kept beyond the
bounded ``text`` prefix used for matching.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Address:
    """One mailbox: display name (decoded) and lower-cased addr-spec ("" when absent)."""

    name: str
    address: str

    def __str__(self) -> str:
        if self.name and self.address:
            return f"{self.name} <{self.address}>"
        return self.address or self.name


@dataclass(frozen=True, slots=True)
class AutomationHeaders:
    """The raw header values that decide whether a message was sent by a machine."""

    auto_submitted: str | None = None
    precedence: str | None = None
    list_id: str | None = None
    list_unsubscribe: str | None = None
    return_path: str | None = None
    x_auto_response_suppress: str | None = None
    x_autoreply: str | None = None


@dataclass(frozen=True, slots=True)
class Message:
    """A parsed message: headers decoded, text reduced to what matching needs.

    ``message_id`` is always set: when the header is missing or unusable the parser
    synthesises ``<sha256-prefix@inboxguard.invalid>`` from the other headers, so the
    same bytes give the same id on every read (``message_id_synthesized`` says so).

    ``date`` is the Date header as an aware datetime, or None when missing or unparseable.
    Which instant counts (header date versus delivery time) is decided by the caller that
    knows the delivery time: see ``effective_date``.
    """

    message_id: str
    subject: str
    sender: Address
    to: tuple[Address, ...] = ()
    cc: tuple[Address, ...] = ()
    reply_to: tuple[Address, ...] = ()
    date: datetime | None = None
    in_reply_to: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    automation: AutomationHeaders = field(default_factory=AutomationHeaders)
    content_type: str = "text/plain"
    thread_index: str | None = None
    text: str = ""
    text_truncated: bool = False
    message_id_synthesized: bool = False
    charset_repairs: tuple[str, ...] = ()
    defects: tuple[str, ...] = ()

    def effective_date(self, received_at: datetime | None, now: datetime) -> datetime:
        """The instant this message counts from.

        The Date header is what the sender's clock said; when it is missing, or in the
        future relative to delivery (a wrong client clock), the delivery time is used.
        """
        fallback = received_at or now
        if self.date is None:
            return fallback
        limit = received_at or now
        # A few minutes of skew are normal; more than that in the future is a broken clock.
        if (self.date - limit).total_seconds() > 15 * 60:
            return fallback
        return self.date

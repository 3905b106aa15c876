"""What a delivery hands back: a receipt saying where the digest went, or a ``DeliveryError``.

Kept apart from ``__init__`` so the three delivery modules can import it without a cycle.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import getaddresses
from typing import Literal

from inboxguard.errors import InboxGuardError

DeliveryKind = Literal["smtp", "imap-append", "file"]


@dataclass(frozen=True)
class DeliveryReceipt:
    kind: DeliveryKind
    # "smtp.example.jp:465 → hanako@example.jp", "work/INBOX", or the .eml file's path.
    where: str
    # imap-append found today's digest (its Message-ID) already there and appended nothing.
    already_there: bool = False


class DeliveryError(InboxGuardError):
    """The digest did not arrive. ``retryable``: a later attempt may succeed without the
    owner changing anything (network, timeout, a 4xx answer); otherwise something in the
    configuration, the credentials or the server's policy needs a person.

    The message is one line naming the server; it never holds a password, a token or what
    a server answered to a login (servers have been known to echo what was sent).
    """

    def __init__(self, message: str, *, retryable: bool) -> None:
        self.message = message
        self.retryable = retryable
        super().__init__(f"digest delivery: {message}")


def message_id_of(message: EmailMessage) -> str:
    """The digest's Message-ID: what imap-append looks for so a day's digest lands once."""
    value = str(message.get("Message-ID", "")).strip()
    if not value:
        raise DeliveryError("the digest has no Message-ID header", retryable=False)
    return value


def addresses_of(message: EmailMessage, header: str) -> list[str]:
    values = [str(v) for v in message.get_all(header, [])]
    return [address for _, address in getaddresses(values) if "@" in address]

"""Who is "me", who is a counterpart, and whose mail is ignored (SPEC §5)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from inboxguard.domain.message import Address
from inboxguard.domain.tracked import TrackedMessage


@dataclass(frozen=True, slots=True)
class SenderMatcher:
    """Addresses and domains, matched case-insensitively; a domain also covers subdomains."""

    addresses: frozenset[str] = frozenset()
    domains: frozenset[str] = frozenset()

    @classmethod
    def of(cls, patterns: Iterable[str]) -> SenderMatcher:
        addresses: set[str] = set()
        domains: set[str] = set()
        for raw in patterns:
            pattern = raw.strip().lower()
            if not pattern:
                continue
            if "@" in pattern and not pattern.startswith("@"):
                addresses.add(pattern)
            else:
                domains.add(pattern.lstrip("@"))
        return cls(frozenset(addresses), frozenset(domains))

    def matches(self, address: str) -> bool:
        address = address.lower()
        if address in self.addresses:
            return True
        domain = address.rpartition("@")[2]
        while domain:
            if domain in self.domains:
                return True
            _, dot, rest = domain.partition(".")
            domain = rest if dot else ""
        return False


@dataclass(frozen=True, slots=True)
class Identity:
    """The owner's addresses, and the rules that decide which mail starts a clock."""

    addresses: frozenset[str]
    cc_counts: bool = False
    ignore: SenderMatcher = field(default_factory=SenderMatcher)

    def is_me(self, address: Address | str) -> bool:
        value = address.address if isinstance(address, Address) else address
        return value.lower() in self.addresses

    def is_mine(self, message: TrackedMessage) -> bool:
        """From one of my addresses and written by me: my vacation auto-reply or the digest
        InboxGuard mails me (both Auto-Submitted) answer nobody."""
        return self.is_me(message.sender) and message.automated_reason is None

    def counterpart_reason(self, message: TrackedMessage) -> str | None:
        """None when the message is a counterpart message; otherwise why it is not."""
        if self.is_me(message.sender):
            return "from me"
        if message.automated_reason:
            return f"automated: {message.automated_reason}"
        if not message.sender.address:
            return "no sender address"
        if self.ignore.matches(message.sender.address):
            return "sender is on the ignore list"
        if any(self.is_me(a) for a in message.to):
            return None
        if self.cc_counts and any(self.is_me(a) for a in message.cc):
            return None
        if any(self.is_me(a) for a in message.cc):
            return "I am only in Cc (sla.cc_counts = false)"
        return "none of my addresses is in To"

    def is_counterpart(self, message: TrackedMessage) -> bool:
        return self.counterpart_reason(message) is None

    def other_party(self, message: TrackedMessage) -> str | None:
        """The address on the other side: the sender of theirs, the first recipient of mine."""
        if not self.is_me(message.sender):
            return message.sender.address or None
        for address in (*message.to, *message.cc):
            if address.address and not self.is_me(address):
                return address.address
        return None

"""Who a counterpart is: the client rules of rules/clients.toml, as data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from inboxguard.domain.identity import SenderMatcher


@dataclass(frozen=True, slots=True)
class ClientRule:
    name: str
    match: SenderMatcher
    language: str | None = None
    honorific: str | None = None
    company: str | None = None
    reply_within: timedelta | None = None


@dataclass(frozen=True, slots=True)
class ClientDirectory:
    clients: tuple[ClientRule, ...] = ()
    ignore: SenderMatcher = field(default_factory=SenderMatcher)

    def lookup(self, address: str | None) -> ClientRule | None:
        """The first client whose match covers the address (file order decides ties)."""
        if not address:
            return None
        for client in self.clients:
            if client.match.matches(address):
                return client
        return None

"""Everything derived once from the configuration and rule files, shared by a cycle."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from inboxguard.config import Config
from inboxguard.domain.calendar import BusinessCalendar
from inboxguard.domain.clients import ClientRule
from inboxguard.domain.identity import Identity
from inboxguard.domain.reply_clock import ReplyPolicy
from inboxguard.rules import RuleSet, load_rules


@dataclass(frozen=True, slots=True)
class Context:
    config: Config
    rules: RuleSet
    calendar: BusinessCalendar
    identity: Identity

    @classmethod
    def build(cls, config: Config) -> Context:
        rules = load_rules(config.rules_dir)
        identity = Identity(
            addresses=frozenset(config.owner.addresses),
            cc_counts=config.sla.cc_counts,
            ignore=rules.clients.ignore,
        )
        # One calendar per configuration: it caches the holiday tables it has looked up.
        return cls(config=config, rules=rules, calendar=config.calendar(), identity=identity)

    @property
    def lookback(self) -> timedelta:
        return self.config.sla.lookback

    def policy_for(self, client: ClientRule | None) -> ReplyPolicy:
        sla = self.config.sla
        reply_within = client.reply_within if client and client.reply_within else sla.reply_within
        # A client's shorter rule pulls the holding draft forward in proportion.
        holding_after = min(
            sla.holding_draft_after, reply_within * (sla.holding_draft_after / sla.reply_within)
        )
        return ReplyPolicy(
            reply_within=reply_within,
            business=sla.clock == "business",
            warn_before=min(sla.warn_before, reply_within),
            holding_draft_after=holding_after,
        )

    def language_for(self, client: ClientRule | None) -> str:
        return (
            client.language if client and client.language else None
        ) or self.config.owner.language

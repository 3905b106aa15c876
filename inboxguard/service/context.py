"""Everything derived once from the configuration and rule files, shared by a cycle."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from inboxguard.config import Config
from inboxguard.domain.assessment import AssessmentRules, SlaRules
from inboxguard.domain.calendar import BusinessCalendar
from inboxguard.domain.duties import DraftSettings
from inboxguard.domain.identity import Identity
from inboxguard.domain.meetings import machine_address
from inboxguard.rules import RuleSet, load_rules


@dataclass(frozen=True, slots=True)
class Context:
    config: Config
    rules: RuleSet
    calendar: BusinessCalendar
    identity: Identity
    assessment: AssessmentRules

    @classmethod
    def build(cls, config: Config) -> Context:
        rules = load_rules(config.rules_dir)
        identity = Identity(
            addresses=frozenset(config.owner.addresses),
            cc_counts=config.sla.cc_counts,
            ignore=rules.clients.ignore,
        )
        # One calendar per configuration: it caches the holiday tables it has looked up.
        calendar = config.calendar()
        sla = config.sla
        assessment = AssessmentRules(
            identity=identity,
            calendar=calendar,
            clients=rules.clients,
            sla=SlaRules(
                reply_within=sla.reply_within,
                business=sla.clock == "business",
                warn_before=sla.warn_before,
                holding_draft_after=sla.holding_draft_after,
                holding_late_limit=sla.holding_draft_late_limit,
                follow_up_after=sla.follow_up_after,
                minutes_by=sla.minutes_by,
                minutes_reply_within=sla.minutes_reply_within,
            ),
            incident_threshold=rules.incident.threshold,
            drafting=DraftSettings(promise_business_days=sla.promise_business_days),
            is_machine=machine_address(rules.automation),
        )
        return cls(
            config=config,
            rules=rules,
            calendar=calendar,
            identity=identity,
            assessment=assessment,
        )

    @property
    def lookback(self) -> timedelta:
        return self.config.sla.lookback

"""Loading the rule files (TOML data that configures rule types the code defines).

The owner's ``rules_dir`` is looked at first; a file there replaces the shipped file of the
same name. Every problem is a one-line ``ConfigError`` naming the file and the key.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inboxguard.domain.acknowledgement import AcknowledgementRules
from inboxguard.domain.automation import AutomationRules
from inboxguard.domain.clients import ClientDirectory, ClientRule
from inboxguard.domain.durations import parse_duration
from inboxguard.domain.identity import SenderMatcher
from inboxguard.domain.incident_protocol import ReportRules
from inboxguard.domain.incident_signals import KINDS, build_check
from inboxguard.domain.incidents import IncidentRules, SignalRule
from inboxguard.errors import ConfigError
from inboxguard.resources import shipped_dir


@dataclass(frozen=True, slots=True)
class RuleSet:
    acknowledgements: AcknowledgementRules
    automation: AutomationRules
    clients: ClientDirectory
    incident: IncidentRules
    reports: ReportRules


def load_rules(rules_dir: Path | None) -> RuleSet:
    incident = _read("incident.toml", rules_dir)
    # An owner's copy of incident.toml made before [reports] existed keeps working: the
    # shipped markers apply until the copy has its own table.
    reports = incident if "reports" in incident.data else _read("incident.toml", None)
    return RuleSet(
        acknowledgements=_acknowledgements(_read("acknowledgements.toml", rules_dir)),
        automation=_automation(_read("automated.toml", rules_dir)),
        clients=_clients(_read("clients.toml", rules_dir)),
        incident=_incident(incident),
        reports=_reports(reports),
    )


class _File:
    """A parsed rule file that remembers its name for error messages."""

    def __init__(self, name: str, data: dict[str, Any]) -> None:
        self.name = name
        self.data = data

    def error(self, key: str, message: str) -> ConfigError:
        return ConfigError(f"{self.name}: {key}", message)

    def only_keys(self, table: dict[str, Any], allowed: set[str], prefix: str = "") -> None:
        for key in table:
            if key not in allowed:
                raise self.error(f"{prefix}{key}", "unknown key")

    def strings(
        self, key: str, table: dict[str, Any] | None = None, prefix: str = ""
    ) -> tuple[str, ...]:
        source = self.data if table is None else table
        value = source.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.error(f"{prefix}{key}", "expected a list of strings")
        for index, item in enumerate(value):
            if not item.strip():
                raise self.error(f"{prefix}{key}[{index}]", "empty string")
        return tuple(value)

    def integer(self, key: str, default: int) -> int:
        value = self.data.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise self.error(key, "expected a non-negative integer")
        return value

    def positive_number(self, key: str, table: dict[str, Any], name: str) -> float:
        value = table.get(name)
        if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
            raise self.error(key, "expected a positive number")
        if value == float("inf"):
            raise self.error(key, "expected a finite number")
        return float(value)

    def patterns(self, key: str) -> tuple[str, ...]:
        values = self.strings(key)
        for index, value in enumerate(values):
            try:
                re.compile(value)
            except re.error as exc:
                raise self.error(f"{key}[{index}]", f"bad regular expression: {exc}") from None
        return values


def _read(name: str, rules_dir: Path | None) -> _File:
    candidates = [rules_dir / name] if rules_dir is not None else []
    candidates.append(shipped_dir("rules") / name)
    for path in candidates:
        if path.is_file():
            try:
                return _File(str(path), tomllib.loads(path.read_text(encoding="utf-8")))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                raise ConfigError(str(path), f"not valid TOML: {exc}") from None
    raise ConfigError(name, "rule file not found (the installation is incomplete)")


def _acknowledgements(file: _File) -> AcknowledgementRules:
    file.only_keys(file.data, {"phrases", "filler_lines", "max_chars", "max_residue"})
    phrases = file.strings("phrases")
    if not phrases:
        raise file.error("phrases", "needs at least one phrase")
    return AcknowledgementRules(
        phrases=phrases,
        filler_lines=file.patterns("filler_lines"),
        max_chars=file.integer("max_chars", 200),
        max_residue=file.integer("max_residue", 12),
    )


def _automation(file: _File) -> AutomationRules:
    file.only_keys(file.data, {"sender_local_parts", "auto_reply_subjects"})
    return AutomationRules(
        sender_local_parts=tuple(s.lower() for s in file.strings("sender_local_parts")),
        auto_reply_subjects=file.patterns("auto_reply_subjects"),
    )


_INCIDENT_LANGUAGES = {"ja", "en"}
_SIGNAL_KEYS = {"name", "kind", "weight", "why"}


def _incident(file: _File) -> IncidentRules:
    file.only_keys(
        file.data, {"threshold", "subject_weight", "keywords", "exclude", "signal", "reports"}
    )
    for key in ("threshold", "subject_weight"):
        if key not in file.data:
            raise file.error(key, "required, a positive number")
    threshold = file.positive_number("threshold", file.data, "threshold")
    subject_weight = file.positive_number("subject_weight", file.data, "subject_weight")
    signals = _signals(file)
    keywords = _keywords(file)
    if not keywords and not signals:
        raise file.error("signal", "needs at least one [[signal]] (or [keywords] table)")
    return IncidentRules(
        keywords=keywords,
        exclude=file.strings("exclude"),
        threshold=threshold,
        subject_weight=subject_weight,
        signals=signals,
    )


def _keywords(file: _File) -> dict[str, float]:
    """The older rule type, weighted keywords (an owner's copy from before signals)."""
    if "keywords" not in file.data:
        return {}
    tables = file.data["keywords"]
    if not isinstance(tables, dict):
        raise file.error("keywords", "expected [keywords.ja] / [keywords.en] tables")
    file.only_keys(tables, _INCIDENT_LANGUAGES, "keywords.")
    keywords: dict[str, float] = {}
    for language, table in tables.items():
        if not isinstance(table, dict):
            raise file.error(f"keywords.{language}", "expected a table of keyword = weight")
        for word in table:
            key = f'keywords.{language}."{word}"'
            if not word.strip():
                raise file.error(key, "empty keyword")
            keywords[word] = file.positive_number(key, table, word)
    if not keywords:
        raise file.error("keywords", "needs at least one keyword")
    return keywords


def _signals(file: _File) -> tuple[SignalRule, ...]:
    raw = file.data.get("signal", [])
    if not isinstance(raw, list):
        raise file.error("signal", "expected [[signal]] tables")
    out: list[SignalRule] = []
    for index, table in enumerate(raw):
        prefix = f"signal[{index}]."
        if not isinstance(table, dict):
            raise file.error(f"signal[{index}]", "expected a table")
        kind = table.get("kind")
        if not isinstance(kind, str) or kind not in KINDS:
            raise file.error(f"{prefix}kind", f"one of {', '.join(KINDS)}")
        file.only_keys(table, _SIGNAL_KEYS | set(KINDS[kind]), prefix)
        name = table.get("name")
        if not isinstance(name, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            raise file.error(f"{prefix}name", "required, lower-case letters, digits and _")
        if any(rule.name == name for rule in out):
            raise file.error(f"{prefix}name", f"{name!r} is used by another signal")
        weight = table.get("weight")
        if (
            isinstance(weight, bool)
            or not isinstance(weight, int | float)
            or weight == 0
            or not math.isfinite(weight)
        ):
            raise file.error(f"{prefix}weight", "expected a non-zero number (negative: against)")
        why = table.get("why", "")
        if not isinstance(why, str):
            raise file.error(f"{prefix}why", "expected a string")
        lists = {key: file.strings(key, table, prefix) for key in KINDS[kind]}
        if not any(lists.values()):
            raise file.error(prefix.rstrip("."), f"needs words ({', '.join(KINDS[kind])})")
        for pattern_index, pattern in enumerate(lists.get("patterns", ())):
            try:
                re.compile(pattern)
            except re.error as exc:
                raise file.error(
                    f"{prefix}patterns[{pattern_index}]", f"bad regular expression: {exc}"
                ) from None
        out.append(
            SignalRule(
                name=name,
                kind=kind,
                weight=float(weight),
                why=why.strip(),
                check=build_check(kind, lists),
            )
        )
    return tuple(out)


def _reports(file: _File) -> ReportRules:
    table = file.data.get("reports")
    if not isinstance(table, dict):
        raise file.error("reports", "expected a [reports] table")
    file.only_keys(table, {"root_cause", "remediation", "pending"}, "reports.")
    markers = {}
    for key in ("root_cause", "remediation"):
        markers[key] = file.strings(key, table, "reports.")
        if not markers[key]:
            raise file.error(f"reports.{key}", "needs at least one marker")
    return ReportRules(
        root_cause=markers["root_cause"],
        remediation=markers["remediation"],
        pending=file.strings("pending", table, "reports."),
    )


_CLIENT_KEYS = {"name", "match", "language", "honorific", "company", "reply_within"}


def _clients(file: _File) -> ClientDirectory:
    file.only_keys(file.data, {"ignore", "client"})
    raw_clients = file.data.get("client", [])
    if not isinstance(raw_clients, list):
        raise file.error("client", "expected [[client]] tables")
    clients = []
    for index, table in enumerate(raw_clients):
        prefix = f"client[{index}]."
        if not isinstance(table, dict):
            raise file.error(f"client[{index}]", "expected a table")
        file.only_keys(table, _CLIENT_KEYS, prefix)
        name = table.get("name")
        if not isinstance(name, str) or not name.strip():
            raise file.error(f"{prefix}name", "required, a non-empty string")
        match = file.strings("match", table, prefix)
        if not match:
            raise file.error(f"{prefix}match", "needs at least one address or domain")
        language = _optional_str(file, table, "language", prefix)
        if language not in (None, "ja", "en"):
            raise file.error(f"{prefix}language", "must be 'ja' or 'en'")
        reply_within = _optional_str(file, table, "reply_within", prefix)
        try:
            within = parse_duration(reply_within) if reply_within else None
        except ValueError as exc:
            raise file.error(f"{prefix}reply_within", str(exc)) from None
        clients.append(
            ClientRule(
                name=name.strip(),
                match=SenderMatcher.of(match),
                language=language,
                honorific=_optional_str(file, table, "honorific", prefix),
                company=_optional_str(file, table, "company", prefix),
                reply_within=within,
            )
        )
    return ClientDirectory(clients=tuple(clients), ignore=SenderMatcher.of(file.strings("ignore")))


def _optional_str(file: _File, table: dict[str, Any], key: str, prefix: str) -> str | None:
    value = table.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise file.error(f"{prefix}{key}", "expected a string")
    return value.strip() or None

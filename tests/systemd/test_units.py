"""The shipped systemd units (SPEC §11): required settings, `systemd-analyze verify` and the
`systemd-analyze security` exposure level of the system and template units."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SYSTEMD = ROOT / "systemd"

# The level the system and template units must stay at or below (systemd-analyze's 0-10 scale).
MAX_EXPOSURE = 2.0

Sections = dict[str, list[tuple[str, str]]]


@dataclass(frozen=True)
class Unit:
    path: Path
    scope: str  # "system" or "user"
    binary: str  # the executable as ExecStart names it
    staged_name: str  # file name for systemd-analyze: templates need an instance

    @property
    def id(self) -> str:
        return str(self.path.relative_to(SYSTEMD))


SYSTEM = Unit(
    SYSTEMD / "inboxguard.service", "system", "/usr/local/bin/inboxguard", "inboxguard.service"
)
TEMPLATE = Unit(
    SYSTEMD / "inboxguard@.service",
    "system",
    "/usr/local/bin/inboxguard",
    "inboxguard@example.service",
)
USER = Unit(
    SYSTEMD / "user" / "inboxguard.service",
    "user",
    "%h/.local/bin/inboxguard",
    "inboxguard.service",
)
UNITS = [SYSTEM, TEMPLATE, USER]
SYSTEM_UNITS = [SYSTEM, TEMPLATE]


def parse_unit(text: str) -> Sections:
    """Every assignment in file order; configparser would keep only the last of a repeated
    key, and SystemCallFilter= is deliberately given twice."""
    sections: Sections = {}
    current: list[tuple[str, str]] | None = None
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.endswith("\\"):
            pending += line[:-1].rstrip() + " "
            continue
        line, pending = pending + line, ""
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
            continue
        key, sep, value = line.partition("=")
        assert sep, f"not a setting: {raw!r}"
        assert current is not None, f"setting outside a section: {raw!r}"
        current.append((key.strip(), value.strip()))
    return sections


def load(unit: Unit) -> Sections:
    return parse_unit(unit.path.read_text(encoding="utf-8"))


def values(sections: Sections, section: str, key: str) -> list[str]:
    return [v for k, v in sections.get(section, []) if k == key]


def single(sections: Sections, section: str, key: str) -> str:
    found = values(sections, section, key)
    assert len(found) == 1, f"[{section}] {key}= is set {len(found)} times, expected once"
    return found[0]


def keys(sections: Sections, section: str) -> set[str]:
    return {k for k, _ in sections.get(section, [])}


# -- settings --------------------------------------------------------------------------------

LIFECYCLE = {
    "Type": "notify",
    "NotifyAccess": "main",
    "WatchdogSec": "10min",
    "Restart": "on-failure",
    "RestartSec": "30s",
    "RestartPreventExitStatus": "2",
    "ExecReload": "/bin/kill -HUP $MAINPID",
    "KillSignal": "SIGTERM",
    "TimeoutStopSec": "20s",
}

# Seccomp and prctl() settings: they need no privileges, so the user unit has them too.
UNPRIVILEGED_HARDENING = {
    "NoNewPrivileges": "yes",
    "RestrictNamespaces": "yes",
    "RestrictRealtime": "yes",
    "RestrictSUIDSGID": "yes",
    "LockPersonality": "yes",
    "MemoryDenyWriteExecute": "yes",
    "SystemCallArchitectures": "native",
    "SystemCallErrorNumber": "EPERM",
    "UMask": "0077",
}

SYSTEM_HARDENING = {
    **UNPRIVILEGED_HARDENING,
    "CapabilityBoundingSet": "",
    "AmbientCapabilities": "",
    "PrivateUsers": "yes",
    "ProtectSystem": "strict",
    "ProtectHome": "read-only",
    "PrivateTmp": "yes",
    "PrivateDevices": "yes",
    "DevicePolicy": "closed",
    "PrivateMounts": "yes",
    "PrivateIPC": "yes",
    "ProtectKernelTunables": "yes",
    "ProtectKernelModules": "yes",
    "ProtectKernelLogs": "yes",
    "ProtectControlGroups": "yes",
    "ProtectClock": "yes",
    "ProtectHostname": "yes",
    "ProtectProc": "invisible",
    "ProcSubset": "pid",
    "RemoveIPC": "yes",
    "KeyringMode": "private",
}

# Settings a user manager cannot apply without privileges (or, for the mount-namespace ones,
# only inside PrivateUsers=, which fails where unprivileged user namespaces are off).
NOT_IN_USER_UNITS = {
    "User",
    "Group",
    "SupplementaryGroups",
    "CapabilityBoundingSet",
    "AmbientCapabilities",
    "PrivateUsers",
    "ProtectSystem",
    "ProtectHome",
    "PrivateTmp",
    "PrivateDevices",
    "DevicePolicy",
    "PrivateMounts",
    "PrivateIPC",
    "ProtectKernelTunables",
    "ProtectKernelModules",
    "ProtectKernelLogs",
    "ProtectControlGroups",
    "ProtectClock",
    "ProtectHostname",
    "ProtectProc",
    "ProcSubset",
    "RemoveIPC",
    "ReadWritePaths",
    "LoadCredentialEncrypted",
}


@pytest.mark.parametrize("unit", UNITS, ids=lambda u: u.id)
def test_lifecycle_settings(unit: Unit) -> None:
    sections = load(unit)
    for key, expected in LIFECYCLE.items():
        assert single(sections, "Service", key) == expected, key
    assert "PYTHONUNBUFFERED=1" in " ".join(values(sections, "Service", "Environment"))


@pytest.mark.parametrize("unit", UNITS, ids=lambda u: u.id)
def test_unprivileged_hardening(unit: Unit) -> None:
    sections = load(unit)
    for key, expected in UNPRIVILEGED_HARDENING.items():
        assert single(sections, "Service", key) == expected, key
    families = single(sections, "Service", "RestrictAddressFamilies").split()
    assert sorted(families) == ["AF_INET", "AF_INET6", "AF_UNIX"]
    assert values(sections, "Service", "SystemCallFilter") == [
        "@system-service",
        "~@privileged @resources",
    ]


@pytest.mark.parametrize("unit", SYSTEM_UNITS, ids=lambda u: u.id)
def test_system_unit_hardening(unit: Unit) -> None:
    sections = load(unit)
    for key, expected in SYSTEM_HARDENING.items():
        assert single(sections, "Service", key) == expected, key
    assert single(sections, "Service", "User") == "inboxguard"
    assert single(sections, "Service", "Group") == "inboxguard"
    assert single(sections, "Service", "StateDirectoryMode") == "0700"
    assert single(sections, "Service", "ConfigurationDirectory") == "inboxguard"
    # Mail servers can be anywhere; an address allow list or a private network breaks polling.
    assert not keys(sections, "Service") & {"IPAddressDeny", "IPAddressAllow", "PrivateNetwork"}
    assert single(sections, "Install", "WantedBy") == "multi-user.target"


@pytest.mark.parametrize("unit", SYSTEM_UNITS, ids=lambda u: u.id)
def test_system_units_show_the_credentials_the_config_names(unit: Unit) -> None:
    text = unit.path.read_text(encoding="utf-8")
    assert re.search(r"^#LoadCredential=imap-work:/", text, re.MULTILINE)
    assert re.search(r"^#LoadCredential=smtp:/", text, re.MULTILINE)
    assert 'password_credential = "imap-work"' in text
    assert 'smtp_password_credential = "smtp"' in text


def test_system_unit_paths() -> None:
    sections = load(SYSTEM)
    assert (
        single(sections, "Service", "ExecStart")
        == "/usr/local/bin/inboxguard --config /etc/inboxguard/config.toml run"
    )
    assert single(sections, "Service", "StateDirectory") == "inboxguard"


def test_template_unit_paths() -> None:
    sections = load(TEMPLATE)
    assert (
        single(sections, "Service", "ExecStart")
        == "/usr/local/bin/inboxguard --config /etc/inboxguard/%i.toml run"
    )
    assert single(sections, "Service", "StateDirectory") == "inboxguard/%i"


def test_template_differs_from_the_system_unit_only_in_its_paths() -> None:
    per_instance = {"Description", "ExecStart", "StateDirectory"}

    def shared(unit: Unit) -> Sections:
        return {
            name: [(k, v) for k, v in settings if k not in per_instance]
            for name, settings in load(unit).items()
        }

    assert shared(TEMPLATE) == shared(SYSTEM)


def test_user_unit() -> None:
    sections = load(USER)
    assert single(sections, "Service", "ExecStart") == "%h/.local/bin/inboxguard run"
    assert single(sections, "Install", "WantedBy") == "default.target"
    present = keys(sections, "Service") & NOT_IN_USER_UNITS
    assert not present, f"not available to an unprivileged user manager: {sorted(present)}"
    # systemd 252 maps a user unit's StateDirectory= to $XDG_CONFIG_HOME; the daemon's own
    # default ($XDG_STATE_HOME/inboxguard) is where `inboxguard auth` keeps the tokens.
    assert "StateDirectory" not in keys(sections, "Service")
    # network-online.target is a system target the user manager cannot see.
    assert "network-online.target" not in " ".join(v for _, v in sections.get("Unit", []))


def test_parser_keeps_repeated_keys_and_joins_continuations() -> None:
    sections = parse_unit("[Service]\n# c\nA=1\nA=2\nB=x \\\n  y\n")
    assert sections == {"Service": [("A", "1"), ("A", "2"), ("B", "x y")]}


# -- systemd-analyze -------------------------------------------------------------------------


def systemd_analyze() -> str:
    path = shutil.which("systemd-analyze")
    if path is None:
        message = "systemd-analyze not found (Debian: apt-get install systemd)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


def stage(unit: Unit, tmp_path: Path) -> Path:
    """A copy whose ExecStart binary exists (verify insists on it), named with an instance
    for the template."""
    stub = tmp_path / "bin" / "inboxguard"
    stub.parent.mkdir(exist_ok=True)
    stub.write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")
    stub.chmod(0o755)
    text = unit.path.read_text(encoding="utf-8")
    assert unit.binary in text
    staged = tmp_path / unit.staged_name
    staged.write_text(text.replace(unit.binary, str(stub)), encoding="utf-8")
    return staged


def analyze(unit: Unit, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [systemd_analyze()]
    env = dict(os.environ)
    if unit.scope == "user":
        command.append("--user")
        # A user manager, even an offline one, needs a runtime directory to exist.
        runtime = tmp_path / "runtime"
        runtime.mkdir(mode=0o700, exist_ok=True)
        env["XDG_RUNTIME_DIR"] = str(runtime)
    command += [*args, str(stage(unit, tmp_path))]
    return subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=120, check=False
    )


@pytest.mark.parametrize("unit", UNITS, ids=lambda u: u.id)
def test_systemd_analyze_verify(unit: Unit, tmp_path: Path) -> None:
    done = analyze(unit, tmp_path, "verify", "--man=no")
    assert done.returncode == 0, done.stderr
    assert "inboxguard" not in done.stderr, done.stderr


def exposure(output: str) -> float:
    found = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", output)
    assert found, f"no exposure level in:\n{output}"
    return float(found.group(1))


@pytest.mark.parametrize("unit", SYSTEM_UNITS, ids=lambda u: u.id)
def test_systemd_analyze_security(unit: Unit, tmp_path: Path) -> None:
    done = analyze(unit, tmp_path, "security", "--offline=true", "--no-pager")
    assert done.returncode == 0, done.stderr
    level = exposure(done.stdout)
    assert level <= MAX_EXPOSURE, done.stdout


def test_exposure_parser() -> None:
    line = "→ Overall exposure level for inboxguard@example.service: 1.2 OK 🙂"
    assert exposure(line) == 1.2

"""`inboxguard --help` loads click, not every library some account kind might need."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = (
    "exchangelib",
    "msal",
    "httpx",
    "apprise",
    "sqlalchemy.dialects.postgresql",
    "icalendar",
    "sudachipy",
)


def loaded_after(code: str) -> set[str]:
    """Which of HEAVY a fresh interpreter holds after running ``code``."""
    report = f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    probe = f"import json, sys\n{code}\n{report}"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    return set(json.loads(done.stdout.splitlines()[-1]))


def test_importing_the_cli_loads_none_of_the_heavy_libraries() -> None:
    assert loaded_after("import inboxguard.cli") == set()


def test_a_commands_help_loads_none_of_the_heavy_libraries() -> None:
    code = (
        "from inboxguard.cli import main\n"
        "try:\n    main(['run', '--help'])\nexcept SystemExit:\n    pass"
    )
    assert loaded_after(code) == set()


@pytest.mark.parametrize("module", ["inboxguard.backends.imap", "inboxguard.backends.maildir"])
def test_imap_and_maildir_accounts_never_load_the_microsoft_stack(module: str) -> None:
    assert loaded_after(f"import {module}") & {"exchangelib", "msal", "httpx"} == set()


def test_the_probe_sees_a_heavy_library_when_it_is_loaded() -> None:
    # The probe itself can fail: importing exchangelib shows up.
    assert "exchangelib" in loaded_after("import exchangelib")

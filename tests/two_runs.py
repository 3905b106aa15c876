"""Two `inboxguard run --once` processes started together on one configuration and store:
what a manual run beside the service, or cron beside systemd, does."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

INBOXGUARD = str(Path(sys.executable).with_name("inboxguard"))


@dataclass(frozen=True, slots=True)
class Finished:
    returncode: int
    stdout: str
    stderr: str


def run_twice_at_once(config: Path, env: dict[str, str] | None = None) -> list[Finished]:
    """Both processes started before either is waited for; their outcomes in start order."""
    environment = {**os.environ, "INBOXGUARD_CONFIG": str(config), **(env or {})}
    processes = [
        subprocess.Popen(
            [INBOXGUARD, "run", "--once"],
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    finished = []
    for process in processes:
        out, err = process.communicate(timeout=300)
        finished.append(Finished(process.returncode, out, err))
    return finished


def assert_both_succeeded(runs: list[Finished]) -> None:
    """Neither failed, neither printed a traceback or a database error."""
    for run in runs:
        assert run.returncode == 0, run.stderr
        for text in (run.stdout, run.stderr):
            assert "Traceback" not in text
            assert "OperationalError" not in text and "IntegrityError" not in text

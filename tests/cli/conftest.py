"""Fixtures of the command-line tests: a Maildir and a configuration file pointing at it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.mailboxes import Maildir, config_dict, write_config


@pytest.fixture
def mail(tmp_path: Path) -> Maildir:
    return Maildir(tmp_path / "Mail")


@pytest.fixture
def config(tmp_path: Path, mail: Maildir) -> Path:
    return write_config(tmp_path / "config.toml", config_dict(mail.root, tmp_path))

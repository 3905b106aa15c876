"""Fixtures of the service tests: a Maildir and the context of a configuration for it."""

from __future__ import annotations

from pathlib import Path

import pytest

from inboxguard.config import parse_config
from inboxguard.service.context import Context
from tests.mailboxes import Maildir, config_dict


@pytest.fixture
def maildir(tmp_path: Path) -> Maildir:
    return Maildir(tmp_path / "Mail")


@pytest.fixture
def ctx(tmp_path: Path, maildir: Maildir) -> Context:
    return Context.build(parse_config(config_dict(maildir.root, tmp_path)))

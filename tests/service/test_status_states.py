"""Every thread state has its word and colour in the status table (a new state must not
raise a KeyError in front of the owner)."""

from __future__ import annotations

from inboxguard.domain.reply_clock import ThreadState
from inboxguard.service import status_view


def test_every_state_is_styled_and_named() -> None:
    for state in ThreadState:
        assert state in status_view._STATE_STYLE
        assert state in status_view._SHORT_STATE

"""Deterministic Message-IDs for the drafts InboxGuard writes (SPEC §6).

The id is what makes "never the same draft twice" checkable: before appending, Drafts is
searched for it, and a restarted process computes the same id from the same facts. So it
is built from sha256 (``hash()`` is salted per process) over the account, the thread, the
clock start as a UTC instant (the same moment seen from Tokyo or from UTC is one clock),
and the purpose.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime

DRAFT_ID_DOMAIN = "inboxguard.invalid"
DRAFT_ID_PREFIX = "<ig-"

# Purposes appear verbatim in the id, so they must be valid dot-atom text; the known ones are
# holding, first_report, root_cause and remediation.
_PURPOSE = re.compile(r"[a-z][a-z0-9_]{0,31}")


def draft_message_id(account: str, thread_id: str, clock_start: datetime, purpose: str) -> str:
    """``<ig-{purpose}-{24 hex}@inboxguard.invalid>`` for this draft of this clock."""
    if not _PURPOSE.fullmatch(purpose):
        raise ValueError(f"draft purpose {purpose!r} must match {_PURPOSE.pattern}")
    # NUL separates the fields. Account and purpose (and the ISO timestamp) never contain
    # one, so the first and the last two NULs are always the separators and the thread id,
    # whatever bytes a hostile mail put into it, cannot make two inputs collide.
    if "\0" in account:
        raise ValueError("account name must not contain NUL")
    if clock_start.tzinfo is None or clock_start.utcoffset() is None:
        raise ValueError(f"clock_start must be timezone-aware, got {clock_start.isoformat()}")
    instant = clock_start.astimezone(UTC).isoformat()
    material = "\0".join((account, thread_id, instant, purpose))
    # surrogatepass: a thread id derived from undecodable header bytes may hold lone
    # surrogates; they must hash, not raise.
    digest = hashlib.sha256(material.encode("utf-8", "surrogatepass")).hexdigest()[:24]
    return f"{DRAFT_ID_PREFIX}{purpose}-{digest}@{DRAFT_ID_DOMAIN}>"


def is_ours(message_id: str) -> bool:
    """Whether a Message-ID has the shape of one of our drafts (or digests): ours never
    count as the owner's own reply in progress."""
    return message_id.startswith(DRAFT_ID_PREFIX)

"""msal's serialised token cache in an account's 0600 token file (IMAP and Graph consents).

The cache holds the refresh token, so every token in it is registered for log redaction
when it is read or written. ``provider`` tells the consents apart: an IMAP consent is no
Graph consent even for the same Microsoft account (other scopes).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msal

from inboxguard.auth.token_store import ConsentNeededError, read_tokens, write_tokens
from inboxguard.log_setup import register_secret

AUTHORITY_BASE = "https://login.microsoftonline.com"


def authority(endpoint: str | None, tenant: str) -> str:
    """The tenant's authority URL, at ``endpoint`` (national clouds, tests) or Microsoft's."""
    return f"{(endpoint or AUTHORITY_BASE).rstrip('/')}/{tenant}"


def load_cache(account: str, path: Path, *, provider: str, kind: str) -> Any:
    """The stored cache; ConsentNeededError naming ``kind`` when it is not this consent."""
    stored = read_tokens(account, path)
    serialized = stored.get("msal_cache")
    if stored.get("provider") != provider or not isinstance(serialized, str):
        raise ConsentNeededError(account, f"the stored consent is not a {kind} one")
    cache = msal.SerializableTokenCache()
    try:
        cache.deserialize(serialized)
    except ValueError:
        raise ConsentNeededError(account, f"{path} is damaged") from None
    register_cache_tokens(serialized)
    return cache


def save_cache(account: str, path: Path, cache: Any, *, provider: str) -> None:
    serialized = cache.serialize()
    register_cache_tokens(serialized)  # a consent just given, or a token msal just refreshed
    write_tokens(account, path, {"provider": provider, "msal_cache": serialized})


def register_cache_tokens(serialized: str) -> None:
    """Every token in msal's serialised cache (each entry's ``secret``) is redacted from logs."""
    try:
        sections = json.loads(serialized)
    except ValueError:
        return
    if not isinstance(sections, dict):
        return
    for section in sections.values():
        entries = section.values() if isinstance(section, dict) else ()
        for entry in entries:
            if isinstance(entry, dict) and isinstance(entry.get("secret"), str):
                register_secret(entry["secret"])

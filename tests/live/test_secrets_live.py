"""No secret reaches the log, an error or the state store through real logins (SPEC §1, 5).

Full cycles against a real Dovecot with logging at debug as JSON lines into a file, as the
service runs under journald: a password account and an XOAUTH2 account (tokens from the local
Google stand-in), then the same accounts refused (a wrong password, a revoked consent) so the
error paths log too. Then every byte written is searched for every secret.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
import structlog

from inboxguard.auth.token_store import ConsentNeededError, token_path
from inboxguard.backends.imap import ImapBackend
from inboxguard.config import Config, ImapAccount, parse_config
from inboxguard.errors import LoginFailedError
from inboxguard.log_setup import IMAP_PROTOCOL_LOGGERS, REDACTED, configure_logging
from inboxguard.service.context import Context
from inboxguard.service.cycle import AccountResult, run_cycle
from inboxguard.store import StateStore
from tests.live.conftest import ENV_PASSWORD, PASSWORD, Dovecot, Mailbox
from tests.mailboxes import config_dict
from tests.oauth_server import CLIENT_ID, CLIENT_SECRET, FakeGoogle, give_consent

pytestmark = pytest.mark.live

WRONG_PASSWORD = "Wr0ng-pa55word-7d1e"


@pytest.fixture
def log_file(tmp_path: Path) -> Iterator[Path]:
    """Logging as the service configures it under journald at -vv, into a file."""
    root = logging.getLogger()
    handlers = list(root.handlers)
    levels = {name: logging.getLogger(name).level for name in ("", *IMAP_PROTOCOL_LOGGERS)}
    before = structlog.get_config()
    path = tmp_path / "inboxguard.log"
    with path.open("w", encoding="utf-8") as stream:
        configure_logging(logging.DEBUG, fmt="json", stream=stream)
        yield path
        for handler in [h for h in root.handlers if h not in handlers]:
            root.removeHandler(handler)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)
    structlog.configure(**before)


@dataclass
class Accounts:
    """A password account and an XOAUTH2 one, each with its own mailbox on the live server."""

    password_box: Mailbox
    oauth_box: Mailbox
    provider: FakeGoogle
    environ: dict[str, str]
    config: Config
    directory: Path  # the test's: the state database (the ``store`` fixture's) lives here


@pytest.fixture
def accounts(
    oauth_dovecot: Dovecot,
    oauth_provider: FakeGoogle,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Accounts]:
    # The backend finds the token file and the client secret through the process environment.
    environ = {"XDG_STATE_HOME": str(tmp_path / "xdg-state"), "GOOGLE_SECRET": CLIENT_SECRET}
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    # This Dovecot takes both LOGIN (password) and XOAUTH2.
    password_box = Mailbox(oauth_dovecot, oauth_dovecot.new_user())
    oauth_box = Mailbox(oauth_dovecot, oauth_dovecot.new_user())
    config = two_accounts(password_box, oauth_box, oauth_provider, tmp_path)
    yield Accounts(password_box, oauth_box, oauth_provider, environ, config, tmp_path)
    password_box.close()
    oauth_box.close()


def two_accounts(
    password_box: Mailbox, oauth_box: Mailbox, provider: FakeGoogle, tmp_path: Path
) -> Config:
    data = config_dict(tmp_path / "unused", tmp_path)
    server = {"kind": "imap", "host": password_box.server.host, "security": "none"}
    data["accounts"] = [
        {
            **server,
            "name": "work",
            "port": password_box.server.port,
            "username": password_box.user,
            "password_env": ENV_PASSWORD,
        },
        {
            **server,
            "name": "gmail",
            "port": oauth_box.server.port,
            "username": oauth_box.user,
            "auth": "oauth2",
            "oauth_provider": "google",
            "oauth_client_id": CLIENT_ID,
            "oauth_client_secret_env": "GOOGLE_SECRET",
            "oauth_endpoint": provider.base_url,
        },
    ]
    return parse_config(data)


def imap_account(config: Config, name: str) -> ImapAccount:
    (account,) = [a for a in config.accounts if a.name == name]
    assert isinstance(account, ImapAccount)
    return account


def cycle(ctx: Context, store: StateStore, now: datetime) -> list[AccountResult]:
    backends = [ImapBackend(imap_account(ctx.config, name)) for name in ("work", "gmail")]
    return run_cycle(ctx, store, backends, now=now)


def xoauth2(user: str, token: str) -> str:
    """What AUTHENTICATE XOAUTH2 sends: the SASL string in base64."""
    return base64.b64encode(f"user={user}\x01auth=Bearer {token}\x01\x01".encode()).decode()


def test_no_password_or_token_reaches_the_log_file_an_error_or_the_state_store(
    accounts: Accounts,
    log_file: Path,
    store: StateStore,
    now: datetime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config, oauth_box, oauth_provider = accounts.config, accounts.oauth_box, accounts.provider
    ctx = Context.build(config)
    given = give_consent(imap_account(config, "gmail"), oauth_provider, accounts.environ)
    assert given.error is None, given.error
    for box in (accounts.password_box, oauth_box):
        box.client_mail("INBOX", now - timedelta(hours=20))

    results = cycle(ctx, store, now)  # both log in; a holding draft each
    assert all(r.ok for r in results), [r.error for r in results]
    assert all(len(r.drafts_written) == 1 for r in results)
    path = token_path("gmail")
    path.write_text(json.dumps({**json.loads(path.read_text()), "expires_at": 0}))
    results += cycle(ctx, store, now + timedelta(minutes=2))  # the access token refreshed first
    assert all(r.ok for r in results)

    # Both refused: the password is wrong, the consent revoked (the cached token is refused).
    monkeypatch.setenv(ENV_PASSWORD, WRONG_PASSWORD)
    oauth_provider.revoke(oauth_box.user)
    refused = cycle(ctx, store, now + timedelta(minutes=4))
    assert all(r.error is not None for r in refused), [r.error for r in refused]
    results += refused
    errors: list[str] = []
    for name, error in (("work", LoginFailedError), ("gmail", ConsentNeededError)):
        # Straight to the backend: a second refusal (the refresh token hears invalid_grant).
        with pytest.raises(error) as caught, ImapBackend(imap_account(config, name)):
            pass
        errors.append(str(caught.value))

    tokens = {t for t, user in oauth_provider.access_tokens.items() if user == oauth_box.user}
    tokens |= {t for t, user in oauth_provider.refresh_tokens.items() if user == oauth_box.user}
    assert len(tokens) >= 3  # one refresh token, two access tokens
    secrets = {PASSWORD, WRONG_PASSWORD, CLIENT_SECRET, *tokens}
    # A line quoting every secret outright: only their registration (at the moment each was
    # resolved, obtained or read) stands between it and the file.
    structlog.get_logger("test").debug("every secret", values=sorted(secrets))
    store.close()  # everything on disk: the database and its WAL

    written = log_file.read_text(encoding="utf-8")
    lines: list[dict[str, Any]] = [json.loads(line) for line in written.splitlines()]
    events = [(line["level"], line["event"]) for line in lines]
    # Four cycles ran (info when mail or drafts came, debug when quiet).
    assert [event for _, event in events].count("account cycle done") == 4
    assert events.count(("error", "account cycle failed")) == 2
    assert not any(line.get("logger", "").startswith("imapclient.imaplib") for line in lines)
    assert lines[-1]["values"] == [REDACTED] * len(secrets)

    # The database, its WAL and the lock files beside it (state.db.locks/).
    stored = [
        f
        for p in accounts.directory.glob("state.db*")
        for f in ([p] if p.is_file() else sorted(p.iterdir()))
    ]
    database = b"".join(f.read_bytes() for f in stored)
    texts = [written, *(r.error or "" for r in results), *errors]
    forms = {form for s in secrets for form in (s, quote(s, safe=""), quote_plus(s))}
    forms |= {xoauth2(oauth_box.user, t) for t in tokens}
    # The authorization code too, though only the test's browser stand-in sends it (httpx logs
    # the redirect's URL): the owner's browser does that, InboxGuard never logs it.
    forms |= {given.code, quote(given.code, safe="")}
    for form in forms:
        assert form.encode() not in database
        for text in texts:
            assert form not in text

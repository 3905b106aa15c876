"""XOAUTH2 against a real Dovecot whose oauth2 passdb asks a local provider about each token.

The provider (tests/oauth_server.py) issues tokens through the same consent flow the owner
runs, and answers Dovecot's introspection: active for what it issued, inactive once revoked.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
import structlog
from click.testing import CliRunner
from structlog.testing import capture_logs

from inboxguard.auth.token_store import ConsentNeededError, token_path
from inboxguard.backends.imap import ImapBackend
from inboxguard.cli import main
from inboxguard.config import Config, ImapAccount, parse_config
from inboxguard.errors import BackendError, LoginFailedError
from inboxguard.service.context import Context
from inboxguard.service.cycle import AccountResult, run_cycle
from inboxguard.store import StateStore
from tests.live.conftest import Dovecot, Mailbox
from tests.mailboxes import config_dict, write_config
from tests.oauth_server import CLIENT_ID, CLIENT_SECRET, FakeGoogle, give_consent

pytestmark = pytest.mark.live


@pytest.fixture
def environ(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    # The backend finds the token file through the process environment, like the service.
    settings = {"XDG_STATE_HOME": str(tmp_path / "xdg-state"), "GOOGLE_SECRET": CLIENT_SECRET}
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    return settings


@pytest.fixture
def box(oauth_dovecot: Dovecot) -> Iterator[Mailbox]:
    mailbox = Mailbox(oauth_dovecot, oauth_dovecot.new_user())  # set up with a password
    yield mailbox
    mailbox.close()


@dataclass
class Case:
    """One test's mailbox, the provider, the token file's environment and the config."""

    box: Mailbox
    provider: FakeGoogle
    environ: dict[str, str]
    config: Config
    tmp_path: Path

    @property
    def account(self) -> ImapAccount:
        return account_of(self.config)

    def consent(self) -> None:
        given = give_consent(self.account, self.provider, self.environ)
        assert given.error is None, given.error


@pytest.fixture
def case(box: Mailbox, oauth_provider: FakeGoogle, environ: dict[str, str], tmp_path: Path) -> Case:
    return Case(box, oauth_provider, environ, oauth_config(box, oauth_provider, tmp_path), tmp_path)


def oauth_config(box: Mailbox, provider: FakeGoogle, tmp_path: Path) -> Config:
    data = config_dict(tmp_path / "unused", tmp_path)
    data["accounts"] = [
        {
            "name": "work",
            "kind": "imap",
            "host": box.server.host,
            "port": box.server.port,
            "security": "none",
            "username": box.user,
            "auth": "oauth2",
            "oauth_provider": "google",
            "oauth_client_id": CLIENT_ID,
            "oauth_client_secret_env": "GOOGLE_SECRET",
            "oauth_endpoint": provider.base_url,
        }
    ]
    return parse_config(data)


def account_of(config: Config) -> ImapAccount:
    account = config.accounts[0]
    assert isinstance(account, ImapAccount)
    return account


def cycle(ctx: Context, store: StateStore, now: datetime) -> AccountResult:
    (result,) = run_cycle(ctx, store, [ImapBackend(account_of(ctx.config))], now=now)
    return result


def test_a_cycle_logs_in_with_xoauth2_and_writes_the_holding_draft(
    case: Case, store: StateStore, now: datetime
) -> None:
    config, box = case.config, case.box
    case.consent()
    box.client_mail("INBOX", now - timedelta(hours=20))
    result = cycle(Context.build(config), store, now)
    assert result.ok, result.error
    assert len(result.drafts_written) == 1
    assert len(box.messages("Drafts")) == 1
    log = (box.server.root / "dovecot.log").read_text(errors="replace")
    assert f"Login: user=<{box.user}>, method=XOAUTH2" in log


def test_an_expired_access_token_is_refreshed_before_the_login(
    case: Case, store: StateStore, now: datetime
) -> None:
    config = case.config
    case.consent()
    path = token_path("work", case.environ)
    stale = {**json.loads(path.read_text()), "expires_at": 0}
    path.write_text(json.dumps(stale))
    result = cycle(Context.build(config), store, now)
    assert result.ok, result.error
    assert json.loads(path.read_text())["access_token"] != stale["access_token"]


def test_a_revoked_consent_fails_in_one_line_naming_inboxguard_auth(
    case: Case, store: StateStore, now: datetime
) -> None:
    config, box = case.config, case.box
    case.consent()
    case.provider.revoke(box.user)
    # The cached access token is refused by the server (introspection: inactive) …
    result = cycle(Context.build(config), store, now)
    assert result.error is not None and "\n" not in result.error
    assert "run `inboxguard auth work`" in result.error
    # … and the next login, refreshing instead, hears invalid_grant from the provider.
    with pytest.raises(ConsentNeededError) as caught, ImapBackend(account_of(config)):
        pass
    assert isinstance(caught.value, LoginFailedError)  # backed off like a wrong password
    assert "invalid_grant" in str(caught.value)
    assert "run `inboxguard auth work`" in str(caught.value)


@pytest.fixture
def every_log_level() -> Iterator[None]:
    """Debug events too: an earlier CLI test may have set a WARNING filter process-wide."""
    before = structlog.get_config()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG))
    yield
    structlog.configure(**before)


@pytest.mark.usefixtures("every_log_level")
def test_no_token_reaches_a_log_line_an_error_or_the_state_store(
    case: Case, store: StateStore, now: datetime, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    config, box, oauth_provider = case.config, case.box, case.provider
    ctx = Context.build(config)
    path = token_path("work", case.environ)
    results: list[AccountResult] = []
    with capture_logs() as events:
        given = give_consent(case.account, oauth_provider, case.environ)
        box.client_mail("INBOX", now - timedelta(hours=20))
        results.append(cycle(ctx, store, now))  # draft written, logged in by XOAUTH2
        path.write_text(json.dumps({**json.loads(path.read_text()), "expires_at": 0}))
        results.append(cycle(ctx, store, now + timedelta(minutes=2)))  # refreshed first
        oauth_provider.revoke(box.user)
        results.append(cycle(ctx, store, now + timedelta(minutes=4)))  # refused, recorded
        with pytest.raises(ConsentNeededError) as refused, ImapBackend(account_of(config)):
            pass
    assert results[0].ok and results[1].ok and not results[2].ok
    stored = json.loads(path.read_text())
    tokens = {t for t in oauth_provider.issued() if t.startswith(("1//", "ya29."))}
    mine = {stored["refresh_token"]} | {
        t for t, user in oauth_provider.access_tokens.items() if user == box.user
    }
    assert mine <= tokens and len(mine) >= 3  # one refresh token, two access tokens
    store.close()  # everything on disk: the database and its WAL
    # The database, its WAL and the lock files beside it (state.db.locks/).
    stored = [
        f
        for p in case.tmp_path.glob("state.db*")
        for f in ([p] if p.is_file() else sorted(p.iterdir()))
    ]
    database = b"".join(f.read_bytes() for f in stored)
    texts = [repr(events), caplog.text, *given.printed, repr(results), str(refused.value)]
    for token in mine | {quote(t, safe="") for t in mine}:  # as they would sit in a URL too
        assert token.encode() not in database
        for text in texts:
            assert token not in text


def test_xoauth2_to_a_server_that_does_not_offer_it_says_so_naming_the_host_exit_1(
    mailbox: Mailbox,
    oauth_provider: FakeGoogle,
    environ: dict[str, str],
    tmp_path: Path,
) -> None:
    # The plain Dovecot takes passwords only: no AUTH=XOAUTH2 among its capabilities.
    config = oauth_config(mailbox, oauth_provider, tmp_path)
    case = Case(mailbox, oauth_provider, environ, config, tmp_path)
    case.consent()
    where = f"{mailbox.server.host}:{mailbox.server.port}"
    with pytest.raises(BackendError) as caught, ImapBackend(case.account):
        pass
    assert not isinstance(caught.value, LoginFailedError)
    assert f"{where} does not offer XOAUTH2" in str(caught.value)
    assert "inboxguard auth" not in str(caught.value)
    assert token_path("work").exists()  # the consent is not thrown away

    data = config_dict(tmp_path / "unused", tmp_path)
    data["accounts"] = [config.accounts[0].model_dump(mode="json", exclude_defaults=True)]
    path = write_config(tmp_path / "config.toml", data)
    runner = CliRunner()
    for args in (["check"], ["run", "--once"]):
        result = runner.invoke(main, ["--config", str(path), *args], catch_exceptions=False)
        assert result.exit_code == 1, result.output
        (line,) = [line for line in result.stderr.splitlines() if "XOAUTH2" in line]
        assert f"{where} does not offer XOAUTH2" in line and "consent" not in line

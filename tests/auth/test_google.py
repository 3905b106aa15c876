"""Google's loopback consent with PKCE and the refresh, against a local token endpoint.

The test plays the browser: it reads the printed consent URL, "clicks Allow" at the fake
provider, and follows the redirect to InboxGuard's one-shot listener on 127.0.0.1.
"""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from inboxguard.auth import google
from inboxguard.auth.token_store import ConsentNeededError, token_path
from inboxguard.config import ImapAccount
from inboxguard.errors import BackendError
from tests.oauth_server import CLIENT_ID, CLIENT_SECRET, FakeGoogle, fake_google, give_consent

USER = "hanako.sato@gmail.com"


@pytest.fixture
def fake() -> Iterator[FakeGoogle]:
    with fake_google() as running:
        yield running


@pytest.fixture
def environ(tmp_path: Path) -> dict[str, str]:
    return {"XDG_STATE_HOME": str(tmp_path / "state"), "GOOGLE_SECRET": CLIENT_SECRET}


def account(fake: FakeGoogle, **settings: Any) -> ImapAccount:
    return ImapAccount.model_validate(
        {
            "name": "gmail",
            "kind": "imap",
            "host": "imap.gmail.com",
            "username": USER,
            "auth": "oauth2",
            "oauth_provider": "google",
            "oauth_client_id": CLIENT_ID,
            "oauth_client_secret_env": "GOOGLE_SECRET",
            "oauth_endpoint": fake.base_url,
            **settings,
        }
    )


def stored(environ: dict[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(token_path("gmail", environ).read_text())
    return data


def test_the_default_endpoints_are_googles() -> None:
    gmail = ImapAccount.model_validate(
        {
            "name": "gmail",
            "kind": "imap",
            "host": "imap.gmail.com",
            "username": USER,
            "auth": "oauth2",
            "oauth_provider": "google",
            "oauth_client_id": CLIENT_ID,
        }
    )
    assert google.endpoints(gmail) == google.Endpoints(
        "https://accounts.google.com/o/oauth2/v2/auth", "https://oauth2.googleapis.com/token"
    )


def test_the_consent_url_asks_for_offline_mail_access_with_pkce_s256_on_loopback(
    fake: FakeGoogle, environ: dict[str, str]
) -> None:
    consent = give_consent(account(fake), fake, environ)
    assert consent.error is None
    query = consent.query
    assert query["client_id"] == CLIENT_ID
    assert query["redirect_uri"].startswith("http://127.0.0.1:")
    assert query["response_type"] == "code"
    assert query["scope"] == "https://mail.google.com/"
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) == 43  # base64url of a SHA-256, unpadded
    assert len(query["state"]) >= 32
    assert query["access_type"] == "offline" and query["prompt"] == "consent"


def test_the_printed_instructions_include_the_ssh_tunnel_for_the_listeners_port(
    fake: FakeGoogle, environ: dict[str, str]
) -> None:
    consent = give_consent(account(fake), fake, environ)
    port = consent.query["redirect_uri"].split(":")[2].rstrip("/")
    assert any(f"ssh -L {port}:127.0.0.1:{port}" in line for line in consent.printed)


def test_consent_exchanges_the_code_with_the_verifier_and_stores_the_refresh_token_0600(
    fake: FakeGoogle, environ: dict[str, str]
) -> None:
    consent = give_consent(account(fake), fake, environ)
    assert consent.error is None and consent.path == token_path("gmail", environ)
    assert fake.problems == []  # client_id, client_secret, verifier, redirect_uri all checked
    (exchange,) = fake.requests
    assert exchange["grant_type"] == "authorization_code"
    assert exchange["client_id"] == CLIENT_ID
    tokens = stored(environ)
    assert tokens["refresh_token"] in fake.refresh_tokens
    assert tokens["access_token"] in fake.access_tokens
    assert stat.S_IMODE(consent.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(consent.path.parent.stat().st_mode) == 0o700


def test_a_redirect_with_the_wrong_state_is_rejected_and_nothing_is_exchanged(
    fake: FakeGoogle, environ: dict[str, str]
) -> None:
    consent = give_consent(account(fake), fake, environ, state="forged-state")
    assert isinstance(consent.error, BackendError)
    assert "state did not match" in str(consent.error)
    assert fake.requests == []
    assert not token_path("gmail", environ).exists()


def test_a_fresh_cached_access_token_is_used_without_asking_the_provider(
    fake: FakeGoogle, environ: dict[str, str]
) -> None:
    give_consent(account(fake), fake, environ)
    cached = stored(environ)["access_token"]
    assert google.access_token(account(fake), environ=environ) == cached
    assert len(fake.requests) == 1  # only the code exchange


def test_an_access_token_expiring_within_60_seconds_is_refreshed_and_the_expiry_saved(
    fake: FakeGoogle, environ: dict[str, str]
) -> None:
    give_consent(account(fake), fake, environ)
    before = stored(environ)
    later = before["expires_at"] - 30  # 30 s left: too little for a cycle
    token = google.access_token(account(fake), environ=environ, clock=lambda: later)
    assert token != before["access_token"] and token in fake.access_tokens
    refresh = fake.requests[-1]
    assert refresh["grant_type"] == "refresh_token"
    assert refresh["refresh_token"] == before["refresh_token"]
    after = stored(environ)
    assert after["access_token"] == token
    assert after["expires_at"] == later + fake.expires_in
    assert after["refresh_token"] == before["refresh_token"]  # Google sent none: kept


def test_a_revoked_refresh_token_asks_for_inboxguard_auth_without_repeating_a_token(
    fake: FakeGoogle, environ: dict[str, str]
) -> None:
    give_consent(account(fake), fake, environ)
    before = stored(environ)
    fake.revoke()
    with pytest.raises(ConsentNeededError) as caught:
        google.access_token(account(fake), environ=environ, clock=lambda: 4e9)
    message = str(caught.value)
    assert "invalid_grant" in message and "run `inboxguard auth gmail`" in message
    assert "\n" not in message
    assert before["refresh_token"] not in message and "revoked." not in message


def test_no_consent_yet_asks_for_inboxguard_auth(fake: FakeGoogle, environ: dict[str, str]) -> None:
    with pytest.raises(ConsentNeededError, match="run `inboxguard auth gmail`"):
        google.access_token(account(fake), environ=environ)


def test_a_wrong_client_secret_is_reported_by_its_oauth_error_code_only(
    fake: FakeGoogle, environ: dict[str, str]
) -> None:
    consent = give_consent(account(fake), fake, {**environ, "GOOGLE_SECRET": "wrong-secret"})
    assert isinstance(consent.error, BackendError)
    assert "(invalid_client)" in str(consent.error)
    assert "wrong-secret" not in str(consent.error)


def test_an_unreachable_token_endpoint_is_one_line_naming_the_host(
    environ: dict[str, str],
) -> None:
    with fake_google() as gone:
        dead = account(gone)
    path = token_path("gmail", environ)
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"client_id": CLIENT_ID, "refresh_token": "1//0g-x"}))
    with pytest.raises(BackendError, match=r"token endpoint 127\.0\.0\.1:\d+ unreachable"):
        google.access_token(dead, environ=environ)


def test_forgetting_the_access_token_makes_the_next_call_refresh(
    fake: FakeGoogle, environ: dict[str, str]
) -> None:
    give_consent(account(fake), fake, environ)
    first = stored(environ)["access_token"]
    google.forget_access_token(account(fake), environ)
    assert "access_token" not in stored(environ)
    assert google.access_token(account(fake), environ=environ) != first


def test_neither_the_code_nor_any_token_is_printed_or_written_to_stderr(
    fake: FakeGoogle, environ: dict[str, str], capfd: pytest.CaptureFixture[str]
) -> None:
    consent = give_consent(account(fake), fake, environ)
    captured = capfd.readouterr()
    tokens = stored(environ)
    secrets = (consent.code, tokens["refresh_token"], tokens["access_token"], CLIENT_SECRET)
    for secret in {*secrets, *(quote(s, safe="") for s in secrets)}:  # as sent in a URL too
        assert secret not in captured.out + captured.err
        assert all(secret not in line for line in consent.printed)

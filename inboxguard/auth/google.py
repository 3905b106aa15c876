"""Google: the installed-app loopback flow with PKCE (RFC 8252, RFC 7636), and refreshing.

Consent: a one-shot HTTP listener on 127.0.0.1 (a free port) receives the browser's redirect.
On a server without a browser the owner forwards that port over SSH and opens the URL on
their own machine; the printed hint says how. ``state`` ties the redirect to this run, the
PKCE verifier ties the code exchange to it, so a code caught on the way is worth nothing.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import socketserver
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from inboxguard.auth.token_store import (
    ConsentNeededError,
    read_tokens,
    token_path,
    write_tokens,
)
from inboxguard.config import ImapAccount
from inboxguard.credentials import resolve_client_secret
from inboxguard.errors import BackendError
from inboxguard.log_setup import register_secret

AUTH_URL = "https://accounts.google.com/o/oauth2/v2/auth"
TOKEN_URL = "https://oauth2.googleapis.com/token"  # noqa: S105 -- a URL, not a secret
SCOPE = "https://mail.google.com/"
REFRESH_MARGIN = 60.0  # seconds: a token about to expire could die between login and FETCH
CONSENT_TIMEOUT = 600.0  # seconds to wait for the browser's redirect
HTTP_TIMEOUT = 30.0
_ERROR_CODE = re.compile(r"[a-z_]{1,64}")  # an OAuth2 error code is safe to repeat; text is not

Clock = Callable[[], float]


@dataclass(frozen=True)
class Endpoints:
    auth: str
    token: str


def endpoints(account: ImapAccount) -> Endpoints:
    """Google's, or ``{oauth_endpoint}/auth`` and ``{oauth_endpoint}/token``."""
    if account.oauth_endpoint is None:
        return Endpoints(AUTH_URL, TOKEN_URL)
    base = account.oauth_endpoint.rstrip("/")
    return Endpoints(f"{base}/auth", f"{base}/token")


def authorize(
    account: ImapAccount,
    *,
    out: Callable[[str], None],
    environ: Mapping[str, str] | None = None,
    timeout: float = CONSENT_TIMEOUT,
    clock: Clock = time.time,
) -> Path:
    """Run the consent flow; store the refresh token; return the token file's path."""
    client_id = _client_id(account)
    client_secret = resolve_client_secret(account, environ)
    verifier = secrets.token_urlsafe(64)
    state = secrets.token_urlsafe(24)
    with _RedirectServer(state) as server:
        port = server.server_address[1]
        redirect_uri = f"http://127.0.0.1:{port}/"
        query = {
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": SCOPE,
            "code_challenge": _challenge(verifier),
            "code_challenge_method": "S256",
            "state": state,
            "access_type": "offline",  # a refresh token, not just an hour's access
            "prompt": "consent",  # Google only returns a refresh token on an explicit consent
            "login_hint": account.username,
        }
        out(f"Open this URL in a browser and allow access for {account.username}:")
        out(f"{endpoints(account).auth}?{urlencode(query)}")
        out(
            f"No browser on this machine? On your own computer run "
            f"`ssh -L {port}:127.0.0.1:{port} THIS-SERVER`, then open the URL there."
        )
        answer = server.one_redirect(account.name, timeout)
    if "error" in answer:
        raise BackendError(account.name, f"consent was not given ({_code(answer['error'])})")
    if not answer.get("code"):
        raise BackendError(account.name, "the redirect carried no authorization code")
    form = {
        "grant_type": "authorization_code",
        "code": answer["code"],
        "code_verifier": verifier,
        "client_id": client_id,
        "redirect_uri": redirect_uri,
    }
    if client_secret is not None:
        form["client_secret"] = client_secret
    now = clock()
    granted = _token_request(account, form)
    if not isinstance(granted.get("refresh_token"), str):
        raise BackendError(
            account.name,
            "Google granted no refresh token: remove InboxGuard's access at "
            "https://myaccount.google.com/permissions and run `inboxguard auth` again",
        )
    path = token_path(account.name, environ)
    write_tokens(account.name, path, _stored(client_id, granted, now))
    return path


def access_token(
    account: ImapAccount, *, environ: Mapping[str, str] | None = None, clock: Clock = time.time
) -> str:
    """A valid access token: the cached one, or a fresh one when it expires within 60 s."""
    client_id = _client_id(account)
    path = token_path(account.name, environ)
    stored = read_tokens(account.name, path)
    if stored.get("client_id") != client_id:
        raise ConsentNeededError(account.name, "the stored consent is for another client id")
    cached = stored.get("access_token")
    expires_at = stored.get("expires_at")
    now = clock()
    fresh = isinstance(expires_at, int | float) and expires_at - now > REFRESH_MARGIN
    if isinstance(cached, str) and fresh:
        return cached
    refresh_token = stored.get("refresh_token")
    if not isinstance(refresh_token, str):
        raise ConsentNeededError(account.name, "no OAuth2 refresh token stored")
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": client_id}
    client_secret = resolve_client_secret(account, environ)
    if client_secret is not None:
        form["client_secret"] = client_secret
    granted = _token_request(account, form)
    # Google keeps the refresh token; a provider that rotates it sends a new one.
    renewed = _stored(client_id, {"refresh_token": refresh_token, **granted}, now)
    write_tokens(account.name, path, renewed)
    return str(renewed["access_token"])


def forget_access_token(account: ImapAccount, environ: Mapping[str, str] | None = None) -> None:
    """Drop the cached access token (the server refused it): the next login refreshes."""
    path = token_path(account.name, environ)
    try:
        stored = read_tokens(account.name, path)
    except BackendError:
        return  # nothing cached, nothing to forget
    if stored.pop("access_token", None) is not None:
        stored.pop("expires_at", None)
        write_tokens(account.name, path, stored)


def _client_id(account: ImapAccount) -> str:
    if account.oauth_client_id is None:  # the configuration requires it; direct construction
        raise BackendError(account.name, "oauth_client_id is not set")
    return account.oauth_client_id


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _stored(client_id: str, granted: Mapping[str, Any], now: float) -> dict[str, Any]:
    expires_in = granted.get("expires_in")
    lifetime = float(expires_in) if isinstance(expires_in, int | float | str) else 3600.0
    return {
        "provider": "google",
        "client_id": client_id,
        "refresh_token": granted["refresh_token"],
        "access_token": granted["access_token"],
        "expires_at": now + lifetime,
        "scope": granted.get("scope", SCOPE),
    }


def _token_request(account: ImapAccount, form: Mapping[str, str]) -> dict[str, Any]:
    """POST to the token endpoint; a failure names the OAuth2 error code and nothing else."""
    url = endpoints(account).token
    where = urlsplit(url).netloc
    try:
        response = httpx.post(
            url, data=dict(form), headers={"Accept": "application/json"}, timeout=HTTP_TIMEOUT
        )
    except httpx.HTTPError as exc:
        message = f"token endpoint {where} unreachable ({type(exc).__name__})"
        raise BackendError(account.name, message) from None
    try:
        body = response.json()
    except ValueError:
        body = None
    granted = response.status_code == 200 and isinstance(body, dict)
    if granted and isinstance(body.get("access_token"), str):
        for key in ("access_token", "refresh_token"):  # redacted from logs from now on
            if isinstance(body.get(key), str):
                register_secret(body[key])
        return dict(body)
    error = body.get("error") if isinstance(body, dict) else None
    code = _code(error) if isinstance(error, str) else f"HTTP {response.status_code}"
    if code == "invalid_grant":
        # A revoked or expired refresh token, or a stale authorization code.
        raise ConsentNeededError(account.name, "Google refused the grant (invalid_grant)")
    raise BackendError(account.name, f"token endpoint {where} refused the request ({code})")


def _code(value: str) -> str:
    return value if _ERROR_CODE.fullmatch(value) else "unrecognised error"


class _RedirectServer(HTTPServer):
    """Listens on 127.0.0.1 only, for the one redirect that carries the code."""

    def __init__(self, state: str) -> None:
        self.state = state
        self.answer: dict[str, str] | None = None
        super().__init__(("127.0.0.1", 0), _RedirectHandler)

    def server_bind(self) -> None:
        # HTTPServer's own looks up the host's FQDN, which can hang on a misconfigured resolver.
        socketserver.TCPServer.server_bind(self)

    def one_redirect(self, account: str, timeout: float) -> dict[str, str]:
        deadline = time.monotonic() + timeout
        while self.answer is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise BackendError(
                    account, f"no redirect from the browser within {timeout:g} seconds"
                )
            self.timeout = remaining
            self.handle_request()
        if not secrets.compare_digest(self.answer.get("state", ""), self.state):
            # Not the redirect of the consent this run started (CSRF, or a stale tab).
            raise BackendError(account, "the redirect's state did not match; run the command again")
        return self.answer


class _RedirectHandler(BaseHTTPRequestHandler):
    server: _RedirectServer

    def do_GET(self) -> None:
        query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
        if not {"code", "error", "state"} & query.keys():
            self.send_error(404)  # a favicon or a stray request: keep waiting for the redirect
            return
        self.server.answer = query
        good = secrets.compare_digest(query.get("state", ""), self.server.state)
        text = (
            "InboxGuard received the consent; you can close this tab."
            if good and "code" in query
            else "InboxGuard did not accept this answer; see the terminal."
        )
        body = text.encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        # The default writes the request line to stderr, and that line carries the code.
        return

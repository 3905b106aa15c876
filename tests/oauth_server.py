"""A local stand-in for Google's OAuth2 endpoints, and a test that plays the browser.

One HTTP server on 127.0.0.1 answers ``/token`` (authorization code with PKCE, refresh
token) the way Google does, and ``/introspect`` (RFC 7662, for Dovecot's oauth2 passdb) with
whether an access token it issued is still active and whose it is. Every check a real
provider makes on the request is made here too, and a failed check is recorded.
"""

from __future__ import annotations

import base64
import hashlib
import json
import queue
import secrets
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from inboxguard.auth import google
from inboxguard.config import ImapAccount
from tests.serving import in_thread

CLIENT_ID = "1234-test.apps.googleusercontent.com"
CLIENT_SECRET = "GOCSPX-test-client-secret"


@dataclass
class _Grant:
    challenge: str
    redirect_uri: str
    user: str


@dataclass
class FakeGoogle:
    """The provider's state: codes, refresh tokens and access tokens it issued."""

    base_url: str = ""
    client_id: str = CLIENT_ID
    client_secret: str | None = CLIENT_SECRET
    expires_in: int = 3599
    codes: dict[str, _Grant] = field(default_factory=dict)
    refresh_tokens: dict[str, str] = field(default_factory=dict)  # token → user
    access_tokens: dict[str, str] = field(default_factory=dict)  # token → user
    revoked: set[str] = field(default_factory=set)
    requests: list[dict[str, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def issue_code(self, challenge: str, redirect_uri: str, user: str) -> str:
        """What the consent screen does when the user clicks Allow."""
        code = "4/0A" + secrets.token_urlsafe(24)
        with self.lock:
            self.codes[code] = _Grant(challenge, redirect_uri, user)
        return code

    def revoke(self, user: str | None = None) -> None:
        """The user removed the app's access: every token issued for them stops working."""
        with self.lock:
            for tokens in (self.refresh_tokens, self.access_tokens):
                self.revoked |= {t for t, owner in tokens.items() if user in (None, owner)}

    def issued(self) -> set[str]:
        with self.lock:
            return set(self.refresh_tokens) | set(self.access_tokens)

    # -- endpoints ------------------------------------------------------------------------

    def token(self, form: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
        with self.lock:
            self.requests.append(dict(form))
            if form.get("client_id") != self.client_id:
                return self._refuse("invalid_client", "wrong client_id")
            if self.client_secret is not None and form.get("client_secret") != self.client_secret:
                return self._refuse("invalid_client", "wrong client_secret")
            grant_type = form.get("grant_type")
            if grant_type == "authorization_code":
                return self._exchange(form)
            if grant_type == "refresh_token":
                return self._refresh(form)
            return self._refuse("unsupported_grant_type", f"grant_type {grant_type!r}")

    def introspect(self, token: str) -> dict[str, Any]:
        with self.lock:
            user = self.access_tokens.get(token)
            if user is None or token in self.revoked:
                return {"active": False}
            return {"active": True, "username": user}

    def _exchange(self, form: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
        grant = self.codes.pop(form.get("code", ""), None)  # a code is good for one exchange
        if grant is None:
            return self._refuse("invalid_grant", "unknown or used code")
        verifier = form.get("code_verifier", "")
        digest = hashlib.sha256(verifier.encode("ascii")).digest()
        if base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii") != grant.challenge:
            return self._refuse("invalid_grant", "code_verifier does not match the challenge")
        if form.get("redirect_uri") != grant.redirect_uri:
            return self._refuse("invalid_grant", "redirect_uri differs from the consent's")
        refresh_token = "1//0g" + secrets.token_urlsafe(32)
        self.refresh_tokens[refresh_token] = grant.user
        return 200, {**self._access(grant.user), "refresh_token": refresh_token}

    def _refresh(self, form: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
        refresh_token = form.get("refresh_token", "")
        user = self.refresh_tokens.get(refresh_token)
        if user is None or refresh_token in self.revoked:
            # Google's words for a revoked grant; only the code may reach the owner.
            return 400, {"error": "invalid_grant", "error_description": "Token has been revoked."}
        return 200, self._access(user)

    def _access(self, user: str) -> dict[str, Any]:
        token = "ya29." + secrets.token_urlsafe(40)
        self.access_tokens[token] = user
        return {
            "access_token": token,
            "expires_in": self.expires_in,
            "scope": google.SCOPE,
            "token_type": "Bearer",
        }

    def _refuse(self, error: str, why: str) -> tuple[int, dict[str, Any]]:
        self.problems.append(why)
        return 400, {"error": error, "error_description": why}


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode("ascii")).items()}
        path = urlsplit(self.path).path
        if path == "/token":
            status, body = self.server.fake.token(form)
        elif path == "/introspect":
            bearer = self.headers.get("Authorization", "").removeprefix("Bearer ").strip()
            status, body = 200, self.server.fake.introspect(form.get("token") or bearer)
        else:
            status, body = 404, {"error": "not_found"}
        data = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        return  # quiet test output


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fake: FakeGoogle) -> None:
        self.fake = fake
        super().__init__(("127.0.0.1", 0), _Handler)


@contextmanager
def fake_google(**settings: Any) -> Iterator[FakeGoogle]:
    fake = FakeGoogle(**settings)
    server = _Server(fake)
    fake.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    with in_thread(server):
        yield fake


@dataclass
class Consent:
    """What the browser saw: the consent URL's query, and what ``authorize`` ended with."""

    query: dict[str, str]
    printed: list[str]
    code: str
    path: Path | None = None
    error: BaseException | None = None


def give_consent(
    account: ImapAccount,
    fake: FakeGoogle,
    environ: Mapping[str, str],
    *,
    user: str | None = None,
    state: str | None = None,
) -> Consent:
    """Run ``inboxguard auth``'s Google flow, clicking Allow as the browser would."""
    lines: queue.Queue[str] = queue.Queue()
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["path"] = google.authorize(account, out=lines.put, environ=environ, timeout=20)
        except Exception as exc:  # handed to the test to assert on
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    printed: list[str] = []
    while not any(line.startswith(f"{fake.base_url}/auth?") for line in printed):
        printed.append(lines.get(timeout=20))
    url = next(line for line in printed if line.startswith(f"{fake.base_url}/auth?"))
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    code = fake.issue_code(query["code_challenge"], query["redirect_uri"], user or account.username)
    answer = {"code": code, "state": state if state is not None else query["state"]}
    httpx.get(query["redirect_uri"], params=answer, timeout=20)
    thread.join(20)
    while not lines.empty():
        printed.append(lines.get_nowait())
    return Consent(query, printed, code, outcome.get("path"), outcome.get("error"))

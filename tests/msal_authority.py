"""A local https Entra ID authority for msal device-code tests (msal insists on https).

It answers tenant discovery, the device-code request and the token poll the way
login.microsoftonline.com does, signing the person in at once.
"""

from __future__ import annotations

import base64
import json
import ssl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest

from inboxguard.auth import microsoft
from tests.live.tls import CERT_NAME, make_certificates, openssl_available
from tests.serving import in_thread

USER = "hanako@contoso.onmicrosoft.com"
CLIENT_ID = "00000000-1111-2222-3333-444444444444"
ACCESS = "eyJ0eXAi.microsoft-access-token"
REFRESH = "0.AAAA-microsoft-refresh-token"
USER_CODE = "ABCD-EFGH"


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


@dataclass
class Authority:
    base: str = ""
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)  # POSTs

    def answer(self, path: str, form: dict[str, str]) -> dict[str, Any]:
        tenant = f"{self.base}/common"
        if path.endswith("/.well-known/openid-configuration"):
            return {
                "authorization_endpoint": f"{tenant}/oauth2/v2.0/authorize",
                "token_endpoint": f"{tenant}/oauth2/v2.0/token",
                "device_authorization_endpoint": f"{tenant}/oauth2/v2.0/devicecode",
                "issuer": f"{self.base}/utid/v2.0",
            }
        self.requests.append((path.rsplit("/", 1)[-1], form))
        if path.endswith("/devicecode"):
            return {
                "device_code": "device-code-1",
                "user_code": USER_CODE,
                "verification_uri": "https://microsoft.com/devicelogin",
                "expires_in": 900,
                "interval": 5,
                "message": f"To sign in, open https://microsoft.com/devicelogin and enter the "
                f"code {USER_CODE} to authenticate.",
            }
        now = int(time.time())
        claims = {
            "aud": CLIENT_ID,
            "iss": f"{self.base}/utid/v2.0",
            "iat": now,
            "exp": now + 3600,
            "oid": "uid",
            "tid": "utid",
            "sub": "subject",
            "preferred_username": USER,
        }
        return {  # signed in at once: msal never waits on authorization_pending
            "token_type": "Bearer",
            "scope": " ".join(microsoft.SCOPES),
            "expires_in": 3599,
            "access_token": ACCESS,
            "refresh_token": REFRESH,
            "id_token": f"{_b64({'alg': 'none'})}.{_b64(claims)}.",
            "client_info": _b64({"uid": "uid", "utid": "utid"}),
        }


class _Handler(BaseHTTPRequestHandler):
    server: AuthorityServer

    def _reply(self, form: dict[str, str]) -> None:
        data = json.dumps(self.server.authority.answer(self.path.split("?")[0], form)).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._reply({})

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        self._reply({k: v[0] for k, v in parse_qs(body).items()})

    def log_message(self, format: str, *args: Any) -> None:
        return


class AuthorityServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, authority: Authority) -> None:
        self.authority = authority
        super().__init__(("127.0.0.1", 0), _Handler)


@contextmanager
def serving(
    authority: Authority, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Authority]:
    """``authority`` answering on https with a throwaway CA that requests trusts."""
    if not openssl_available():
        pytest.skip("needs openssl for a throwaway CA")
    certificates = make_certificates(tmp_path / "tls")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(certificates.ca))  # msal talks through requests
    server = AuthorityServer(authority)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificates.cert, certificates.key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    authority.base = f"https://{CERT_NAME}:{server.server_address[1]}"
    with in_thread(server):
        yield authority

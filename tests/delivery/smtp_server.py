"""A real SMTP server for the delivery tests: aiosmtpd on 127.0.0.1, in a thread.

Implicit TLS or STARTTLS with a certificate from the live suite's throwaway CA (it names
``localhost`` only), AUTH PLAIN/LOGIN against one known password, and XOAUTH2 implemented on
the handler the way aiosmtpd lets a handler add a mechanism (``auth_XOAUTH2``). A refused
login is answered with the credentials in the reply, as careless servers do, so the tests
can check the client never repeats a server's answer to a login.
"""

from __future__ import annotations

import base64
import json
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import MISSING, SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.live.tls import Certificates

HOST = "127.0.0.1"
USER = "hanako@example.jp"
PASSWORD = "Smtp-s3cret-41d7"
TOKEN = "ya29.test-access-token-5b0e"

Security = Literal["tls", "starttls", "none"]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes


@dataclass
class Handler:
    """Keeps what arrived; answers DATA with ``data_reply``."""

    data_reply: str = "250 2.0.0 OK queued"
    tokens: set[str] = field(default_factory=lambda: {TOKEN})
    received: list[Received] = field(default_factory=list)
    logins: list[tuple[str, bytes, bytes]] = field(default_factory=list)  # mechanism, user, secret

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        self.received.append(Received(envelope.mail_from or "", list(envelope.rcpt_tos), content))
        return self.data_reply

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        self.logins.append((mechanism, data.login, data.password))
        if data.login == USER.encode() and data.password == PASSWORD.encode():
            return AuthResult(success=True, auth_data=data)
        echoed = f"{data.login.decode()} {data.password.decode()}"
        return AuthResult(success=False, handled=False, message=f"535 5.7.8 {echoed} rejected")

    async def auth_XOAUTH2(self, server: SMTP, args: list[str]) -> AuthResult:
        if len(args) == 2:
            blob = base64.b64decode(args[1])
        else:
            answer = await server.challenge_auth("")
            if answer is MISSING:
                return AuthResult(success=False)
            assert isinstance(answer, bytes)
            blob = answer
        fields = dict(part.split(b"=", 1) for part in blob.split(b"\x01") if b"=" in part)
        user = fields.get(b"user", b"")
        token = fields.get(b"auth", b"").removeprefix(b"Bearer ")
        self.logins.append(("XOAUTH2", user, token))
        if token.decode() in self.tokens:
            return AuthResult(success=True, auth_data=user)
        # As Gmail does: a 334 carrying a JSON error, the client's empty line, then 535.
        error = json.dumps({"status": "401", "schemes": "Bearer", "token": token.decode()})
        await server.challenge_auth(error)
        refused = "535 5.7.8 Username and Password not accepted"
        return AuthResult(success=False, handled=False, message=refused)


def server_context(certificates: Certificates) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificates.cert, certificates.key)
    return context


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@contextmanager
def running(
    handler: Handler, security: Security, certificates: Certificates | None = None
) -> Iterator[int]:
    """The server's port while it runs. "none": no TLS at all, so no STARTTLS offered."""
    options: dict[str, Any] = {"authenticator": handler.authenticate}
    if security == "tls":
        assert certificates is not None
        # aiosmtpd counts only STARTTLS as TLS for auth_require_tls; this connection is
        # encrypted from its first byte.
        options.update(ssl_context=server_context(certificates), auth_require_tls=False)
    elif security == "starttls":
        assert certificates is not None
        options.update(tls_context=server_context(certificates), require_starttls=True)
    else:
        options.update(auth_require_tls=False)
    port = free_port()
    controller = Controller(handler, hostname=HOST, port=port, **options)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()

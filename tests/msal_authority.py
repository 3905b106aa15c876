"""A local https Entra ID authority for msal device-code tests (msal insists on https)."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.auth.test_microsoft_device_flow import Authority
from tests.auth.test_microsoft_device_flow import _Server as AuthorityServer
from tests.live.tls import CERT_NAME, make_certificates, openssl_available


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
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield authority
    finally:
        server.shutdown()
        server.server_close()

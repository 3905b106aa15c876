"""Fixtures of the delivery tests: a throwaway CA for the SMTP server's certificate."""

from __future__ import annotations

import os

import pytest

from tests.live.tls import Certificates, make_certificates, openssl_available


@pytest.fixture(scope="session")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    if not openssl_available():
        message = "SMTP TLS tests make a throwaway CA with openssl: apt-get install openssl"
        if os.environ.get("CI") == "true":
            pytest.fail(message)  # in CI a missing tool is a failure, never a skip
        pytest.skip(message)
    return make_certificates(tmp_path_factory.mktemp("smtp-tls"))

"""A throwaway certificate authority for the live TLS tests, made with the ``openssl`` CLI.

The CA signs one server certificate naming only ``localhost`` (no IP address), so a client
reaching the same server as ``127.0.0.1`` must fail the host name check. Keys are unencrypted
and world-readable: they live in the test's temporary directory and die with it.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

OPENSSL = "openssl"
CERT_NAME = "localhost"

_SERVER_EXTENSIONS = f"""\
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:{CERT_NAME}
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""


@dataclass(frozen=True)
class Certificates:
    ca: Path  # what an account's ca_file points at
    cert: Path  # the server's certificate (Dovecot's ssl_cert)
    key: Path  # its private key (Dovecot's ssl_key)


def openssl_available() -> bool:
    return shutil.which(OPENSSL) is not None


def make_certificates(directory: Path) -> Certificates:
    directory.mkdir(parents=True, exist_ok=True)
    ca, ca_key = directory / "ca.pem", directory / "ca.key"
    cert, key = directory / "server.pem", directory / "server.key"
    request, extensions = directory / "server.csr", directory / "server.ext"
    extensions.write_text(_SERVER_EXTENSIONS)
    ec_key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    _openssl(
        "req", "-x509", *ec_key, "-keyout", ca_key, "-out", ca, "-days", "2",
        "-subj", "/CN=InboxGuard live test CA",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
    )  # fmt: skip
    _openssl("req", *ec_key, "-keyout", key, "-out", request, "-subj", f"/CN={CERT_NAME}")
    _openssl(
        "x509", "-req", "-in", request, "-CA", ca, "-CAkey", ca_key, "-set_serial", "2",
        "-days", "2", "-extfile", extensions, "-out", cert,
    )  # fmt: skip
    for path in (ca, cert, key):
        path.chmod(0o644)  # Dovecot's processes read them after dropping root
    return Certificates(ca=ca, cert=cert, key=key)


def _openssl(*args: str | Path) -> None:
    done = subprocess.run([OPENSSL, *map(str, args)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"openssl {args[0]} failed: {done.stderr.strip()}")

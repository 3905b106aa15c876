"""Opening an IMAP connection, and turning what can go wrong into one line a person can act on.

TLS always verifies the certificate (``ssl.create_default_context()``); an unencrypted
connection is refused unless the host is loopback. No message built here contains the
password: server answers are scrubbed of it, and a failed login never repeats the server's
words at all.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

from imapclient import IMAPClient
from imapclient.exceptions import (
    CapabilityError,
    IMAPClientAbortError,
    IMAPClientError,
    LoginError,
)

from inboxguard.config import ImapAccount, is_loopback
from inboxguard.errors import BackendError

# A seam for tests (like imapclient's own testable_imapclient): anything built like IMAPClient.
ClientFactory = Callable[..., Any]

LOGIN_FAILED = (
    "login failed: check the username and password "
    "(Gmail needs an app password or OAuth2; Microsoft 365 needs OAuth2)"
)


def connect(
    config: ImapAccount, password: str, factory: ClientFactory = IMAPClient
) -> tuple[Any, frozenset[str]]:
    """A logged-in client (CONDSTORE enabled when offered) and the server's capabilities."""
    if config.security == "none" and not is_loopback(config.host):
        raise BackendError(config.name, "security 'none' is allowed only for a loopback host")
    context = ssl.create_default_context()
    with imap_errors(config, "connect", password):
        client = factory(
            config.host,
            config.port,
            ssl=config.security == "tls",
            ssl_context=context if config.security == "tls" else None,
            timeout=config.timeout,
        )
    try:
        with imap_errors(config, "connect", password):
            # tz-aware INTERNALDATEs: the reply clock must not depend on this machine's zone.
            client.normalise_times = False
            if config.security == "starttls":
                client.starttls(context)
        with imap_errors(config, "login", password):
            client.login(config.username, password)
            capabilities = _names(client.capabilities())
            if "CONDSTORE" in capabilities and "ENABLE" in capabilities:
                # Before any SELECT/EXAMINE, so every folder reports HIGHESTMODSEQ.
                client.enable("CONDSTORE")
    except BaseException:
        close(client)
        raise
    return client, capabilities


def close(client: Any) -> None:
    """Log out; a connection that is already gone is not worth an error."""
    try:
        client.logout()
    except Exception:  # the server may have dropped us; shutting the socket is enough
        with suppress(Exception):  # nothing left to release
            client.shutdown()


@contextmanager
def imap_errors(config: ImapAccount, action: str, secret: str | None = None) -> Iterator[None]:
    """Re-raise socket, TLS and IMAP failures as a ``BackendError`` saying what to check."""
    where = f"{config.host}:{config.port}"
    try:
        yield
    except BackendError:
        raise
    except LoginError:
        raise BackendError(config.name, LOGIN_FAILED) from None
    except CapabilityError as exc:
        if "STARTTLS" in str(exc).upper():
            message = f"{where} does not offer STARTTLS: use security = 'tls' (usually port 993)"
        else:
            message = f"{action}: the server lacks a needed capability ({_text(exc, secret)})"
        raise BackendError(config.name, message) from None
    except IMAPClientAbortError as exc:
        message = f"{action}: connection to {where} lost ({_text(exc, secret)})"
        raise BackendError(config.name, message) from None
    except IMAPClientError as exc:
        raise BackendError(config.name, f"{action}: {_text(exc, secret)}") from None
    except ssl.SSLCertVerificationError as exc:
        message = (
            f"the TLS certificate of {config.host} could not be verified "
            f"({exc.verify_message}); check the host name, or the server's certificate chain"
        )
        raise BackendError(config.name, message) from None
    except ssl.SSLError as exc:
        message = (
            f"TLS with {where} failed ({exc.reason or 'handshake error'}); check `security` "
            "and `port` (993 is 'tls', 143 is 'starttls')"
        )
        raise BackendError(config.name, message) from None
    except socket.gaierror:
        message = f"unknown host {config.host!r}: check `host` (DNS lookup failed)"
        raise BackendError(config.name, message) from None
    except ConnectionRefusedError:
        message = f"connection to {where} refused: check `host`, `port` and `security`"
        raise BackendError(config.name, message) from None
    except TimeoutError:
        message = f"{action}: no answer from {where} within {config.timeout:g} seconds"
        raise BackendError(config.name, message) from None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        message = f"{action}: network error talking to {where}: {reason}"
        raise BackendError(config.name, message) from None


def _names(capabilities: Any) -> frozenset[str]:
    return frozenset(
        c.decode("ascii", errors="replace").upper() if isinstance(c, bytes) else str(c).upper()
        for c in capabilities
    )


def _text(exc: BaseException, secret: str | None) -> str:
    text = str(exc).replace("b'", "'")
    if secret:
        text = text.replace(secret, "***")
    return text[:300]

"""Opening an IMAP connection, and turning what can go wrong into one line a person can act on.

TLS always verifies the certificate and the host name (``ssl.create_default_context()``),
against the system's trust store or, for a server with a private CA, the account's
``ca_file``; an unencrypted connection is refused unless the host is loopback. No message
built here contains the password: server answers are scrubbed of it, and a failed login
never repeats the server's words at all.

imapclient turns every error inside ``login()`` and ``oauth2_login()`` into ``LoginError``,
a connection that died under the command included. Only the server's tagged NO or BAD is a
refused login (``LoginFailedError``, retried after a long pause); a lost connection is a
connection error like any other (``BackendError``, retried on the next cycle).
"""

from __future__ import annotations

import functools
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
from inboxguard.errors import BackendError, LoginFailedError

# A seam for tests (like imapclient's own testable_imapclient): anything built like IMAPClient.
ClientFactory = Callable[..., Any]

LOGIN_FAILED = "login failed: check `username` and the password"
_GMAIL_HOSTS = ("gmail.com", "googlemail.com")
_MICROSOFT_HOSTS = ("office365.com", "outlook.com", "office.com")


def login_failed_message(config: ImapAccount) -> str:
    """What a refused password login most likely means on this provider, and what to do."""
    host = config.host.lower().rstrip(".")

    def under(domains: tuple[str, ...]) -> bool:
        return any(host == d or host.endswith(f".{d}") for d in domains)

    if under(_GMAIL_HOSTS):
        return (
            "login failed: Gmail does not accept your account password over IMAP; create an "
            "app password (needs 2-step verification) or set auth = 'oauth2' with "
            "oauth_provider = 'google' and run `inboxguard auth`"
        )
    if under(_MICROSOFT_HOSTS):
        return (
            "login failed: Microsoft 365 no longer accepts passwords over IMAP; set "
            "auth = 'oauth2' with oauth_provider = 'microsoft' and run `inboxguard auth`"
        )
    return LOGIN_FAILED


def connect(
    config: ImapAccount, password: str, factory: ClientFactory = IMAPClient
) -> tuple[Any, frozenset[str]]:
    """A logged-in client (CONDSTORE enabled when offered) and the server's capabilities."""
    if config.security == "none" and not is_loopback(config.host):
        raise BackendError(config.name, "security 'none' is allowed only for a loopback host")
    context = tls_context(config) if config.security != "none" else None
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
            if config.auth == "oauth2":
                _require_xoauth2(client, config)
                _xoauth2_login(client, config, password)
            else:
                client.login(config.username, password)
            capabilities = _names(client.capabilities())
            if "CONDSTORE" in capabilities and "ENABLE" in capabilities:
                # Before any SELECT/EXAMINE, so every folder reports HIGHESTMODSEQ.
                client.enable("CONDSTORE")
    except BaseException:
        close(client)
        raise
    return client, capabilities


def _require_xoauth2(client: Any, config: ImapAccount) -> None:
    """The server must offer AUTHENTICATE XOAUTH2 before a token is presented: without it the
    refusal would read as revoked consent, and `inboxguard auth` cannot help."""
    if "AUTH=XOAUTH2" not in _names(client.capabilities()):
        raise BackendError(
            config.name,
            f"{config.host}:{config.port} does not offer XOAUTH2 (no AUTH=XOAUTH2 in its "
            "capabilities): check `host` and `port`, or use auth = 'password'",
        )


def _xoauth2_login(client: Any, config: ImapAccount, access_token: str) -> None:
    """AUTHENTICATE XOAUTH2; a refusal names `inboxguard auth`, never the server's words."""
    try:
        client.oauth2_login(config.username, access_token)
    except LoginError as exc:
        if connection_lost(exc):
            raise  # not a refusal: ``imap_errors`` words it, and the token stays good
        # Imported here: the providers load msal and httpx, which password accounts never need.
        from inboxguard.auth.providers import token_refused  # noqa: PLC0415

        token_refused(config)  # the next attempt refreshes instead of offering it again
        raise LoginFailedError(config.name, oauth_login_failed(config.name)) from None


def connection_lost(exc: LoginError) -> bool:
    """Did the connection die under LOGIN/AUTHENTICATE, rather than the server refuse it?

    imapclient raises ``LoginError`` from inside its handler of imaplib's exception, so that
    one is the ``__context__``: ``IMAP4.abort`` (``IMAPClientAbortError``: EOF, a reset or
    timed-out socket, BYE) for a connection that broke, plain ``IMAP4.error`` for the tagged
    NO or BAD of a server that answered.
    """
    return isinstance(exc.__context__, IMAPClientAbortError | OSError)


def oauth_login_failed(account: str) -> str:
    return (
        "login with OAuth2 refused: the access token was not accepted (consent revoked, or "
        f"IMAP not enabled for the user); run `inboxguard auth {account}`"
    )


def tls_context(config: ImapAccount) -> ssl.SSLContext:
    """Certificate and host name checks on; the account's ``ca_file`` trusted, if it has one."""
    try:
        return _context(str(config.ca_file) if config.ca_file is not None else None)
    except ssl.SSLError:  # an OSError too, so caught first
        message = f"ca_file {config.ca_file}: no PEM certificate in it"
        raise BackendError(config.name, message) from None
    except OSError as exc:
        reason = exc.strerror or "not readable"
        message = f"ca_file {config.ca_file}: {reason}"
        raise BackendError(config.name, message) from None


@functools.cache
def _context(cafile: str | None) -> ssl.SSLContext:
    # Loading the trust store costs ~60 ms of CPU; a context serves any number of
    # connections, so each poll need not pay it again. (A changed ca_file is read on restart.)
    return ssl.create_default_context(cafile=cafile)


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
    except LoginError as exc:
        if connection_lost(exc):
            message = f"{action}: connection to {where} lost ({_text(exc, secret)})"
            raise BackendError(config.name, message) from None
        raise LoginFailedError(config.name, login_failed_message(config)) from None
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
        raise BackendError(config.name, _certificate_problem(config, exc)) from None
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


# OpenSSL's X509_V_ERR_HOSTNAME_MISMATCH and X509_V_ERR_IP_ADDRESS_MISMATCH.
_NAME_MISMATCH = {62, 64}


def _certificate_problem(config: ImapAccount, exc: ssl.SSLCertVerificationError) -> str:
    reason = (exc.verify_message or "verification failed").rstrip(".")
    if exc.verify_code in _NAME_MISMATCH:
        return (
            f"the TLS certificate of {config.host}:{config.port} is not issued for "
            f"{config.host!r} ({reason}): set `host` to a name the certificate lists"
        )
    where = f"the TLS certificate of {config.host}:{config.port} could not be verified"
    if config.ca_file:
        return (
            f"{where} with ca_file {config.ca_file} ({reason}): check that `ca_file` holds the "
            "CA certificate that signed the server's, or fix the server's certificate chain"
        )
    return (
        f"{where} with the system's trust store ({reason}): if the server uses a private CA, "
        "set `ca_file` to that CA's certificate (PEM); otherwise fix the server's certificate "
        "chain"
    )


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

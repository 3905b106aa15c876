"""The digest by SMTP: implicit TLS (465) or STARTTLS (587), certificate and host name verified.

Plain SMTP is possible only on a loopback host (the configuration enforces it). The login is
a password, XOAUTH2 with the consent of one of the IMAP accounts, or none (a local relay).
No error built here repeats what the server said to a login, and every other server answer
is scrubbed of the secret before it is quoted.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from email.message import EmailMessage
from email.utils import parseaddr

from inboxguard.auth.providers import token_refused
from inboxguard.config import Config, ImapAccount, is_loopback
from inboxguard.delivery.login import smtp_oauth_login, smtp_password
from inboxguard.delivery.outcome import DeliveryError, DeliveryReceipt, addresses_of

_LABELS = {"tls": "TLS", "starttls": "STARTTLS", "none": "plain"}
# OpenSSL's X509_V_ERR_HOSTNAME_MISMATCH and X509_V_ERR_IP_ADDRESS_MISMATCH.
_NAME_MISMATCH = {62, 64}


def send(
    message: EmailMessage, config: Config, *, environ: Mapping[str, str] | None = None
) -> DeliveryReceipt:
    sender, recipients = _envelope(message, config)
    digest = config.digest
    where = f"{digest.smtp_host}:{digest.port}"
    with _session(config, environ) as (client, secret):
        with _smtp_errors(config, secret):
            refused = client.send_message(message, sender, recipients)
        if refused:
            # Some recipients took it: trying again would send those a second copy.
            lost = ", ".join(sorted(refused))
            raise DeliveryError(f"{where} refused the recipient(s) {lost}", retryable=False)
    return DeliveryReceipt("smtp", f"{where} → {', '.join(recipients)}")


def probe(config: Config, environ: Mapping[str, str] | None = None) -> str:
    """Connect, negotiate TLS and log in; nothing is sent."""
    digest = config.digest
    with _session(config, environ):
        pass
    login = "no login" if digest.smtp_auth == "none" else "login ok"
    return f"smtp: {digest.smtp_host}:{digest.port} ({_LABELS[digest.smtp_security]}), {login}"


def _envelope(message: EmailMessage, config: Config) -> tuple[str, list[str]]:
    """MAIL FROM is the digest's From; RCPT TO its To, each checked to be the owner's."""
    _, sender = parseaddr(str(message.get("From", "")))
    if "@" not in sender:
        raise DeliveryError("the digest has no From address", retryable=False)
    recipients = addresses_of(message, "To")
    if not recipients:
        raise DeliveryError("the digest has no To address", retryable=False)
    # SPEC §1 guarantee 1: mail goes to the owner only. This is the one place that sends, so
    # it checks for itself rather than trusting whoever built the message.
    allowed = {a.lower() for a in config.owner.addresses}
    if config.digest.to:
        allowed.add(parseaddr(config.digest.to)[1].lower())
    strangers = [r for r in recipients if r.lower() not in allowed]
    if strangers:
        raise DeliveryError(
            f"the digest is addressed to {', '.join(strangers)}, who is neither digest.to nor "
            "one of owner.addresses: not sent",
            retryable=False,
        )
    return sender, recipients


@contextmanager
def _session(
    config: Config, environ: Mapping[str, str] | None
) -> Iterator[tuple[smtplib.SMTP, str]]:
    """A connected, encrypted, logged-in client and the secret it used ("" without login)."""
    digest = config.digest
    host = digest.smtp_host or ""
    if digest.smtp_security == "none" and not is_loopback(host):
        # The configuration refuses this too; a password must never cross a network in clear.
        message = f"smtp_security 'none' is allowed only for a loopback host, not {host!r}"
        raise DeliveryError(message, retryable=False)
    context = _tls_context(config) if digest.smtp_security != "none" else None
    secret = ""
    oauth: tuple[str, str, str] | None = None
    if digest.smtp_auth == "password":
        secret = smtp_password(config, environ)
    elif digest.smtp_auth == "oauth2":
        oauth = smtp_oauth_login(config, environ)
        secret = oauth[2]
    with _smtp_errors(config, secret):
        if digest.smtp_security == "tls":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                host, digest.port, timeout=digest.smtp_timeout, context=context
            )
        else:
            client = smtplib.SMTP(host, digest.port, timeout=digest.smtp_timeout)
    try:
        with _smtp_errors(config, secret):
            client.ehlo()
            if digest.smtp_security == "starttls":
                _starttls(client, config, context)
            if oauth is not None:
                account, user, token = oauth
                _xoauth2(client, config, account, user, token)
            elif digest.smtp_auth == "password":
                client.login(digest.smtp_username or "", secret)
        yield client, secret
    finally:
        _quit(client)


def _starttls(client: smtplib.SMTP, config: Config, context: ssl.SSLContext | None) -> None:
    if not client.has_extn("starttls"):
        # Going on would send the login and the digest in clear.
        where = f"{config.digest.smtp_host}:{config.digest.port}"
        raise DeliveryError(
            f"{where} does not offer STARTTLS: use smtp_security = 'tls' (usually port 465)",
            retryable=False,
        )
    client.starttls(context=context)
    client.ehlo()  # the capabilities announced before TLS are void (RFC 3207)


def _xoauth2(client: smtplib.SMTP, config: Config, account: str, user: str, token: str) -> None:
    where = f"{config.digest.smtp_host}:{config.digest.port}"
    mechanisms = client.esmtp_features.get("auth", "").upper().split()
    if "XOAUTH2" not in mechanisms:
        raise DeliveryError(
            f"{where} does not offer AUTH XOAUTH2: set smtp_auth = 'password'", retryable=False
        )
    initial = f"user={user}\x01auth=Bearer {token}\x01\x01"

    def respond(challenge: bytes | None = None) -> str:
        # On refusal the server sends a 334 carrying a JSON error; an empty answer ends the
        # exchange with the final 5xx (Google's XOAUTH2 protocol; Outlook does the same).
        return initial if challenge is None else ""

    try:
        client.auth("XOAUTH2", respond)
    except smtplib.SMTPAuthenticationError:
        imap_account = config.account(account)
        if isinstance(imap_account, ImapAccount):
            token_refused(imap_account)  # the next attempt refreshes instead of reusing it
        raise DeliveryError(
            f"{where} refused the XOAUTH2 login for {user} (consent revoked, or SMTP AUTH "
            f"not enabled for the user); run `inboxguard auth {account}`",
            retryable=False,
        ) from None


def _quit(client: smtplib.SMTP) -> None:
    # Once DATA is accepted the digest is delivered: a connection lost at QUIT must not turn
    # that into a failure, which would send it again.
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        with suppress(OSError):
            client.close()


def _tls_context(config: Config) -> ssl.SSLContext:
    """Certificate and host name checks on; ``smtp_ca_file`` trusted when given."""
    ca_file = config.digest.smtp_ca_file
    try:
        return ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    except ssl.SSLError:  # an OSError too, so caught first
        raise DeliveryError(
            f"smtp_ca_file {ca_file}: no PEM certificate in it", retryable=False
        ) from None
    except OSError as exc:
        raise DeliveryError(
            f"smtp_ca_file {ca_file}: {exc.strerror or 'not readable'}", retryable=False
        ) from None


@contextmanager
def _smtp_errors(config: Config, secret: str) -> Iterator[None]:
    """Socket, TLS and SMTP failures as one ``DeliveryError`` line saying what to check."""
    try:
        yield
    except DeliveryError:
        raise
    except smtplib.SMTPException as exc:  # before OSError: smtplib's errors are OSErrors too
        raise _smtp_failure(config, exc, secret) from None
    except OSError as exc:
        raise _network_failure(config, exc) from None


def _smtp_failure(config: Config, exc: smtplib.SMTPException, secret: str) -> DeliveryError:
    digest = config.digest
    where = f"{digest.smtp_host}:{digest.port}"
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        # The server's words are left out: some echo the credentials they were sent.
        message = (
            f"{where} refused the login for {digest.smtp_username} "
            "(check smtp_username and the password source)"
        )
        return DeliveryError(message, retryable=False)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        reply = "; ".join(
            f"{address}: {_reply(code, text, secret)}"
            for address, (code, text) in sorted(exc.recipients.items())
        )
        temporary = all(_temporary(code) for code, _ in exc.recipients.values())
        return DeliveryError(f"{where} refused every recipient ({reply})", retryable=temporary)
    if isinstance(exc, smtplib.SMTPSenderRefused):
        message = (
            f"{where} refused the sender {exc.sender} "
            f"({_reply(exc.smtp_code, exc.smtp_error, secret)}); many servers want the From "
            "address to be the one smtp_username logs in as"
        )
        return DeliveryError(message, retryable=_temporary(exc.smtp_code))
    if isinstance(exc, smtplib.SMTPResponseException):
        message = f"{where} answered {_reply(exc.smtp_code, exc.smtp_error, secret)}"
        return DeliveryError(message, retryable=_temporary(exc.smtp_code))
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        # smtplib reports a timeout or a reset while reading a reply as a disconnection.
        cause = exc.__context__
        if isinstance(cause, OSError) and not isinstance(cause, smtplib.SMTPException):
            return _network_failure(config, cause)
        return DeliveryError(f"{where} closed the connection unexpectedly", retryable=True)
    # smtplib's own complaints, not the server's: "SMTP AUTH extension not supported by
    # server" (many hide AUTH until TLS is up), "No suitable authentication method found".
    text = str(exc).replace(secret, "***") if secret else str(exc)
    message = f"{where}: {_one_line(text).rstrip('.')}; check smtp_security and smtp_auth"
    return DeliveryError(message, retryable=False)


def _network_failure(config: Config, exc: OSError) -> DeliveryError:
    digest = config.digest
    where = f"{digest.smtp_host}:{digest.port}"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return DeliveryError(_certificate_problem(config, exc), retryable=False)
    if isinstance(exc, ssl.SSLEOFError):
        message = f"{where} closed the connection during the TLS handshake"
        return DeliveryError(message, retryable=True)
    if isinstance(exc, ssl.SSLError):
        message = (
            f"TLS with {where} failed ({exc.reason or 'handshake error'}); check smtp_security "
            "and smtp_port (465 is 'tls', 587 is 'starttls')"
        )
        return DeliveryError(message, retryable=False)
    if isinstance(exc, socket.gaierror):
        # Usually a typo, but also what a machine without network says: worth another try.
        message = f"unknown host {digest.smtp_host!r}: check smtp_host (DNS lookup failed)"
        return DeliveryError(message, retryable=True)
    if isinstance(exc, ConnectionRefusedError):
        message = f"connection to {where} refused: check smtp_host, smtp_port and smtp_security"
        return DeliveryError(message, retryable=True)
    if isinstance(exc, TimeoutError):
        message = f"no answer from {where} within {digest.smtp_timeout:g} seconds"
        return DeliveryError(message, retryable=True)
    reason = exc.strerror or type(exc).__name__
    return DeliveryError(f"network error talking to {where}: {reason}", retryable=True)


def _temporary(code: int) -> bool:
    """4xx: the server asks to try again later (RFC 5321 §4.2.1)."""
    return 400 <= code <= 499


def _reply(code: int, text: bytes | str, secret: str) -> str:
    decoded = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    if secret:
        decoded = decoded.replace(secret, "***")
    return f"{code} {_one_line(decoded)}".strip()


def _one_line(text: str) -> str:
    return " ".join(text.split())[:200]


def _certificate_problem(config: Config, exc: ssl.SSLCertVerificationError) -> str:
    digest = config.digest
    where = f"{digest.smtp_host}:{digest.port}"
    reason = (exc.verify_message or "verification failed").rstrip(".")
    if exc.verify_code in _NAME_MISMATCH:
        return (
            f"the TLS certificate of {where} is not issued for {digest.smtp_host!r} ({reason}): "
            "set smtp_host to a name the certificate lists"
        )
    if digest.smtp_ca_file:
        return (
            f"the TLS certificate of {where} could not be verified with smtp_ca_file "
            f"{digest.smtp_ca_file} ({reason}): check that it holds the CA certificate that "
            "signed the server's"
        )
    return (
        f"the TLS certificate of {where} could not be verified with the system's trust store "
        f"({reason}): if the server uses a private CA, set smtp_ca_file to that CA's "
        "certificate (PEM)"
    )

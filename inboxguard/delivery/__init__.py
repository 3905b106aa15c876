"""Delivering the built digest (SPEC §8): by SMTP, by IMAP APPEND into INBOX, or to a file.

The digest's content is made elsewhere; this package only carries an ``EmailMessage`` to
where ``[digest] delivery`` says, and reports where it went (``DeliveryReceipt``) or why it
did not (``DeliveryError``, with ``retryable``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from email.message import EmailMessage

from inboxguard.config import Config
from inboxguard.delivery import files, imap_append, smtp
from inboxguard.delivery.outcome import DeliveryError, DeliveryKind, DeliveryReceipt

__all__ = ["DeliveryError", "DeliveryKind", "DeliveryReceipt", "deliver", "probe"]


def deliver(
    message: EmailMessage,
    config: Config,
    *,
    day: date,
    environ: Mapping[str, str] | None = None,
) -> DeliveryReceipt:
    """Deliver ``day``'s digest once; ``environ`` is where password sources and the state
    directory are looked up (the process environment when None)."""
    delivery = config.digest.delivery
    if delivery == "smtp":
        return smtp.send(message, config, environ=environ)
    if delivery == "imap-append":
        return imap_append.append(message, config, environ=environ)
    return files.write(message, config, day=day, environ=environ)


def probe(config: Config, environ: Mapping[str, str] | None = None) -> str:
    """Connect and log in (or check the directory) without delivering anything: one line
    for `inboxguard check` and start-up, such as "smtp: smtp.example.jp:465 (TLS), login ok".
    Raises ``DeliveryError`` on a problem."""
    delivery = config.digest.delivery
    if delivery == "smtp":
        return smtp.probe(config, environ)
    if delivery == "imap-append":
        return imap_append.probe(config, environ)
    return files.probe(config, environ)

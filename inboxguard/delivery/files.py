"""The digest as files: ``digest-YYYY-MM-DD.eml`` (the whole message) and ``.html`` (its HTML
part, to open in a browser), in ``digest.path`` or ``<state dir>/digests``.

The digest names clients and what they wrote, so the directory is 0700 and the files 0600
from the moment they exist (``mkstemp``). A write is atomic (temporary file, then
``os.replace``): a reader sees the old day's file or the new one, never half of one, and a
second run the same day replaces the first.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Mapping
from datetime import date
from email.message import EmailMessage
from pathlib import Path

from inboxguard.config import Config, state_dir
from inboxguard.delivery.outcome import DeliveryError, DeliveryReceipt

# The HTML encoding sniffing algorithm lets a byte order mark outrank any <meta charset>, so a
# browser opening the file from disk reads the Japanese right whatever the document declares.
_UTF8_BOM = b"\xef\xbb\xbf"


def directory_of(config: Config, environ: Mapping[str, str] | None = None) -> Path:
    return config.digest.path or state_dir(environ) / "digests"


def write(
    message: EmailMessage,
    config: Config,
    *,
    day: date,
    environ: Mapping[str, str] | None = None,
) -> DeliveryReceipt:
    directory = directory_of(config, environ)
    eml = directory / f"digest-{day.isoformat()}.eml"
    html = eml.with_suffix(".html")
    # LF line endings: the file is for this machine's tools (and `mail -f`), not the wire.
    whole = message.as_bytes(policy=message.policy.clone(linesep="\n"))
    part = message.get_body(preferencelist=("html",))
    try:
        _private_directory(directory)
        _replace(eml, whole)
        if isinstance(part, EmailMessage):
            _replace(html, _UTF8_BOM + str(part.get_content()).encode("utf-8"))
        else:
            # No HTML part today: an earlier run's page would show yesterday's news as today's.
            html.unlink(missing_ok=True)
    except OSError as exc:
        target = exc.filename or directory
        raise DeliveryError(
            f"cannot write the digest into {target}: {exc.strerror}", retryable=False
        ) from None
    return DeliveryReceipt("file", str(eml))


def probe(config: Config, environ: Mapping[str, str] | None = None) -> str:
    """Make the directory if needed and check it can take files; nothing is written."""
    directory = directory_of(config, environ)
    try:
        _private_directory(directory)
    except OSError as exc:
        raise DeliveryError(
            f"cannot create {exc.filename or directory}: {exc.strerror}", retryable=False
        ) from None
    if not os.access(directory, os.W_OK | os.X_OK):
        raise DeliveryError(f"{directory} is not writable", retryable=False)
    return f"file: {directory}, writable"


def _private_directory(directory: Path) -> None:
    try:
        directory.mkdir(mode=0o700, parents=True)
    except FileExistsError:
        if directory.is_dir():
            return  # the owner's own directory keeps the permissions the owner gave it
        raise
    directory.chmod(0o700)  # exactly 0700, whatever the umask took away from mkdir's mode


def _replace(path: Path, data: bytes) -> None:
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        Path(temporary).replace(path)
    except BaseException:
        with contextlib.suppress(OSError):  # the original error is the one worth reporting
            Path(temporary).unlink()
        raise

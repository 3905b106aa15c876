"""Logging: our structlog events and the standard library's alike, with every secret redacted.

JSON lines under journald, readable key=value on a terminal (SPEC §11), to stderr: stdout
carries command output. imapclient, exchangelib, msal, httpx and apscheduler log through the
standard library; one handler on the root logger sends their records through the same
processors as ours, so one set of rules decides what may be written:

- personal data (subjects, addresses: ``PERSONAL_KEYS``) only in debug events;
- no secret (SPEC §1 guarantee 5): a value registered with ``register_secret`` wherever it
  appears, the value under any key whose name sounds secret (``SECRET_KEY_WORDS``), and what
  looks like a credential in free text (``Authorization:`` headers, ``Bearer`` tokens, XOAUTH2
  strings, ``access_token=`` in URLs and forms, ``"access_token": "…"`` in JSON) become
  ``[REDACTED]``.
  Redaction runs after exceptions are formatted, since an exception's text can quote a secret.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import threading
from collections.abc import Iterable, Mapping
from typing import Any, TextIO
from urllib.parse import quote, quote_plus

import structlog
from structlog.processors import ExceptionRenderer
from structlog.tracebacks import ExceptionDictTransformer
from structlog.typing import EventDict, Processor, WrappedLogger

REDACTED = "[REDACTED]"
FORMATS = ("auto", "json", "console")
MIN_SECRET_LENGTH = 4  # shorter values would redact ordinary words and numbers everywhere
# An access token is registered each time it is refreshed (hourly): the oldest registrations
# go first. A password or a live token is registered again at every login, so stays recent.
MAX_SECRETS = 512

# A key whose lowercased name contains one of these has its value redacted, whatever it is.
SECRET_KEY_WORDS = (
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "authorization",
    "credential",
    "cookie",
    "api_key",
    "apikey",
    "private_key",
)
# Except where the name says the value is where a secret lives, not the secret: a token file's
# path is what an owner needs to read in an error. Anything else that matches is redacted
# (``password_env``, ``password_command``, ``token_type``): a name that is wrongly hidden costs
# a debugging session, a secret wrongly shown costs the account. Registered secrets are still
# replaced inside these values.
LOCATION_SUFFIXES = ("_path", "_file", "_dir", "_directory")

# Message subjects and correspondents' addresses: written only when the event is a debug one.
PERSONAL_KEYS = frozenset(
    {
        "subject",
        "sender",
        "from",
        "from_",
        "to",
        "cc",
        "bcc",
        "reply_to",
        "address",
        "addresses",
        "counterpart",
        "recipient",
        "recipients",
        "email",
    }
)
PERSONAL_SUFFIXES = ("_subject", "_address", "_addresses", "_email")

# imapclient at DEBUG writes the IMAP conversation: its own filter hides the LOGIN and
# AUTHENTICATE command lines but not the XOAUTH2 string sent as the continuation after them.
IMAP_PROTOCOL_LOGGERS = ("imapclient", "imapclient.imaplib")

_B64TOKEN = r"[A-Za-z0-9\-._~+/]"  # RFC 6750's b64token
_SOH = r"(?:\x01|\\x01|\\u0001)"  # XOAUTH2's separator, raw or as repr()/JSON escape it
_CREDENTIAL_NAME = r"[a-z_]*(?:token|secret|password|passwd)"
# Credential shapes in free text: an exception message, a URL, a response body quoted in an
# error. Each keeps what names the credential and replaces the credential.
_CREDENTIAL_SHAPES: tuple[tuple[re.Pattern[str], str], ...] = (
    # An Authorization header, however quoted: the whole value, whatever the scheme (Basic too).
    (
        re.compile(r"(?i)\b((?:proxy-)?authorization[\"']?\s*[:=]\s*[\"']?)[^\"'\r\n]+"),
        rf"\1{REDACTED}",
    ),
    # A bearer token anywhere; eight characters at least, so "Bearer token expired" stays.
    (re.compile(rf"(?i)\b(bearer\s+){_B64TOKEN}{{8,}}=*"), rf"\1{REDACTED}"),
    # XOAUTH2 (user=…^Aauth=Bearer …^A^A), the user name too: it is the owner's address.
    (re.compile(rf"user=[^\x01\s]*{_SOH}auth=[^\x01\\]*(?:{_SOH}){{0,2}}"), REDACTED),
    # The same in base64, as AUTHENTICATE sends it. "user=" encodes to "dXNlcj" and one of
    # 0-3, picked by the top bits of the name's first byte: "dXNlcj1" for a letter.
    (re.compile(r"dXNlcj[0-3][A-Za-z0-9+/]*={0,2}"), REDACTED),
    # access_token=…, refresh_token=…, client_secret=… in a URL's query or a form body.
    (re.compile(rf"(?i)\b({_CREDENTIAL_NAME}|code_verifier)=[^&\s\"'#]+"), rf"\1={REDACTED}"),
    # An OAuth2 authorization code in a redirect's query; only there, so "exit code=1" stays.
    (re.compile(r"([?&]code=)[^&\s\"'#]+"), rf"\1{REDACTED}"),
    # "access_token": "…" in JSON, 'refresh_token': '…' in a dict's repr; "secret" is where
    # msal's serialised token cache keeps its tokens.
    (re.compile(rf"(?i)([\"']{_CREDENTIAL_NAME}[\"']\s*:\s*[\"'])[^\"']*"), rf"\1{REDACTED}"),
)


class _SecretRegistry:
    """The process's known secrets, and one compiled pattern that finds any of them.

    The pattern is rebuilt under the lock when the set changes and replaced whole, so a
    logging thread reads either the old pattern or the new one, never a half-built one.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[str, None] = {}  # insertion-ordered: the oldest registration first
        self.pattern: re.Pattern[str] | None = None

    def add(self, value: str) -> None:
        if len(value) < MIN_SECRET_LENGTH:
            return
        with self._lock:
            known = value in self._values
            self._values.pop(value, None)
            self._values[value] = None  # (again) the most recent
            if known:
                return
            while len(self._values) > MAX_SECRETS:
                del self._values[next(iter(self._values))]
            self.pattern = _any_of(self._values)

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
            self.pattern = None


def _any_of(values: Iterable[str]) -> re.Pattern[str]:
    forms = {form for value in values for form in _written_forms(value)}
    # Longest first: a secret that contains another is replaced whole, not around the other.
    return re.compile("|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True)))


def _written_forms(value: str) -> set[str]:
    """The secret as it may already be written in a string: raw, in a URL, or escaped."""
    forms = {
        value,
        quote(value, safe=""),
        quote_plus(value),
        repr(value)[1:-1],  # inside an exception's repr of its arguments
        json.dumps(value)[1:-1],  # inside a JSON body quoted in a message
    }
    return {form for form in forms if len(form) >= MIN_SECRET_LENGTH}


_secrets = _SecretRegistry()


def register_secret(value: str) -> None:
    """From now on, ``value`` is written as ``[REDACTED]`` wherever it appears in a log event.

    Values shorter than four characters are ignored: redacting them would garble every line.
    """
    _secrets.add(value)


def clear_secrets() -> None:
    """Forget every registered secret (for tests)."""
    _secrets.clear()


def redact_text(text: str) -> str:
    """``text`` with registered secrets and credential-shaped substrings replaced."""
    pattern = _secrets.pattern
    if pattern is not None:
        text = pattern.sub(REDACTED, text)
    for shape, replacement in _CREDENTIAL_SHAPES:
        text = shape.sub(replacement, text)
    return text


def _secret_key(key: object) -> bool:
    if not isinstance(key, str):
        return False
    name = key.lower()
    if name.endswith(LOCATION_SUFFIXES):
        return False
    return any(word in name for word in SECRET_KEY_WORDS)


def _redacted(value: object) -> object:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int | float) and _secrets.pattern is None:
        return value  # no credential shape is made of digits alone
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, bytes | bytearray):
        text = bytes(value).decode("utf-8", "backslashreplace")
        clean = redact_text(text)
        return value if clean == text else clean
    if isinstance(value, Mapping):
        return _redacted_mapping(value)
    if isinstance(value, list | tuple | set | frozenset):
        return [_redacted(item) for item in value]
    # Anything else (an exception, a Path, a number) the renderer writes as its repr(): vet
    # that text now, since it is the text that will be written.
    try:
        text = repr(value)
    except Exception:  # a repr() that fails cannot be vetted, so it is not written either
        return REDACTED
    clean = redact_text(text)
    return value if clean == text else clean


def _redacted_mapping(mapping: Mapping[Any, object]) -> dict[object, object]:
    clean: dict[object, object] = {}
    for key, value in mapping.items():
        # None or a flag says whether there is a secret, not what it is: kept for debugging.
        hidden = _secret_key(key) and value is not None and not isinstance(value, bool)
        clean[_redacted(key) if isinstance(key, str) else key] = (
            REDACTED if hidden else _redacted(value)
        )
    return clean


def redact_secrets(logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
    """Processor: no secret survives in any key or value, however deeply nested."""
    clean = _redacted_mapping(event_dict)
    return {str(key): value for key, value in clean.items()}


def _personal_key(key: object) -> bool:
    if not isinstance(key, str):
        return False
    name = key.lower()
    return name in PERSONAL_KEYS or name.endswith(PERSONAL_SUFFIXES)


def _impersonal(value: object) -> object:
    if isinstance(value, Mapping):
        return {k: _impersonal(v) for k, v in value.items() if not _personal_key(k)}
    if isinstance(value, list | tuple):
        return [_impersonal(item) for item in value]
    return value


def drop_personal_data(logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
    """Processor: subjects and addresses only in debug events (SPEC §11).

    Decided by the event's own level, not the configured one: at ``-vv`` an info event still
    leaves them out, so raising verbosity never turns the ordinary lines into personal data.
    """
    if event_dict.get("level") == "debug":
        return event_dict
    return {k: _impersonal(v) for k, v in event_dict.items() if not _personal_key(k)}


_LEADING = ("timestamp", "level", "logger", "event")


def _leading_keys(logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
    # When, how bad, where and what first: a JSON line read in journalctl reads left to right.
    return {**{k: event_dict[k] for k in _LEADING if k in event_dict}, **event_dict}


def _under_journald(stream: TextIO) -> bool:
    """Whether ``stream`` is the journal's: systemd names its stream in ``JOURNAL_STREAM``.

    Compared with the stream's device and inode as systemd's documentation asks: a child
    process inherits the variable even when its stderr goes elsewhere (a pipe, a file). A
    stream with no file descriptor (a test's StringIO) cannot be the journal's socket.
    """
    device, _, inode = os.environ.get("JOURNAL_STREAM", "").partition(":")
    if not (device.isdigit() and inode.isdigit()):
        return False
    try:
        status = os.fstat(stream.fileno())
    except (OSError, ValueError, AttributeError):  # io.UnsupportedOperation: OSError, ValueError
        return False
    return (status.st_dev, status.st_ino) == (int(device), int(inode))


class _Handler(logging.StreamHandler[TextIO]):
    """The handler ``configure_logging`` puts on the root logger, and replaces on a second call.

    Without an explicit stream it writes to whatever ``sys.stderr`` is when the record comes:
    click's test runner and pytest swap ``sys.stderr`` per invocation, and a handler holding
    on to an earlier one would write into a closed buffer.
    """

    def __init__(self, stream: TextIO | None) -> None:
        super().__init__(sys.stderr if stream is None else stream)
        self._follows_stderr = stream is None

    def emit(self, record: logging.LogRecord) -> None:
        if self._follows_stderr:
            self.stream = sys.stderr  # under the handler's lock: handle() holds it
        super().emit(record)


def _not_imap_protocol(record: logging.LogRecord) -> bool:
    """Drops imapclient's debug records, whatever level someone set on its loggers since."""
    imapclient = record.name == "imapclient" or record.name.startswith("imapclient.")
    return record.levelno >= logging.INFO or not imapclient


def configure_logging(
    level: int = logging.WARNING, fmt: str = "auto", stream: TextIO | None = None
) -> None:
    """Log events at ``level`` and above to ``stream`` (stderr), as JSON lines or key=value.

    ``fmt`` is ``"json"``, ``"console"`` or ``"auto"``: JSON when the stream is journald's.
    Libraries logging through the standard library are let through from WARNING, or from
    ``level`` when it is lower; imapclient never below INFO.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown log format {fmt!r}: expected one of {', '.join(FORMATS)}")
    target = stream if stream is not None else sys.stderr
    as_json = fmt == "json" or (fmt == "auto" and _under_journald(target))
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    # No locals in a JSON traceback: a frame's locals hold the password it was handed.
    exceptions: Processor = (
        ExceptionRenderer(ExceptionDictTransformer(show_locals=False))
        if as_json
        else structlog.processors.format_exc_info
    )
    # Exceptions first: their text is vetted with the rest.
    vetting: list[Processor] = [exceptions, drop_personal_data, redact_secrets]
    rendering: list[Processor] = (
        [_leading_keys, structlog.processors.JSONRenderer(ensure_ascii=False)]
        if as_json
        else [
            structlog.dev.ConsoleRenderer(
                colors=False, exception_formatter=structlog.dev.plain_traceback
            )
        ]
    )
    structlog.configure(
        # Our events are vetted before they become log records, so no other handler on the
        # root logger (pytest's caplog, one a library adds) ever sees them unredacted.
        processors=[*shared, *vetting, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.stdlib.LoggerFactory(),
        # The CLI configures per invocation and tests capture logs: loggers must not be frozen.
        cache_logger_on_first_use=False,
    )
    handler = _Handler(stream)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            # Our events pass a second time unchanged; the libraries' are vetted here.
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                *vetting,
                *rendering,
            ],
        )
    )
    handler.addFilter(_not_imap_protocol)
    root = logging.getLogger()
    for previous in [h for h in root.handlers if isinstance(h, _Handler)]:
        root.removeHandler(previous)
        previous.close()
    root.addHandler(handler)
    # Our own events are filtered by the bound logger above; this level is the libraries'.
    libraries = min(level, logging.WARNING)
    root.setLevel(libraries)
    for name in IMAP_PROTOCOL_LOGGERS:
        logging.getLogger(name).setLevel(max(libraries, logging.INFO))

"""Which parts of an Apprise URL are secrets, so each is redacted wherever it shows up.

An Apprise URL carries its service's credentials in whatever place the service chose: the
user and password (``mailto://user:pass@host``), the "host" (``tgram://BOT_TOKEN/chat``,
``line://TOKEN/user``), path segments (``slack://T…/B…/XXXX``, ``discord://id/token``),
query values (``form://…?+X-ChatWorkToken=…``). The whole URL is a secret, but a log line,
an error or a library's debug output may quote just one part of it, percent-decoded or
not; so each part that may be a credential is registered with the redactor on its own.

A part counts when it looks like a credential: a password, a value under a secret-sounding
name, or eight characters or more that are not a plain lowercase word, a host name, an IP
address or a mail address. Ordinary words ("rooms", "messages") stay readable in the logs.
Pure: no I/O.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import unquote, unquote_plus

MIN_TOKEN = 8
_SECRET_NAME = re.compile(r"(?i)token|secret|pass|key|auth|apikey|credential|sig")
_HOST_NAME = re.compile(r"^(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}\.?$")
_MAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def url_secrets(url: str) -> list[str]:
    """Every part of ``url`` that may be a credential, as written and percent-decoded, the
    whole URL first; longest parts first so none is redacted around a shorter one."""
    found: set[str] = {url.strip()}
    _scheme, sep, rest = url.strip().partition("://")
    if not sep:
        return sorted(found, key=len, reverse=True)
    rest = rest.partition("#")[0]
    location, _, query = rest.partition("?")
    netloc, _, path = location.partition("/")
    userinfo, at, hostport = netloc.rpartition("@")
    if at:
        found.add(userinfo)
        user, colon, password = userinfo.partition(":")
        if colon and len(unquote(password)) >= 4:
            found.add(password)
        if token_like(unquote(user)):
            found.add(user)
    if not _is_host(_host_of(hostport)):
        # A "host" that is no host name is the service's key (Telegram, LINE, Pushover).
        found.add(hostport)
        found.update(p for p in hostport.split(":") if token_like(unquote(p)))
    found.update(segment for segment in path.split("/") if token_like(unquote(segment)))
    for pair in query.split("&"):
        raw_name, _, raw = pair.partition("=")
        # Decoded as Apprise decodes it ("+" is a space), and kept as written too.
        name, value = unquote_plus(raw_name), unquote_plus(raw)
        if (_SECRET_NAME.search(name) and len(value) >= 4) or token_like(value):
            found.update((raw, value))
    forms = found | {unquote(part) for part in found}
    return sorted((f for f in forms if f), key=len, reverse=True)


def token_like(part: str) -> bool:
    """Eight characters or more that are not a plain lowercase word, a host name, an IP
    address or a mail address."""
    if len(part) < MIN_TOKEN:
        return False
    if part.isalpha() and part.islower():
        return False
    return not (_is_host(part) or _MAIL.match(part))


def _host_of(hostport: str) -> str:
    """The host of ``host:port`` when the port is a number; else all of it (``id:token``)."""
    if hostport.startswith("["):
        return hostport.partition("]")[0] + "]"
    host, colon, port = hostport.rpartition(":")
    return host if colon and port.isdigit() else hostport


def _is_host(part: str) -> bool:
    if part.lower() == "localhost":
        return True
    try:
        ipaddress.ip_address(part.strip("[]"))
    except ValueError:
        return bool(_HOST_NAME.match(part))
    return True

"""A real Dovecot started from a temporary directory: for the live suite and the benchmarks.

Dovecot runs as root here and drops to the ``dovecot`` user, so the directory is made
world-readable and the mail root handed to that user. Every test logs in as a fresh user
(the static passdb accepts any name with the one password), so tests share the server but
never a mailbox. The helpers speak plain IMAP to set mail up and to read it back; they may
CREATE and DELETE folders, the product under test never does.

A second instance, started only when a TLS test asks for it, adds TLS with a certificate
from a throwaway CA (tests/live/tls.py): implicit TLS on one port, STARTTLS on the other
(where plain login stays allowed, for the helpers).
"""

from __future__ import annotations

import hashlib
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from imapclient import IMAPClient

from tests.live.tls import Certificates, make_certificates
from tests.mailboxes import CLIENT, OWNER, build_message

DOVECOT = "/usr/sbin/dovecot"
PASSWORD = "Live-s3cret-9f2c"
HOST = "127.0.0.1"

_CONF = """\
protocols = imap
listen = {host}
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
{ssl}
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
default_internal_user = dovecot
default_login_user = dovenull
first_valid_uid = 1
mail_location = maildir:{root}/mail/%u/Maildir
passdb {{
  driver = static
  args = password={password}
}}
userdb {{
  driver = static
  args = uid=dovecot gid=dovecot home={root}/mail/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = {host}
    port = {port}
  }}
  inet_listener imaps {{
    address = {host}
    port = {tls_port}
{tls_listener}  }}
}}
service anvil {{
  chroot =
}}
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Drafts {{
    special_use = \\Drafts
    auto = subscribe
  }}
  mailbox Sent {{
    special_use = \\Sent
    auto = subscribe
  }}
}}
"""

_users = itertools.count(1)

# What Dovecot 2.3 advertises after login, in its order: a server offering less is this
# list minus some entries (``running(capability_without=...)``).
FULL_CAPABILITY = tuple(
    " ".join(
        (
            "IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT SORT=DISPLAY",
            "THREAD=REFERENCES THREAD=REFS THREAD=ORDEREDSUBJECT MULTIAPPEND URL-PARTIAL",
            "CATENATE UNSELECT CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED I18NLEVEL=1 CONDSTORE",
            "QRESYNC ESEARCH ESORT SEARCHRES WITHIN CONTEXT=SEARCH LIST-STATUS BINARY MOVE",
            "SNIPPET=FUZZY PREVIEW=FUZZY PREVIEW STATUS=SIZE SAVEDATE LITERAL+ NOTIFY SPECIAL-USE",
        )
    ).split()
)
# QRESYNC implies CONDSTORE (RFC 7162): a server without CONDSTORE offers neither.
_IMPLIED = {"CONDSTORE": ("QRESYNC",)}


def capability_line(without: frozenset[str]) -> str:
    """Dovecot's ``imap_capability`` setting: its full list minus ``without``."""
    dropped = set(without) | {x for name in without for x in _IMPLIED.get(name, ())}
    return " ".join(c for c in FULL_CAPABILITY if c not in dropped)


class DovecotError(RuntimeError):
    """Dovecot did not start or listen; the message carries its log."""


@dataclass
class Dovecot:
    host: str
    port: int
    password: str
    root: Path

    def new_user(self) -> str:
        return f"user{next(_users)}-{os.getpid()}"

    def client(self, user: str) -> Any:
        client = IMAPClient(self.host, self.port, ssl=False, timeout=10)
        client.normalise_times = False
        client.login(user, self.password)
        return client


@dataclass
class TlsDovecot(Dovecot):
    """Also TLS: implicit on ``tls_port``, STARTTLS offered on ``port``."""

    tls_port: int
    certificates: Certificates


@dataclass
class Mailbox:
    """One user's mailbox on the live server, with plain-IMAP helpers for the tests."""

    server: Dovecot
    user: str
    _client: Any = field(default=None, init=False)

    @property
    def imap(self) -> Any:
        if self._client is None:
            self._client = self.server.client(self.user)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.logout()
            self._client = None

    def append(
        self, folder: str, raw: bytes, *, when: datetime, flags: tuple[bytes, ...] = ()
    ) -> int:
        answer = self.imap.append(folder, raw, flags=flags, msg_time=when)
        return int(answer.split(b"APPENDUID ", 1)[1].split(b"]")[0].split()[1])

    def add(
        self,
        folder: str,
        *,
        sender: str,
        to: str,
        subject: str,
        date: datetime,
        message_id: str,
        body: str = "本文です。\n",
        in_reply_to: str | None = None,
        flags: tuple[bytes, ...] = (),
    ) -> bytes:
        message = build_message(
            sender=sender,
            to=to,
            subject=subject,
            date=date,
            message_id=message_id,
            body=body,
            in_reply_to=in_reply_to,
        )
        raw = message.as_bytes().replace(b"\n", b"\r\n")
        self.append(folder, raw, when=date, flags=flags)
        return raw

    def messages(self, folder: str) -> dict[int, tuple[frozenset[bytes], bytes]]:
        """UID → (flags, full bytes), read without touching \\Seen (EXAMINE, BODY.PEEK)."""
        self.imap.select_folder(folder, readonly=True)
        uids = self.imap.search(["ALL"])
        if not uids:
            return {}
        data = self.imap.fetch(uids, ["FLAGS", "BODY.PEEK[]"])
        return {
            uid: (frozenset(f for f in item[b"FLAGS"] if f != b"\\Recent"), item[b"BODY[]"])
            for uid, item in data.items()
        }

    def snapshot(self) -> dict[tuple[str, int], tuple[frozenset[bytes], str]]:
        """Every message of every folder: (folder, UID) → (flags, sha256 of its bytes)."""
        result = {}
        for _, _, name in self.imap.list_folders():
            for uid, (flags, raw) in self.messages(name).items():
                result[(name, uid)] = (flags, hashlib.sha256(raw).hexdigest())
        return result

    def client_mail(self, folder: str, date: datetime, mid: str = "<q1@client.example>") -> bytes:
        return self.add(
            folder,
            sender=f"山田 太郎 <{CLIENT}>",
            to=f"佐藤 花子 <{OWNER}>",
            subject="見積のご依頼",
            date=date,
            message_id=mid,
            body="佐藤様\n\nお見積りをお願いできますでしょうか。\n\n山田\n",
        )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def _wait_for_listener(port: int, log: Path, deadline: float = 10.0) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    text = log.read_text(errors="replace") if log.exists() else "(no log)"
    raise DovecotError(f"Dovecot did not listen on {HOST}:{port}:\n{text}")


@dataclass
class _Started:
    root: Path
    port: int
    tls_port: int  # 0 without TLS
    certificates: Certificates | None


_OAUTH2_PASSDB = """\
passdb {{
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {root}/dovecot-oauth2.conf.ext
}}
"""
_OAUTH2_CONF = """\
introspection_mode = post
introspection_url = {url}
username_attribute = username
active_attribute = active
active_value = true
"""


def _with_oauth2(conf: str, root: Path, introspection_url: str) -> str:
    """The configuration plus XOAUTH2/OAUTHBEARER, tokens checked by ``introspection_url``."""
    (root / "dovecot-oauth2.conf.ext").write_text(_OAUTH2_CONF.format(url=introspection_url))
    conf = conf.replace(
        "auth_mechanisms = plain login\n", "auth_mechanisms = plain login xoauth2 oauthbearer\n"
    )
    return conf.replace("userdb {", _OAUTH2_PASSDB.format(root=root) + "userdb {", 1)


@contextmanager
def running(
    prefix: str,
    *,
    tls: bool = False,
    oauth2_introspection_url: str | None = None,
    capability_without: frozenset[str] = frozenset(),
) -> Iterator[_Started]:
    """Dovecot started from a fresh temporary directory, stopped and removed afterwards.

    With ``capability_without`` it advertises its usual capabilities minus those (as
    Microsoft 365 offers no CONDSTORE, some servers no UNSELECT). Dovecot may still answer
    such a command if sent; the client under test must not send it.

    With ``oauth2_introspection_url`` it also accepts XOAUTH2, asking that URL (RFC 7662
    style, POST) whether a token is active and whose it is.
    """
    root = Path(tempfile.mkdtemp(prefix=prefix))
    root.chmod(0o755)  # Dovecot's unprivileged processes must reach the config and mail
    for sub in ("run", "state", "mail"):
        (root / sub).mkdir()
    shutil.chown(root / "mail", "dovecot", "dovecot")
    conf = root / "dovecot.conf"
    try:
        port = _free_port()
        tls_port = _free_port() if tls else 0
        while tls_port == port:  # two probes in a row may be handed the same free port
            tls_port = _free_port()
        certificates = make_certificates(root / "tls") if tls else None
        if certificates:
            ssl = f"ssl = yes\nssl_cert = <{certificates.cert}\nssl_key = <{certificates.key}"
            tls_listener = "    ssl = yes\n"
        else:
            ssl, tls_listener = "ssl = no", ""
        text = _CONF.format(
            host=HOST, root=root, port=port, password=PASSWORD, ssl=ssl,
            tls_port=tls_port, tls_listener=tls_listener,
        )  # fmt: skip
        if oauth2_introspection_url is not None:
            text = _with_oauth2(text, root, oauth2_introspection_url)
        if capability_without:
            text += f"imap_capability = {capability_line(capability_without)}\n"
        conf.write_text(text)
        # Dovecot daemonizes: its output goes to a file, since a pipe would stay open (and
        # subprocess.run wait for its end) as long as the daemon runs.
        startup_log = root / "startup.log"
        with startup_log.open("wb") as output:
            started = subprocess.run(
                [DOVECOT, "-c", str(conf)], stdout=output, stderr=output, check=False
            )
        if started.returncode != 0:
            log = startup_log.read_text(errors="replace").strip()
            raise DovecotError(f"dovecot did not start: {log}")
        for listening in (port, tls_port) if tls else (port,):
            _wait_for_listener(listening, root / "dovecot.log")
        yield _Started(root, port, tls_port, certificates)
    finally:
        if conf.exists():
            subprocess.run(
                [DOVECOT, "-c", str(conf), "stop"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                check=False,
            )
        shutil.rmtree(root, ignore_errors=True)

"""A small TCP proxy for the live suite that can drop a connection part-way through.

It listens on a free loopback port and forwards every connection to the real server. A
``Cut`` armed on it waits for a byte pattern in one direction (say ``b"FETCH"`` from the
client) and then lets only ``after`` more bytes through in the cut direction before shutting
both sockets: the client sees the connection die in the middle of an answer or of its own
literal. A cut fires once, on the first connection that shows the pattern; later connections
pass untouched, so the next cycle reaches the server cleanly. A ``Rewrite`` changes one
server answer instead (a real server's ``OK`` made the ``NO`` a throttling server sends).
With ``refuse_append_to_selected`` the proxy follows which mailbox each connection has
selected and answers ``NO`` itself to an APPEND into it, as some servers do ("NO Current box
is selected READ-ONLY"); Dovecot accepts one.

Everything is bounded: sockets time out, ``stop()`` closes what is open and joins every
thread, and the proxy is a context manager so a failing test still stops it.
"""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Literal

Direction = Literal["client_to_server", "server_to_client"]
TO_SERVER: Direction = "client_to_server"
TO_CLIENT: Direction = "server_to_client"
JOIN_SECONDS = 5.0


@dataclass
class Cut:
    """Once ``trigger`` passes in ``watch``, forward ``after`` more bytes in ``cut`` and drop.

    When ``watch`` and ``cut`` are the same direction, the count starts at the first byte of
    the trigger itself (``after=0`` withholds the trigger and all that follows it).
    ``before_cut``, if given, runs once the trigger is seen, before anything more is forwarded
    (a test can restart the server there).
    """

    trigger: bytes
    watch: Direction
    cut: Direction
    after: int = 0
    before_cut: Callable[[], None] | None = None
    fired: threading.Event = field(default_factory=threading.Event)


@dataclass
class Rewrite:
    """Once, replace what ``pattern`` matches in the server's answer with ``replacement``.

    The connection goes on; only the client's view of one answer changes (a real server's
    ``OK`` turned into the ``NO`` a throttling server would have sent).
    """

    pattern: re.Pattern[bytes]
    replacement: bytes
    done: threading.Event = field(default_factory=threading.Event)


_COMMAND = re.compile(rb"^(\S+) ([A-Za-z]+)(?: (.*?))?\r\n$", re.DOTALL)
_ARGUMENT = re.compile(rb'^(?:"((?:[^"\\]|\\.)*)"|(\S+))')
_LITERAL = re.compile(rb"\{(\d+)(\+?)\}\r\n$")


def _mailbox(arguments: bytes) -> str | None:
    """The first argument of a command (a mailbox name), quoted or an atom."""
    match = _ARGUMENT.match(arguments)
    if match is None:
        return None
    name = (match.group(1) if match.group(1) is not None else match.group(2)).decode()
    return "INBOX" if name.upper() == "INBOX" else name


class _AppendGuard:
    """Reads one connection's commands; an APPEND into the selected mailbox is refused here,
    never reaching the server (its literal, if already on its way, is dropped)."""

    def __init__(self, refused: list[str], lines: list[bytes]) -> None:
        self.refused = refused
        self.lines = lines  # every command line the client sent (literals left out)
        self.selected: str | None = None
        self.pending = b""
        self.literal = 0  # literal bytes still to pass (or to drop)
        self.dropping = False

    def feed(self, chunk: bytes) -> tuple[bytes, bytes]:
        """(bytes for the server, bytes answered to the client)."""
        data, self.pending = self.pending + chunk, b""
        forward, answer = b"", b""
        while data:
            if self.literal:
                part, data = data[: self.literal], data[self.literal :]
                self.literal -= len(part)
                forward += b"" if self.dropping else part
                continue
            end = data.find(b"\r\n")
            if end < 0:
                self.pending = data
                break
            line, data = data[: end + 2], data[end + 2 :]
            self.lines.append(line)
            literal = _LITERAL.search(line)
            command = _COMMAND.match(line)
            verb = command.group(2).upper() if command else b""
            name = _mailbox(command.group(3) or b"") if command else None
            if command and verb == b"APPEND" and name is not None and name == self.selected:
                self.refused.append(name)
                answer += command.group(1) + b" NO [CANNOT] Current box is selected READ-ONLY\r\n"
                if literal and literal.group(2):  # LITERAL+: its bytes follow unasked
                    self.literal, self.dropping = int(literal.group(1)), True
                continue
            if verb in (b"SELECT", b"EXAMINE"):
                self.selected = name
            elif verb in (b"UNSELECT", b"CLOSE"):
                self.selected = None
            forward += line
            if literal:
                self.literal, self.dropping = int(literal.group(1)), False
        return forward, answer


class _Link:
    """One client connection and its upstream connection, pumped by two threads."""

    def __init__(self, proxy: CuttingProxy, client: socket.socket, upstream: socket.socket):
        self.proxy = proxy
        self.sockets = {TO_SERVER: (client, upstream), TO_CLIENT: (upstream, client)}
        self.closed = threading.Event()
        self.lock = threading.Lock()
        self.cut: Cut | None = None
        self.budget: int | None = None  # bytes still allowed in the cut direction
        self.tails: dict[Direction, bytes] = {TO_SERVER: b"", TO_CLIENT: b""}
        self.guard = (
            _AppendGuard(proxy.refused, proxy.lines) if proxy.refuse_append_to_selected else None
        )
        self.send_lock = threading.Lock()  # both pumps may write to the client
        self.threads = [
            threading.Thread(target=self._pump, args=(d,), daemon=True, name=f"proxy-{d}")
            for d in (TO_SERVER, TO_CLIENT)
        ]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def close(self) -> None:
        self.closed.set()
        for sock in self.sockets[TO_SERVER]:
            with suppress(OSError):  # already gone
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _pump(self, direction: Direction) -> None:
        source, sink = self.sockets[direction]
        try:
            while not self.closed.is_set():
                try:
                    chunk = source.recv(65536)
                except TimeoutError:
                    continue
                if not chunk:
                    break
                allowed, drop = self._allowed(direction, chunk)
                answer = b""
                if self.guard is not None and direction == TO_SERVER:
                    allowed, answer = self.guard.feed(allowed)
                if allowed and direction == TO_CLIENT:
                    with self.send_lock:
                        sink.sendall(allowed)
                elif allowed:
                    sink.sendall(allowed)
                if answer:
                    with self.send_lock:
                        source.sendall(answer)
                if drop:
                    break
        except OSError:
            pass  # the other side closed, or we did
        finally:
            self.close()

    def _allowed(self, direction: Direction, chunk: bytes) -> tuple[bytes, bool]:
        """The part of ``chunk`` to forward, and whether to drop the connection after it."""
        with self.lock:
            if direction == TO_CLIENT:
                chunk = self.proxy.rewritten(chunk)
            if self.cut is None:
                cut = self.proxy.claim(direction, self.tails[direction] + chunk)
                if cut is not None:
                    self.cut = cut
                    if cut.before_cut is not None:
                        cut.before_cut()
                    if cut.cut == direction:
                        seen = self.tails[direction] + chunk
                        start = seen.find(cut.trigger) - len(self.tails[direction])
                        self.budget = cut.after + max(start, 0)
                    else:
                        self.budget = cut.after
            self.tails[direction] = (self.tails[direction] + chunk)[-64:]
            if self.cut is None or self.cut.cut != direction or self.budget is None:
                return chunk, False
            if len(chunk) < self.budget:
                self.budget -= len(chunk)
                return chunk, False
            allowed = chunk[: self.budget]
            self.budget = 0
            self.cut.fired.set()
            return allowed, True


class CuttingProxy:
    """``with CuttingProxy(host, port) as proxy: ... proxy.port ...``"""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        timeout: float = 0.2,
        refuse_append_to_selected: bool = False,
    ) -> None:
        self.target = (host, port)
        self.refuse_append_to_selected = refuse_append_to_selected
        self.refused: list[str] = []  # mailboxes an APPEND was refused into
        self.lines: list[bytes] = []  # with refuse_append_to_selected: the client's commands
        self.timeout = timeout
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(timeout)
        self.host, self.port = self.listener.getsockname()[:2]
        self.connections = 0
        self._cuts: list[Cut] = []
        self._rewrites: list[Rewrite] = []
        self._links: list[_Link] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._acceptor = threading.Thread(target=self._accept, daemon=True, name="proxy-accept")

    def __enter__(self) -> CuttingProxy:
        self._acceptor.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def arm(self, cut: Cut) -> Cut:
        with self._lock:
            self._cuts.append(cut)
        return cut

    def rewrite(self, rewrite: Rewrite) -> Rewrite:
        with self._lock:
            self._rewrites.append(rewrite)
        return rewrite

    def rewritten(self, chunk: bytes) -> bytes:
        """``chunk`` after the first armed rewrite that matches it (which then fires no more)."""
        with self._lock:
            for rewrite in self._rewrites:
                if rewrite.pattern.search(chunk):
                    self._rewrites.remove(rewrite)
                    rewrite.done.set()
                    return rewrite.pattern.sub(rewrite.replacement, chunk, count=1)
        return chunk

    def claim(self, direction: Direction, seen: bytes) -> Cut | None:
        """The first armed cut whose trigger shows in ``seen``; it fires no more after this."""
        with self._lock:
            for cut in self._cuts:
                if cut.watch == direction and cut.trigger in seen:
                    self._cuts.remove(cut)
                    return cut
        return None

    def cut_open(self) -> int:
        """Close every connection open now, as a server or a NAT dropping idle sessions
        does; later connections pass. How many were open."""
        with self._lock:
            links = [link for link in self._links if not link.closed.is_set()]
        for link in links:
            link.close()
        return len(links)

    def stop(self) -> None:
        self._stopping.set()
        if self._acceptor.is_alive():
            self._acceptor.join(JOIN_SECONDS)
        self.listener.close()
        with self._lock:
            links = list(self._links)
        for link in links:
            link.close()
        for link in links:
            for thread in link.threads:
                thread.join(JOIN_SECONDS)
        alive = [t.name for link in links for t in link.threads if t.is_alive()]
        if self._acceptor.is_alive():
            alive.append(self._acceptor.name)
        if alive:
            raise RuntimeError(f"proxy threads did not stop: {alive}")

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return  # listener closed
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            client.settimeout(self.timeout)
            upstream.settimeout(self.timeout)
            link = _Link(self, client, upstream)
            with self._lock:
                self.connections += 1
                self._links.append(link)
            link.start()

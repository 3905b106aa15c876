"""Servers on loopback that Apprise really sends to: ntfy's publish API, a JSON webhook, and
Chatwork's ``POST /v2/rooms/{room_id}/messages``. Each records what arrived; each can be
stopped (connection refused) and started again on the same port, or made to hang.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from tests.serving import in_thread

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, list[str]]:
        return parse_qs(self.body.decode("ascii"), keep_blank_values=True)

    def text(self) -> str:
        """Everything the service was told, decoded, for searching."""
        return "\n".join([self.path, *self.headers.values(), self.body.decode("utf-8", "replace")])


@dataclass
class Receiver:
    """One kind of service on one port. ``answer`` returns (status, JSON body)."""

    kind: str  # "ntfy" | "json" | "chatwork"
    token: str | None = None  # what the service expects as its credential
    port: int = 0
    requests: list[Request] = field(default_factory=list)
    hang: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def count(self) -> int:
        with self._lock:
            return len(self.requests)

    def record(self, request: Request) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.requests.append(request)
        if self.hang.is_set():
            self.release.wait(30)  # a server that accepts and never answers (in time)
        answer: Callable[[Request], tuple[int, dict[str, Any]]] = getattr(
            self, f"_answer_{self.kind}"
        )
        return answer(request)

    def _answer_ntfy(self, request: Request) -> tuple[int, dict[str, Any]]:
        if (
            self.token is not None
            and request.headers.get("Authorization") != f"Bearer {self.token}"
        ):
            return 401, {"code": 40101, "http": 401, "error": "unauthorized"}
        if request.method not in ("POST", "PUT"):
            return 405, {"error": "method not allowed"}
        # Publish as JSON (POST / with a topic), or POST/PUT /topic with the message body.
        topic = request.json().get("topic") if request.path == "/" else request.path.strip("/")
        return 200, {"id": f"m{len(self.requests)}", "event": "message", "topic": topic}

    def _answer_json(self, request: Request) -> tuple[int, dict[str, Any]]:
        if request.headers.get("Content-Type", "").split(";")[0] != "application/json":
            return 415, {}
        return 200, {"ok": True}

    def _answer_chatwork(self, request: Request) -> tuple[int, dict[str, Any]]:
        # What Chatwork's API checks: the token header and a form with a body field.
        if request.headers.get("X-ChatWorkToken") != self.token:
            return 401, {"errors": ["Invalid API token"]}
        if not request.path.startswith("/v2/rooms/") or not request.path.endswith("/messages"):
            return 404, {"errors": ["Not Found"]}
        if (
            not request.headers.get("Content-Type", "").startswith(
                "application/x-www-form-urlencoded"
            )
            or not request.form().get("body", [""])[0]
        ):
            return 400, {"errors": ["Parameter [body] is required"]}
        return 200, {"message_id": str(len(self.requests))}

    def messages(self) -> list[dict[str, str]]:
        """What each request said: title, message, and (ntfy) priority or (JSON) type."""
        said = []
        for request in self.requests:
            if self.kind == "ntfy":
                data = request.json() if request.path == "/" else {"message": request.body.decode()}
                priority = request.headers.get("X-Priority", "default")
                said.append({"title": data.get("title", ""), "message": data.get("message", ""),
                             "priority": priority})  # fmt: skip
            elif self.kind == "json":
                data = request.json()
                said.append({"title": data["title"], "message": data["message"],
                             "type": data["type"]})  # fmt: skip
            else:
                said.append({"title": "", "message": request.form()["body"][0]})
        return said


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            request = Request(self.command, self.path, dict(self.headers.items()), body)
            status, answer = receiver.record(request)
            data = json.dumps(answer).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:
                pass  # the client gave up waiting (the hanging case)

        do_POST = do_PUT = _any

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


class _Server(ThreadingHTTPServer):
    allow_reuse_address = True
    daemon_threads = True


@contextmanager
def serving(receiver: Receiver) -> Iterator[Receiver]:
    """Serve ``receiver`` on its port (a free one the first time) for the block."""
    server = _Server((HOST, receiver.port), _handler(receiver))
    receiver.port = int(server.server_address[1])
    with in_thread(server):
        try:
            yield receiver
        finally:
            receiver.release.set()  # let a hanging handler go before shutting down
    receiver.release.clear()

"""Microsoft Graph over httpx: one request at a time, every failure a one-line error.

- 401 (the token was refused, consent revoked or expired) and 403 (the Mail.ReadWrite
  consent is missing) are ``ConsentNeededError``: the message ends in "run `inboxguard auth
  NAME`", and the service waits before trying again.
- 429, and 503/504 with ``Retry-After``, are ``ThrottledError`` carrying the time Graph
  asked for. A short wait (``SHORT_WAIT`` or less) is waited in place, once per connection;
  never in a loop.
- 404 and 410 are their own types: the backend decides what a missing message or an expired
  delta token means.

Only Graph's error *code* is ever repeated (``ErrorAccessDenied``, ``SyncStateNotFound``);
its message text and the request's query string are not (they can quote mailbox content).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from inboxguard.auth.token_store import ConsentNeededError
from inboxguard.backends.imap_throttle import LONGEST_SUGGESTED, THROTTLED_DEFAULT
from inboxguard.errors import BackendError, ThrottledError
from inboxguard.log_setup import register_secret

GRAPH_ENDPOINT = "https://graph.microsoft.com/v1.0"
SHORT_WAIT = 5.0  # seconds: a Retry-After this short is waited out in place, once
_CODE = re.compile(r"[A-Za-z0-9_.-]{1,80}")

Sleep = Callable[[float], None]


class GraphNotFoundError(BackendError):
    """404: the folder or message is not there (moved, deleted, never existed)."""


class DeltaExpiredError(BackendError):
    """410 (``SyncStateNotFound``): the stored delta link is no good; sync from scratch."""


class GraphSession:
    """Bearer-authenticated requests to one mailbox's Graph endpoint."""

    def __init__(
        self,
        account: str,
        client: httpx.Client,
        token: str,
        *,
        sleep: Sleep = time.sleep,
    ) -> None:
        register_secret(token)
        self.account = account
        self._client = client
        self._token = token
        self._sleep = sleep
        self._waited = False  # one in-place wait per connection, then errors

    def json(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Mapping[str, Any] | None = None,
        prefer: str | None = None,
    ) -> dict[str, Any]:
        response = self._send(method, url, params=params, body=body, prefer=prefer)
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise BackendError(
                self.account,
                f"Microsoft Graph answered {_what(method, url)} "
                "with something that is not a JSON object",
            )
        return data

    def prefix(self, url: str, max_bytes: int) -> bytes:
        """The first ``max_bytes`` of a binary resource (a message's MIME), streamed."""
        for attempt in (1, 2):
            try:
                with self._client.stream("GET", url, headers=self._headers()) as response:
                    if response.status_code >= 400:
                        response.read()
                        self._raise_for(response, "GET", url, retry=attempt == 1)
                        continue  # waited in place; once
                    chunks: list[bytes] = []
                    size = 0
                    for chunk in response.iter_bytes():
                        chunks.append(chunk)
                        size += len(chunk)
                        if size >= max_bytes:
                            break
                    return b"".join(chunks)[:max_bytes]
            except httpx.HTTPError as exc:
                raise self._unreachable(url, exc) from None
        raise AssertionError("unreachable")  # pragma: no cover

    # -- one request ----------------------------------------------------------------------

    def _send(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None,
        body: Mapping[str, Any] | None,
        prefer: str | None,
    ) -> httpx.Response:
        for attempt in (1, 2):
            try:
                response = self._client.request(
                    method,
                    url,
                    params=dict(params) if params is not None else None,
                    json=dict(body) if body is not None else None,
                    headers=self._headers(prefer),
                )
            except httpx.HTTPError as exc:
                raise self._unreachable(url, exc) from None
            if response.status_code < 400:
                return response
            self._raise_for(response, method, url, retry=attempt == 1)
        raise AssertionError("unreachable")  # pragma: no cover

    def _headers(self, prefer: str | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self._token}", "Accept": "application/json"}
        # Immutable ids: a message keeps its id when the owner moves it between folders.
        preferences = ['IdType="ImmutableId"']
        if prefer:
            preferences.append(prefer)
        headers["Prefer"] = ", ".join(preferences)
        return headers

    def _raise_for(self, response: httpx.Response, method: str, url: str, *, retry: bool) -> None:
        """Raise the error ``response`` stands for; return only after a short in-place wait."""
        status = response.status_code
        code = _error_code(response)
        what = _what(method, url)
        if status == 429 or (status in (503, 504) and "Retry-After" in response.headers):
            delay = retry_after(response.headers.get("Retry-After"))
            if retry and not self._waited and delay.total_seconds() <= SHORT_WAIT:
                self._waited = True
                self._sleep(delay.total_seconds())
                return
            seconds = int(delay.total_seconds())
            message = (
                f"throttled by Microsoft Graph (HTTP {status} on {what}); retry after {seconds} s"
            )
            raise ThrottledError(self.account, message, delay)
        if status == 401:
            raise ConsentNeededError(
                self.account, f"Microsoft Graph refused the access token ({code or 'HTTP 401'})"
            )
        if status == 403:
            raise ConsentNeededError(
                self.account,
                f"Microsoft Graph denied access ({code or 'HTTP 403'}): the app needs the "
                "delegated Mail.ReadWrite permission, consented for this mailbox",
            )
        if status == 404:
            raise GraphNotFoundError(self.account, f"{what}: not found ({code or 'HTTP 404'})")
        if status == 410:
            raise DeltaExpiredError(
                self.account, f"{what}: delta token expired ({code or 'HTTP 410'})"
            )
        detail = f"HTTP {status}, {code}" if code else f"HTTP {status}"
        raise BackendError(self.account, f"Microsoft Graph refused {what} ({detail})")

    def _unreachable(self, url: str, exc: httpx.HTTPError) -> BackendError:
        host = urlsplit(url).netloc or "graph"
        return BackendError(
            self.account, f"Microsoft Graph at {host} unreachable ({type(exc).__name__})"
        )


def retry_after(value: str | None, *, now: datetime | None = None) -> timedelta:
    """``Retry-After`` as a pause: seconds or an HTTP date; missing or garbled: the default."""
    if value is None:
        return THROTTLED_DEFAULT
    value = value.strip()
    if value.isdigit():
        return min(timedelta(seconds=int(value)), LONGEST_SUGGESTED)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return THROTTLED_DEFAULT
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    delay = when - (now or datetime.now(UTC))
    return min(max(delay, timedelta(0)), LONGEST_SUGGESTED)


def _error_code(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    error = body.get("error") if isinstance(body, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    return code if isinstance(code, str) and _CODE.fullmatch(code) else None


def _what(method: str, url: str) -> str:
    """``GET /me/mailFolders/inbox/messages/delta``: the path without host or query."""
    path = urlsplit(url).path
    if "/v1.0/" in path:
        path = "/" + path.split("/v1.0/", 1)[1]
    if len(path) > 120:
        path = path[:117] + "..."
    return f"{method} {path}"

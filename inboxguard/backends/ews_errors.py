"""exchangelib's exceptions as InboxGuard errors a person can act on, in one line.

Nothing the server or exchangelib wrote is repeated except EWS response codes: exchangelib's
own messages may quote whole responses and request headers. Hosts are named, secrets never.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from urllib.parse import urlsplit

import requests
from exchangelib import errors as ews
from oauthlib.oauth2.rfc6749 import errors as oauth  # type: ignore[import-untyped]  # no stubs

from inboxguard.auth.token_store import ConsentNeededError
from inboxguard.backends.imap_throttle import LONGEST_SUGGESTED, THROTTLED_DEFAULT
from inboxguard.errors import BackendError, InboxGuardError, LoginFailedError, ThrottledError

GRAPH_HINT = 'use kind = "graph" for Microsoft 365'
_HTTP_CODE = re.compile(r"\bCode: (\d{3})\b")
_AADSTS = re.compile(r"\bAADSTS(\d{4,6})\b")
# Azure AD answers for a tenant that is not the mailbox's, or an app not registered there.
_WRONG_TENANT = {"90002", "50020", "700016", "90072", "50034"}
_NO_CONSENT = {"65001", "65004", "650057"}


def host_of(endpoint: str) -> str:
    parts = urlsplit(endpoint)
    return parts.netloc.rpartition("@")[2] or endpoint


@contextmanager
def ews_errors(account: str, endpoint: str, action: str) -> Iterator[None]:
    """Run an exchangelib call; anything it raises becomes a ``BackendError`` subclass."""
    try:
        yield
    except InboxGuardError:
        raise
    except Exception as exc:  # exchangelib raises a wide, shallow hierarchy
        raise translate(exc, account, endpoint, action) from None


def translate(exc: BaseException, account: str, endpoint: str, action: str) -> BackendError:
    host = host_of(endpoint)
    network = _network_cause(exc)
    if isinstance(network, requests.exceptions.SSLError):
        return BackendError(
            account, f"TLS to {host} failed: certificate not trusted or wrong name (set ca_file?)"
        )
    if isinstance(network, requests.exceptions.Timeout):
        return BackendError(account, f"{host} did not answer in time while {action}")
    if network is not None:
        return BackendError(account, f"cannot connect to {host}: check service_endpoint")
    if isinstance(exc, ews.ErrorServerBusy):
        seconds = exc.back_off
        wait = timedelta(seconds=seconds) if seconds else THROTTLED_DEFAULT
        message = f"{host} is throttling us (ErrorServerBusy) while {action}; backing off"
        return ThrottledError(account, message, min(wait, LONGEST_SUGGESTED))
    if isinstance(exc, ews.UnauthorizedError):
        return LoginFailedError(
            account, f"login refused by {host} (HTTP 401): check username and password source"
        )
    if isinstance(exc, oauth.OAuth2Error):
        return _oauth_failure(exc, account)
    if isinstance(exc, ews.ErrorAccessDenied):
        return BackendError(
            account,
            f"{host} denied access (ErrorAccessDenied) while {action}: EWS may be blocked for "
            f"this mailbox or application (EwsEnabled / EwsApplicationAccessPolicy); ask the "
            f"administrator to allow it, or {GRAPH_HINT}",
        )
    if isinstance(exc, ews.CASError):
        return BackendError(
            account, f"{host} refused the request (X-CasErrorCode {exc.cas_error!r}) while {action}"
        )
    if isinstance(exc, ews.MalformedResponseError | ews.TransportError):
        code = _HTTP_CODE.search(str(exc))
        if code is not None and code.group(1) == "403":
            return BackendError(
                account,
                f"{host} refused EWS (HTTP 403 Forbidden): EWS is disabled for this mailbox or "
                f"tenant (EwsEnabled = false); ask the administrator to enable it, or "
                f"{GRAPH_HINT}",
            )
        if code is not None:
            return BackendError(account, f"{host} answered HTTP {code.group(1)} while {action}")
    if isinstance(exc, ews.RedirectError):
        return BackendError(
            account, f"{host} redirected the request: check service_endpoint (no autodiscover)"
        )
    if isinstance(exc, ews.ErrorFolderNotFound):
        return BackendError(account, f"folder not found on {host} while {action}")
    if isinstance(exc, ews.ResponseMessageError):
        return BackendError(account, f"{host} answered {type(exc).__name__} while {action}")
    return BackendError(
        account, f"EWS request to {host} failed ({type(exc).__name__}) while {action}"
    )


def _network_cause(exc: BaseException) -> BaseException | None:
    """The network failure under an exception (exchangelib wraps them in TransportError)."""
    seen: BaseException | None = exc
    for _ in range(8):  # causes chain; a cycle must not hang us
        if seen is None:
            return None
        if isinstance(
            seen,
            requests.exceptions.ConnectionError | requests.exceptions.Timeout | ConnectionError,
        ):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _oauth_failure(exc: oauth.OAuth2Error, account: str) -> BackendError:
    """Azure AD refused the stored consent; say what the owner can do about it."""
    codes = set(_AADSTS.findall(str(getattr(exc, "description", "") or "")))
    if codes & _NO_CONSENT:
        return ConsentNeededError(
            account,
            "consent missing: the app registration lacks EWS.AccessAsUser.All consent in this "
            "tenant (an administrator may have to grant it)",
        )
    if codes & _WRONG_TENANT:
        return LoginFailedError(
            account,
            "wrong tenant: the app registration or the user is not in oauth_tenant; "
            "set oauth_tenant to the mailbox's tenant id or domain",
        )
    code = exc.error if isinstance(exc.error, str) and exc.error.isidentifier() else "refused"
    return ConsentNeededError(account, f"Microsoft refused the stored consent ({code})")

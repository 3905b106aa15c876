"""Microsoft's device-code sign-in through msal, shared by the IMAP, Graph and EWS consents.

The person is shown msal's message (a URL and a code) and signs in on any device; msal polls
until they have. Only the error code of a failed sign-in is ever repeated: msal's
descriptions can quote request details.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from inboxguard.errors import BackendError


def sign_in(
    app: Any, scopes: Sequence[str], *, account: str, out: Callable[[str], None]
) -> Mapping[str, Any]:
    """msal's answer to a completed device-code sign-in; BackendError when it did not start
    or the service cannot be reached (a refused sign-in is the caller's to word)."""
    try:
        flow = app.initiate_device_flow(scopes=list(scopes))
        if "user_code" not in flow:
            raise BackendError(account, f"device sign-in did not start ({error_code(flow)})")
        out(str(flow["message"]))  # "To sign in, use a web browser to open … enter the code …"
        result: Mapping[str, Any] = app.acquire_token_by_device_flow(flow)  # polls until done
    except (OSError, ValueError) as exc:  # requests' errors are OSErrors
        message = f"Microsoft's sign-in service unreachable ({type(exc).__name__})"
        raise BackendError(account, message) from None
    return result


def error_code(result: Mapping[str, Any]) -> str:
    error = result.get("error")
    return error if isinstance(error, str) and error.replace("_", "").isalpha() else "unknown"

"""One 0600 JSON file per account under the state directory: ``…/inboxguard/tokens/NAME.json``.

A refresh token is as good as the password for as long as it lives, so the directory is 0700,
the file 0600 from the moment it exists (``mkstemp``), and a write is atomic (temporary file
then ``os.replace``): a crash mid-write leaves the old consent, never half a file. Nothing
here logs or repeats the file's contents, not even in an error.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from inboxguard.config import state_dir
from inboxguard.errors import BackendError, LoginFailedError
from inboxguard.log_setup import register_secret


class ConsentNeededError(LoginFailedError):
    """No usable consent for the account: the owner must run ``inboxguard auth NAME``.

    A ``LoginFailedError``, so the service waits before trying again instead of asking the
    provider every cycle for a token it will not grant.
    """

    def __init__(self, account: str, reason: str) -> None:
        super().__init__(account, f"{reason}: run `inboxguard auth {account}`")


def token_path(account: str, environ: Mapping[str, str] | None = None) -> Path:
    return state_dir(environ) / "tokens" / f"{account}.json"


def read_tokens(account: str, path: Path) -> dict[str, Any]:
    """The stored tokens; ``ConsentNeededError`` when there are none yet."""
    try:
        data = json.loads(path.read_bytes())
    except FileNotFoundError:
        raise ConsentNeededError(account, "no OAuth2 consent stored yet") from None
    except OSError as exc:
        raise BackendError(account, f"cannot read {path}: {exc.strerror}") from None
    except ValueError:
        # The decoder's message quotes the file: it would leak part of a token.
        raise ConsentNeededError(account, f"{path} is damaged") from None
    if not isinstance(data, dict):
        raise ConsentNeededError(account, f"{path} is damaged")
    for key in ("access_token", "refresh_token"):  # Google's layout; microsoft.py reads msal's
        if isinstance(data.get(key), str):
            register_secret(data[key])
    return data


def write_tokens(account: str, path: Path, data: Mapping[str, Any]) -> None:
    """Atomically replace the account's token file (0600, in a 0700 directory)."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.parent.chmod(0o700)  # an existing directory may have been made with a looser umask
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(dict(data), handle)
                handle.flush()
                os.fsync(handle.fileno())
            Path(temporary).replace(path)  # atomic: readers see the old file or the new
        except BaseException:
            with contextlib.suppress(OSError):  # the original error is the one worth reporting
                Path(temporary).unlink()
            raise
    except OSError as exc:
        raise BackendError(account, f"cannot write {path}: {exc.strerror}") from None

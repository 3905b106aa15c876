"""The systemd notification protocol (sd_notify(3)): READY=1, WATCHDOG=1, STATUS=….

The protocol is one datagram of newline-separated KEY=VALUE lines sent to the socket named
in $NOTIFY_SOCKET; systemd documents it as stable and meant to be implemented by services
directly. The Python bindings need libsystemd's headers to build and the small PyPI
package for it has not been released since 2017, so these few lines are ours.
Outside systemd (no $NOTIFY_SOCKET) every call does nothing.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from datetime import timedelta

import structlog

log = structlog.get_logger(__name__)


def notify(*lines: str, environ: Mapping[str, str] | None = None) -> bool:
    """Send ``lines`` to systemd; False when not running under it (or the send failed)."""
    env = os.environ if environ is None else environ
    address = env.get("NOTIFY_SOCKET")
    if not address or not lines:
        return False
    if address.startswith("@"):
        address = "\0" + address[1:]  # an abstract socket
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall("\n".join(lines).encode("utf-8"))
    except OSError as exc:
        # Never fatal: a service that cannot tell systemd it is alive still does its job,
        # and the watchdog will say so if it matters.
        log.warning("sd_notify failed", error=type(exc).__name__)
        return False
    return True


def watchdog_interval(environ: Mapping[str, str] | None = None) -> timedelta | None:
    """WatchdogSec as systemd passed it ($WATCHDOG_USEC), when it is meant for this process."""
    env = os.environ if environ is None else environ
    usec = env.get("WATCHDOG_USEC")
    pid = env.get("WATCHDOG_PID")
    if not usec or not usec.isdigit() or (pid and pid != str(os.getpid())):
        return None
    return timedelta(microseconds=int(usec))

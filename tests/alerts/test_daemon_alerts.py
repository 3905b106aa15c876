"""`inboxguard run` as systemd runs it, with `INBOXGUARD_NOW` moved across the at-risk and
overdue lines between starts: each event arrives once, and a restart resends nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from datetime import datetime, timedelta
from pathlib import Path

from tests.alerts.conftest import AT_RISK, OVERDUE, alert_config, channel, client_mail, ntfy_url
from tests.alerts.receivers import Receiver
from tests.mailboxes import Maildir, write_config
from tests.service.test_daemon import INBOXGUARD, NotifySocket


def run_until_ready(config: Path, notify: NotifySocket, now: datetime, url: str) -> None:
    """Start the service at ``now``, wait for its first poll, then stop it with SIGTERM."""
    env = {**os.environ, "INBOXGUARD_NOW": now.isoformat(), "NOTIFY_SOCKET": str(notify.path)}
    env["IG_PHONE_URL"] = url
    env.pop("JOURNAL_STREAM", None)
    process = subprocess.Popen(
        [str(INBOXGUARD), "--config", str(config), "--log-format", "json", "run"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        notify.wait_for("READY=1")  # after the first poll, its alerts included
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    notify.drain()


def test_the_service_sends_each_event_once_across_restarts(
    tmp_path: Path, maildir: Maildir, ntfy: Receiver, notify: NotifySocket
) -> None:
    data = alert_config(maildir, tmp_path, [channel("phone", "IG_PHONE_URL")])
    data["digest"] = {"delivery": "file", "path": str(tmp_path / "digests"), "time": "08:00"}
    config = write_config(tmp_path / "config.toml", data)
    client_mail(maildir)
    url = ntfy_url(ntfy)
    for now in (AT_RISK, AT_RISK + timedelta(minutes=5), OVERDUE, OVERDUE + timedelta(minutes=5)):
        started = ntfy.count
        run_until_ready(config, notify, now, url)
        if now in (AT_RISK, OVERDUE):
            deadline = time.monotonic() + 10
            while ntfy.count == started and time.monotonic() < deadline:
                time.sleep(0.05)  # the service's own process: nothing to pass a clock to
    assert [m["priority"] for m in ntfy.messages()] == ["default", "high"]
    assert [m["message"].splitlines()[0] for m in ntfy.messages()] == [
        "【期限間近】山田 太郎「見積のご依頼」",
        "【期限超過】山田 太郎「見積のご依頼」",
    ]

"""The real digest through a real SMTP server (aiosmtpd): sent by the command line, read back."""

from __future__ import annotations

from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest

from inboxguard.digest.render import LABELS
from tests.cli.test_cli import invoke, thread
from tests.delivery.smtp_server import PASSWORD, USER, Handler, running
from tests.digest.test_digest import read_html
from tests.live.tls import CERT_NAME, Certificates
from tests.mailboxes import OWNER, Maildir, config_dict, write_config

ENV = "INBOXGUARD_TEST_SMTP_PASSWORD"


def smtp_digest_config(
    mail: Maildir, tmp_path: Path, port: int, certificates: Certificates, **digest: Any
) -> Path:
    data = config_dict(mail.root, tmp_path)
    data["digest"] = {
        "delivery": "smtp",
        "smtp_host": CERT_NAME,
        "smtp_port": port,
        "smtp_security": "starttls",
        "smtp_ca_file": str(certificates.ca),
        "smtp_username": USER,
        "smtp_password_env": ENV,
        "smtp_timeout": 5,
        **digest,
    }
    return write_config(tmp_path / "config.toml", data)


def test_digest_send_delivers_the_real_digest_by_smtp_and_its_html_reads_back(
    tmp_path: Path, certificates: Certificates, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV, PASSWORD)
    mail = Maildir(tmp_path / "Mail")
    thread(mail, "q", "</td><b>見積</b>", 30)
    handler = Handler()
    with running(handler, "starttls", certificates) as port:
        config = smtp_digest_config(mail, tmp_path, port, certificates)
        invoke(config, "run", "--once")  # the what-if `status` stores nothing
        result = invoke(config, "digest", "--send")
    assert result.exit_code == 0, result.output
    (received,) = handler.received
    assert received.rcpt_tos == [OWNER]
    message = message_from_bytes(received.content.replace(b"\r\n", b"\n"), policy=default_policy)
    assert isinstance(message, EmailMessage)
    html = message.get_body(preferencelist=("html",))
    assert isinstance(html, EmailMessage)
    page = read_html(html.get_content())
    assert f"{LABELS['ja']['overdue']} (1)" in page.text
    assert "</td><b>見積</b>" in page.text and "b" not in page.tags
    assert PASSWORD not in result.output


def test_check_and_start_up_name_an_smtp_server_that_refuses_the_login(
    tmp_path: Path, certificates: Certificates, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV, "not-the-password")
    mail = Maildir(tmp_path / "Mail")
    with running(Handler(), "starttls", certificates) as port:
        config = smtp_digest_config(mail, tmp_path, port, certificates)
        checked = invoke(config, "check")
        started = invoke(config, "run")
    for result in (checked, started):
        assert result.exit_code != 0
        assert "not-the-password" not in result.stderr
        # The last line is ours (the in-process test server logs through the same root).
        problem = result.stderr.strip().splitlines()[-1]
        assert "refused the login" in problem
    assert started.stderr.strip().splitlines()[-1].startswith("inboxguard: digest delivery:")

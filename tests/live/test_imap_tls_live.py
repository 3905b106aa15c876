"""TLS against a real Dovecot whose certificate comes from a throwaway private CA.

Implicit TLS and STARTTLS both verify the certificate and the host name: with the account's
``ca_file`` they connect; with the system's trust store, or under a name the certificate
does not list, they stop before LOGIN with one line saying what to change.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from imapclient import IMAPClient

from inboxguard.backends.imap import ImapBackend
from inboxguard.cli import main
from inboxguard.config import ImapAccount, parse_config
from inboxguard.errors import BackendError
from inboxguard.service.context import Context
from inboxguard.service.cycle import run_cycle
from inboxguard.store import StateStore
from tests.live.conftest import ENV_PASSWORD, PASSWORD, Mailbox, TlsDovecot
from tests.live.tls import CERT_NAME, make_certificates
from tests.mailboxes import config_dict, write_config

pytestmark = pytest.mark.live

MODES = ["tls", "starttls"]


class Clients:
    """The real client, recording the IMAP commands sent, in order, and what LOGIN went over."""

    def __init__(self) -> None:
        self.commands: list[str] = []
        self.login_peer: dict[str, Any] | None = None  # the verified server certificate

    def factory(self, *args: Any, **kwargs: Any) -> Any:
        client = IMAPClient(*args, **kwargs)
        send = client._imap._command

        def recording(name: str, *rest: Any) -> Any:
            self.commands.append(name.upper())
            if name.upper() == "LOGIN":
                sock = client._imap.sock
                self.login_peer = sock.getpeercert() if isinstance(sock, ssl.SSLSocket) else {}
            return send(name, *rest)

        client._imap._command = recording
        return client


@pytest.fixture
def tls_mailbox(tls_dovecot: TlsDovecot) -> Iterator[Mailbox]:
    box = Mailbox(tls_dovecot, tls_dovecot.new_user())
    yield box
    box.close()


def settings(
    mailbox: Mailbox, security: str, *, host: str = CERT_NAME, trust_ca: bool = True
) -> dict[str, Any]:
    server = mailbox.server
    assert isinstance(server, TlsDovecot)
    account: dict[str, Any] = {
        "name": "work",
        "kind": "imap",
        "host": host,
        "port": server.tls_port if security == "tls" else server.port,
        "security": security,
        "username": mailbox.user,
        "password_env": ENV_PASSWORD,
        "timeout": 10,
    }
    if trust_ca:
        account["ca_file"] = str(server.certificates.ca)
    return account


def account(mailbox: Mailbox, tmp_path: Path, security: str, **options: Any) -> ImapAccount:
    data = config_dict(tmp_path / "unused", tmp_path)
    data["accounts"] = [settings(mailbox, security, **options)]
    loaded = parse_config(data).accounts[0]
    assert isinstance(loaded, ImapAccount)
    return loaded


def refused(config: ImapAccount, clients: Clients) -> BackendError:
    with pytest.raises(BackendError) as caught, ImapBackend(config, client_factory=clients.factory):
        pass
    error = caught.value
    assert "\n" not in str(error)
    assert PASSWORD not in str(error) and PASSWORD not in repr(error)
    assert error.__suppress_context__  # no chained traceback
    assert "LOGIN" not in clients.commands and "AUTHENTICATE" not in clients.commands
    return error


@pytest.mark.parametrize("security", MODES)
def test_a_cycle_over_verified_tls_with_the_private_ca_writes_the_draft(
    tls_mailbox: Mailbox, tmp_path: Path, security: str
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    tls_mailbox.client_mail("INBOX", now - timedelta(hours=20))
    data = config_dict(tmp_path / "unused", tmp_path)
    data["accounts"] = [settings(tls_mailbox, security)]
    ctx = Context.build(parse_config(data))
    imap_account = ctx.config.accounts[0]
    assert isinstance(imap_account, ImapAccount)
    clients = Clients()
    store = StateStore.open(f"sqlite:///{tmp_path / 'state.db'}")
    try:
        backend = ImapBackend(imap_account, client_factory=clients.factory)
        (result,) = run_cycle(ctx, store, [backend], now=now)
    finally:
        store.close()
    assert result.ok, result.error
    assert len(result.drafts_written) == 1
    assert len(tls_mailbox.messages("Drafts")) == 1
    assert clients.login_peer  # LOGIN went over TLS, to a verified certificate
    assert ("DNS", CERT_NAME) in clients.login_peer["subjectAltName"]
    if security == "starttls":
        assert clients.commands.index("STARTTLS") < clients.commands.index("LOGIN")


@pytest.mark.parametrize("security", MODES)
def test_the_system_trust_store_refuses_a_private_ca_and_the_error_says_to_set_ca_file(
    tls_mailbox: Mailbox, tmp_path: Path, security: str
) -> None:
    config = account(tls_mailbox, tmp_path, security, trust_ca=False)
    error = refused(config, Clients())
    message = str(error)
    assert "certificate" in message and "could not be verified" in message
    assert "system's trust store" in message
    assert "set `ca_file`" in message and "fix the server's certificate" in message


def test_a_ca_file_holding_another_ca_is_refused_and_the_error_names_it(
    tls_mailbox: Mailbox, tmp_path: Path
) -> None:
    other = make_certificates(tmp_path / "other").ca
    config = account(tls_mailbox, tmp_path, "tls").model_copy(update={"ca_file": other})
    message = str(refused(config, Clients()))
    assert f"could not be verified with ca_file {other}" in message
    assert "check that `ca_file` holds the CA certificate that signed the server's" in message


@pytest.mark.parametrize("security", MODES)
def test_a_host_name_the_certificate_does_not_list_is_refused_even_with_the_ca(
    tls_mailbox: Mailbox, tmp_path: Path, security: str
) -> None:
    # The certificate names only "localhost"; the same server reached as 127.0.0.1.
    config = account(tls_mailbox, tmp_path, security, host="127.0.0.1")
    message = str(refused(config, Clients()))
    assert "not issued for '127.0.0.1'" in message
    assert "set `host` to a name the certificate lists" in message


@pytest.mark.parametrize("security", MODES)
def test_check_over_tls_prints_the_capabilities(
    tls_mailbox: Mailbox, tmp_path: Path, security: str
) -> None:
    data = config_dict(tmp_path / "unused", tmp_path)
    data["accounts"] = [settings(tls_mailbox, security)]
    config = write_config(tmp_path / "config.toml", data)
    env = {"INBOXGUARD_CONFIG": str(config), ENV_PASSWORD: PASSWORD}
    result = CliRunner().invoke(main, ["check"], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    (line,) = [x for x in result.output.splitlines() if "capabilities:" in x]
    assert "IMAP4REV1" in line and "CONDSTORE" in line
    assert "STARTTLS" not in line  # the capabilities after TLS, not before
    assert PASSWORD not in result.output


def test_check_without_the_ca_reports_one_line_naming_ca_file(
    tls_mailbox: Mailbox, tmp_path: Path
) -> None:
    data = config_dict(tmp_path / "unused", tmp_path)
    data["accounts"] = [settings(tls_mailbox, "tls", trust_ca=False)]
    config = write_config(tmp_path / "config.toml", data)
    env = {"INBOXGUARD_CONFIG": str(config), ENV_PASSWORD: PASSWORD}
    result = CliRunner().invoke(main, ["check"], env=env, catch_exceptions=False)
    assert result.exit_code == 1
    (problem,) = [x for x in result.stderr.splitlines() if "problem" in x]
    assert problem.startswith("[work] problem: ") and "set `ca_file`" in problem
    assert "Traceback" not in result.output and PASSWORD not in result.output


def test_starttls_to_a_server_that_does_not_offer_it_says_so(
    mailbox: Mailbox, tmp_path: Path
) -> None:
    # The plain instance (ssl = no) never offers STARTTLS.
    data = config_dict(tmp_path / "unused", tmp_path)
    data["accounts"] = [
        {
            "name": "work",
            "kind": "imap",
            "host": mailbox.server.host,
            "port": mailbox.server.port,
            "security": "starttls",
            "username": mailbox.user,
            "password_env": ENV_PASSWORD,
        }
    ]
    config = parse_config(data).accounts[0]
    assert isinstance(config, ImapAccount)
    message = str(refused(config, Clients()))
    assert "does not offer STARTTLS" in message

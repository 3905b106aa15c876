"""A refused password login says what most likely went wrong on that provider."""

from __future__ import annotations

import pytest

from inboxguard.backends.imap_connect import LOGIN_FAILED, login_failed_message
from inboxguard.config import ImapAccount


def account(host: str) -> ImapAccount:
    return ImapAccount.model_validate(
        {
            "name": "work",
            "kind": "imap",
            "host": host,
            "username": "me@example.jp",
            "password_env": "PW",
        }
    )


@pytest.mark.parametrize("host", ["imap.gmail.com", "IMAP.GoogleMail.com."])
def test_gmail_points_to_an_app_password_or_oauth2(host: str) -> None:
    message = login_failed_message(account(host))
    assert "app password" in message and "oauth_provider = 'google'" in message


@pytest.mark.parametrize("host", ["outlook.office365.com", "imap-mail.outlook.com"])
def test_microsoft_365_points_to_oauth2(host: str) -> None:
    message = login_failed_message(account(host))
    assert "oauth_provider = 'microsoft'" in message and "no longer accepts passwords" in message


def test_other_servers_get_the_plain_hint() -> None:
    assert login_failed_message(account("mail.example.jp")) == LOGIN_FAILED
    assert login_failed_message(account("notgmail.com.example")) == LOGIN_FAILED
    assert login_failed_message(account("imap.notgmail.com")) == LOGIN_FAILED

"""The one TOML configuration file: located, parsed, validated (SPEC §4).

Validation happens once at start-up. Every problem becomes a ``ConfigError`` naming the key
the way the owner wrote it (``accounts[0].hostt: unknown key``) so the CLI can print one line
and exit 2. Nothing here touches a mailbox or the state store.
"""

from __future__ import annotations

import difflib
import ipaddress
import os
import re
import stat
import tomllib
import typing
from collections.abc import Mapping
from datetime import time, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from inboxguard.domain.alert_events import AlertKind, Urgency
from inboxguard.domain.calendar import BusinessCalendar, parse_time_of_day
from inboxguard.domain.durations import Allowance, parse_allowance, parse_duration
from inboxguard.domain.quiet_hours import QuietHours
from inboxguard.errors import ConfigError

ENV_CONFIG = "INBOXGUARD_CONFIG"


def _duration(value: object) -> timedelta:
    if isinstance(value, timedelta):
        return value
    if not isinstance(value, str):
        raise ValueError("expected a duration string such as '24h' or '90m'")
    return parse_duration(value)


Duration = Annotated[timedelta, BeforeValidator(_duration)]


def _allowance(value: object) -> Allowance | None:
    if value is None or isinstance(value, Allowance):
        return value
    if not isinstance(value, str):
        raise ValueError("expected a span such as '3 business days', '72h' or 'off'")
    return parse_allowance(value)


# "3 business days", "72h", or "off" (None).
Span = Annotated[Allowance | None, BeforeValidator(_allowance)]


def _wall_time(value: object) -> time | None:
    if value is None or isinstance(value, time):
        return value
    if not isinstance(value, str):
        raise ValueError("expected a time of day such as '18:00', or '' for the end of hours")
    if not value.strip():
        return None
    return parse_time_of_day(value)


# "18:00", or "" for the end of business hours.
WallTime = Annotated[time | None, BeforeValidator(_wall_time)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class OwnerConfig(_Strict):
    name: str = Field(min_length=1)
    addresses: list[str] = Field(min_length=1)
    timezone: str = "Asia/Tokyo"
    language: Literal["ja", "en"] = "ja"
    signature: str = ""

    @field_validator("addresses")
    @classmethod
    def _addresses_look_like_mail(cls, value: list[str]) -> list[str]:
        for address in value:
            if "@" not in address or any(c.isspace() for c in address):
                raise ValueError(f"{address!r} is not a mail address")
        return [a.lower() for a in value]

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r} (use an IANA name such as 'Asia/Tokyo')"
            ) from None
        return value


class SlaConfig(_Strict):
    reply_within: Duration = timedelta(hours=24)
    clock: Literal["calendar", "business"] = "calendar"
    business_hours: str = "09:00-18:00"
    workdays: list[str] = Field(default_factory=lambda: ["mon", "tue", "wed", "thu", "fri"])
    holidays: str = "JP"
    warn_before: Duration = timedelta(hours=6)
    cc_counts: bool = False
    holding_draft_after: Duration = timedelta(hours=16)
    # A holding reply helps only around its deadline: past due by more than this, the
    # thread is backlog and gets none (a reply weeks late does harm).
    holding_draft_late_limit: Duration = timedelta(hours=48)
    promise_business_days: int = Field(default=2, ge=1, le=30)
    lookback: Duration = timedelta(days=30)
    # A question of mine without a date waits this long for their answer ("off": never
    # followed up); a date I ask for is its own deadline.
    follow_up_after: Span = Allowance(business_days=3)
    # Minutes of a meeting are due by this time on its day ("": the end of business hours).
    minutes_by: WallTime = None
    # The date the minutes ask for objections by: this long after the meeting.
    minutes_reply_within: Span = Allowance(business_days=2)

    @model_validator(mode="after")
    def _consistent(self) -> SlaConfig:
        if self.reply_within <= timedelta(0):
            raise ValueError("reply_within must be positive")
        if self.holding_draft_after >= self.reply_within:
            raise ValueError("holding_draft_after must be shorter than reply_within")
        return self


def _expand(value: Path) -> Path:
    return value.expanduser()


# A path from the owner's file: "~" means their home, as in a shell.
UserPath = Annotated[Path, AfterValidator(_expand)]


class MaildirAccount(_Strict):
    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    kind: Literal["maildir"]
    path: UserPath
    watch: list[str] = Field(default_factory=lambda: ["INBOX"], min_length=1)
    sent_folder: str = "Sent"
    drafts_folder: str = "Drafts"


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 or ``localhost``: the only hosts where an unencrypted login is safe."""
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


_PASSWORD_SOURCES = ("password_command", "password_env", "password_credential")


def _given(model: BaseModel, sources: tuple[str, ...]) -> list[str]:
    return [name for name in sources if getattr(model, name) is not None]


def _exactly_one_source(model: BaseModel, sources: tuple[str, ...]) -> None:
    """A password login names exactly one source: a command, a variable or a credential."""
    given = _given(model, sources)
    if len(given) != 1:
        found = ", ".join(given) if given else "none"
        raise ValueError(f"set exactly one of {', '.join(sources)} (found: {found})")


CLIENT_SECRET_SOURCES = (
    "oauth_client_secret_command",
    "oauth_client_secret_env",
    "oauth_client_secret_credential",
)


class ImapAccount(_Strict):
    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    kind: Literal["imap"]
    host: str = Field(min_length=1)
    port: int = Field(ge=1, le=65535)  # filled from `security` when absent (see below)
    security: Literal["tls", "starttls", "none"] = "tls"
    # The CA certificate(s), PEM, that signed a self-hosted server's certificate (a private
    # CA); None trusts the system's store. Host names are checked either way.
    ca_file: UserPath | None = None
    username: str = Field(min_length=1)
    # Exactly one of these; a password never sits in the config file in clear (SPEC §3).
    password_command: str | None = Field(default=None, min_length=1)
    password_env: str | None = Field(default=None, min_length=1)
    password_credential: str | None = Field(default=None, min_length=1, pattern=r"^[^/]+$")
    # OAuth2 (XOAUTH2) instead of a password: consent once with `inboxguard auth NAME`.
    auth: Literal["password", "oauth2"] = "password"
    oauth_provider: Literal["google", "microsoft"] | None = None
    oauth_client_id: str | None = Field(default=None, min_length=1)
    # Google's installed-app clients come with a secret that is not confidential; still read
    # like a password so it need not sit in the config file. Microsoft public clients have none.
    oauth_client_secret_command: str | None = Field(default=None, min_length=1)
    oauth_client_secret_env: str | None = Field(default=None, min_length=1)
    oauth_client_secret_credential: str | None = Field(
        default=None, min_length=1, pattern=r"^[^/]+$"
    )
    oauth_tenant: str = Field(default="common", min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    # Base URL of the provider's endpoints, for sovereign clouds and tests; None: the provider's.
    oauth_endpoint: str | None = Field(default=None, pattern=r"^https?://[^\s]+$")
    watch: list[str] = Field(default_factory=lambda: ["INBOX"], min_length=1)
    drafts_folder: str | None = None
    sent_folder: str | None = None
    timeout: float = Field(default=30, gt=0, le=600)
    batch_size: int = Field(default=200, ge=1, le=5000)
    # Servers without CONDSTORE (Microsoft 365, Outlook.com, Yahoo): the flags of the stored
    # messages are read again every this many polls, so a keyword set later is seen.
    keyword_rescan: int = Field(default=5, ge=1, le=1000)

    @model_validator(mode="before")
    @classmethod
    def _default_port(cls, data: Any) -> Any:
        # The port's default depends on another field, so it is filled in before validation.
        if isinstance(data, dict) and "port" not in data:
            return {**data, "port": 993 if data.get("security", "tls") == "tls" else 143}
        return data

    @field_validator("security")
    @classmethod
    def _plaintext_only_on_loopback(cls, value: str, info: ValidationInfo) -> str:
        host = info.data.get("host")
        if value == "none" and host is not None and not is_loopback(host):
            raise ValueError(
                f"'none' sends the password unencrypted; it is allowed only for a loopback "
                f"host (127.0.0.1, ::1, localhost), not {host!r}: use 'tls' or 'starttls'"
            )
        return value

    @model_validator(mode="after")
    def _one_password_source(self) -> ImapAccount:
        given = _given(self, _PASSWORD_SOURCES)
        if self.auth == "oauth2":
            if given:
                raise ValueError(f"{given[0]} is not used with auth = 'oauth2': remove it")
            return self
        _exactly_one_source(self, _PASSWORD_SOURCES)
        return self

    @model_validator(mode="after")
    def _oauth_settings(self) -> ImapAccount:
        oauth_keys = [k for k in type(self).model_fields if k.startswith("oauth_")]
        if self.auth != "oauth2":
            given = [k for k in oauth_keys if k in self.model_fields_set]
            if given:
                raise ValueError(f"{given[0]} needs auth = 'oauth2'")
            return self
        if self.oauth_provider is None:
            raise ValueError("auth = 'oauth2' needs oauth_provider ('google' or 'microsoft')")
        if self.oauth_client_id is None:
            raise ValueError("auth = 'oauth2' needs oauth_client_id (from your OAuth client)")
        secrets = [name for name in CLIENT_SECRET_SOURCES if getattr(self, name) is not None]
        if len(secrets) > 1:
            raise ValueError(f"set at most one of {', '.join(CLIENT_SECRET_SOURCES)}")
        if secrets and self.oauth_provider == "microsoft":
            raise ValueError(f"{secrets[0]}: Microsoft public clients have no client secret")
        return self

    @model_validator(mode="after")
    def _ca_file_only_with_tls(self) -> ImapAccount:
        if self.ca_file is not None and self.security == "none":
            raise ValueError("ca_file needs security 'tls' or 'starttls': it only verifies TLS")
        return self


class EwsAccount(_Strict):
    """Exchange Server on-premises (or a tenant that still allows EWS) through exchangelib."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    kind: Literal["ews"]
    # The EWS endpoint, e.g. https://mail.example.co.jp/EWS/Exchange.asmx (no autodiscover:
    # a wrong guess costs minutes of timeouts at every start).
    service_endpoint: str = Field(pattern=r"^https?://[^\s]+$")
    primary_smtp_address: str = Field(min_length=3)
    auth: Literal["ntlm", "basic", "oauth2"] = "ntlm"
    username: str | None = Field(default=None, min_length=1)  # DOMAIN\user or user@domain
    password_command: str | None = Field(default=None, min_length=1)
    password_env: str | None = Field(default=None, min_length=1)
    password_credential: str | None = Field(default=None, min_length=1, pattern=r"^[^/]+$")
    # auth = "oauth2": an app registration allowed to use EWS (authorization-code flow).
    oauth_client_id: str | None = Field(default=None, min_length=1)
    oauth_tenant: str = Field(default="common", min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    oauth_client_secret_command: str | None = Field(default=None, min_length=1)
    oauth_client_secret_env: str | None = Field(default=None, min_length=1)
    oauth_client_secret_credential: str | None = Field(
        default=None, min_length=1, pattern=r"^[^/]+$"
    )
    ca_file: UserPath | None = None
    timeout: float = Field(default=60, gt=0, le=600)
    # Folder names as InboxGuard reports them; EWS finds them by distinguished id.
    watch: list[str] = Field(default_factory=lambda: ["Inbox"], min_length=1)

    @model_validator(mode="after")
    def _credentials(self) -> EwsAccount:
        given = _given(self, _PASSWORD_SOURCES)
        if self.auth == "oauth2":
            if given:
                raise ValueError(f"{given[0]} is not used with auth = 'oauth2': remove it")
            if self.oauth_client_id is None:
                raise ValueError("auth = 'oauth2' needs oauth_client_id (the app registration)")
            return self
        if self.username is None:
            raise ValueError(f"auth = {self.auth!r} needs username")
        _exactly_one_source(self, _PASSWORD_SOURCES)
        return self


class GraphAccount(_Strict):
    """Microsoft 365 through Microsoft Graph (REST over httpx; msal device-code consent)."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    kind: Literal["graph"]
    oauth_client_id: str = Field(min_length=1)  # a public client app registration
    oauth_tenant: str = Field(default="organizations", min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    # Base URLs, for national clouds and tests; None: the global service.
    graph_endpoint: str | None = Field(default=None, pattern=r"^https?://[^\s]+$")
    oauth_endpoint: str | None = Field(default=None, pattern=r"^https?://[^\s]+$")
    user: str = Field(default="me", min_length=1)  # "me" or a mailbox address (delegated)
    timeout: float = Field(default=30, gt=0, le=600)
    page_size: int = Field(default=100, ge=1, le=1000)
    watch: list[str] = Field(default_factory=lambda: ["inbox"], min_length=1)


AccountConfig = Annotated[
    MaildirAccount | ImapAccount | EwsAccount | GraphAccount, Field(discriminator="kind")
]


_SMTP_PASSWORD_SOURCES = ("smtp_password_command", "smtp_password_env", "smtp_password_credential")
_SMTP_PORTS = {"tls": 465, "starttls": 587, "none": 25}


class DigestConfig(_Strict):
    """The daily digest (SPEC §8): when, to whom, and how it is delivered."""

    time: str = "08:00"
    to: str | None = None  # default: the owner's first address
    delivery: Literal["smtp", "imap-append", "file"] = "file"
    skip_if_empty: bool = False
    # delivery = "smtp": implicit TLS (465) or STARTTLS (587), certificate verified.
    smtp_host: str | None = Field(default=None, min_length=1)
    smtp_port: int | None = Field(default=None, ge=1, le=65535)
    smtp_security: Literal["tls", "starttls", "none"] = "tls"
    smtp_ca_file: UserPath | None = None
    smtp_auth: Literal["password", "oauth2", "none"] = "password"
    smtp_username: str | None = Field(default=None, min_length=1)
    smtp_password_command: str | None = Field(default=None, min_length=1)
    smtp_password_env: str | None = Field(default=None, min_length=1)
    smtp_password_credential: str | None = Field(default=None, min_length=1, pattern=r"^[^/]+$")
    # XOAUTH2 with the consent given for this IMAP account (`inboxguard auth NAME`).
    smtp_oauth_account: str | None = Field(default=None, min_length=1)
    smtp_timeout: float = Field(default=30, gt=0, le=600)
    # delivery = "imap-append": into this account's INBOX, unread.
    account: str | None = Field(default=None, min_length=1)
    # delivery = "file": a directory; one digest-YYYY-MM-DD.eml (and .html) per day.
    path: UserPath | None = None

    @field_validator("time")
    @classmethod
    def _clock_time(cls, value: str) -> str:
        hours, _, minutes = value.partition(":")
        if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
            raise ValueError(f"{value!r} is not a time of day like '08:00'")
        if not (0 <= int(hours) <= 23 and 0 <= int(minutes) <= 59):
            raise ValueError(f"{value!r} is not a time of day like '08:00'")
        return value

    @property
    def hour_minute(self) -> tuple[int, int]:
        hours, _, minutes = self.time.partition(":")
        return int(hours), int(minutes)

    @property
    def port(self) -> int:
        return self.smtp_port or _SMTP_PORTS[self.smtp_security]

    @model_validator(mode="after")
    def _delivery_settings(self) -> DigestConfig:
        if self.delivery == "imap-append" and self.account is None:
            raise ValueError("delivery 'imap-append' needs account (the mailbox to put it in)")
        if self.delivery != "smtp":
            return self
        if self.smtp_host is None:
            raise ValueError("delivery 'smtp' needs smtp_host")
        if self.smtp_security == "none" and not is_loopback(self.smtp_host):
            raise ValueError(
                f"smtp_security 'none' is allowed only for a loopback host, not "
                f"{self.smtp_host!r}: use 'tls' or 'starttls'"
            )
        given = _given(self, _SMTP_PASSWORD_SOURCES)
        if self.smtp_auth == "password":
            if self.smtp_username is None:
                raise ValueError("smtp_auth 'password' needs smtp_username")
            _exactly_one_source(self, _SMTP_PASSWORD_SOURCES)
        elif given:
            raise ValueError(f"{given[0]} is used only with smtp_auth = 'password'")
        if self.smtp_auth == "oauth2" and self.smtp_oauth_account is None:
            raise ValueError("smtp_auth 'oauth2' needs smtp_oauth_account (an oauth2 IMAP account)")
        return self


class ServiceConfig(_Strict):
    """`inboxguard run`: how often each account is polled, and the log format."""

    poll_interval: Duration = timedelta(minutes=2)
    # Spreads the polls of many instances (and accounts) so they do not hit a server at once.
    poll_jitter: Duration = timedelta(seconds=20)
    # Polls running at once: a slow server holds up one of them, never the others.
    max_parallel: int = Field(default=8, ge=1, le=256)
    log_format: Literal["auto", "json", "console"] = "auto"

    @field_validator("poll_interval")
    @classmethod
    def _not_hammering(cls, value: timedelta) -> timedelta:
        if value < timedelta(seconds=30):
            raise ValueError("poll_interval below 30s would hammer the server")
        return value


class StateConfig(_Strict):
    url: str | None = None


# -- alerts (SPEC §8b, docs/alerts.md) -----------------------------------------------------

ALERT_URL_SOURCES = ("url_command", "url_env", "url_credential")


class AlertChannelConfig(_Strict):
    """One ``[[alerts]]`` channel: an Apprise URL, read like a password since it carries
    the service's token; the events it receives and from which urgency; its quiet hours
    (per channel: the phone may sleep while the work chat still hears everything)."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    url_command: str | None = Field(default=None, min_length=1)
    url_env: str | None = Field(default=None, min_length=1)
    url_credential: str | None = Field(default=None, min_length=1, pattern=r"^[^/]+$")
    events: list[AlertKind] = Field(default_factory=lambda: list(AlertKind), min_length=1)
    min_urgency: Urgency = Urgency.NORMAL
    quiet: str | None = None  # "22:00-07:00" in the owner's zone; may wrap midnight
    quiet_high: Literal["send", "hold"] = "send"  # high urgency in quiet hours

    @field_validator("quiet")
    @classmethod
    def _quiet_window(cls, value: str | None) -> str | None:
        if value is not None:
            QuietHours.parse(value)
        return value

    @model_validator(mode="after")
    def _one_url_source(self) -> AlertChannelConfig:
        _exactly_one_source(self, ALERT_URL_SOURCES)
        return self

    @property
    def quiet_hours(self) -> QuietHours | None:
        return QuietHours.parse(self.quiet) if self.quiet is not None else None

    def wants(self, kind: AlertKind, urgency: Urgency) -> bool:
        return kind in self.events and urgency.at_least(self.min_urgency)


def _unique_channel_names(channels: list[AlertChannelConfig]) -> list[AlertChannelConfig]:
    names = [c.name for c in channels]
    for name in names:
        if names.count(name) > 1:
            raise ValueError(f"alert channel name {name!r} is used twice")
    return channels


AlertChannels = Annotated[list[AlertChannelConfig], AfterValidator(_unique_channel_names)]


class Config(_Strict):
    owner: OwnerConfig
    sla: SlaConfig = Field(default_factory=SlaConfig)
    accounts: list[AccountConfig] = Field(min_length=1)
    digest: DigestConfig = Field(default_factory=DigestConfig)
    service: ServiceConfig = Field(default_factory=ServiceConfig)
    state: StateConfig = Field(default_factory=StateConfig)
    alerts: AlertChannels = []
    # The owner's copies of rules/*.toml and templates/*.j2; "~" is their home, as everywhere.
    rules_dir: UserPath | None = None
    templates_dir: UserPath | None = None

    @model_validator(mode="after")
    def _unique_account_names(self) -> Config:
        seen: set[str] = set()
        for account in self.accounts:
            if account.name in seen:
                raise ValueError(f"account name {account.name!r} is used twice")
            seen.add(account.name)
        return self

    @model_validator(mode="after")
    def _digest_accounts_exist(self) -> Config:
        names = {account.name: account for account in self.accounts}
        digest = self.digest
        if digest.delivery == "imap-append" and digest.account not in names:
            raise ValueError(f"digest.account {digest.account!r} is not one of the accounts")
        target = names.get(digest.account or "")
        if digest.delivery == "imap-append" and not isinstance(
            target, ImapAccount | MaildirAccount
        ):
            raise ValueError(
                f"digest.account {digest.account!r}: imap-append needs an imap or maildir account"
            )
        if digest.delivery == "smtp" and digest.smtp_auth == "oauth2":
            oauth = names.get(digest.smtp_oauth_account or "")
            if not isinstance(oauth, ImapAccount) or oauth.auth != "oauth2":
                raise ValueError(
                    f"digest.smtp_oauth_account {digest.smtp_oauth_account!r} must name an "
                    "IMAP account with auth = 'oauth2'"
                )
        return self

    def calendar(self) -> BusinessCalendar:
        return BusinessCalendar.from_settings(
            timezone=self.owner.timezone,
            workdays=self.sla.workdays,
            business_hours=self.sla.business_hours,
            holidays=self.sla.holidays,
        )

    def account(self, name: str) -> AccountConfig:
        for account in self.accounts:
            if account.name == name:
                return account
        raise ConfigError("accounts", f"no account named {name!r}")


def config_path(explicit: Path | None, environ: dict[str, str] | None = None) -> Path:
    """--config, else $INBOXGUARD_CONFIG, else $XDG_CONFIG_HOME/inboxguard/config.toml."""
    env = os.environ if environ is None else environ
    if explicit is not None:
        return explicit.expanduser()
    if env.get(ENV_CONFIG):
        return Path(env[ENV_CONFIG]).expanduser()
    base = Path(env.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "inboxguard" / "config.toml"


def state_dir(environ: Mapping[str, str] | None = None) -> Path:
    """$STATE_DIRECTORY under systemd (``StateDirectory=``), else $XDG_STATE_HOME/inboxguard
    (~/.local/state/inboxguard): the database, OAuth2 tokens and file digests."""
    env = os.environ if environ is None else environ
    if env.get("STATE_DIRECTORY"):
        # systemd may pass several, colon-separated; the first is ours.
        return Path(env["STATE_DIRECTORY"].split(":")[0])
    base = Path(env.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    return base / "inboxguard"


def state_url(config: Config, environ: dict[str, str] | None = None) -> str:
    """The configured URL, else SQLite under $XDG_STATE_HOME/inboxguard/."""
    if config.state.url:
        return config.state.url.replace("sqlite:///~", f"sqlite:///{Path.home()}")
    return f"sqlite:///{state_dir(environ) / 'state.db'}"


def load_config(path: Path) -> Config:
    """Read and validate; every failure is a one-line ``ConfigError``.

    ``accounts_dir`` names a directory of one TOML file per account (its keys those of one
    ``[[accounts]]`` entry), read in name order after the file's own accounts: a platform
    provisions an account by writing a file. An error in one of them names that file.
    """
    data = _read_toml(path)
    inline = len(data.get("accounts", [])) if isinstance(data.get("accounts"), list) else 0
    files = _account_files(path, data)
    try:
        return parse_config(data)
    except ConfigError as exc:
        match = re.match(r"accounts\[(\d+)\](?:\.(.*))?$", exc.key)
        if match is None or int(match[1]) < inline:
            raise
        where = files[int(match[1]) - inline]
        raise ConfigError(f"{where}: {match[2] or 'account'}", exc.message) from None


def _read_toml(path: Path) -> dict[str, Any]:
    raw = _read_regular_file(path)
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError("config", f"{path} is not UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("config", f"{path}: {exc}") from None


def _account_files(path: Path, data: dict[str, Any]) -> list[Path]:
    """Append the accounts of ``accounts_dir`` (popped from ``data``) to its accounts."""
    if "accounts_dir" not in data:
        return []
    value = data.pop("accounts_dir")
    if not isinstance(value, str) or not value:
        raise ConfigError("accounts_dir", "must be a directory path (a string)")
    directory = Path(value).expanduser()
    if not directory.is_absolute():
        directory = path.parent / directory  # beside the configuration, wherever run from
    if not directory.is_dir():
        raise ConfigError("accounts_dir", f"{directory} is not a directory")
    files = sorted(
        p for p in directory.iterdir() if p.suffix == ".toml" and not p.name.startswith(".")
    )
    accounts = data.setdefault("accounts", [])
    if not isinstance(accounts, list):
        raise ConfigError("accounts", "must be an array of tables ([[accounts]])")
    for file in files:
        try:
            accounts.append(_read_toml(file))
        except ConfigError as exc:
            raise ConfigError(str(file), exc.message.removeprefix(f"{file}: ")) from None
    return files


def _read_regular_file(path: Path) -> bytes:
    """The file's bytes, refusing anything but a regular file before reading from it.

    Reading a FIFO blocks until a writer comes, for ever under systemd; a directory or a
    device is a wrong path as surely. The file is opened without blocking and then looked
    at through its descriptor, so what is checked is what is read.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise ConfigError(
            "config", f"{path} does not exist (create one with `inboxguard init`)"
        ) from None
    except OSError as exc:
        raise ConfigError("config", f"{path}: {exc.strerror}") from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise ConfigError("config", f"{path} is a directory, not a configuration file")
        if not stat.S_ISREG(mode):
            kind = "a FIFO" if stat.S_ISFIFO(mode) else "not a regular file"
            raise ConfigError("config", f"{path} is {kind}: give the path of the TOML file itself")
        with os.fdopen(fd, "rb", closefd=False) as stream:
            return stream.read()
    except OSError as exc:
        raise ConfigError("config", f"{path}: {exc.strerror}") from None
    finally:
        os.close(fd)


def parse_config(data: dict[str, Any]) -> Config:
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        # An unknown key first: a misspelt key also makes the intended one "missing", and
        # the misspelling is what the owner has to fix (`hostt`, not a missing `host`).
        first = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
        key = _key_of(first["loc"])
        if first["type"] in {"union_tag_invalid", "union_tag_not_found"}:
            key += ".kind"  # pydantic places these on the account; the owner fixes `kind`
        raise ConfigError(key, _message_of(first)) from None
    try:
        config.calendar()
    except ValueError as exc:
        raise ConfigError("sla", str(exc)) from None
    return config


_UNION_TAGS = {"maildir", "imap", "ews", "graph"}


def _key_of(loc: tuple[int | str, ...]) -> str:
    """('accounts', 0, 'maildir', 'hostt') → 'accounts[0].hostt'."""
    key = ""
    previous_was_index = False
    for part in loc:
        if isinstance(part, int):
            key += f"[{part}]"
            previous_was_index = True
            continue
        if previous_was_index and part in _UNION_TAGS:
            # pydantic names the union member it tried; the owner never wrote that.
            previous_was_index = False
            continue
        key += f".{part}" if key else part
        previous_was_index = False
    return key or "config"


def _message_of(error: Any) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return _unknown_key(error["loc"])
    if kind == "missing":
        return "required key is missing"
    if kind == "union_tag_invalid":
        kinds = "maildir, imap, ews, graph"
        return f"unknown account kind {error['input'].get('kind')!r} (supported: {kinds})"
    if kind == "union_tag_not_found":
        return "missing 'kind' (supported: maildir, imap, ews, graph)"
    message = str(error["msg"])
    return message.removeprefix("Value error, ")


# The reference ships beside the program (in the repository), unlike the team's SPEC.
UNKNOWN_KEY = "unknown key (docs/configuration.md lists every key)"


def _unknown_key(loc: tuple[int | str, ...]) -> str:
    """The message for an unknown key, with what was most likely meant: the keys a secret is
    read through, a top-level key written below a table, or the nearest key of that table."""
    *table, key = loc
    model = _model_at(table)
    if model is None or not isinstance(key, str):
        return UNKNOWN_KEY
    fields = model.model_fields
    sources = [f"{key}_{way}" for way in ("command", "env", "credential")]
    if all(source in fields for source in sources):
        # `password = "..."`: named as a key only, the value is never repeated.
        return (
            f"unknown key: a secret never sits in the configuration file; use {sources[0]}, "
            f"{sources[1]} or {sources[2]}"
        )
    if table and key in Config.model_fields:
        # TOML puts every key after `[state]` into that table.
        return f"unknown key: {key} is a top-level key; move it above the first [table]"
    close = difflib.get_close_matches(key, list(fields), n=1)
    if close:
        return f"unknown key; did you mean {close[0]}?"
    return UNKNOWN_KEY


def _model_at(loc: typing.Sequence[int | str]) -> type[BaseModel] | None:
    """The model whose keys the table at ``loc`` takes (``("accounts", 0, "imap")`` →
    ``ImapAccount``), or None when the location names none."""
    candidates: list[type[BaseModel]] = [Config]
    for part in loc:
        if isinstance(part, int):
            continue  # an item of an array of tables
        if len(candidates) > 1:
            # pydantic names the union member it tried by its `kind`.
            candidates = [m for m in candidates if _kind_of(m) == part]
            continue
        field = candidates[0].model_fields.get(part) if candidates else None
        if field is None:
            return None
        candidates = _models_in(field.annotation)
    return candidates[0] if len(candidates) == 1 else None


def _models_in(annotation: object) -> list[type[BaseModel]]:
    """The models an annotation holds: ``OwnerConfig``; ``list[AccountConfig]``'s four."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [model for arg in typing.get_args(annotation) for model in _models_in(arg)]


def _kind_of(model: type[BaseModel]) -> object:
    field = model.model_fields.get("kind")
    kinds = typing.get_args(field.annotation) if field is not None else ()
    return kinds[0] if len(kinds) == 1 else None

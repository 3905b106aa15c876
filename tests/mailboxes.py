"""Building real Maildir trees and configurations for tests (no mocks: files on disk)."""

from __future__ import annotations

import itertools
import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from inboxguard.config import Config, MaildirAccount

OWNER = "hanako@example.jp"
CLIENT = "taro@client.example"

_counter = itertools.count()


def build_message(
    *,
    sender: str,
    to: str,
    subject: str,
    date: datetime,
    message_id: str | None,
    body: str = "本文です。\n",
    in_reply_to: str | None = None,
    extra: dict[str, str] | None = None,
) -> EmailMessage:
    """A plain message as a mail client writes it (In-Reply-To doubles as References)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(date)
    if message_id is not None:
        message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = in_reply_to
    for name, value in (extra or {}).items():
        message[name] = value
    message.set_content(body)
    return message


@dataclass
class Maildir:
    """A one-maildir-per-folder tree (INBOX/, Sent/, Drafts/) under ``root``."""

    root: Path
    folders: tuple[str, ...] = ("INBOX", "Sent", "Drafts")
    written: list[Path] = field(default_factory=list)

    def __post_init__(self) -> None:
        for folder in self.folders:
            for sub in ("cur", "new", "tmp"):
                (self.root / folder / sub).mkdir(parents=True, exist_ok=True)

    def add(
        self,
        folder: str,
        *,
        sender: str,
        to: str,
        subject: str,
        date: datetime,
        message_id: str | None,
        body: str = "本文です。\n",
        in_reply_to: str | None = None,
        extra: dict[str, str] | None = None,
        flags: str = "S",
    ) -> Path:
        message = build_message(
            sender=sender,
            to=to,
            subject=subject,
            date=date,
            message_id=message_id,
            body=body,
            in_reply_to=in_reply_to,
            extra=extra,
        )
        return self.add_raw(folder, message.as_bytes(), date, flags=flags)

    def add_raw(self, folder: str, raw: bytes, date: datetime, *, flags: str = "S") -> Path:
        name = f"{int(date.timestamp())}.T{next(_counter)}.test:2,{flags}"
        path = self.root / folder / "cur" / name
        path.write_bytes(raw)
        self.written.append(path)
        return path

    def drafts(self) -> list[Path]:
        return sorted((self.root / "Drafts" / "cur").iterdir()) + sorted(
            (self.root / "Drafts" / "new").iterdir()
        )


def config_dict(mail_root: Path, state_dir: Path, **sla: Any) -> dict[str, Any]:
    return {
        "owner": {
            "name": "佐藤 花子",
            "addresses": [OWNER],
            "timezone": "Asia/Tokyo",
            "language": "ja",
            "signature": "佐藤 花子",
        },
        "sla": {"reply_within": "24h", "holding_draft_after": "16h", "warn_before": "6h", **sla},
        "accounts": [{"name": "work", "kind": "maildir", "path": str(mail_root)}],
        "state": {"url": f"sqlite:///{state_dir / 'state.db'}"},
    }


def maildir_account(config: Config, index: int = 0) -> MaildirAccount:
    """The configured account as the maildir account a test built it to be."""
    account = config.accounts[index]
    assert isinstance(account, MaildirAccount)
    return account


def write_config(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(_to_toml(data), encoding="utf-8")
    tomllib.loads(path.read_text(encoding="utf-8"))  # the helper must write valid TOML
    return path


def _to_toml(data: dict[str, Any]) -> str:
    lines: list[str] = []
    tables = {k: v for k, v in data.items() if isinstance(v, dict)}
    arrays = {k: v for k, v in data.items() if isinstance(v, list) and v and isinstance(v[0], dict)}
    for key, value in data.items():
        if key not in tables and key not in arrays:
            lines.append(f"{key} = {_value(value)}")
    for key, table in tables.items():
        lines.append(f"[{key}]")
        lines.extend(f"{k} = {_value(v)}" for k, v in table.items())
    for key, items in arrays.items():
        for item in items:
            lines.append(f"[[{key}]]")
            lines.extend(f"{k} = {_value(v)}" for k, v in item.items())
    return "\n".join(lines) + "\n"


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    escaped = str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'

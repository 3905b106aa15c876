"""The user's reference ships in docs/ and keeps up with the code: every configuration key,
every command and option, every field of `status --json`. The install route that README and
docs/service.md give puts the command where the systemd units run it."""

from __future__ import annotations

import json
import re
import typing
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import click
import pytest
from click.testing import CliRunner
from pydantic import BaseModel

from inboxguard import config as config_module
from inboxguard.cli import main
from tests.mailboxes import CLIENT, OWNER, Maildir, config_dict, write_config

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "docs" / "configuration.md"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=ZoneInfo("Asia/Tokyo"))


def tables() -> list[tuple[str, type[BaseModel]]]:
    """Every table of the file, found from the models (a table added to config.py is found
    too): ("Top-level keys", Config), ("`[owner]`", OwnerConfig), ('`kind = "imap"`', ...)."""
    # config.py's model walkers (private there: only the error messages need them).
    found: list[tuple[str, type[BaseModel]]] = [("Top-level keys", config_module.Config)]
    for name, field in config_module.Config.model_fields.items():
        models = config_module._models_in(field.annotation)
        for model in models:
            kind = config_module._kind_of(model)
            if kind is not None:
                found.append((f'`kind = "{kind}"`', model))
            elif typing.get_origin(field.annotation) is list or len(models) > 1:
                found.append((f"`[[{name}]]`", model))
            else:
                found.append((f"`[{name}]`", model))
    return found


def reference() -> str:
    return REFERENCE.read_text(encoding="utf-8")


def section(text: str, heading: str) -> str:
    """From the heading line that ends with ``heading`` to the next heading of the same or a
    higher level."""
    match = re.search(rf"^(#+) (?:.* )?{re.escape(heading)}$", text, re.MULTILINE)
    assert match, f"no heading {heading!r} in the text"
    following = re.compile(rf"^#{{1,{len(match.group(1))}}} ", re.MULTILINE)
    found = following.search(text, match.end())
    return text[match.start() : found.start() if found else len(text)]


@pytest.mark.parametrize(("heading", "model"), tables(), ids=lambda t: getattr(t, "__name__", ""))
def test_every_configuration_key_is_in_the_reference_under_its_table(
    heading: str, model: type[BaseModel]
) -> None:
    text = section(reference(), heading)
    nested = {
        name
        for name, field in model.model_fields.items()
        if config_module._models_in(field.annotation)
    }
    missing = [key for key in model.model_fields if key not in nested and not documented(key, text)]
    assert not missing, f"{REFERENCE.name} lacks {missing} under {heading}"


def documented(key: str, text: str) -> bool:
    """`key` appears; a secret's three keys may read `x_command` / `_env` / `_credential`."""
    if f"`{key}`" in text:
        return True
    for suffix in ("_env", "_credential"):
        if key.endswith(suffix):
            return f"`{key.removesuffix(suffix)}_command`" in text and f"`{suffix}`" in text
    return False


def commands() -> list[click.Command]:
    assert isinstance(main, click.Group)
    return [main, *main.commands.values()]


@pytest.mark.parametrize("command", commands(), ids=lambda c: c.name or "main")
def test_every_command_and_option_is_in_the_reference(command: click.Command) -> None:
    text = section(reference(), "The command line")
    if command is not main:
        assert f"`{command.name}" in text, command.name
    for param in command.params:
        if isinstance(param, click.Option):
            names = [n for n in param.opts if n.startswith("--") and n != "--help"]
            for name in names:
                assert name in text, f"{command.name} {name}"


def test_the_status_json_example_has_exactly_the_fields_status_prints(tmp_path: Path) -> None:
    mail = Maildir(tmp_path / "Mail")
    mail.add(
        "INBOX",
        sender=f"山田 太郎 <{CLIENT}>",
        to=OWNER,
        subject="見積のご依頼",
        date=NOW - timedelta(hours=20),
        message_id="<q1@client.example>",
    )
    config = write_config(tmp_path / "config.toml", config_dict(mail.root, tmp_path))
    env = {"INBOXGUARD_NOW": NOW.isoformat(), "INBOXGUARD_CONFIG": str(config)}
    # INBOXGUARD_NOW writes nothing in `status`, so `run --once` stores the holding draft.
    ran = CliRunner().invoke(main, ["run", "--once"], env=env, catch_exceptions=False)
    assert ran.exit_code == 0, ran.output
    result = CliRunner().invoke(main, ["status", "--json"], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    example = section(reference(), "`status --json`")
    documented = json.loads(example[example.index("```json\n") + 8 : example.index("\n```\n")])
    assert set(documented) == set(printed)
    assert set(documented["threads"][0]) == set(printed["threads"][0])
    assert set(documented["threads"][0]["drafts"][0]) == set(printed["threads"][0]["drafts"][0])
    assert set(documented["accounts"][0]) == set(printed["accounts"][0])
    # No channel has sent yet here: the example's channel reads like an account's health.
    assert set(documented["alert_channels"][0]) == {"channel"} | (
        set(printed["accounts"][0]) - {"account", "polled_by"}
    )


def test_no_user_facing_text_of_ours_cites_the_spec_that_does_not_ship() -> None:
    # The starter file and the reference are what a user reads; the SPEC stays with the team.
    from inboxguard.starter import STARTER_CONFIG

    for name, text in (("starter", STARTER_CONFIG), ("reference", reference())):
        assert "SPEC §" not in text and "SPEC.md" not in text, name


# -- the install route ------------------------------------------------------------------------


def readme_install() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return section(readme, "Using it")


def test_readme_installs_with_pipx_not_a_pip_that_debian_12_refuses() -> None:
    text = readme_install()
    commands_given = re.findall(r"^(?:sudo )?(pipx? [^#\n]*?)\s*(?:#.*)?$", text, re.MULTILINE)
    assert "pipx install ." in commands_given
    assert not [c for c in commands_given if c.startswith("pip ")], commands_given


def test_the_user_unit_runs_the_command_where_the_documented_pipx_install_puts_it() -> None:
    unit = (ROOT / "systemd" / "user" / "inboxguard.service").read_text(encoding="utf-8")
    assert "ExecStart=%h/.local/bin/inboxguard run" in unit
    assert "~/.local/bin/inboxguard" in readme_install()
    service = (ROOT / "docs" / "service.md").read_text(encoding="utf-8")
    user = section(service, "The user unit: `systemctl --user`")
    assert "pipx install ." in user and "~/.local/bin/inboxguard" in user


@pytest.mark.parametrize("unit", ["inboxguard.service", "inboxguard@.service"])
def test_the_system_units_run_the_command_the_documented_install_links(unit: str) -> None:
    text = (ROOT / "systemd" / unit).read_text(encoding="utf-8")
    assert re.search(r"^ExecStart=/usr/local/bin/inboxguard ", text, re.MULTILINE)
    service = (ROOT / "docs" / "service.md").read_text(encoding="utf-8")
    install = section(service, "1. Install")
    assert "ln -s /opt/inboxguard/bin/inboxguard /usr/local/bin/inboxguard" in install
    assert "PIPX_BIN_DIR=/usr/local/bin pipx install" in install

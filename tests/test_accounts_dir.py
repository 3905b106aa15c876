"""`accounts_dir`: one TOML file per account, read after the file's own accounts."""

from __future__ import annotations

from pathlib import Path

import pytest

from inboxguard.config import load_config
from inboxguard.errors import ConfigError

HEAD = """\
accounts_dir = "accounts.d"

[owner]
name = "佐藤 花子"
addresses = ["hanako@example.jp"]
"""


def account(name: str, path: Path) -> str:
    return f'name = "{name}"\nkind = "maildir"\npath = "{path}"\n'


def setup(tmp_path: Path, head: str = HEAD) -> tuple[Path, Path]:
    (tmp_path / "Mail").mkdir()
    directory = tmp_path / "accounts.d"
    directory.mkdir()
    config = tmp_path / "config.toml"
    config.write_text(head, encoding="utf-8")
    return config, directory


def test_accounts_come_from_the_file_then_the_directory_in_name_order(tmp_path: Path) -> None:
    head = HEAD + f"\n[[accounts]]\n{account('inline', tmp_path / 'Mail')}"
    config, directory = setup(tmp_path, head)
    for name in ("b-client", "a-client"):
        (directory / f"{name}.toml").write_text(account(name, tmp_path / "Mail"))
    (directory / ".half-written.toml").write_text("name = ")
    (directory / "README").write_text("not an account")
    names = [a.name for a in load_config(config).accounts]
    assert names == ["inline", "a-client", "b-client"]


def test_a_directory_alone_is_enough(tmp_path: Path) -> None:
    config, directory = setup(tmp_path)
    (directory / "one.toml").write_text(account("one", tmp_path / "Mail"))
    assert [a.name for a in load_config(config).accounts] == ["one"]


def test_a_wrong_account_file_is_named_in_the_error(tmp_path: Path) -> None:
    config, directory = setup(tmp_path)
    (directory / "good.toml").write_text(account("good", tmp_path / "Mail"))
    (directory / "bad.toml").write_text('name = "bad"\nkind = "imap"\nusername = "x"\n')
    with pytest.raises(ConfigError) as raised:
        load_config(config)
    assert raised.value.key.startswith(f"{directory / 'bad.toml'}: ")
    assert "host" in str(raised.value)


def test_a_file_that_is_not_toml_and_a_missing_directory_are_one_line_each(
    tmp_path: Path,
) -> None:
    config, directory = setup(tmp_path)
    (directory / "broken.toml").write_text("name = ")
    with pytest.raises(ConfigError) as raised:
        load_config(config)
    assert raised.value.key == str(directory / "broken.toml")
    (directory / "broken.toml").unlink()
    directory.rmdir()
    with pytest.raises(ConfigError, match=r"accounts_dir: .* is not a directory"):
        load_config(config)


def test_two_files_naming_the_same_account_are_refused(tmp_path: Path) -> None:
    config, directory = setup(tmp_path)
    for file in ("one.toml", "two.toml"):
        (directory / file).write_text(account("same", tmp_path / "Mail"))
    with pytest.raises(ConfigError, match="used twice"):
        load_config(config)

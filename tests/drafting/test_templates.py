"""Template lookup (owner first, shipped after) and the sandbox around owner templates."""

from __future__ import annotations

from pathlib import Path

import jinja2.exceptions
import pytest

from inboxguard import resources
from inboxguard.drafting.templates import html_renderer, search_path, text_renderer
from inboxguard.errors import ConfigError, TemplateError

REPO = Path(__file__).resolve().parents[2]


def _write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


# --- shipped_dir ---------------------------------------------------------------------------


def test_shipped_templates_are_found_in_a_checkout() -> None:
    templates = resources.shipped_dir("templates")
    assert templates == REPO / "templates"
    assert (templates / "holding_reply.ja.txt.j2").is_file()
    assert (templates / "holding_reply.en.txt.j2").is_file()


def test_shipped_rules_resolve_beside_the_package() -> None:
    assert resources.shipped_dir("rules") == REPO / "rules"


def test_installed_copy_wins_over_the_checkout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "site-packages" / "inboxguard"
    (package / "_shipped" / "templates").mkdir(parents=True)
    monkeypatch.setattr(resources, "_PACKAGE_DIR", package)
    assert resources.shipped_dir("templates") == package / "_shipped" / "templates"
    # rules were not installed in this fake package: fall back to beside the package
    assert resources.shipped_dir("rules") == tmp_path / "site-packages" / "rules"


def test_unknown_shipped_name_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown shipped directory"):
        resources.shipped_dir("../etc")


# --- lookup order ----------------------------------------------------------------------------


def test_owner_template_replaces_the_shipped_one_of_the_same_name(tmp_path: Path) -> None:
    _write(tmp_path, "holding_reply.en.txt.j2", "Mine: {{ promised_date }}\n")
    rendered = text_renderer(tmp_path).render(
        "holding_reply.en.txt.j2", {"promised_date": "Friday"}
    )
    assert rendered == "Mine: Friday\n"


def test_names_the_owner_did_not_override_come_from_the_shipped_directory(
    tmp_path: Path,
) -> None:
    _write(tmp_path, "holding_reply.en.txt.j2", "Mine\n")
    renderer = text_renderer(tmp_path)
    assert renderer.search_path == (tmp_path, REPO / "templates")
    ja = renderer.render("holding_reply.ja.txt.j2", _holding_context())
    assert "いつもお世話になっております" in ja


def test_missing_owner_directory_is_a_config_error_naming_the_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^templates_dir: .*not a directory") as info:
        search_path(tmp_path / "nope")
    assert info.value.key == "templates_dir"


def test_missing_template_is_a_template_error_naming_it_and_where_it_looked() -> None:
    with pytest.raises(TemplateError, match=r"'nope\.txt\.j2' not found \(looked in .*templates"):
        text_renderer().render("nope.txt.j2", {})


# --- rendering rules -------------------------------------------------------------------------


def test_text_templates_are_not_html_escaped(tmp_path: Path) -> None:
    _write(tmp_path, "t.txt.j2", "{{ who }}\n")
    rendered = text_renderer(tmp_path).render("t.txt.j2", {"who": "Taro <taro@client.example>"})
    assert rendered == "Taro <taro@client.example>\n"


def test_html_templates_escape_every_value(tmp_path: Path) -> None:
    _write(tmp_path, "t.html.j2", "<td>{{ subject }}</td>\n")
    rendered = html_renderer(tmp_path).render("t.html.j2", {"subject": "<script>x</script>&"})
    assert rendered == "<td>&lt;script&gt;x&lt;/script&gt;&amp;</td>\n"


def test_trailing_newline_is_kept(tmp_path: Path) -> None:
    _write(tmp_path, "t.txt.j2", "line\n")
    assert text_renderer(tmp_path).render("t.txt.j2", {}) == "line\n"


def test_undefined_variable_is_an_error_not_an_empty_string(tmp_path: Path) -> None:
    _write(tmp_path, "t.txt.j2", "by {{ promised_date }}\n")
    with pytest.raises(TemplateError, match="promised_date"):
        text_renderer(tmp_path).render("t.txt.j2", {})


def test_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    _write(tmp_path, "t.txt.j2", "ok\n{% if %}\n")
    with pytest.raises(TemplateError, match=r"t\.txt\.j2:2: "):
        text_renderer(tmp_path).render("t.txt.j2", {})


def test_runtime_failure_in_an_owner_template_is_a_template_error(tmp_path: Path) -> None:
    _write(tmp_path, "t.txt.j2", "{{ 1 // 0 }}\n")
    with pytest.raises(TemplateError, match="ZeroDivisionError"):
        text_renderer(tmp_path).render("t.txt.j2", {})


# --- sandbox ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ '{0.__class__}'.format('') }}",
    ],
)
def test_sandbox_refuses_attribute_walks(tmp_path: Path, source: str) -> None:
    _write(tmp_path, "evil.txt.j2", source + "\n")
    with pytest.raises(TemplateError, match="sandbox") as info:
        text_renderer(tmp_path).render("evil.txt.j2", {})
    assert isinstance(info.value.__cause__, jinja2.exceptions.SecurityError)


def test_sandbox_refuses_mutating_values_handed_in(tmp_path: Path) -> None:
    _write(tmp_path, "evil.txt.j2", "{{ items.append(1) }}\n")
    items: list[int] = []
    with pytest.raises(TemplateError, match="sandbox"):
        text_renderer(tmp_path).render("evil.txt.j2", {"items": items})
    assert items == []


def test_template_names_cannot_escape_the_search_path(tmp_path: Path) -> None:
    owner = tmp_path / "owner"
    owner.mkdir()
    _write(tmp_path, "secret.txt.j2", "secret\n")
    with pytest.raises(TemplateError, match="not found"):
        text_renderer(owner).render("../secret.txt.j2", {})


def _holding_context() -> dict[str, object]:
    return {
        "language": "ja",
        "company": None,
        "counterpart_name": "山田太郎",
        "owner_name": "佐藤",
        "signature": "佐藤",
        "promised_date": "11月25日(水)",
        "original_subject": "見積",
        "original_date": "2026年11月20日(金) 10:00",
        "original_from": "山田太郎 <taro@client.example>",
        "quoted_original": "> こんにちは",
    }

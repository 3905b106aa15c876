"""Jinja2 rendering of drafts and the digest: owner templates first, shipped ones after.

Owner templates (``templates_dir``) are files the owner may have copied from anywhere, so
they render in Jinja2's sandbox: no ``__class__``/``__globals__`` walks, no mutation of the
values handed in. Undefined variables raise instead of rendering as "" — a draft that
silently says "までに回答いたします" without a date is worse than no draft.

Plain-text templates (``*.txt.j2``) render with autoescape off: escaping ``<`` in a mail
body would put ``&lt;taro@client.example&gt;`` in front of the client. HTML templates (the
digest) get their own environment with autoescape on, because every value there comes
from mail someone else wrote.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedEnvironment

from inboxguard.errors import ConfigError, TemplateError
from inboxguard.resources import shipped_dir


class TemplateRenderer:
    """Renders templates by name from an ordered search path (first match wins)."""

    def __init__(self, environment: SandboxedEnvironment, search_path: Sequence[Path]) -> None:
        self._environment = environment
        self._search_path = tuple(search_path)

    @property
    def search_path(self) -> tuple[Path, ...]:
        return self._search_path

    def render(self, name: str, context: Mapping[str, object]) -> str:
        """Render template ``name`` with ``context``; every failure is a ``TemplateError``."""
        try:
            template = self._environment.get_template(name)
        except jinja2.TemplateNotFound as exc:
            looked_in = ", ".join(str(p) for p in self._search_path)
            raise TemplateError(f"template {name!r} not found (looked in {looked_in})") from exc
        except jinja2.TemplateSyntaxError as exc:
            where = exc.filename or name
            raise TemplateError(f"{where}:{exc.lineno}: {exc.message}") from exc
        try:
            return template.render(dict(context))
        except jinja2.exceptions.SecurityError as exc:
            raise TemplateError(f"{name}: unsafe operation refused by the sandbox: {exc}") from exc
        except jinja2.TemplateError as exc:
            raise TemplateError(f"{name}: {exc}") from exc
        except Exception as exc:
            # An owner template can divide by zero or index past a list; that is a broken
            # template, reported like one, never an unexplained crash of the cycle.
            raise TemplateError(f"{name}: {type(exc).__name__}: {exc}") from exc


def text_renderer(templates_dir: Path | None = None) -> TemplateRenderer:
    """Renderer for plain-text templates (draft bodies): autoescape off."""
    return _renderer(templates_dir, autoescape=False)


def html_renderer(templates_dir: Path | None = None) -> TemplateRenderer:
    """Renderer for HTML templates (the digest): every value autoescaped."""
    return _renderer(templates_dir, autoescape=True)


def search_path(templates_dir: Path | None) -> list[Path]:
    """Owner directory (when configured) before the shipped templates."""
    paths: list[Path] = []
    if templates_dir is not None:
        owner_dir = templates_dir.expanduser()
        # A typo here would otherwise fall back to the shipped templates without a word,
        # and the owner would wonder why their wording never appears.
        if not owner_dir.is_dir():
            raise ConfigError("templates_dir", f"{owner_dir} is not a directory")
        paths.append(owner_dir)
    paths.append(shipped_dir("templates"))
    return paths


def _renderer(templates_dir: Path | None, *, autoescape: bool) -> TemplateRenderer:
    paths = search_path(templates_dir)
    environment = ImmutableSandboxedEnvironment(
        loader=jinja2.FileSystemLoader(paths, encoding="utf-8"),
        undefined=jinja2.StrictUndefined,
        autoescape=autoescape,
        # Mail text is line-oriented: the last newline is part of the message, and block
        # tags on their own line must not leave blank lines behind.
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return TemplateRenderer(environment, paths)

"""Where the shipped rules and templates live, installed or in a checkout.

A wheel carries them inside the package (``inboxguard/_shipped/<name>``, see the hatch
``force-include`` in pyproject.toml); a source checkout or editable install has them at the
top of the repository, beside the ``inboxguard`` package, where owners look for them.
"""

from __future__ import annotations

from pathlib import Path

# Only these are shipped (pyproject.toml force-includes exactly these); refusing other names
# turns a typo into an error instead of a directory that silently never exists.
SHIPPED = frozenset({"rules", "templates"})

_PACKAGE_DIR = Path(__file__).resolve().parent


def shipped_dir(name: str) -> Path:
    """The directory holding the shipped ``name`` ("rules" or "templates").

    The installed copy wins when it exists, so a wheel never reads a stray checkout.
    The returned path may not exist in a broken install; the caller's "not found"
    error then names it.
    """
    if name not in SHIPPED:
        raise ValueError(f"unknown shipped directory {name!r} (expected one of {sorted(SHIPPED)})")
    installed = _PACKAGE_DIR / "_shipped" / name
    if installed.is_dir():
        return installed
    return _PACKAGE_DIR.parent / name

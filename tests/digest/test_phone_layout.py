"""The digest in a real browser at a phone's and a desktop's width (Debian's chromium).

A realistic mailbox (the demo's, a 5,000-character subject, a 250-character address, a
failing account's long error, Exchange-length thread ids) rendered by Playwright driving
/usr/bin/chromium: nothing may be wider than the screen, and every thread's time left must
be inside the visible width, above its subject. Without chromium the tests skip with a
hint; under CI=true they fail, since CI is where the layout is guarded.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.digest.realistic import Rendered, contrast, realistic_digest, rgb, thread_blocks

PHONE_WIDTHS = (320, 390)
WIDTHS = (*PHONE_WIDTHS, 900)
MAX_COLUMN = 640  # the digest's column on a desktop: lines a person can follow

# Everything drawn: its box, and for text its colour and the background it sits on.
_BOXES = """
() => {
  const solid = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const bg = getComputedStyle(e).backgroundColor;
      if (bg && !bg.endsWith(', 0)') && bg !== 'transparent') return bg;
    }
    return getComputedStyle(document.documentElement).backgroundColor;
  };
  const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    const own = Array.from(el.childNodes).some(
      (n) => n.nodeType === 3 && n.textContent.replace(/[\\s\\u00a0]/g, '') !== '');
    const style = getComputedStyle(el);
    out.push({tag: el.tagName, cls: el.className, left: r.left, right: r.right,
              text: own ? el.textContent.trim().slice(0, 40) : '',
              color: style.color, background: solid(el),
              size: parseFloat(style.fontSize), bold: parseInt(style.fontWeight) >= 700});
  }
  return out;
}
"""


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        hint = "needs Debian's chromium: apt-get install chromium fonts-noto-cjk"
        if os.environ.get("CI") == "true":
            pytest.fail(f"chromium is missing in CI ({hint})")
        pytest.skip(hint)
    return found


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = _chromium()
    with sync_playwright() as playwright:
        # Root in a container has no user namespace for chromium's sandbox.
        launched = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture(scope="module", params=["ja", "en"])
def digest(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    language: str = request.param
    return realistic_digest(tmp_path_factory.mktemp(f"digest-{language}"), language)


def open_page(browser: Browser, html: str, width: int, scheme: str = "light") -> Page:
    page = browser.new_page(
        viewport={"width": width, "height": 900},
        color_scheme="dark" if scheme == "dark" else "light",
        is_mobile=width < 600,
    )
    page.set_content(html)
    return page


def without_style_block(html: str) -> str:
    """The digest as Gmail shows it to accounts whose <style> it drops."""
    stripped, count = re.subn(r"<style>.*?</style>", "", html, flags=re.DOTALL)
    assert count == 1
    return stripped


def _overflowing(boxes: list[dict[str, Any]], width: int) -> list[dict[str, Any]]:
    return [b for b in boxes if b["left"] < -0.5 or b["right"] > width + 0.5]


@pytest.mark.parametrize("width", WIDTHS)
def test_nothing_is_wider_than_the_screen_and_every_time_left_is_in_view(
    browser: Browser, digest: Rendered, width: int
) -> None:
    page = open_page(browser, digest.html, width)
    try:
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        boxes: list[dict[str, Any]] = page.evaluate(_BOXES)
        assert _overflowing(boxes, width) == []
        heads = page.eval_on_selector_all(
            ".ig-left",
            "els => els.map(e => { const r = e.getBoundingClientRect();"
            " return {text: e.textContent.trim(), left: r.left, right: r.right, top: r.top,"
            " subject: e.parentElement.querySelector('.ig-text').getBoundingClientRect()}; })",
        )
    finally:
        page.close()
    # One headline per thread block, in the digest's order, each in view above its subject.
    assert [h["text"] for h in heads] == thread_blocks(digest.content)
    assert len(heads) >= 10
    for head in heads:
        assert head["left"] >= 0 and head["right"] <= width, head
        subject = head["subject"]
        assert head["top"] < subject["top"], head
        # The subject reads as lines across the screen, not a column one word wide.
        assert subject["width"] >= 0.75 * min(width, MAX_COLUMN), head


@pytest.mark.parametrize("width", PHONE_WIDTHS)
def test_the_layout_holds_without_the_style_block(
    browser: Browser, digest: Rendered, width: int
) -> None:
    page = open_page(browser, without_style_block(digest.html), width)
    try:
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert _overflowing(page.evaluate(_BOXES), width) == []
    finally:
        page.close()


def test_on_a_desktop_the_column_stays_readable(browser: Browser, digest: Rendered) -> None:
    page = open_page(browser, digest.html, 900)
    try:
        widths = page.eval_on_selector_all(
            ".ig-left", "els => els.map(e => e.parentElement.getBoundingClientRect().width)"
        )
    finally:
        page.close()
    # Blocks fill the column, the column is not the whole screen.
    assert widths and all(MAX_COLUMN - 40 <= w <= MAX_COLUMN for w in widths)


@pytest.mark.parametrize(
    ("scheme", "style_block"),
    [("light", True), ("dark", True), ("dark", False)],
    ids=["light", "dark", "dark-without-style"],
)
def test_every_text_is_readable_in_light_and_dark_mode(
    browser: Browser, digest: Rendered, scheme: str, style_block: bool
) -> None:
    html = digest.html if style_block else without_style_block(digest.html)
    page = open_page(browser, html, 390, scheme)
    try:
        boxes: list[dict[str, Any]] = page.evaluate(_BOXES)
        page_background = page.evaluate(
            "getComputedStyle(document.querySelector('table.ig-bg')).backgroundColor"
        )
    finally:
        page.close()
    texts = [b for b in boxes if b["text"]]
    assert len(texts) > 50
    # WCAG AA: 4.5:1 for text, 3:1 for large text (18.66 px bold, 24 px).
    poor = [
        (b["text"], b["color"], b["background"], round(contrast(b["color"], b["background"]), 2))
        for b in texts
        if contrast(b["color"], b["background"]) < (3 if b["size"] >= 18.6 and b["bold"] else 4.5)
    ]
    assert poor == []
    # Clients that honour prefers-color-scheme get a dark page; those that drop the style
    # block keep the light one (and invert it themselves, from colours that all read).
    dark_page = sum(rgb(page_background)) < 3 * 64
    assert dark_page == (scheme == "dark" and style_block)


def test_the_pictures_script_writes_both_widths(tmp_path: Path) -> None:
    _chromium()
    script = Path(__file__).parents[2] / "scripts" / "digest_screenshot.py"
    done = subprocess.run(
        [sys.executable, str(script), str(tmp_path), "--language", "en"],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    for name, width in (("digest-phone.png", 390 * 2), ("digest-desktop.png", 900)):
        png = (tmp_path / name).read_bytes()
        assert png.startswith(b"\x89PNG\r\n\x1a\n")
        assert int.from_bytes(png[16:20], "big") == width  # IHDR: device pixels

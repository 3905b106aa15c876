"""Render the demo's daily digest in headless Chromium: the pictures the README shows.

Run: .venv/bin/python scripts/digest_screenshot.py [OUT_DIR] [--language en]
Writes OUT_DIR/digest-phone.png (390 px wide, a phone) and OUT_DIR/digest-desktop.png
(900 px), OUT_DIR defaulting to docs/images. Needs Debian's chromium (apt-get install
chromium fonts-noto-cjk); Playwright drives it, no browser is downloaded. The mailbox is the
demo's; two weeks of response history are added to the store so the statistics and the
chart have something to show (the same picture every run, but for the thread ids, which
follow the demo's random Message-IDs).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from playwright.sync_api import sync_playwright

from inboxguard.backends import open_backend
from inboxguard.config import Config
from inboxguard.demo import build_sample_maildir, sample_config, sample_history
from inboxguard.digest.sending import compose
from inboxguard.service.context import Context
from inboxguard.service.cycle import run_cycle
from inboxguard.store import StateStore

NOW = datetime(2026, 11, 21, 8, 0, tzinfo=UTC) - timedelta(hours=9)  # 08:00 in Tokyo
WIDTHS = {"digest-phone.png": 390, "digest-desktop.png": 900}
# A phone's screen is tall and narrow: the picture is cut there, as the owner first sees it.
PHONE_HEIGHT = 1600


def demo_digest_html(base: Path, language: str = "ja") -> str:
    """The demo mailbox after one cycle, with history, as its digest's HTML."""
    config: Config = sample_config(base)
    if language != "ja":
        owner = config.owner.model_copy(update={"language": language})
        config = config.model_copy(update={"owner": owner})
    ctx = Context.build(config)
    build_sample_maildir(base / "Mail", NOW, "11月24日(火)")
    store = StateStore.open(config.state.url or "")
    try:
        run_cycle(ctx, store, [open_backend(config.accounts[0])], now=NOW)
        store.save_episodes("demo", sample_history(NOW))
        return compose(ctx, store, NOW).html
    finally:
        store.close()


def chromium_path() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        sys.exit("chromium not found: apt-get install chromium fonts-noto-cjk")
    return found


def main(out_dir: Path, language: str) -> None:
    with tempfile.TemporaryDirectory(prefix="inboxguard-shot-") as tmp:
        page_file = Path(tmp) / "digest.html"
        page_file.write_text(demo_digest_html(Path(tmp), language), encoding="utf-8")
        out_dir.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium_path(),
                # Root in a container has no user namespace for the sandbox.
                args=["--no-sandbox"],
            )
            try:
                for name, width in WIDTHS.items():
                    page = browser.new_page(
                        viewport={"width": width, "height": 800},
                        device_scale_factor=2 if width < 600 else 1,
                        is_mobile=width < 600,
                    )
                    page.goto(page_file.as_uri())
                    height = page.evaluate("document.documentElement.scrollHeight")
                    if width < 600:
                        height = min(height, PHONE_HEIGHT)
                    page.set_viewport_size({"width": width, "height": height})
                    target = out_dir / name
                    page.screenshot(path=str(target))
                    page.close()
                    print(f"wrote {target} ({width} px wide)")
            finally:
                browser.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", nargs="?", type=Path, default=Path("docs/images"))
    parser.add_argument("--language", choices=("ja", "en"), default="ja")
    arguments = parser.parse_args()
    main(arguments.out_dir, arguments.language)

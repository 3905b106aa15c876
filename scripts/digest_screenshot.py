"""Render the demo's daily digest in headless Chromium to docs/digest.png (for the README).

Run: .venv/bin/python scripts/digest_screenshot.py [OUT.png]
Needs Debian's chromium (apt-get install chromium). The mailbox is the demo's; two weeks of
response history are added to the store so the statistics and the chart have something to
show (deterministic: the same picture every run at the same instant).
"""

from __future__ import annotations

import random
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from inboxguard.backends import open_backend
from inboxguard.demo import build_sample_maildir, sample_config
from inboxguard.digest.sending import compose
from inboxguard.service.context import Context
from inboxguard.service.cycle import run_cycle
from inboxguard.store import EpisodeRow, StateStore

NOW = datetime(2026, 11, 21, 8, 0, tzinfo=UTC) - timedelta(hours=9)  # 08:00 in Tokyo
CLIENTS = ("株式会社サンプル", "Northwind Studio", None)


def history(now: datetime) -> list[EpisodeRow]:
    rng = random.Random(25)  # noqa: S311 -- sample data, not secrets
    rows = []
    for index in range(60):
        started = now - timedelta(days=rng.uniform(0.5, 14), hours=rng.uniform(0, 8))
        took = timedelta(hours=rng.lognormvariate(1.3, 0.8))
        answered = started + took if started + took < now else None
        rows.append(
            EpisodeRow(
                account="demo",
                thread_id=f"hist{index}",
                started_at=started,
                answered_at=answered,
                due_at=started + timedelta(hours=24),
                counterpart=f"c{index % 7}@example.jp",
                client=CLIENTS[index % 3],
            )
        )
    return rows


def main(out: Path) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        sys.exit("chromium not found: apt-get install chromium")
    with tempfile.TemporaryDirectory(prefix="inboxguard-shot-") as tmp:
        base = Path(tmp)
        config = sample_config(base)
        ctx = Context.build(config)
        build_sample_maildir(base / "Mail", NOW, "11月24日(火)")
        store = StateStore.open(config.state.url or "")
        try:
            run_cycle(ctx, store, [open_backend(config.accounts[0])], now=NOW)
            store.save_episodes("demo", history(NOW))
            html = compose(ctx, store, NOW).html
        finally:
            store.close()
        page = base / "digest.html"
        page.write_text(html, encoding="utf-8")
        out.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                chromium,
                "--headless",
                "--no-sandbox",  # root in a container has no user namespace for the sandbox
                "--disable-gpu",
                "--hide-scrollbars",
                f"--screenshot={out.resolve()}",
                "--window-size=720,1500",
                page.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    print(f"wrote {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/digest.png"))

"""What the browser tests share: Debian's Chromium and playwright-core (no browser download)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from tests.services import unavailable

HERE = Path(__file__).resolve().parent
CHROMIUM = "/usr/bin/chromium"


def node_and_chromium() -> str:
    """The ``node`` executable, with playwright-core installed; skipped (or failed) without."""
    node = shutil.which("node")
    if node is None or not Path(CHROMIUM).exists():
        unavailable(f"the browser tests need node and {CHROMIUM} (apt-get install chromium)")
    node_modules()
    return node


def node_modules() -> None:
    """Install playwright-core (pinned in package-lock.json) when it is missing."""
    if (HERE / "node_modules" / "playwright-core").is_dir():
        return
    npm = shutil.which("npm")
    if npm is None:
        unavailable("npm is not installed: the browser tests need node and npm")
    subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund"],
        cwd=HERE,
        check=True,
        env={**os.environ, "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1"},
        timeout=300,
    )

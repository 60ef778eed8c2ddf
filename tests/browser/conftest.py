"""What every browser test needs: node, Debian's Chromium and playwright-core.

Skipped with the reason when ``node`` or ``/usr/bin/chromium`` is missing, unless
``APISEC_REQUIRE_SERVICES=1`` (CI, whose ``.ci/run`` installs Chromium), which makes it fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.services import unavailable

HERE = Path(__file__).resolve().parent
CHROMIUM = "/usr/bin/chromium"


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


@pytest.fixture(scope="session")
def node() -> str:
    """The ``node`` executable, with Chromium and playwright-core in place."""
    found = shutil.which("node")
    if found is None or not Path(CHROMIUM).exists():
        unavailable(f"the browser tests need node and {CHROMIUM} (apt-get install chromium)")
    node_modules()
    return str(found)

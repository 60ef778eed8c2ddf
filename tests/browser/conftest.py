"""What every browser test needs: node, Debian's Chromium and playwright-core, and the
testproject served in production with TLS on a SQLite database of its own.

Skipped with the reason when ``node`` or ``/usr/bin/chromium`` is missing, unless
``APISEC_REQUIRE_SERVICES=1`` (CI, whose ``.ci/run`` installs Chromium), which makes it fail.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import redis as redis_lib

from django_apisec.testing.server import (
    Server,
    django_admin,
    django_env,
    production_env,
    redis_url,
    serve,
)
from tests.services import require_redis, unavailable

if TYPE_CHECKING:
    from collections.abc import Iterator

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CHROMIUM = "/usr/bin/chromium"
SETTINGS = "testproject.settings"
RAISED_RATES = {"APISEC_RATE_ANON": "100000/min", "APISEC_RATE_USER": "100000/min"}


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


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database file the testproject's migrations ran on, once for the session."""
    require_redis()  # production refuses to start without its Redis
    path = tmp_path_factory.mktemp("browser-template") / "db.sqlite3"
    env = production_env(f"sqlite:///{path}", redis_url("browser"))
    django_admin(django_env(SETTINGS, env, root=ROOT), "migrate", "--noinput", root=ROOT)
    return path


@contextlib.contextmanager
def deployment(
    template: Path, create_users: str, serve_options: dict[str, Any], **env_overrides: str
) -> Iterator[Server]:
    """Serve the testproject in production over TLS on a copy of the migrated ``template``.

    The browser modules' Redis database is emptied first; ``create_users`` is Python run by
    ``manage.py shell`` before the server starts; ``serve_options`` go to
    :func:`~django_apisec.testing.server.serve` (workers, worker class, threads). The anonymous
    and user rates are raised unless ``env_overrides`` set them: a page's requests are the test,
    not the throttle.
    """
    with tempfile.TemporaryDirectory(prefix="apisec-browser-") as directory:
        database = Path(directory) / "db.sqlite3"
        shutil.copyfile(template, database)
        redis = redis_url("browser")
        redis_lib.Redis.from_url(redis).flushdb()
        env = production_env(f"sqlite:///{database}", redis, **{**RAISED_RATES, **env_overrides})
        django_admin(django_env(SETTINGS, env, root=ROOT), "shell", "-c", create_users, root=ROOT)
        with serve(SETTINGS, env=env, tls=True, root=ROOT, **serve_options) as server:
            yield server


def run_script(
    node: str, script: str, config: dict[str, Any], server: Server, timeout: float
) -> dict[str, Any]:
    """Run ``script`` (next to this file) with ``config`` as JSON; what it printed, parsed.

    The config gains ``chromium``; a failing script fails the test with its stderr and the
    server's log.
    """
    run = subprocess.run(
        [node, str(HERE / script), json.dumps({**config, "chromium": CHROMIUM})],
        cwd=HERE,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert run.returncode == 0, run.stderr + "\n" + server.log_text()[-4000:]
    return json.loads(run.stdout)  # type: ignore[no-any-return]


def create_users_code(
    users: tuple[tuple[str, str], ...], superusers: tuple[tuple[str, str], ...] = ()
) -> str:
    """``manage.py shell`` code creating each ``(username, password)`` of ``users`` and
    ``superusers``."""
    lines = ["from django.contrib.auth import get_user_model", "User = get_user_model()"]
    lines += [f"User.objects.create_user({name!r}, password={word!r})" for name, word in users]
    lines += [
        f"User.objects.create_superuser({name!r}, password={word!r})" for name, word in superusers
    ]
    return "; ".join(lines)

#!/usr/bin/env python3
"""Quick start for a fresh clone: ``python3 dev.py demo`` or ``python3 dev.py test``.

Both create (or reuse) the virtualenv ``.venv`` next to this file, install the project with what
the command needs, and run it. Only the standard library is used here, so nothing but Python has
to be installed first.

    python3 dev.py demo [PORT]   the testproject on SQLite + local memory cache, users alice/bob
    python3 dev.py test [ARGS]   the test suite (extra ARGS go to pytest)
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")


def ensure_venv(extra: str) -> None:
    """Create the virtualenv and (re)install the project when its dependencies changed."""
    if not PYTHON.exists():
        print(f"Creating virtualenv {VENV} ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    stamp = VENV / f".installed-{extra}"
    if stamp.exists() and stamp.read_text() == digest:
        return
    print(f"Installing django-apisec[{extra}] into {VENV} ...", flush=True)
    # venv seeds an old pip (and, before Python 3.12, setuptools 65 with known CVEs that
    # pip-audit reports); nothing builds with them, so bring both up to date.
    subprocess.run(
        [str(PYTHON), "-m", "pip", "install", "--quiet", "--upgrade", "pip", "setuptools"],
        check=True,
    )
    subprocess.run(
        [str(PYTHON), "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[{extra}]"], check=True
    )
    stamp.write_text(digest)


def demo(args: list[str]) -> int:
    """Migrate the development database, create alice and bob, and serve on localhost."""
    ensure_venv("testproject")
    env = {**os.environ, "APISEC_PROFILE": "development"}
    manage = [str(PYTHON), str(ROOT / "testproject" / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput"], check=True, env=env)
    subprocess.run([*manage, "create_demo_users"], check=True, env=env)
    port = args[0] if args else "8000"
    print(f"Demo API on http://127.0.0.1:{port}/api/health/ (Ctrl-C stops it)", flush=True)
    return subprocess.run(
        [*manage, "runserver", f"127.0.0.1:{port}"], env=env, check=False
    ).returncode


def test(args: list[str]) -> int:
    """Run the whole test suite with branch coverage."""
    ensure_venv("dev")
    # One pytest-xdist worker per core (tests/conftest.py caps it); the server suites run one
    # after the other on one worker (--dist loadgroup). `-n 0` in ARGS runs in one process.
    parallel = ["-n", "auto", "--dist", "loadgroup"]
    command = [str(PYTHON), "-m", "pytest", *parallel, "--cov", "--cov-report=term-missing", *args]
    return subprocess.run(command, cwd=ROOT, check=False).returncode


def main() -> int:
    """Dispatch ``demo`` or ``test``."""
    commands = {"demo": demo, "test": test}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        print(__doc__)
        return 2
    return commands[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())

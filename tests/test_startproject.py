"""A fresh ``django-admin startproject``, the README's steps, then the deploy gate, for real.

startproject writes ``SECRET_KEY = 'django-insecure-...'``, ``DEBUG = True``, 8-character
password validators and ``ALLOWED_HOSTS = []``; ``harden()`` never replaces a project's own
values. ``check --deploy`` in production must name each leftover with a hint that says the
line in settings.py hides harden()'s value (and ``DJANGO_SECRET_KEY``); after the edits of
docs/installation.rst, "Starting from startproject", the project must pass.
"""

from __future__ import annotations

import ast
import os
import re
import secrets
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from django_apisec.testing.server import redis_url
from tests.conftest import ROOT

if TYPE_CHECKING:
    from pathlib import Path

INSTALLATION = ROOT / "docs" / "installation.rst"
# The settings startproject writes that the docs section says to delete or replace.
# MAILERS: Django 6.1+ startproject writes the console backend (Django's own mail.E001).
DELETED = ("SECRET_KEY", "DEBUG", "AUTH_PASSWORD_VALIDATORS", "ALLOWED_HOSTS", "MAILERS")
MESSAGE = re.compile(r"^\?: \((apisec\.[EW]\d{3})\) .*\n\tHINT: (.*)$", re.MULTILINE)


def readme_settings_steps() -> tuple[str, str]:
    """The README's settings.py block, split at its "# ... your settings ..." line: what goes
    right after ``INSTALLED_APPS``, and what ends the file."""
    readme = (ROOT / "README.md").read_text()
    match = re.search(r"```python\n# settings\.py\n(.*?)```", readme, re.DOTALL)
    assert match is not None, "README.md lost its settings.py block"
    after_apps, _, at_the_end = match.group(1).partition("# ... your settings ...\n")
    assert "INSTALLED_APPS +=" in after_apps
    assert "harden(globals())" in at_the_end
    return after_apps, at_the_end


def docs_section() -> str:
    """docs/installation.rst, section "Starting from startproject"."""
    text = INSTALLATION.read_text()
    start = text.index("Starting from startproject\n---")
    following = re.search(r"\n\n[^\n]+\n-{3,}\n", text[start + 30 :])
    return text[start : start + 30 + following.start()] if following else text[start:]


def docs_code(section: str) -> str:
    """The Python the section says to add, dedented."""
    [block] = re.findall(r"\.\. code-block:: python\n\n((?:   .*\n|\n)+)", section)
    return "\n".join(line[3:] for line in block.splitlines()) + "\n"


def without_assignments(source: str, names: tuple[str, ...]) -> str:
    """``source`` without its top-level assignments to ``names`` (multi-line ones included)."""
    lines = source.splitlines(keepends=True)
    doomed: set[int] = set()
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id in names for target in node.targets
        ):
            doomed.update(range(node.lineno - 1, node.end_lineno or node.lineno))
    return "".join(line for number, line in enumerate(lines) if number not in doomed)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A fresh startproject with the README's two settings steps applied, as a user would."""
    where = tmp_path
    subprocess.run(
        [sys.executable, "-m", "django", "startproject", "mysite", str(where)],
        check=True,
        capture_output=True,
        env=clean_environment(),
        timeout=120,
    )
    settings = where / "mysite" / "settings.py"
    after_apps, at_the_end = readme_settings_steps()
    source = settings.read_text()
    apps = ast.parse(source).body
    [installed_apps] = [
        node
        for node in apps
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "INSTALLED_APPS" for t in node.targets)
    ]
    lines = source.splitlines(keepends=True)
    end = installed_apps.end_lineno or installed_apps.lineno
    settings.write_text("".join(lines[:end]) + after_apps + "".join(lines[end:]) + at_the_end)
    return where


def clean_environment(**env: str) -> dict[str, str]:
    """This process's environment without any DJANGO_* / APISEC_* variable, plus ``env``."""
    kept = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "APISEC_"))}
    return {**kept, **env}


def check_deploy(project: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """``manage.py check --deploy`` in the production profile with both secrets set."""
    production = clean_environment(
        APISEC_PROFILE="production",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
        APISEC_JWT_SIGNING_KEY=secrets.token_urlsafe(64),
        **env,
    )
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=project,
        env=production,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def apisec_hints(output: str) -> dict[str, str]:
    """Each apisec id in ``check`` output, with its hint."""
    return dict(MESSAGE.findall(output))


def test_startproject_leftovers_fail_the_gate_and_the_hints_name_them(project: Path) -> None:
    result = check_deploy(project)
    assert result.returncode == 1, result.stderr
    hints = apisec_hints(result.stderr)
    errors = {i for i in hints if ".E" in i}
    # Each insecure literal startproject left, and the cache no project has by default.
    assert errors == {"apisec.E001", "apisec.E002", "apisec.E042", "apisec.E401"}
    # W516: startproject's urls.py mounts the admin (issue 10).
    assert set(hints) - errors <= {"apisec.W035", "apisec.W037", "apisec.W516"}
    assert "apisec.W035" in hints
    assert hints["apisec.E002"].startswith(
        "DJANGO_SECRET_KEY is set but ignored: settings.py sets SECRET_KEY itself"
    )
    assert "Delete that line from settings.py." in hints["apisec.E002"]
    assert hints["apisec.E001"].startswith("settings.py sets DEBUG itself")
    assert hints["apisec.W035"].startswith("settings.py sets AUTH_PASSWORD_VALIDATORS itself")
    for id_ in ("apisec.E001", "apisec.W035"):
        assert "delete it from settings.py" in hints[id_]
    assert "ALLOWED_HOSTS" in hints["apisec.E042"]
    # The insecure key is never printed.
    key = re.search(r"SECRET_KEY = '(.*)'", (project / "mysite" / "settings.py").read_text())
    assert key is not None
    assert key.group(1) not in result.stderr


def test_the_docs_edits_make_startproject_pass(project: Path) -> None:
    section = docs_section()
    for name in DELETED:
        assert f"``{name} = " in section, f"the docs no longer mention {name}"
    settings = project / "mysite" / "settings.py"
    source = without_assignments(settings.read_text(), DELETED)
    _, at_the_end = readme_settings_steps()
    head, found, tail = source.rpartition(at_the_end)
    assert found, "harden() is no longer the end of settings.py"
    settings.write_text(head + docs_code(section) + "\n" + found + tail)
    result = check_deploy(
        project,
        DJANGO_ALLOWED_HOSTS="api.example.com",
        # Never connected to by the checks.
        REDIS_URL=redis_url("deploy_checks"),
    )
    assert result.returncode == 0, result.stderr
    # The admin startproject mounts stays a warning until the project restricts it (docs).
    assert "apisec.W516" in apisec_hints(result.stderr)
    assert set(apisec_hints(result.stderr)) <= {"apisec.W037", "apisec.W516"}

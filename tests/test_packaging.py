"""The package without its optional dependencies.

django-ratelimit is an extra (``django-apisec[ratelimit]``): no module of ``django_apisec`` may
import it, and the checks about django-ratelimit's settings (apisec.E406, apisec.E407) must work
when it is not installed. The suite runs with it installed (the testproject uses it), so a fresh
interpreter runs with an import hook that refuses it and records every attempt. ``.ci/run``'s
package step checks the same from a built wheel in a clean virtualenv.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

SETTINGS = """
from django_apisec.hardening import harden

SECRET_KEY = "packaging-test-secret-key-" + "k" * 48
SIMPLE_JWT = {"SIGNING_KEY": "packaging-test-jwt-signing-key-" + "j" * 48}
ALLOWED_HOSTS = ["localhost"]
INSTALLED_APPS = ["django.contrib.auth", "django.contrib.contenttypes", "django_apisec"]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
ROOT_URLCONF = "packaging_urls"
USE_TZ = True
# What the django-ratelimit checks judge, set without django-ratelimit installed.
RATELIMIT_USE_CACHE = "not-a-cache"
RATELIMIT_IP_META_KEY = "HTTP_X_FORWARDED_FOR"

harden(globals(), profile="development")
"""

SCRIPT = """
import importlib
import json
import pkgutil
import sys

attempts = []


class RefuseRatelimit:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] == "django_ratelimit":
            attempts.append(name)
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, RefuseRatelimit())

import django

django.setup()

import django_apisec
from django.core import checks

modules = [info.name for info in pkgutil.walk_packages(django_apisec.__path__, "django_apisec.")]
for name in modules:
    importlib.import_module(name)
ids = sorted({message.id for message in checks.run_checks(include_deployment_checks=True)})
print(json.dumps({"modules": modules, "ids": ids, "attempts": attempts}))
"""


def run_without_ratelimit(tmp_path: Path) -> dict[str, list[str]]:
    (tmp_path / "packaging_settings.py").write_text(SETTINGS)
    (tmp_path / "packaging_urls.py").write_text("urlpatterns = []\n")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("APISEC_", "DJANGO_"))
    }
    env.update(DJANGO_SETTINGS_MODULE="packaging_settings", PYTHONPATH=str(tmp_path))
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_no_module_imports_django_ratelimit_and_its_checks_still_run(tmp_path):
    report = run_without_ratelimit(tmp_path)

    assert report["attempts"] == []
    assert "django_apisec.hardening.apply" in report["modules"]
    assert "django_apisec.checks.abuse" in report["modules"]
    assert "django_apisec.checks.proxies" in report["modules"]
    assert {"apisec.E406", "apisec.E407"} <= set(report["ids"])

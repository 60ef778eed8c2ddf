"""The public API: every documented name imports from its documented path, and every dotted
path django_apisec shows a user (README, docs, ``harden()``'s settings, check hints) imports."""

from __future__ import annotations

import importlib
import logging.config
import os
import pkgutil
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.utils.module_loading import import_string

import django_apisec.ownership
from django_apisec import dotted_paths
from django_apisec.checks.registry import MESSAGES
from django_apisec.hardening import harden
from django_apisec.observability.events import SECURITY_LOGGER

ROOT = Path(__file__).resolve().parent.parent
API_REFERENCE = ROOT / "docs" / "api.rst"
# Packages whose public names load on first access (lazy_exports).
CAPABILITIES = [
    "django_apisec.abuse",
    "django_apisec.apikeys",
    "django_apisec.http",
    "django_apisec.jwt",
    "django_apisec.observability",
    "django_apisec.ownership",
    "django_apisec.request",
    "django_apisec.testing",
]
# Imported at the end of settings.py or by a package's __init__, before Django is set up.
SETTINGS_TIME_MODULES = [
    "django_apisec",
    "django_apisec.hardening",
    "django_apisec.dotted_paths",
    "django_apisec.conf",
    "django_apisec.signals",
    *CAPABILITIES,
]
DOTTED_PATH = re.compile(r"django_apisec(?:\.[A-Za-z_]\w*)+")
# Dotted names that are not Python objects: logger names.
NOT_OBJECTS = {SECURITY_LOGGER}


def resolves(path: str) -> bool:
    """Whether ``path`` names a module, or an object in one (as settings and docs use it)."""
    try:
        importlib.import_module(path)
    except ImportError:
        try:
            import_string(path)
        except ImportError:
            return False
    return True


def stale_paths(text: str) -> list[str]:
    """The ``django_apisec.*`` dotted paths in ``text`` that do not import."""
    return sorted(
        {p for p in DOTTED_PATH.findall(text) if p not in NOT_OBJECTS and not resolves(p)}
    )


def module(name: str) -> Any:
    return importlib.import_module(name)


# --- The capability packages ---------------------------------------------------------------


@pytest.mark.parametrize("package", CAPABILITIES)
def test_every_public_name_is_the_object_of_its_defining_module(package: str) -> None:
    exports = module(package)._EXPORTS
    assert sorted(module(package).__all__) == sorted(exports)
    for name in module(package).__all__:
        defined = getattr(module(exports[name]), name)
        assert getattr(module(package), name) is defined
        assert import_string(f"{package}.{name}") is defined
        assert name in dir(module(package))


ALL_PENDING: set[str] = set()
PUBLIC_MODULES = sorted(
    {m for package in CAPABILITIES for m in module(package)._EXPORTS.values()} - ALL_PENDING
    | {"django_apisec.signals", "django_apisec.urls", "django_apisec.models"}
)


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_public_modules_declare_all(name: str) -> None:
    declared = module(name).__all__
    assert all(hasattr(module(name), public) for public in declared)
    exported = {n for p in CAPABILITIES for n, m in module(p)._EXPORTS.items() if m == name}
    assert exported <= set(declared)


@pytest.mark.parametrize("package", [*CAPABILITIES, "django_apisec.hardening"])
def test_no_public_name_is_shadowed_by_a_submodule(package: str) -> None:
    # Importing a submodule binds its name on the package, hiding a public object of that name
    # (and logging.config / Python 3.10's mock.patch then walk into the wrong object).
    submodules = {info.name for info in pkgutil.iter_modules(module(package).__path__)}
    assert not set(module(package).__all__) & submodules


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match=r"'django_apisec\.ownership' has no attribute 'Nope'"):
        _ = django_apisec.ownership.Nope  # type: ignore[attr-defined]
    with pytest.raises(ImportError):
        import_string("django_apisec.ownership.Nope")


def test_settings_time_imports_need_neither_settings_nor_drf_nor_models() -> None:
    # A fresh interpreter with no settings module: what settings.py goes through.
    code = (
        "import importlib, sys\n"
        "from django.conf import settings\n"
        "from django.utils.functional import empty\n"
        "for name in sys.argv[1:]:\n"
        "    importlib.import_module(name)\n"
        "from django_apisec.hardening import harden\n"
        "harden({}, profile='development')\n"
        "assert settings._wrapped is empty, 'settings were read'\n"
        "heavy = ('rest_framework', 'rest_framework_simplejwt', 'corsheaders', 'django.db',\n"
        "         'django.contrib.auth', 'django_apisec.models')\n"
        "print(sorted(m for m in sys.modules if m.startswith(heavy) or m.endswith('.models')))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [sys.executable, "-c", code, *SETTINGS_TIME_MODULES],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT / "docs",  # not the repository root: tests.settings must not be importable
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


# --- The API reference ---------------------------------------------------------------------


def documented_names() -> list[str]:
    """Every dotted name docs/api.rst documents: autodoc targets and settings paths."""
    text = API_REFERENCE.read_text()
    names = []
    for directive, target, options in re.findall(
        r"^\.\. auto(\w+):: (\S+)\n((?:   :.*\n)*)", text, flags=re.MULTILINE
    ):
        names.append(target)
        if directive == "module" and ":members:" in options:
            names.extend(f"{target}.{name}" for name in getattr(module(target), "__all__", []))
    names.extend(re.findall(r"``(?:\w+=)?\"(django_apisec\.[\w.]+)\"``", text))
    names.extend(re.findall(r"include\(\"(django_apisec\.[\w.]+)\"\)", text))
    return names


def test_the_api_reference_documents_every_capability_and_settings_path() -> None:
    names = set(documented_names())
    assert {"django_apisec.hardening.harden", *CAPABILITIES} <= names
    assert "django_apisec.ownership.IsOwner" in names
    own_paths = {
        value
        for name, value in vars(dotted_paths).items()
        if name.isupper() and value.startswith("django_apisec.")
    }
    assert own_paths - {dotted_paths.PUBLIC_DECORATOR} <= names


@pytest.mark.parametrize("name", documented_names())
def test_every_documented_name_imports_from_its_documented_path(name: str) -> None:
    assert resolves(name)


# --- Every dotted path a user is shown -----------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.rst"))],
    ids=lambda path: str(path.relative_to(ROOT)),
)
def test_docs_name_only_paths_that_import(path: Path) -> None:
    assert stale_paths(path.read_text()) == []


def strings(value: object) -> list[str]:
    """Every string in a settings value, however nested."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.items() for s in strings(item)]
    if isinstance(value, (list, tuple, set, frozenset)):
        return [s for item in value for s in strings(item)]
    return []


@pytest.mark.parametrize("profile", ["development", "production"])
def test_harden_writes_only_paths_that_import(profile: str) -> None:
    environ = {"DJANGO_SECRET_KEY": "s" * 64, "APISEC_JWT_SIGNING_KEY": "j" * 64}
    namespace: dict[str, Any] = {}
    harden(namespace, profile=profile, environ=environ)
    paths = {s for s in strings(namespace) if s.startswith("django_apisec.")}
    assert dotted_paths.API_SECURITY_MIDDLEWARE in paths
    assert dotted_paths.JSON_LINES_FORMATTER in paths
    assert [p for p in paths if not resolves(p)] == []


def test_logging_resolves_the_paths_harden_writes() -> None:
    # logging.config walks attribute by attribute, unlike import_string.
    configurator = logging.config.BaseConfigurator({})
    for path in (
        dotted_paths.REQUEST_ID_FILTER,
        dotted_paths.REDACTING_FILTER,
        dotted_paths.JSON_LINES_FORMATTER,
    ):
        assert configurator.resolve(path) is import_string(path)


def test_check_messages_name_only_paths_that_import() -> None:
    texts = [f"{message.msg}\n{message.hint}" for message in MESSAGES.values()]
    named = {path for text in texts for path in DOTTED_PATH.findall(text)}
    assert dotted_paths.LOCKOUT_BACKEND in named
    assert dotted_paths.PUBLIC_DECORATOR in named
    assert [path for text in texts for path in stale_paths(text)] == []


def test_a_stale_path_is_reported() -> None:
    text = "Use 'django_apisec.http.middleware.ApiSecurityMiddleware' or django_apisec.http.gone."
    assert stale_paths(text) == ["django_apisec.http.gone"]

"""Lazy re-exports: a capability package names its public objects without importing them.

``from django_apisec.hardening import harden`` runs at the end of ``settings.py``, before Django is
set up; a package ``__init__`` that imported DRF views or models there would fail (or create an
import cycle). So a capability package lists where each public name is defined and imports the
defining module on first access (PEP 562 module ``__getattr__``)::

    _EXPORTS = {"IsOwner": "django_apisec.ownership.permissions", ...}

    def __getattr__(name: str) -> object:
        return lazy_exports.load(__name__, _EXPORTS, name)

    def __dir__() -> list[str]:
        return lazy_exports.names(globals(), _EXPORTS)

Django's ``import_string`` and ``logging.config`` resolve these names too. A public name never
equals a submodule's name: once the submodule is imported, Python binds the package attribute to
the module and ``__getattr__`` is no longer asked (``tests/test_public_api.py`` checks it).
"""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping


def load(package: str, exports: Mapping[str, str], name: str) -> object:
    """The public object ``name`` of ``package``, imported from its defining module."""
    module = exports.get(name)
    if module is None:
        raise AttributeError(f"module {package!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    # Later lookups find it in the package's namespace without calling __getattr__ again.
    setattr(sys.modules[package], name, value)
    return value


def names(namespace: Iterable[str], exports: Mapping[str, str]) -> list[str]:
    """``dir()`` of a package: what it defines, and its public names not imported yet."""
    return sorted({*namespace, *exports})

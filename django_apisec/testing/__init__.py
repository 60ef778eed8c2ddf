"""Helpers for test suites.

* :func:`assert_owner_isolation` (``django_apisec.testing.ownership``): prove that a viewset never
  lets one user reach another's object.
* ``django_apisec.testing.server``: the integration-server harness that this project's own tests
  and benchmarks start gunicorn with.

Both are imported on first use: the harness runs in processes without Django settings (a
benchmark's driver, gunicorn's arbiter), where importing DRF's test client would fail.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django_apisec.testing.ownership import assert_owner_isolation

__all__ = ["assert_owner_isolation"]


def __getattr__(name: str) -> Any:
    if name == "assert_owner_isolation":
        return importlib.import_module("django_apisec.testing.ownership").assert_owner_isolation
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""Helpers for test suites.

* :func:`assert_owner_isolation`: prove that a viewset never lets one user reach another's
  object.
* ``django_apisec.testing.server``: the integration-server harness that this project's own tests
  and benchmarks start gunicorn with.

Both are imported on first use: the harness runs in processes without Django settings (a
benchmark's driver, gunicorn's arbiter), where importing DRF's test client would fail.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django_apisec import lazy_exports

if TYPE_CHECKING:
    from django_apisec.testing.ownership import assert_owner_isolation

__all__ = ["assert_owner_isolation"]

_EXPORTS = {"assert_owner_isolation": "django_apisec.testing.ownership"}


def __getattr__(name: str) -> object:
    return lazy_exports.load(__name__, _EXPORTS, name)


def __dir__() -> list[str]:
    return lazy_exports.names(globals(), _EXPORTS)

"""What the tests of the 0xx checks share: every Django core check, run on given settings.

The 0xx checks live in five modules (core, transport, cookies, headers, passwords); these helpers
run all of them, so a test of one setting also shows that no other 0xx check reports it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest
from django.test import override_settings

from django_apisec.checks import cookies, core, headers, passwords, transport
from django_apisec.checks.registry import MESSAGES

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.conftest import DeployIds


def check_functions() -> dict[str, Callable[..., list[Any]]]:
    """Every 0xx check function, by name."""
    modules = (core, transport, cookies, headers, passwords)
    return {
        name: function
        for module in modules
        for name, function in vars(module).items()
        if name.startswith("check_")
    }


def run_core(**overrides: Any) -> list[Any]:
    """Every core check function's messages under ``overrides`` (on the test settings)."""
    functions = list(check_functions().values())
    with override_settings(**overrides):
        return [message for function in functions for message in function()]


def ids_of(**overrides: Any) -> set[str]:
    """The core ids ``overrides`` produce on the test settings."""
    return {m.id for m in run_core(**overrides)}


def row_id(value: Any) -> str:
    """A short test id for one side of a breaking-table row."""
    if isinstance(value, dict):
        return ",".join(f"{k}={getattr(v, '__name__', v)!r}"[:60] for k, v in value.items())
    return str(value)


def value_id(value: Any) -> str:
    """A test id for a hostile setting value, the same in every process (pytest-xdist compares
    the collections of its workers, so no memory address may appear in it)."""
    return re.sub(r" at 0x[0-9a-f]+", "", repr(value))


def each_insecure_setting_alone(table: list[Any]) -> Callable[..., None]:
    """A test that each row's overrides, alone, add exactly the row's id to ``check --deploy``.

    A test module assigns it to a test name, ``test_each_insecure_setting_alone =
    each_insecure_setting_alone(BREAKING_TABLE)``. The overrides are applied to the production
    settings; a callable override is called with them (e.g. MIDDLEWARE minus one entry).
    """

    @pytest.mark.parametrize(("overrides", "expected"), table, ids=row_id)
    def test(
        deploy_ids: DeployIds,
        production_settings: dict[str, Any],
        overrides: dict[str, Any],
        expected: str,
    ) -> None:
        resolved = {k: v(production_settings) if callable(v) else v for k, v in overrides.items()}
        baseline = deploy_ids()
        added = deploy_ids(**resolved) - baseline
        # This module is not assert-rewritten by pytest: say what was found.
        assert added == {expected}, f"{overrides} added {added}, not {expected}"
        assert MESSAGES[expected].id == expected

    return test

"""Django core checks: each insecure setting, alone, yields exactly its id."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.conftest import DeployIds


def test_production_settings_pass(deploy_ids: DeployIds) -> None:
    # Running as root on CI machines is reported as a warning, never an error.
    assert {i for i in deploy_ids() if ".E" in i} == set()


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"DEBUG": True}, "apisec.E001"),
        ({"SECRET_KEY": "django-insecure-" + "x1y2z3" * 10}, "apisec.E002"),
        ({"SECRET_KEY": "short"}, "apisec.E002"),
        ({"SECRET_KEY": "ab" * 40}, "apisec.E002"),
        ({"ALLOWED_HOSTS": ["*"]}, "apisec.E003"),
    ],
)
def test_each_insecure_setting_alone(
    deploy_ids: DeployIds, overrides: dict[str, object], expected: str
) -> None:
    baseline = deploy_ids()
    assert deploy_ids(**overrides) - baseline == {expected}

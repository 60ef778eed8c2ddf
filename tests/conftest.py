"""Shared fixtures: the testproject's production settings and a deploy-check runner."""

from __future__ import annotations

import os
import runpy
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.core.checks import run_checks
from django.test import override_settings

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION_ENV = {
    "APISEC_PROFILE": "production",
    "DJANGO_SECRET_KEY": "prod-secret-key-for-tests-" + "s" * 50,
    "APISEC_JWT_SIGNING_KEY": "prod-jwt-signing-key-for-tests-" + "j" * 60,
    "REDIS_URL": "redis://127.0.0.1:6379/15",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/test",
    "DJANGO_ALLOWED_HOSTS": "api.example.com",
}

# Settings the test run itself depends on; everything else of production is applied.
NOT_OVERRIDDEN = {"INSTALLED_APPS", "DATABASES", "ROOT_URLCONF"}


def load_testproject_settings(env: dict[str, str]) -> dict[str, Any]:
    """Execute testproject/settings.py with ``env`` as the environment; return its settings."""
    with mock.patch.dict(os.environ, env, clear=True):
        namespace = runpy.run_path(str(ROOT / "testproject" / "settings.py"))
    return {name: value for name, value in namespace.items() if name.isupper()}


@pytest.fixture(scope="session")
def production_settings() -> dict[str, Any]:
    """The testproject's settings under ``APISEC_PROFILE=production``."""
    return load_testproject_settings(PRODUCTION_ENV)


DeployIds = Callable[..., set[str]]


@pytest.fixture
def deploy_ids(production_settings: dict[str, Any]) -> DeployIds:
    """Run every deploy check on production settings plus overrides; return the apisec ids."""

    def run(**overrides: Any) -> set[str]:
        applied = {k: v for k, v in production_settings.items() if k not in NOT_OVERRIDDEN}
        applied.update(overrides)
        with override_settings(**applied):
            messages = run_checks(include_deployment_checks=True)
        return {m.id for m in messages if m.id and m.id.startswith("apisec.")}

    return run

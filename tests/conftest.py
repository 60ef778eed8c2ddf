"""Shared fixtures: the testproject's production settings and a deploy-check runner."""

from __future__ import annotations

import importlib
import io
import logging
import os
import re
import runpy
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.conf import settings
from django.contrib.auth import base_user, get_user_model
from django.core.cache import caches
from django.core.checks import run_checks
from django.test import override_settings

from django_apisec.testing.server import redis_url
from django_apisec.testing.topologies import Cluster, SentinelGroup, redis_cluster, redis_sentinel
from tests.services import require_redis_binaries

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION_ENV = {
    "APISEC_PROFILE": "production",
    "DJANGO_SECRET_KEY": "prod-secret-key-for-tests-" + "s" * 50,
    "APISEC_JWT_SIGNING_KEY": "prod-jwt-signing-key-for-tests-" + "j" * 60,
    "REDIS_URL": redis_url("deploy_checks"),
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


# --- Running in parallel (pytest-xdist, ``-n auto --dist loadgroup`` as dev.py and tox do) ------

#: The xdist group of each directory whose tests run one after the other on one worker.
SERIAL_DIRECTORIES = {"integration": "servers", "browser": "browsers"}
#: One Redis database per worker (``REDIS_DATABASES``: ``unit``, ``unit_gw1``).
MAX_WORKERS = 2
TOPOLOGY_FIXTURES = {"cluster", "sentinel_group"}


def pytest_xdist_auto_num_workers() -> int:
    """``-n auto``: one worker per core, at most :data:`MAX_WORKERS`."""
    return max(1, min(os.cpu_count() or 1, MAX_WORKERS))


# tryfirst: xdist's own hook turns the marks into the groups it schedules by; it must see them.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Keep the tests that must not run beside each other on one xdist worker each.

    The integration suites measure concurrency against servers they start (exact admission, at
    most T password checks): they run one after the other on one worker, while the other workers
    take the unit tests and then the browser suites (one after the other too: they share a Redis
    database). The Redis Cluster and Sentinel of the session are started once, on the worker
    that runs every test using them. Without ``--dist loadgroup`` the marks do nothing.
    """
    tests = ROOT / "tests"
    for item in items:
        parts = item.path.relative_to(tests).parts if item.path.is_relative_to(tests) else ()
        if parts and parts[0] in SERIAL_DIRECTORIES:
            item.add_marker(pytest.mark.xdist_group(SERIAL_DIRECTORIES[parts[0]]))
        elif TOPOLOGY_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.xdist_group("topologies"))


def pytest_collection_finish(session: pytest.Session) -> None:
    """Fail the run when pytest-xdist ignored the groups: the server suites would then run on
    several workers at once and flush each other's Redis counters (pytest 9.2 with xdist 3.8)."""
    if not getattr(session.config.option, "loadgroup", False):  # set on xdist workers only
        return
    for item in session.items:
        if item.get_closest_marker("xdist_group") and "@" not in item.nodeid:
            message = f"pytest-xdist did not group {item.nodeid}: use pytest<9.2 or -n 0"
            raise pytest.UsageError(message)


# --- Redis topologies started by the tests themselves ----------------------------------------


@pytest.fixture(scope="session")
def cluster() -> Iterator[Cluster]:
    """A 3-primary Redis Cluster on free loopback ports for the session (skipped without
    redis-server outside CI)."""
    require_redis_binaries()
    with redis_cluster() as running:
        yield running


@pytest.fixture(scope="session")
def sentinel_group() -> Iterator[SentinelGroup]:
    """A primary, a replica and three sentinels for the session (not for failover tests: those
    kill the primary and start their own)."""
    require_redis_binaries()
    with redis_sentinel() as running:
        yield running


# --- the users most tests act as, and the testproject's URLs ---------------------------------

PASSWORD = "correct horse battery staple"
LOGIN = "/api/auth/login/"
REFRESH = "/api/auth/refresh/"
LOGOUT = "/api/auth/logout/"
LOGOUT_ALL = "/api/auth/logout-all/"
PASSWORD_URL = "/api/auth/password/"
ME = "/api/me/"


@pytest.fixture
def alice(db: None) -> Any:
    """The user ``alice`` (password :data:`PASSWORD`)."""
    return get_user_model().objects.create_user("alice", "alice@example.com", PASSWORD)


@pytest.fixture
def bob(db: None) -> Any:
    """The user ``bob`` (password :data:`PASSWORD`): the other user, for isolation tests."""
    return get_user_model().objects.create_user("bob", "bob@example.com", PASSWORD)


# --- no secret reaches any log ---------------------------------------------------------------

# The attack suites of every issue; each of their tests runs with the configured log handlers
# captured, and fails if a password, token or key shows up in what was logged.
ATTACK_SUITES = {
    "test_jwt_attacks",
    "test_jwt_sessions",
    "test_jwt_transport",
    "test_ownership",
    "test_request_limits",
    "test_exceptions",
    "test_testproject_api",
    "test_testproject_ownership",
    "test_lockout",
    "test_throttling",
    "test_client_ip",
    "test_events",
    "test_events_documented",
    "test_mfa",
    "test_mfa_sessions",
}
JWT_SHAPED = re.compile(r"eyJ[\w-]{8,}\.eyJ[\w-]{8,}")
LOGGERS = ("django_apisec", "django.security", "django.request", "")


@pytest.fixture(autouse=True)
def _no_secret_in_any_log(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    if request.module.__name__.rpartition(".")[2] not in ATTACK_SUITES:
        yield
        return
    passwords: set[str] = set()

    def remembering(function: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(raw: Any, *args: Any, **kwargs: Any) -> Any:
            if isinstance(raw, str) and len(raw) >= 6:
                passwords.add(raw)
            return function(raw, *args, **kwargs)

        return wrapper

    monkeypatch.setattr(base_user, "make_password", remembering(base_user.make_password))
    monkeypatch.setattr(base_user, "check_password", remembering(base_user.check_password))
    captured = io.StringIO()
    handlers = {
        h
        for name in LOGGERS
        for h in logging.getLogger(name).handlers
        if isinstance(h, logging.StreamHandler)
    }
    previous = {h: h.setStream(captured) for h in handlers}
    try:
        yield
    finally:
        for handler, stream in previous.items():
            handler.setStream(stream)
    logged = captured.getvalue()
    secrets = {settings.SECRET_KEY, *passwords}
    signing_key = getattr(settings, "SIMPLE_JWT", {}).get("SIGNING_KEY")
    if signing_key:
        secrets.add(signing_key)
    leaked = sorted(s for s in secrets if s in logged)
    assert not leaked, f"secrets in the log: {leaked!r}"
    assert not JWT_SHAPED.search(logged), "a token in the log"
    assert "Bearer " not in logged


@pytest.fixture(autouse=True)
def _fresh_caches() -> None:
    """Every test starts with empty caches: lockout counters and throttle buckets of one test
    (alice locked out, say) must not leak into the next, whatever order pytest-randomly picks."""
    for alias in settings.CACHES:
        caches[alias].clear()


@pytest.fixture
def api_key_settings() -> Iterator[dict[str, Any]]:
    """A per-key rate (the test settings already authenticate and throttle keys, with scopes)."""
    rest_framework = dict(settings.REST_FRAMEWORK)
    rest_framework["DEFAULT_THROTTLE_RATES"] = {
        **rest_framework["DEFAULT_THROTTLE_RATES"],
        "api_key": "600/min",
    }
    with override_settings(REST_FRAMEWORK=rest_framework):
        yield rest_framework


@pytest.fixture(scope="session", autouse=True)
def _testproject_views_defined_under_the_test_settings() -> None:
    """Import the testproject's URLconf (and so its views) before any test overrides settings.

    drf-spectacular's ``SpectacularAPIView`` copies ``DEFAULT_AUTHENTICATION_CLASSES`` into its
    class body when its module is imported. Imported first inside a test that overrides
    ``REST_FRAMEWORK`` (simplejwt's own ``JWTAuthentication`` added, say), the testproject's
    schema view would keep that override for the rest of the run, and the JWT checks would see
    simplejwt's stack in every later test: whether they did depended on the test order.
    """
    importlib.import_module(settings.ROOT_URLCONF)


@pytest.fixture(scope="session", autouse=True)
def _database_features_known(django_db_setup: Any, django_db_blocker: Any) -> None:
    """Ask each test database once what it supports, with database access allowed.

    From Django 6.1 on, ``run_checks()`` runs model checks against every database; on SQLite a
    ``JSONField`` check then queries the database (``supports_json_field``), which tests that run
    checks without the ``django_db`` mark may not do. The answer is cached on the connection.
    """
    from django.db import connections

    with django_db_blocker.unblock():
        for connection in connections.all():
            _ = connection.features.supports_json_field

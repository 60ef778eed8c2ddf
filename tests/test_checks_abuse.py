"""Abuse-control state and proxy trust checks: each insecure setting alone yields exactly its id."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any
from unittest import mock

import pytest
from django.core.cache.backends.redis import RedisCache
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy

from django_apisec.checks import abuse, proxies
from django_apisec.testing.server import redis_url
from tests.conftest import NOT_OVERRIDDEN, PRODUCTION_ENV, DeployIds, load_testproject_settings

if TYPE_CHECKING:
    from django.core.checks import CheckMessage

LOCMEM = "django.core.cache.backends.locmem.LocMemCache"
DUMMY = "django.core.cache.backends.dummy.DummyCache"
FILE_BASED = "django.core.cache.backends.filebased.FileBasedCache"
DATABASE = "django.core.cache.backends.db.DatabaseCache"
REDIS = "django.core.cache.backends.redis.RedisCache"
REDIS_CACHE = {"BACKEND": REDIS, "LOCATION": redis_url("deploy_checks")}
SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

Settings = dict[str, Any]
Change = Settings | Callable[[Settings], Settings]


class ClusterRedisCache(RedisCache):
    """Stands in for a third-party backend django_apisec does not know."""


def from_environment(production: Settings, **env: str) -> Settings:
    """The settings that change when the testproject starts with ``env`` added to production's."""
    changed = load_testproject_settings({**PRODUCTION_ENV, **env})
    return {
        name: value
        for name, value in changed.items()
        if name not in NOT_OVERRIDDEN and (name not in production or production[name] != value)
    }


def proxied(production: Settings) -> Settings:
    """Production behind a load balancer at 10.0.0.0/24, configured the documented way."""
    return from_environment(production, APISEC_TRUSTED_PROXIES="10.0.0.0/24")


def production(settings: Settings) -> Settings:
    """Production as the testproject configures it."""
    return {}


def environment(**env: str) -> Callable[[Settings], Settings]:
    return lambda settings: from_environment(settings, **env)


def extra_cache(alias: str, backend: str, **change: Any) -> Callable[[Settings], Settings]:
    def apply(settings: Settings) -> Settings:
        return {"CACHES": {**settings["CACHES"], alias: {"BACKEND": backend}}, **change}

    return apply


def default_cache(backend: str, **options: Any) -> Settings:
    return {"CACHES": {"default": {"BACKEND": backend, **options}}}


def ids_of(messages: list[CheckMessage]) -> list[str | None]:
    return [message.id for message in messages]


def run_abuse_checks() -> list[str | None]:
    functions = [
        getattr(module, name)
        for module in (abuse, proxies)
        for name in dir(module)
        if name.startswith("check_")
    ]
    return [i for function in functions for i in ids_of(function())]


def test_production_settings_have_no_abuse_finding(deploy_ids: DeployIds) -> None:
    assert {i for i in deploy_ids() if i.startswith(("apisec.E4", "apisec.W4"))} == set()


def test_production_behind_a_trusted_proxy_passes(
    deploy_ids: DeployIds, production_settings: Settings
) -> None:
    overrides = proxied(production_settings)
    assert overrides["APISEC_TRUSTED_PROXIES"] == ["10.0.0.0/24"]
    assert overrides["SECURE_PROXY_SSL_HEADER"] == SSL_HEADER
    assert deploy_ids(**overrides) == deploy_ids()


# The breaking table: (baseline, one change, the one new id).
@pytest.mark.parametrize(
    ("base", "change", "expected"),
    [
        (production, default_cache(LOCMEM), "apisec.E401"),
        (production, default_cache(DUMMY), "apisec.E402"),
        (production, default_cache(FILE_BASED, LOCATION="/srv/apisec/cache"), "apisec.E403"),
        (production, default_cache(DATABASE, LOCATION="cache_table"), "apisec.E403"),
        (production, {"APISEC_CACHE": "abuse"}, "apisec.E404"),
        (
            production,
            default_cache(f"{__name__}.ClusterRedisCache", LOCATION=redis_url("deploy_checks")),
            "apisec.W405",
        ),
        (production, extra_cache("local", LOCMEM, RATELIMIT_USE_CACHE="local"), "apisec.E406"),
        (production, {"RATELIMIT_USE_CACHE": "ratelimit"}, "apisec.E406"),
        (production, {"RATELIMIT_IP_META_KEY": "HTTP_X_FORWARDED_FOR"}, "apisec.E407"),
        (production, {"RATELIMIT_IP_META_KEY": "HTTP_X_REAL_IP"}, "apisec.E407"),
        (production, {"SECURE_PROXY_SSL_HEADER": SSL_HEADER}, "apisec.E408"),
        (production, {"USE_X_FORWARDED_HOST": True}, "apisec.E409"),
        (production, {"USE_X_FORWARDED_PORT": True}, "apisec.E409"),
        (production, environment(APISEC_TRUSTED_PROXIES="10.0.0.300"), "apisec.E410"),
        (production, environment(APISEC_TRUSTED_PROXIES="10.0.0.1/8"), "apisec.E410"),
        (production, environment(APISEC_TRUSTED_PROXIES="0.0.0.0/0"), "apisec.E411"),
        (production, environment(APISEC_TRUSTED_PROXIES="::/0"), "apisec.E411"),
        (production, environment(APISEC_TRUSTED_PROXIES="10.0.0.0/7"), "apisec.E411"),
        (proxied, {"SECURE_PROXY_SSL_HEADER": None}, "apisec.W412"),
    ],
    ids=[
        "locmem-cache",
        "dummy-cache",
        "file-cache",
        "database-cache",
        "apisec-cache-alias-missing",
        "unknown-cache-backend",
        "ratelimit-locmem-cache",
        "ratelimit-cache-alias-missing",
        "ratelimit-x-forwarded-for",
        "ratelimit-x-real-ip",
        "ssl-header-without-proxy",
        "forwarded-host-without-proxy",
        "forwarded-port-without-proxy",
        "proxy-not-an-address",
        "proxy-host-bits-set",
        "proxy-everyone-ipv4",
        "proxy-everyone-ipv6",
        "proxy-wider-than-slash-8",
        "proxy-without-ssl-header",
    ],
)
def test_each_insecure_abuse_setting_alone(
    deploy_ids: DeployIds,
    production_settings: Settings,
    base: Callable[[Settings], Settings],
    change: Change,
    expected: str,
) -> None:
    baseline = base(production_settings)
    overrides = change(production_settings) if callable(change) else change
    assert deploy_ids(**{**baseline, **overrides}) - deploy_ids(**baseline) == {expected}


def test_per_process_cache_fails_check_deploy(production_settings: Settings) -> None:
    applied = {k: v for k, v in production_settings.items() if k not in NOT_OVERRIDDEN}
    applied.update(default_cache(LOCMEM))
    with override_settings(**applied), pytest.raises(SystemCheckError, match=r"apisec\.E401"):
        call_command("check", deploy=True, tags=["apisec"])


def test_cache_checks_never_connect(production_settings: Settings) -> None:
    # Production points at a Redis database nobody may touch from a check.
    with (
        override_settings(CACHES=production_settings["CACHES"]),
        mock.patch("redis.Redis.execute_command", side_effect=AssertionError("connected")),
    ):
        assert run_abuse_checks() == []


@override_settings(
    CACHES={"default": {"BACKEND": LOCMEM}, "abuse": REDIS_CACHE},
    APISEC_CACHE="abuse",
    REST_FRAMEWORK={"DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.AnonRateThrottle"]},
)
def test_drf_throttles_count_in_the_default_cache() -> None:
    (message,) = abuse.check_abuse_cache()
    assert message.id == "apisec.E401"
    assert "'default'" in message.msg
    assert "DRF's throttle counts" in message.msg


@override_settings(
    CACHES={"default": {"BACKEND": LOCMEM}, "abuse": REDIS_CACHE},
    APISEC_CACHE="abuse",
    REST_FRAMEWORK={
        "DEFAULT_THROTTLE_CLASSES": ["django_apisec.abuse.throttling.AnonRateThrottle"]
    },
)
def test_own_throttles_do_not_use_the_default_cache() -> None:
    assert abuse.check_abuse_cache() == []


@override_settings(
    CACHES={"default": {"BACKEND": LOCMEM}},
    REST_FRAMEWORK={"DEFAULT_THROTTLE_CLASSES": [RedisCache]},  # a class, not a path
)
def test_one_alias_with_two_users_is_reported_once() -> None:
    (message,) = abuse.check_abuse_cache()
    assert "throttle and lockout counts and DRF's throttle counts" in message.msg


@pytest.mark.parametrize(
    "backend",
    [
        REDIS,
        "django.core.cache.backends.memcached.PyMemcacheCache",
        "django.core.cache.backends.memcached.PyLibMCCache",
        "django_redis.cache.RedisCache",
    ],
)
def test_shared_atomic_backends_are_accepted(backend: str) -> None:
    fake = SimpleNamespace(CACHES={"default": {"BACKEND": backend}})
    with mock.patch.object(abuse, "settings", fake):
        assert abuse.check_abuse_cache() == []


@pytest.mark.parametrize("config", [{}, {"BACKEND": None}, "redis://", None])
def test_cache_without_a_backend_path_is_unknown(config: object) -> None:
    fake = SimpleNamespace(CACHES={"default": config})
    with mock.patch.object(abuse, "settings", fake):
        assert ids_of(abuse.check_abuse_cache()) == ["apisec.W405"]


@override_settings(APISEC_CACHE="default", CACHES={"other": REDIS_CACHE})
def test_missing_default_cache_is_left_to_django() -> None:
    assert abuse.check_abuse_cache_alias() == []
    assert abuse.check_abuse_cache() == []


@override_settings(APISEC_CACHE="abuse", CACHES={"default": REDIS_CACHE, "abuse": REDIS_CACHE})
def test_configured_abuse_cache_alias_passes() -> None:
    assert abuse.check_abuse_cache_alias() == []


@pytest.mark.parametrize(
    ("backend", "reason"),
    [
        (LOCMEM, "per process"),
        (DUMMY, "stores nothing"),
        (FILE_BASED, "no atomic increment"),
        (DATABASE, "no atomic increment"),
    ],
)
def test_ratelimit_cache_reason(backend: str, reason: str) -> None:
    caches = {"default": REDIS_CACHE, "ratelimit": {"BACKEND": backend}}
    with override_settings(CACHES=caches, RATELIMIT_USE_CACHE="ratelimit"):
        (message,) = abuse.check_ratelimit_cache()
    assert message.id == "apisec.E406"
    assert reason in message.msg


@pytest.mark.parametrize(
    "overrides",
    [
        {"RATELIMIT_USE_CACHE": "ratelimit", "RATELIMIT_ENABLE": False},
        {"RATELIMIT_USE_CACHE": "shared"},
        {"RATELIMIT_USE_CACHE": "unknown"},
        {"RATELIMIT_USE_CACHE": None},
        {"RATELIMIT_USE_CACHE": "default"},
    ],
)
def test_ratelimit_cache_accepted(overrides: Settings) -> None:
    caches = {
        "default": REDIS_CACHE,
        "ratelimit": {"BACKEND": LOCMEM},
        "shared": REDIS_CACHE,
        "unknown": {"BACKEND": f"{__name__}.ClusterRedisCache"},
    }
    with override_settings(CACHES=caches, **overrides):
        assert abuse.check_ratelimit_cache() == []


@pytest.mark.parametrize(
    "overrides",
    [
        {"RATELIMIT_IP_META_KEY": "REMOTE_ADDR"},
        {"RATELIMIT_IP_META_KEY": "myproject.ip.client_ip"},
        {"RATELIMIT_IP_META_KEY": lambda request: "192.0.2.1"},
        {"RATELIMIT_IP_META_KEY": None},
        {"RATELIMIT_IP_META_KEY": "HTTP_X_FORWARDED_FOR", "RATELIMIT_ENABLE": False},
        {"RATELIMIT_IP_META_KEY": "HTTP_X_FORWARDED_FOR", "APISEC_TRUSTED_PROXIES": ["10.0.0.1"]},
        {"RATELIMIT_IP_META_KEY": "HTTP_X_REAL_IP", "APISEC_TRUSTED_PROXIES": "10.0.0.0/24"},
    ],
)
def test_ratelimit_ip_key_accepted(overrides: Settings) -> None:
    with override_settings(**overrides):
        assert proxies.check_ratelimit_ip_key() == []


@override_settings(APISEC_TRUSTED_PROXIES=" , ", RATELIMIT_IP_META_KEY="HTTP_X_FORWARDED_FOR")
def test_blank_proxy_string_declares_no_proxy() -> None:
    assert ids_of(proxies.check_ratelimit_ip_key()) == ["apisec.E407"]


@pytest.mark.parametrize(
    ("header", "shown"),
    [(SSL_HEADER, "HTTP_X_FORWARDED_PROTO"), ("HTTP_X_SCHEME", "HTTP_X_SCHEME")],
)
def test_ssl_header_is_named(header: object, shown: str) -> None:
    with override_settings(SECURE_PROXY_SSL_HEADER=header, APISEC_TRUSTED_PROXIES=[]):
        (message,) = proxies.check_proxy_ssl_header()
    assert shown in message.msg


@override_settings(USE_X_FORWARDED_HOST=True, APISEC_TRUSTED_PROXIES=["10.0.0.0/24"])
def test_forwarded_host_behind_a_trusted_proxy_passes() -> None:
    assert proxies.check_forwarded_host_port() == []


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (None, "not NoneType"),
        (24, "not int"),
        (gettext_lazy("10.0.0.0/8"), "not __proxy__"),
        ({"10.0.0.0/8": True}, "not dict"),
        (["10.0.0.0/8", "proxy.internal"], "'proxy.internal'"),
        ("10.0.0.0/8,10.0.0.1/8", "'10.0.0.1/8'"),
        (["fe80::/200"], "'fe80::/200'"),
    ],
)
def test_invalid_trusted_proxies(value: object, problem: str) -> None:
    with override_settings(APISEC_TRUSTED_PROXIES=value):
        (message,) = proxies.check_trusted_proxies_valid()
    assert message.id == "apisec.E410"
    assert problem in message.msg


@pytest.mark.parametrize(
    "value",
    [
        [],
        "",
        "10.0.0.0/8, 192.0.2.10",
        ("fd12:3456:789a::/48", "2001:db8::1"),
        [ipaddress.ip_network("10.0.0.0/24")],
        frozenset({"10.0.0.0/24"}),
    ],
)
def test_valid_trusted_proxies(value: object) -> None:
    with override_settings(APISEC_TRUSTED_PROXIES=value):
        assert proxies.check_trusted_proxies_valid() == []
        assert proxies.check_trusted_proxies_width() == []


@pytest.mark.parametrize(
    ("network", "too_wide"),
    [
        ("10.0.0.0/8", False),
        ("8.0.0.0/7", True),
        ("0.0.0.0/0", True),
        ("2001::/16", False),
        ("2000::/15", True),
        ("::/0", True),
        ("fd00::/8", True),
        ("::ffff:10.0.0.0/104", False),
        ("::ffff:0.0.0.0/96", True),
        ("::ffff:0.0.0.0/103", True),
    ],
)
def test_is_too_wide(network: str, too_wide: bool) -> None:
    assert proxies.is_too_wide(ipaddress.ip_network(network)) is too_wide


@override_settings(APISEC_TRUSTED_PROXIES=["10.0.0.0/24", "0.0.0.0/0", "::/0"])
def test_each_wide_network_is_named() -> None:
    messages = proxies.check_trusted_proxies_width()
    assert ids_of(messages) == ["apisec.E411", "apisec.E411"]
    assert "0.0.0.0/0" in messages[0].msg
    assert "::/0" in messages[1].msg


@pytest.mark.parametrize(
    "overrides",
    [
        {"APISEC_TRUSTED_PROXIES": [], "SECURE_PROXY_SSL_HEADER": None},
        {"SECURE_SSL_REDIRECT": False, "SECURE_PROXY_SSL_HEADER": None},
        {"SECURE_SSL_REDIRECT": True, "SECURE_PROXY_SSL_HEADER": SSL_HEADER},
    ],
)
def test_ssl_redirect_behind_proxy_accepted(overrides: Settings) -> None:
    with override_settings(**{"APISEC_TRUSTED_PROXIES": ["10.0.0.0/24"], **overrides}):
        assert proxies.check_ssl_redirect_behind_proxy() == []


WEIRD_VALUES = [
    None,
    0,
    7,
    "a string",
    b"bytes",
    lambda: ["x"],
    gettext_lazy("10.0.0.0/8"),
    SimpleLazyObject(lambda: ["10.0.0.0/8"]),
    object(),
    {"default": None},
    [None, 5, object()],
    ("HTTP_X_FORWARDED_FOR", "https"),
]
# Read through django.conf.settings by conf.apisec_settings: overridden for real.
APISEC_SETTINGS = ["APISEC_CACHE", "APISEC_TRUSTED_PROXIES"]
# Read by the check modules: patched, so Django's own receivers never see the value.
DJANGO_SETTINGS = [
    "CACHES",
    "REST_FRAMEWORK",
    "RATELIMIT_ENABLE",
    "RATELIMIT_USE_CACHE",
    "RATELIMIT_IP_META_KEY",
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_SSL_REDIRECT",
    "USE_X_FORWARDED_HOST",
    "USE_X_FORWARDED_PORT",
    "APISEC_TRUSTED_PROXIES",
]


@pytest.mark.parametrize("value", WEIRD_VALUES)
@pytest.mark.parametrize("setting", APISEC_SETTINGS)
def test_weird_apisec_values_never_crash(setting: str, value: object) -> None:
    with override_settings(**{setting: value}):
        assert isinstance(run_abuse_checks(), list)


@pytest.mark.parametrize("value", WEIRD_VALUES)
@pytest.mark.parametrize("setting", DJANGO_SETTINGS)
def test_weird_values_never_crash(setting: str, value: object) -> None:
    fake = SimpleNamespace(**{setting: value})
    with mock.patch.object(abuse, "settings", fake), mock.patch.object(proxies, "settings", fake):
        assert isinstance(run_abuse_checks(), list)


@pytest.mark.parametrize("rest_framework", [None, [], {"DEFAULT_THROTTLE_CLASSES": "x.Throttle"}])
def test_unreadable_rest_framework_means_no_drf_throttles(rest_framework: object) -> None:
    with mock.patch.object(abuse, "settings", SimpleNamespace(REST_FRAMEWORK=rest_framework)):
        assert abuse.drf_throttles_use_default_cache() is False

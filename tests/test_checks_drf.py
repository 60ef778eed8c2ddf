"""DRF checks: each insecure REST_FRAMEWORK setting, alone, yields exactly its id."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from django.test import override_settings
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy
from rest_framework.authentication import TokenAuthentication
from rest_framework.pagination import CursorPagination, PageNumberPagination
from rest_framework.permissions import AllowAny, IsAdminUser, IsAuthenticated
from rest_framework.throttling import (
    AnonRateThrottle,
    ScopedRateThrottle,
    SimpleRateThrottle,
    UserRateThrottle,
)

from django_apisec import dotted_paths
from django_apisec.checks import drf, drf_limits
from django_apisec.checks import settings as settings_checks
from django_apisec.checks.registry import MESSAGES
from tests.checks_support import value_id

if TYPE_CHECKING:
    from django.core.checks import CheckMessage

    from tests.conftest import DeployIds

# Classes the rows below name by dotted path, as a project's settings would.


class ClientSizedPagination(PageNumberPagination):
    """Lets the client choose the page size, with no cap."""

    page_size_query_param = "size"


class CappedClientSizedPagination(ClientSizedPagination):
    """The same, capped."""

    max_page_size = 100


class OwnSizePagination(PageNumberPagination):
    """Sets its own page size, so REST_FRAMEWORK['PAGE_SIZE'] is not needed."""

    page_size = 20


class RaisingPagination(PageNumberPagination):
    """A property that fails: the check cannot judge it and must not crash."""

    page_size_query_param = "size"

    @property
    def max_page_size(self) -> int:  # type: ignore[override]
        raise RuntimeError("boom")

    @property
    def page_size(self) -> int:  # type: ignore[override]
        raise RuntimeError("boom")


class HandRolledPagination:
    """Not built on DRF's paginators: nothing to judge."""


class BurstThrottle(UserRateThrottle):
    """A project throttle with its own scope."""

    scope = "burst"


class FixedRateThrottle(SimpleRateThrottle):
    """Carries its rate itself: no scope needed."""

    rate = "10/min"

    def get_cache_key(self, request: Any, view: Any) -> str:
        return "fixed"


class ScopelessThrottle(SimpleRateThrottle):
    """Neither scope nor rate: DRF raises ImproperlyConfigured."""

    def get_cache_key(self, request: Any, view: Any) -> str:
        return "scopeless"


class OwnTableThrottle(AnonRateThrottle):
    """Carries its own rate table."""

    scope = "own"
    THROTTLE_RATES = {"own": "5/min"}


class FortnightThrottle(AnonRateThrottle):
    """Understands a period DRF does not."""

    scope = "slow"

    def parse_rate(self, rate: str | None) -> tuple[int | None, int | None]:
        if rate == "1/fortnight":
            return (1, 14 * 86400)
        return super().parse_rate(rate)


class TrustedIpThrottle(AnonRateThrottle):
    """Finds the client address itself (e.g. with django_apisec's client_ip())."""

    def get_ident(self, request: Any) -> str:
        return str(request.META["REMOTE_ADDR"])


class HashedTokenAuthentication(TokenAuthentication):
    """Uses its own token model (hashed, expiring)."""

    model = object


NOT_CALLABLE = 42


def rest_framework(production_settings: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """Production's REST_FRAMEWORK with ``changes`` (a key set to ``...`` is removed)."""
    merged = {**production_settings["REST_FRAMEWORK"], **changes}
    return {key: value for key, value in merged.items() if value is not ...}


def drf_ids(deploy_ids: DeployIds, production_settings: dict[str, Any], **changes: Any) -> set[str]:
    """Deploy-check ids with production's REST_FRAMEWORK plus ``changes``."""
    return deploy_ids(REST_FRAMEWORK=rest_framework(production_settings, **changes))


def ids(messages: list[CheckMessage]) -> list[str]:
    """The ids of ``messages``, in order."""
    return [str(message.id) for message in messages]


def test_production_settings_raise_nothing(deploy_ids: DeployIds) -> None:
    assert {i for i in deploy_ids() if i.startswith(("apisec.E1", "apisec.W1"))} == set()


# harden() installs django_apisec's throttles; these rows are about DRF's stock ones.
DRF_THROTTLES = {
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
        # The testproject authenticates API keys: without their throttle, apisec.E430.
        "django_apisec.apikeys.throttling.ApiKeyRateThrottle",
    ]
}
# The per-key rate, for rows that replace every rate (without it, apisec.E415).
KEY_RATE = {"api_key": "600/min"}

BREAKING_ROWS = [
    ({"DEFAULT_PERMISSION_CLASSES": ...}, "apisec.E101"),
    ({"DEFAULT_PERMISSION_CLASSES": []}, "apisec.E101"),
    ({"DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"]}, "apisec.E101"),
    ({"DEFAULT_PERMISSION_CLASSES": [IsAuthenticated | AllowAny]}, "apisec.E101"),
    (
        {
            "DEFAULT_RENDERER_CLASSES": [
                "rest_framework.renderers.JSONRenderer",
                "rest_framework.renderers.BrowsableAPIRenderer",
            ]
        },
        "apisec.W102",
    ),
    ({"DEFAULT_THROTTLE_CLASSES": []}, "apisec.E103"),
    ({"DEFAULT_THROTTLE_CLASSES": ...}, "apisec.E103"),
    (
        {
            # Without API keys (their throttle is not DRF's; with it, apisec.E430 too).
            "DEFAULT_AUTHENTICATION_CLASSES": [
                "django_apisec.jwt.authentication.JWTSessionAuthentication"
            ],
            "DEFAULT_THROTTLE_CLASSES": DRF_THROTTLES["DEFAULT_THROTTLE_CLASSES"][:2],
            "DEFAULT_THROTTLE_RATES": {"anon": None, "user": None},
        },
        "apisec.E103",
    ),
    ({**DRF_THROTTLES, "DEFAULT_THROTTLE_RATES": {"user": "600/min", **KEY_RATE}}, "apisec.E104"),
    (
        {"DEFAULT_THROTTLE_RATES": {"anon": "10/fortnight", "user": "600/min", **KEY_RATE}},
        "apisec.E105",
    ),
    ({"DEFAULT_THROTTLE_RATES": {"anon": "abc", "user": "600/min", **KEY_RATE}}, "apisec.E105"),
    ({"DEFAULT_PAGINATION_CLASS": None}, "apisec.E106"),
    ({"DEFAULT_PAGINATION_CLASS": ...}, "apisec.E106"),
    ({"PAGE_SIZE": ...}, "apisec.E107"),
    (
        {"DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination"},
        "apisec.E108",
    ),
    ({"DEFAULT_PAGINATION_CLASS": "tests.test_checks_drf.ClientSizedPagination"}, "apisec.E108"),
    (
        {
            "DEFAULT_AUTHENTICATION_CLASSES": [
                "django_apisec.jwt.authentication.JWTSessionAuthentication",
                "rest_framework.authentication.BasicAuthentication",
            ]
        },
        "apisec.W109",
    ),
    (
        {
            "DEFAULT_AUTHENTICATION_CLASSES": [
                "django_apisec.jwt.authentication.JWTSessionAuthentication",
                "rest_framework.authentication.TokenAuthentication",
            ]
        },
        "apisec.W110",
    ),
    ({"EXCEPTION_HANDLER": "rest_framework.views.exception_handler"}, "apisec.W111"),
    ({"EXCEPTION_HANDLER": ...}, "apisec.W111"),
    ({"DEFAULT_FILTER_BACKENDS": ["no.such.FilterBackend"]}, "apisec.E112"),
    ({**DRF_THROTTLES, "NUM_PROXIES": None}, "apisec.E113"),
    ({**DRF_THROTTLES, "NUM_PROXIES": ...}, "apisec.E113"),
]


@pytest.mark.parametrize(("changes", "expected"), BREAKING_ROWS)
def test_each_insecure_setting_alone(
    deploy_ids: DeployIds,
    production_settings: dict[str, Any],
    changes: dict[str, Any],
    expected: str,
) -> None:
    baseline = deploy_ids()
    assert drf_ids(deploy_ids, production_settings, **changes) - baseline == {expected}


def test_unusable_max_page_size_alone(deploy_ids: DeployIds) -> None:
    # The setting's own id; not E108 too: the paginator then ignores ?page_size= altogether.
    baseline = deploy_ids()
    assert deploy_ids(APISEC_MAX_PAGE_SIZE=0) - baseline == {"apisec.E609"}


def test_missing_rest_framework_is_insecure(deploy_ids: DeployIds) -> None:
    found = deploy_ids(REST_FRAMEWORK={})
    # DRF's defaults: AllowAny, browsable API, no throttles, no pagination, Basic auth.
    assert {"apisec.E101", "apisec.W102", "apisec.E103", "apisec.E106", "apisec.W109"} <= found
    assert {"apisec.E112", "apisec.E104", "apisec.E105"}.isdisjoint(found)


@override_settings()
def test_rest_framework_not_set_at_all() -> None:
    from django.conf import settings

    del settings.REST_FRAMEWORK
    assert ids(drf.check_default_permissions()) == ["apisec.E101"]
    assert drf.check_importable() == []


def test_config_checks_run_without_deploy() -> None:
    from django.core.checks import run_checks

    with override_settings(REST_FRAMEWORK={"DEFAULT_FILTER_BACKENDS": ["no.such.Backend"]}):
        found = {m.id for m in run_checks(include_deployment_checks=False)}
    assert "apisec.E112" in found
    assert "apisec.E101" not in found


@pytest.mark.parametrize(
    ("permissions", "flagged"),
    [
        ([AllowAny], True),
        ([IsAuthenticated, AllowAny], False),  # DRF requires all of them: IsAuthenticated wins
        ([AllowAny | IsAdminUser], True),
        ([IsAdminUser | IsAuthenticated], False),
        ([AllowAny & AllowAny], True),
        ([AllowAny & IsAuthenticated], False),
        ([~IsAuthenticated], False),
        (["rest_framework.permissions.AllowAny", "no.such.Permission"], False),
        ([NOT_CALLABLE], False),
        ("rest_framework.permissions.AllowAny", True),
        (AllowAny, True),
    ],
)
def test_permission_compositions(permissions: Any, flagged: bool) -> None:
    with override_settings(REST_FRAMEWORK={"DEFAULT_PERMISSION_CLASSES": permissions}):
        assert bool(drf.check_default_permissions()) is flagged


def test_messages_name_what_they_found() -> None:
    with override_settings(
        REST_FRAMEWORK={
            "DEFAULT_THROTTLE_CLASSES": [BurstThrottle],
            "DEFAULT_THROTTLE_RATES": {"anon": "1/fortnight"},
        }
    ):
        (scope,) = drf_limits.check_throttle_scopes()
        (rate,) = drf_limits.check_throttle_rates()
    assert "'burst'" in scope.msg
    assert "tests.test_checks_drf.BurstThrottle" in scope.msg
    assert "['anon']" in rate.msg
    assert "'1/fortnight'" in rate.msg
    assert rate.hint


@pytest.mark.parametrize(
    ("throttles", "rates", "scope_ids", "rate_ids"),
    [
        ([FixedRateThrottle], {}, [], []),
        ([ScopelessThrottle], {}, ["apisec.E104"], []),
        ([ScopedRateThrottle], {"uploads": "5/min"}, [], []),
        ([ScopedRateThrottle], {"uploads": "5/fortnight"}, [], ["apisec.E105"]),
        ([OwnTableThrottle], {}, [], []),
        ([FortnightThrottle], {"slow": "1/fortnight"}, [], []),
        ([FortnightThrottle], {"slow": "x/fortnight"}, [], ["apisec.E105"]),
        ([BurstThrottle], {"burst": "10/s", "anon": None}, [], []),
        ([BurstThrottle], {"burst": "10/second", "user": "100/hour", "x": "5/day"}, [], []),
        ([AnonRateThrottle], "60/min", [], ["apisec.E105"]),
        ([AnonRateThrottle], {"anon": 60}, [], ["apisec.E105"]),
        ([AnonRateThrottle], {"anon": "60/"}, [], ["apisec.E105"]),
        (["no.such.Throttle"], {}, [], []),
    ],
)
def test_throttle_scopes_and_rates(
    throttles: list[Any], rates: Any, scope_ids: list[str], rate_ids: list[str]
) -> None:
    config = {"DEFAULT_THROTTLE_CLASSES": throttles, "DEFAULT_THROTTLE_RATES": rates}
    with override_settings(REST_FRAMEWORK=config):
        assert ids(drf_limits.check_throttle_scopes()) == scope_ids
        assert ids(drf_limits.check_throttle_rates()) == rate_ids


@pytest.mark.parametrize(
    ("throttles", "rates", "flagged"),
    [
        ([AnonRateThrottle, UserRateThrottle], {"anon": None, "user": None}, True),
        ([AnonRateThrottle, UserRateThrottle], {"anon": None, "user": "1/s"}, False),
        ([AnonRateThrottle], {}, False),  # a missing rate is E104's finding
        ([FixedRateThrottle], {}, False),
        ([ScopedRateThrottle], {}, False),
        (["no.such.Throttle"], {}, False),
        ([NOT_CALLABLE], {}, False),
    ],
)
def test_switched_off_throttles(throttles: list[Any], rates: Any, flagged: bool) -> None:
    config = {"DEFAULT_THROTTLE_CLASSES": throttles, "DEFAULT_THROTTLE_RATES": rates}
    with override_settings(REST_FRAMEWORK=config):
        assert bool(drf_limits.check_throttling_enabled()) is flagged


@pytest.mark.parametrize(
    ("paginator", "config", "size_ids", "bound_ids"),
    [
        (OwnSizePagination, {}, [], []),
        (PageNumberPagination, {}, ["apisec.E107"], []),
        (PageNumberPagination, {"PAGE_SIZE": 0}, ["apisec.E107"], []),
        ("rest_framework.pagination.LimitOffsetPagination", {}, ["apisec.E107"], ["apisec.E108"]),
        (CursorPagination, {"PAGE_SIZE": 10}, [], []),
        (ClientSizedPagination, {"PAGE_SIZE": 10}, [], ["apisec.E108"]),
        (CappedClientSizedPagination, {"PAGE_SIZE": 10}, [], []),
        (RaisingPagination, {"PAGE_SIZE": 10}, [], []),
        (HandRolledPagination, {}, [], []),
        ("no.such.Pagination", {}, [], []),
        (dotted_paths.BOUNDED_PAGINATION, {"PAGE_SIZE": 10}, [], []),
        (dotted_paths.BOUNDED_PAGINATION, {}, ["apisec.E107"], []),
    ],
)
def test_pagination_classes(
    paginator: Any, config: dict[str, Any], size_ids: list[str], bound_ids: list[str]
) -> None:
    with override_settings(REST_FRAMEWORK={"DEFAULT_PAGINATION_CLASS": paginator, **config}):
        assert ids(drf_limits.check_page_size()) == size_ids
        assert ids(drf_limits.check_page_size_bound()) == bound_ids


@pytest.mark.parametrize(
    ("bound", "flagged"),
    [(100, False), (1, False), (0, True), (-5, True), (None, True), ("abc", True), ("50", True)],
)
def test_bounded_pagination_setting(bound: Any, flagged: bool) -> None:
    # An unusable bound is the setting's error (E609), never E108: ?page_size= is then ignored.
    config = {"DEFAULT_PAGINATION_CLASS": dotted_paths.BOUNDED_PAGINATION, "PAGE_SIZE": 10}
    with override_settings(REST_FRAMEWORK=config, APISEC_MAX_PAGE_SIZE=bound):
        assert drf_limits.check_page_size_bound() == []
        ids = [m.id for m in settings_checks.check_settings_usable()]
    assert ids == (["apisec.E609"] if flagged else [])


@pytest.mark.parametrize(
    ("backends", "expected"),
    [
        (["rest_framework.authentication.BasicAuthentication"], ["apisec.W109"]),
        (["rest_framework.authentication.TokenAuthentication"], ["apisec.W110"]),
        ([HashedTokenAuthentication], []),
        (["rest_framework.authentication.SessionAuthentication"], []),
    ],
)
def test_authentication_classes(backends: list[Any], expected: list[str]) -> None:
    with override_settings(REST_FRAMEWORK={"DEFAULT_AUTHENTICATION_CLASSES": backends}):
        found = drf.check_basic_authentication() + drf.check_token_authentication()
    assert ids(found) == expected


@pytest.mark.parametrize(
    ("handler", "flagged"),
    [
        ("django_apisec.http.exception_handler.exception_handler", False),
        (gettext_lazy("django_apisec.http.exception_handler.exception_handler"), False),
        ("rest_framework.views.exception_handler", True),
        (None, True),
    ],
)
def test_exception_handler(handler: Any, flagged: bool) -> None:
    with override_settings(REST_FRAMEWORK={"EXCEPTION_HANDLER": handler}):
        assert bool(drf.check_exception_handler()) is flagged


def test_exception_handler_given_as_function() -> None:
    from django_apisec.http.exception_handler import exception_handler

    with override_settings(REST_FRAMEWORK={"EXCEPTION_HANDLER": exception_handler}):
        assert drf.check_exception_handler() == []


@pytest.mark.parametrize(
    ("config", "count"),
    [
        ({"DEFAULT_FILTER_BACKENDS": ["no.such.Backend", "no_such_module.Backend"]}, 2),
        ({"DEFAULT_PERMISSION_CLASSES": "rest_framework.permissions.IsAuthenticated"}, 1),
        ({"DEFAULT_PERMISSION_CLASSES": None}, 1),
        ({"DEFAULT_PAGINATION_CLASS": ["rest_framework.pagination.PageNumberPagination"]}, 1),
        ({"DEFAULT_PAGINATION_CLASS": None}, 0),
        ({"DEFAULT_PAGINATION_CLASS": PageNumberPagination}, 0),
        ({"EXCEPTION_HANDLER": "tests.test_checks_drf.NOT_CALLABLE"}, 1),
        ({"DEFAULT_RENDERER_CLASSES": [NOT_CALLABLE]}, 1),
        ({"DEFAULT_THROTTLE_RATES": "not a class setting"}, 0),
    ],
)
def test_importable(config: dict[str, Any], count: int) -> None:
    with override_settings(REST_FRAMEWORK=config):
        found = drf.check_importable()
    assert ids(found) == ["apisec.E112"] * count


@pytest.mark.parametrize("value", [None, [], "REST_FRAMEWORK", 42])
def test_rest_framework_not_a_dict(value: Any) -> None:
    with override_settings(REST_FRAMEWORK=value):
        assert ids(drf.check_importable()) == ["apisec.E112"]


def test_importable_reports_the_import_error() -> None:
    with override_settings(REST_FRAMEWORK={"DEFAULT_FILTER_BACKENDS": ["no_such_module.X"]}):
        (message,) = drf.check_importable()
    assert "REST_FRAMEWORK['DEFAULT_FILTER_BACKENDS']" in message.msg
    assert "ModuleNotFoundError" in message.msg


@pytest.mark.parametrize(
    ("throttles", "flagged"),
    [
        (["rest_framework.throttling.AnonRateThrottle"], True),
        ([ScopedRateThrottle], True),
        ([TrustedIpThrottle], False),
        ([NOT_CALLABLE], False),
        ([], False),
    ],
)
def test_num_proxies(throttles: list[Any], flagged: bool) -> None:
    config = {"DEFAULT_THROTTLE_CLASSES": throttles, "NUM_PROXIES": None}
    with override_settings(REST_FRAMEWORK=config):
        assert bool(drf_limits.check_num_proxies()) is flagged
    with override_settings(REST_FRAMEWORK={**config, "NUM_PROXIES": 0}):
        assert drf_limits.check_num_proxies() == []


def test_ids_are_in_the_drf_hundred() -> None:
    ours = [i for i in MESSAGES if i.startswith(("apisec.E1", "apisec.W1"))]
    assert len(ours) == 13
    assert all(MESSAGES[i].hint for i in ours)


CHECKS = [
    drf.check_default_permissions,
    drf.check_browsable_api,
    drf_limits.check_throttling_enabled,
    drf_limits.check_throttle_scopes,
    drf_limits.check_throttle_rates,
    drf_limits.check_pagination_enabled,
    drf_limits.check_page_size,
    drf_limits.check_page_size_bound,
    drf.check_basic_authentication,
    drf.check_token_authentication,
    drf.check_exception_handler,
    drf.check_importable,
    drf_limits.check_num_proxies,
]

WEIRD_VALUES = [
    None,
    42,
    "",
    "no.such.Thing",
    "rest_framework",
    [None, 42, "", "no.such.Thing"],
    {"a": 1},
    lambda: None,
    gettext_lazy("rest_framework.permissions.AllowAny"),
    SimpleLazyObject(lambda: "rest_framework.permissions.AllowAny"),
    object(),
    AllowAny(),
]
KEYS = [
    "DEFAULT_PERMISSION_CLASSES",
    "DEFAULT_RENDERER_CLASSES",
    "DEFAULT_THROTTLE_CLASSES",
    "DEFAULT_THROTTLE_RATES",
    "DEFAULT_PAGINATION_CLASS",
    "DEFAULT_AUTHENTICATION_CLASSES",
    "EXCEPTION_HANDLER",
    "PAGE_SIZE",
    "NUM_PROXIES",
]


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("value", WEIRD_VALUES, ids=value_id)
def test_weird_values_never_crash(key: str, value: Any) -> None:
    with override_settings(REST_FRAMEWORK={key: value}):
        for check in CHECKS:
            assert isinstance(check(), list)


@pytest.mark.parametrize("value", WEIRD_VALUES, ids=value_id)
def test_weird_rest_framework_never_crashes(value: Any) -> None:
    with override_settings(REST_FRAMEWORK=value):
        for check in CHECKS:
            assert isinstance(check(), list)


@pytest.mark.parametrize(
    "throttle",
    [
        type("RateIsList", (AnonRateThrottle,), {"scope": ["anon"]}),
        type("TableIsList", (AnonRateThrottle,), {"THROTTLE_RATES": ["anon"]}),
        type("ParserRaises", (AnonRateThrottle,), {"parse_rate": None}),
    ],
)
def test_weird_throttle_classes_never_crash(throttle: type[Any]) -> None:
    config = {"DEFAULT_THROTTLE_CLASSES": [throttle], "DEFAULT_THROTTLE_RATES": {"anon": "1/s"}}
    with override_settings(REST_FRAMEWORK=config):
        for check in CHECKS:
            assert isinstance(check(), list)

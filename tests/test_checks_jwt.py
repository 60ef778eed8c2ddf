"""simplejwt checks: each insecure SIMPLE_JWT setting, alone, yields exactly its id."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import jwt.algorithms
import pytest
from django.test import override_settings
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy

from django_apisec.checks import jwt as jwt_checks
from django_apisec.checks import jwt_keys as jwt_key_checks
from django_apisec.checks.registry import MESSAGES
from tests.checks_support import value_id

if TYPE_CHECKING:
    from django.core.checks import CheckMessage

    from tests.conftest import DeployIds

STRONG_KEY = "Qm9yZWQ-yet-r4nd0m_K3y.for/the+JWT=tests!" + "x7Y8z9" * 5
TEST_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "rest_framework",
    "corsheaders",
    "drf_spectacular",
    "django_apisec",
    "testproject.api",
]
JWT_AUTH_PATH = "rest_framework_simplejwt.authentication.JWTAuthentication"
JWT_AUTH = {"DEFAULT_AUTHENTICATION_CLASSES": [JWT_AUTH_PATH]}


def simple_jwt(production_settings: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """Production's SIMPLE_JWT with ``changes`` (a key set to ``...`` is removed)."""
    merged = {**production_settings["SIMPLE_JWT"], **changes}
    return {key: value for key, value in merged.items() if value is not ...}


def ids(messages: list[CheckMessage]) -> list[str]:
    """The ids of ``messages``, in order."""
    return [str(message.id) for message in messages]


def test_production_settings_raise_nothing(deploy_ids: DeployIds) -> None:
    assert {i for i in deploy_ids() if i.startswith(("apisec.E2", "apisec.W2"))} == set()


SECRET = "prod-secret-key-for-tests-" + "s" * 50  # tests/conftest.py PRODUCTION_ENV

BREAKING_ROWS = [
    ({"SIGNING_KEY": ...}, "apisec.E201"),
    ({"SIGNING_KEY": SECRET}, "apisec.E201"),
    ({"SIGNING_KEY": "Zx8#qL2v!Pm4-short"}, "apisec.E202"),
    ({"SIGNING_KEY": STRONG_KEY[:31]}, "apisec.E202"),
    ({"SIGNING_KEY": "a" * 64}, "apisec.E203"),
    ({"SIGNING_KEY": "secret-" * 10}, "apisec.E203"),
    ({"SIGNING_KEY": "a-string-secret-at-least-256-bits-long"}, "apisec.E203"),
    ({"ALGORITHM": "none"}, "apisec.E204"),
    ({"ALGORITHM": "HS257"}, "apisec.E204"),
    ({"ACCESS_TOKEN_LIFETIME": timedelta(hours=2)}, "apisec.E206"),
    ({"ACCESS_TOKEN_LIFETIME": 7200}, "apisec.E206"),
    ({"ACCESS_TOKEN_LIFETIME": timedelta(days=30)}, "apisec.E206"),
    ({"ACCESS_TOKEN_LIFETIME": timedelta(minutes=30)}, "apisec.W207"),
    ({"REFRESH_TOKEN_LIFETIME": timedelta(days=90)}, "apisec.W208"),
    ({"LEEWAY": 300}, "apisec.W211"),
    ({"LEEWAY": timedelta(minutes=5)}, "apisec.W211"),
]
# Keys only simplejwt's own views or authentication read: production (our token families only)
# ignores them, so each row first mounts simplejwt's views and adds its JWTAuthentication,
# configured as the checks ask; then the change adds exactly its id.
SIMPLEJWT_URLS = "tests.simplejwt_urls"
OWN_STACK_BASE = {"ROTATE_REFRESH_TOKENS": True, "BLACKLIST_AFTER_ROTATION": True}
OWN_STACK_ROWS = [
    ({"BLACKLIST_AFTER_ROTATION": False}, "apisec.E209"),
    ({"ROTATE_REFRESH_TOKENS": False}, "apisec.W210"),
    ({"ROTATE_REFRESH_TOKENS": ...}, "apisec.W210"),
    ({"JWK_URL": "http://idp.example.com/.well-known/jwks.json"}, "apisec.E212"),
    ({"AUTH_TOKEN_CLASSES": ("rest_framework_simplejwt.tokens.SlidingToken",)}, "apisec.W213"),
    ({"UPDATE_LAST_LOGIN": True}, "apisec.W214"),
    ({"CHECK_REVOKE_TOKEN": False}, "apisec.W215"),
    ({"CHECK_REVOKE_TOKEN": ...}, "apisec.W215"),
]


@pytest.mark.parametrize(("changes", "expected"), BREAKING_ROWS)
def test_each_insecure_setting_alone(
    deploy_ids: DeployIds,
    production_settings: dict[str, Any],
    changes: dict[str, Any],
    expected: str,
) -> None:
    baseline = deploy_ids()
    found = deploy_ids(SIMPLE_JWT=simple_jwt(production_settings, **changes))
    assert found - baseline == {expected}


def own_stack(production_settings: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """Production plus simplejwt's own views and JWTAuthentication, with ``changes``."""
    rest_framework = production_settings["REST_FRAMEWORK"]
    authentication = [*rest_framework["DEFAULT_AUTHENTICATION_CLASSES"], JWT_AUTH_PATH]
    return {
        "ROOT_URLCONF": SIMPLEJWT_URLS,
        "REST_FRAMEWORK": {**rest_framework, "DEFAULT_AUTHENTICATION_CLASSES": authentication},
        "SIMPLE_JWT": simple_jwt(
            production_settings, **{**OWN_STACK_BASE, "CHECK_REVOKE_TOKEN": True, **changes}
        ),
    }


@pytest.mark.parametrize(("changes", "expected"), OWN_STACK_ROWS)
def test_each_insecure_setting_of_simplejwts_own_stack_alone(
    deploy_ids: DeployIds,
    production_settings: dict[str, Any],
    changes: dict[str, Any],
    expected: str,
) -> None:
    baseline = deploy_ids(**own_stack(production_settings))
    assert {i for i in baseline if ".E2" in i or ".W2" in i} == set()
    assert deploy_ids(**own_stack(production_settings, **changes)) - baseline == {expected}
    # Our token families read none of these keys: without simplejwt's own stack, nothing.
    unchanged = deploy_ids(SIMPLE_JWT=simple_jwt(production_settings, **changes))
    assert expected not in unchanged


def test_signing_key_is_an_old_secret_key(
    deploy_ids: DeployIds, production_settings: dict[str, Any]
) -> None:
    baseline = deploy_ids()
    signing_key = production_settings["SIMPLE_JWT"]["SIGNING_KEY"]
    assert deploy_ids(SECRET_KEY_FALLBACKS=[signing_key]) - baseline == {"apisec.E201"}


def test_simplejwt_views_without_the_blacklist_app(deploy_ids: DeployIds) -> None:
    baseline = deploy_ids()
    assert deploy_ids(INSTALLED_APPS=TEST_APPS) - baseline == set()  # our stack needs no app
    mounted = deploy_ids(ROOT_URLCONF=SIMPLEJWT_URLS, INSTALLED_APPS=TEST_APPS)
    assert mounted - baseline == {"apisec.E209"}


def test_e209_names_the_view_and_the_route() -> None:
    with override_settings(ROOT_URLCONF=SIMPLEJWT_URLS, INSTALLED_APPS=TEST_APPS):
        (message,) = jwt_checks.check_refresh_rotation()
    assert "tests.simplejwt_urls.TokenObtainPairView at token/" in message.msg
    assert "'rest_framework_simplejwt.token_blacklist' is not in INSTALLED_APPS" in message.msg
    assert "django_apisec.urls" in message.hint


def test_simplejwt_views_are_found_through_subclasses_and_includes() -> None:
    with override_settings(ROOT_URLCONF=SIMPLEJWT_URLS):
        routes = jwt_checks.simplejwt_view_routes()
    assert [route.route for route in routes] == ["token/", "token/refresh/"]
    assert jwt_checks.simplejwt_view_routes() == []  # the testproject mounts none


@pytest.mark.parametrize(
    ("authentication", "own", "revocable"),
    [
        (["django_apisec.jwt.authentication.JWTSessionAuthentication"], False, False),
        ([JWT_AUTH_PATH], True, True),
        ([gettext_lazy(JWT_AUTH_PATH)], True, True),
        (["rest_framework_simplejwt.authentication.JWTStatelessUserAuthentication"], True, False),
        (["rest_framework_simplejwt.authentication.NoSuchClass"], True, False),
        (["rest_framework.authentication.SessionAuthentication"], False, False),
    ],
)
def test_which_authentication_is_simplejwts_own(
    authentication: list[Any], own: bool, revocable: bool
) -> None:
    config = {"DEFAULT_AUTHENTICATION_CLASSES": authentication}
    with override_settings(REST_FRAMEWORK=config, SIMPLE_JWT={}):
        assert jwt_checks.simplejwt_own_stack() is own
        # W215 only where CHECK_REVOKE_TOKEN would change something: JWTAuthentication.get_user.
        assert bool(jwt_checks.check_revoke_token()) is revocable


def test_a_subclass_of_simplejwts_authentication_counts() -> None:
    from rest_framework_simplejwt.authentication import JWTAuthentication

    class CompanyAuthentication(JWTAuthentication):
        pass

    config = {"DEFAULT_AUTHENTICATION_CLASSES": [CompanyAuthentication]}
    with override_settings(REST_FRAMEWORK=config, SIMPLE_JWT={}):
        (message,) = jwt_checks.check_revoke_token()
    assert "CompanyAuthentication accepts access tokens" in message.msg


def test_a_view_naming_simplejwts_authentication_counts() -> None:
    with override_settings(ROOT_URLCONF="tests.simplejwt_auth_urls", SIMPLE_JWT={}):
        (message,) = jwt_checks.check_revoke_token()
        assert jwt_checks.check_refresh_rotation() == []  # no simplejwt view is mounted
    assert message.msg.startswith(JWT_AUTH_PATH)


def test_asymmetric_algorithm_without_verifying_key(
    deploy_ids: DeployIds, production_settings: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jwt.algorithms, "has_crypto", True)
    baseline = deploy_ids()
    rs256 = simple_jwt(production_settings, ALGORITHM="RS256")
    assert deploy_ids(SIMPLE_JWT=rs256) - baseline == {"apisec.E205"}
    with_key = {**rs256, "VERIFYING_KEY": "-----BEGIN PUBLIC KEY-----..."}
    assert deploy_ids(SIMPLE_JWT=with_key) - baseline == set()
    with_jwks = {**rs256, "JWK_URL": "https://idp.example.com/jwks.json"}
    assert deploy_ids(SIMPLE_JWT=with_jwks) - baseline == set()


def test_asymmetric_algorithm_without_cryptography(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jwt.algorithms, "has_crypto", False)
    config = {"ALGORITHM": "ES256", "VERIFYING_KEY": "pem"}
    with override_settings(SIMPLE_JWT=config):
        (message,) = jwt_key_checks.check_algorithm()
    assert message.id == "apisec.E204"
    assert "cryptography" in message.msg


def test_config_checks_run_without_deploy() -> None:
    from django.core.checks import run_checks

    with override_settings(SIMPLE_JWT={"ALGORITHM": "none", "SIGNING_KEY": STRONG_KEY}):
        found = {m.id for m in run_checks(include_deployment_checks=False)}
    assert "apisec.E204" in found
    assert "apisec.W215" not in found


@pytest.mark.parametrize(
    ("apps", "rest_framework", "in_use"),
    [
        (TEST_APPS, {}, False),
        (TEST_APPS, JWT_AUTH, True),
        ([*TEST_APPS, "rest_framework_simplejwt"], {}, True),
        (
            [*TEST_APPS, "rest_framework_simplejwt.token_blacklist.apps.TokenBlacklistConfig"],
            {},
            True,
        ),
        (
            TEST_APPS,
            {"DEFAULT_AUTHENTICATION_CLASSES": [gettext_lazy(JWT_AUTH_PATH)]},
            True,
        ),
    ],
)
def test_only_when_simplejwt_is_in_use(
    apps: list[str], rest_framework: dict[str, Any], in_use: bool
) -> None:
    with override_settings(INSTALLED_APPS=apps, REST_FRAMEWORK=rest_framework, SIMPLE_JWT={}):
        assert jwt_checks.simplejwt_in_use() is in_use
        # Unset, simplejwt signs with SECRET_KEY: reported only when simplejwt is used.
        assert bool(jwt_key_checks.check_signing_key_separate()) is in_use


INSECURE_JWT = {
    "SIGNING_KEY": "secret",
    "ALGORITHM": "none",
    "ACCESS_TOKEN_LIFETIME": timedelta(days=30),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=365),
    "ROTATE_REFRESH_TOKENS": True,
    "LEEWAY": 3600,
    "JWK_URL": "http://idp.example.com/jwks.json",
    "AUTH_TOKEN_CLASSES": ["rest_framework_simplejwt.tokens.SlidingToken"],
    "UPDATE_LAST_LOGIN": True,
}


@pytest.mark.parametrize("algorithm", ["none", "HS256", "RS256"])
def test_nothing_reported_when_simplejwt_is_not_used(algorithm: str) -> None:
    config = {**INSECURE_JWT, "ALGORITHM": algorithm}
    with override_settings(INSTALLED_APPS=TEST_APPS, REST_FRAMEWORK={}, SIMPLE_JWT=config):
        assert [message for check in CHECKS for message in check()] == []
    own = {"ROOT_URLCONF": SIMPLEJWT_URLS, "REST_FRAMEWORK": JWT_AUTH}
    with override_settings(**own, INSTALLED_APPS=TEST_APPS, SIMPLE_JWT=config):
        assert {message.id for check in CHECKS for message in check()} >= {
            "apisec.E206",
            "apisec.W208",
            "apisec.E209",
            "apisec.W211",
            "apisec.E212",
            "apisec.W213",
            "apisec.W214",
            "apisec.W215",
        }


def test_in_use_through_a_class_object() -> None:
    from rest_framework_simplejwt.authentication import JWTStatelessUserAuthentication

    config = {"DEFAULT_AUTHENTICATION_CLASSES": [JWTStatelessUserAuthentication]}
    with override_settings(INSTALLED_APPS=TEST_APPS, REST_FRAMEWORK=config):
        assert jwt_checks.simplejwt_in_use() is True


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        (None, "empty"),
        ("", "empty"),
        (42, "not a string"),
        (SECRET.encode(), "is SECRET_KEY"),
        (gettext_lazy(SECRET), "is SECRET_KEY"),
        (STRONG_KEY, None),
        (STRONG_KEY.encode(), None),
    ],
)
def test_signing_key_reasons(key: Any, reason: str | None) -> None:
    with override_settings(SECRET_KEY=SECRET, SIMPLE_JWT={"SIGNING_KEY": key}):
        messages = jwt_key_checks.check_signing_key_separate()
    if reason is None:
        assert messages == []
    else:
        (message,) = messages
        assert reason in message.msg


def test_empty_secret_key_never_crashes() -> None:
    # Django raises ImproperlyConfigured when an empty SECRET_KEY is read.
    with override_settings(SECRET_KEY="", SIMPLE_JWT={}):
        assert jwt_key_checks.signing_key() is None
        assert ids(jwt_key_checks.check_signing_key_separate()) == ["apisec.E201"]
        assert jwt_key_checks.check_hmac_key_length() == []
        assert jwt_key_checks.check_hmac_key_strength() == []


@pytest.mark.parametrize(
    ("algorithm", "length", "flagged"),
    [
        ("HS256", 31, True),
        ("HS256", 32, False),
        ("HS384", 47, True),
        ("HS384", 48, False),
        ("HS512", 63, True),
        ("HS512", 64, False),
        ("RS256", 10, False),
    ],
)
def test_hmac_key_length(algorithm: str, length: int, flagged: bool) -> None:
    key = (STRONG_KEY * 3)[:length]
    with override_settings(SIMPLE_JWT={"ALGORITHM": algorithm, "SIGNING_KEY": key}):
        messages = jwt_key_checks.check_hmac_key_length()
    assert bool(messages) is flagged
    if flagged:
        assert f"{length} bytes" in messages[0].msg


def test_multibyte_key_length_counts_bytes() -> None:
    key = "é" * 16  # 16 characters, 32 UTF-8 bytes, and varied enough for E203
    with override_settings(SIMPLE_JWT={"ALGORITHM": "HS256", "SIGNING_KEY": key}):
        assert jwt_key_checks.check_hmac_key_length() == []


@pytest.mark.parametrize(
    ("key", "weak"),
    [
        ("secret", True),
        ("  SECRET  ", True),
        ("your-256-bit-secret" * 3, True),
        ("changeme_changeme_changeme_changeme", True),
        ("abcdefg" * 10, True),
        (bytes(range(7)) * 10, True),
        (STRONG_KEY, False),
        ("0123456789abcdef" * 4, False),  # a hex key: 16 distinct characters
        ("secret-" + STRONG_KEY, False),
    ],
)
def test_weak_keys(key: str | bytes, weak: bool) -> None:
    with override_settings(SIMPLE_JWT={"SIGNING_KEY": key}):
        assert bool(jwt_key_checks.check_hmac_key_strength()) is weak


@pytest.mark.parametrize(
    ("algorithm", "flagged"),
    [
        ("HS256", False),
        ("RS512", False),
        ("EdDSA", False),
        ("PS256", False),
        ("none", True),
        ("NONE", True),
        ("hs256", True),
        ("", True),
        (None, True),
        (["HS256"], True),
    ],
)
def test_algorithms(algorithm: Any, flagged: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jwt.algorithms, "has_crypto", True)
    with override_settings(SIMPLE_JWT={"ALGORITHM": algorithm, "SIGNING_KEY": STRONG_KEY}):
        assert bool(jwt_key_checks.check_algorithm()) is flagged


@pytest.mark.parametrize(
    ("lifetime", "expected"),
    [
        (timedelta(minutes=15), []),
        (900, []),
        (900.5, ["apisec.W207"]),
        (timedelta(hours=1), ["apisec.W207"]),
        (timedelta(hours=1, seconds=1), ["apisec.E206"]),
        (None, []),
        ("15 minutes", []),
        (True, []),
    ],
)
def test_access_token_lifetime(lifetime: Any, expected: list[str]) -> None:
    with override_settings(SIMPLE_JWT={"ACCESS_TOKEN_LIFETIME": lifetime}):
        assert ids(jwt_checks.check_access_token_lifetime()) == expected


def test_lifetime_is_named_in_the_message() -> None:
    with override_settings(SIMPLE_JWT={"ACCESS_TOKEN_LIFETIME": 7200}):
        (message,) = jwt_checks.check_access_token_lifetime()
    assert "7200 seconds" in message.msg


def test_defaults_are_simplejwts() -> None:
    # simplejwt's own defaults: 5-minute access, 1-day refresh, no rotation, no revocation.
    own = {"ROOT_URLCONF": SIMPLEJWT_URLS, "REST_FRAMEWORK": JWT_AUTH}
    with override_settings(**own, SIMPLE_JWT={"SIGNING_KEY": STRONG_KEY}):
        assert jwt_checks.check_access_token_lifetime() == []
        assert jwt_checks.check_refresh_token_lifetime() == []
        assert ids(jwt_checks.check_refresh_rotation()) == ["apisec.W210"]
        assert ids(jwt_checks.check_revoke_token()) == ["apisec.W215"]
        assert jwt_checks.check_sliding_tokens() == []


@pytest.mark.parametrize(
    ("url", "flagged"),
    [
        ("https://idp.example.com/jwks.json", False),
        ("HTTPS://idp.example.com/jwks.json", False),
        ("http://idp.example.com/jwks.json", True),
        ("//idp.example.com/jwks.json", True),
        (gettext_lazy("http://idp.example.com/jwks.json"), True),
        ("", False),
        (None, False),
        (42, False),
    ],
)
def test_jwk_url(url: Any, flagged: bool) -> None:
    with override_settings(REST_FRAMEWORK=JWT_AUTH, SIMPLE_JWT={"JWK_URL": url}):
        assert bool(jwt_checks.check_jwk_url()) is flagged


def test_sliding_token_subclass() -> None:
    from rest_framework_simplejwt.tokens import AccessToken, SlidingToken

    class MySliding(SlidingToken):
        pass

    config = {"AUTH_TOKEN_CLASSES": [AccessToken, MySliding, "no.such.Token"]}
    with override_settings(REST_FRAMEWORK=JWT_AUTH, SIMPLE_JWT=config):
        assert ids(jwt_checks.check_sliding_tokens()) == ["apisec.W213"]


def test_blacklist_app_config_path_counts_as_installed() -> None:
    apps = [*TEST_APPS, "rest_framework_simplejwt.token_blacklist.apps.TokenBlacklistConfig"]
    config = {"ROTATE_REFRESH_TOKENS": True, "BLACKLIST_AFTER_ROTATION": True}
    with override_settings(INSTALLED_APPS=apps, ROOT_URLCONF=SIMPLEJWT_URLS, SIMPLE_JWT=config):
        assert jwt_checks.check_refresh_rotation() == []


def test_ids_are_in_the_jwt_hundred() -> None:
    ours = [i for i in MESSAGES if i.startswith(("apisec.E2", "apisec.W2"))]
    assert len(ours) == 15
    assert all(MESSAGES[i].hint for i in ours)


CHECKS = [
    jwt_key_checks.check_signing_key_separate,
    jwt_key_checks.check_hmac_key_length,
    jwt_key_checks.check_hmac_key_strength,
    jwt_key_checks.check_algorithm,
    jwt_key_checks.check_verifying_key,
    jwt_checks.check_access_token_lifetime,
    jwt_checks.check_refresh_token_lifetime,
    jwt_checks.check_refresh_rotation,
    jwt_checks.check_leeway,
    jwt_checks.check_jwk_url,
    jwt_checks.check_sliding_tokens,
    jwt_checks.check_update_last_login,
    jwt_checks.check_revoke_token,
]

WEIRD_VALUES = [
    None,
    42,
    -1,
    1e308,
    float("nan"),
    "",
    "garbage",
    "no.such.Thing",
    b"\xff\xfe",
    [None, 42, "no.such.Thing"],
    {"a": 1},
    timedelta(days=-1),
    timedelta.max,
    lambda: None,
    gettext_lazy("HS256"),
    SimpleLazyObject(lambda: "HS256"),
    object(),
]
KEYS = [
    "SIGNING_KEY",
    "VERIFYING_KEY",
    "ALGORITHM",
    "ACCESS_TOKEN_LIFETIME",
    "REFRESH_TOKEN_LIFETIME",
    "ROTATE_REFRESH_TOKENS",
    "BLACKLIST_AFTER_ROTATION",
    "LEEWAY",
    "JWK_URL",
    "AUTH_TOKEN_CLASSES",
    "UPDATE_LAST_LOGIN",
    "CHECK_REVOKE_TOKEN",
]


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("value", WEIRD_VALUES, ids=value_id)
def test_weird_values_never_crash(key: str, value: Any) -> None:
    with override_settings(SIMPLE_JWT={key: value}):
        for check in CHECKS:
            assert isinstance(check(), list)


@pytest.mark.parametrize("value", [*WEIRD_VALUES, []], ids=value_id)
def test_weird_containers_never_crash(value: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from django.conf import settings

    # Set directly: simplejwt's own setting_changed receiver crashes on a SIMPLE_JWT like 42.
    monkeypatch.setattr(settings, "SIMPLE_JWT", value)
    with override_settings(
        SECRET_KEY_FALLBACKS=value,
        REST_FRAMEWORK={"DEFAULT_AUTHENTICATION_CLASSES": value},
    ):
        for check in CHECKS:
            assert isinstance(check(), list)

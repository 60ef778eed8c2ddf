"""DRF throttle classes: exact buckets, rates read per call, 429 headers, 503 when down."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test import override_settings
from django.urls import path
from rest_framework.response import Response
from rest_framework.test import APIClient, APIRequestFactory
from rest_framework.views import APIView

from django_apisec.abuse import throttling
from django_apisec.abuse.throttling import (
    AnonRateThrottle,
    LoginAccountRateThrottle,
    LoginIPRateThrottle,
    RateThrottle,
    ScopedRateThrottle,
    UserRateThrottle,
    refund_login_throttles,
    throttle_rates,
)
from django_apisec.http.ratelimit import ratelimit_headers
from django_apisec.ownership.permissions import public
from django_apisec.request.state import state_of
from tests.services import UNREACHABLE_URL, redis_caches, require_redis

if TYPE_CHECKING:
    from collections.abc import Iterator

    from rest_framework.request import Request


def close_thread_connection() -> None:
    """Close this thread's database connection (Django keeps in-memory SQLite ones open)."""
    if connection.connection is not None:
        connection.connection.close()
        connection.connection = None


LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


def rates(**scopes: str) -> dict[str, Any]:
    return {
        "DEFAULT_THROTTLE_RATES": scopes,
        "EXCEPTION_HANDLER": "django_apisec.http.exception_handler.exception_handler",
        "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    }


@public
class AnonView(APIView):
    throttle_classes = [AnonRateThrottle]

    def get(self, request: Request) -> Response:
        return Response({"ok": True})


@public
class UserView(AnonView):
    throttle_classes = [UserRateThrottle]


@public
class ScopedView(AnonView):
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "uploads"


@public
class UnscopedView(AnonView):
    throttle_classes = [ScopedRateThrottle]


@public
class BothView(AnonView):
    throttle_classes = [AnonRateThrottle, UserRateThrottle]


@public
class LoginView(APIView):
    """Succeeds when the password is "right" (stands in for authenticate() + the backend)."""

    throttle_classes = [LoginIPRateThrottle, LoginAccountRateThrottle]

    def post(self, request: Request) -> Response:
        if request.data.get("password") == "right":
            refund_login_throttles(request)
            return Response({"ok": True})
        return Response({"detail": "no"}, status=401)


urlpatterns = [
    path("anon/", AnonView.as_view()),
    path("user/", UserView.as_view()),
    path("scoped/", ScopedView.as_view()),
    path("unscoped/", UnscopedView.as_view()),
    path("both/", BothView.as_view()),
    path("login/", LoginView.as_view()),
]

pytestmark = pytest.mark.urls(__name__)


@pytest.fixture(autouse=True)
def _locmem() -> Iterator[None]:
    with override_settings(CACHES=LOCMEM, APISEC_CACHE="default"):
        caches["default"].clear()
        yield


def client(ip: str = "203.0.113.1") -> APIClient:
    return APIClient(REMOTE_ADDR=ip)


def test_anon_throttle_answers_429_with_retry_after_and_ratelimit_headers() -> None:
    with override_settings(REST_FRAMEWORK=rates(anon="2/min")):
        statuses = [client().get("/anon/").status_code for _ in range(3)]
        response = client().get("/anon/")
    assert statuses == [200, 200, 429]
    assert response.json() == {
        "detail": response.json()["detail"],
        "code": "throttled",
    }
    assert 1 <= int(response["Retry-After"]) <= 60
    assert response["RateLimit-Policy"] == '"anon";q=2;w=60'
    assert response["RateLimit"].startswith('"anon";r=0;t=')


def test_rates_are_read_at_call_time() -> None:
    with override_settings(REST_FRAMEWORK=rates(anon="1/min")):
        assert client().get("/anon/").status_code == 200
        assert client().get("/anon/").status_code == 429
    with override_settings(REST_FRAMEWORK=rates(anon="100/min")):
        assert client().get("/anon/").status_code == 200


def test_ipv6_clients_share_their_slash_64() -> None:
    with override_settings(REST_FRAMEWORK=rates(anon="1/min")):
        assert client("2001:db8:1:2::1").get("/anon/").status_code == 200
        assert client("2001:db8:1:2::ffff").get("/anon/").status_code == 429
        assert client("2001:db8:1:3::1").get("/anon/").status_code == 200


def test_spoofed_forwarded_for_is_one_bucket_without_trusted_proxies() -> None:
    with override_settings(REST_FRAMEWORK=rates(anon="2/min")):
        statuses = [
            client().get("/anon/", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").status_code
            for n in range(5)
        ]
    assert statuses == [200, 200, 429, 429, 429]


@pytest.mark.django_db
def test_user_throttle_counts_per_user_and_anon_per_ip() -> None:
    alice = get_user_model().objects.create_user("alice")
    bob = get_user_model().objects.create_user("bob")
    with override_settings(REST_FRAMEWORK=rates(user="1/min", anon="1/min")):
        as_alice, as_bob = client(), client()
        as_alice.force_authenticate(alice)
        as_bob.force_authenticate(bob)
        assert as_alice.get("/user/").status_code == 200
        assert as_alice.get("/user/").status_code == 429
        assert as_bob.get("/user/").status_code == 200
        assert client().get("/user/").status_code == 200
        assert client().get("/user/").status_code == 429
        # The anon throttle leaves authenticated users to the user throttle.
        assert as_bob.get("/both/").status_code == 429  # bob's user quota is spent
        assert as_alice.get("/anon/").status_code == 200


def test_scoped_throttle_uses_the_views_scope() -> None:
    with override_settings(REST_FRAMEWORK=rates(uploads="1/min")):
        assert client().get("/scoped/").status_code == 200
        response = client().get("/scoped/")
        assert response.status_code == 429
        assert response["RateLimit-Policy"] == '"uploads";q=1;w=60'
        assert client().get("/unscoped/").status_code == 200
        assert client().get("/unscoped/").status_code == 200


def test_scope_without_a_rate_is_not_limited() -> None:
    with override_settings(REST_FRAMEWORK=rates()):
        assert all(client().get("/anon/").status_code == 200 for _ in range(5))


def test_invalid_scope_name_is_a_configuration_error() -> None:
    view = ScopedView()
    view.throttle_scope = "has space"
    request = APIRequestFactory().get("/")
    with override_settings(REST_FRAMEWORK={"DEFAULT_THROTTLE_RATES": {"has space": "1/min"}}):
        drf_request = ScopedView().initialize_request(request)
        with pytest.raises(ImproperlyConfigured, match="scope"):
            ScopedRateThrottle().allow_request(drf_request, view)


def test_both_throttles_report_their_headers() -> None:
    with override_settings(REST_FRAMEWORK=rates(anon="1/min", user="5/min")):
        client().get("/both/")
        response = client().get("/both/")
    assert response.status_code == 429
    assert response["RateLimit-Policy"] == '"anon";q=1;w=60, "user";q=5;w=60'
    assert response["RateLimit"].startswith('"anon";r=0;t=')
    assert '"user";r=3;t=' in response["RateLimit"]


def test_login_throttles_do_not_count_successful_logins() -> None:
    with override_settings(REST_FRAMEWORK=rates(login_ip="3/min", login_account="100/min")):
        for _ in range(10):
            ok = client().post("/login/", {"username": "alice", "password": "right"})
            assert ok.status_code == 200
        failures = [
            client().post("/login/", {"username": "alice", "password": "wrong"}).status_code
            for _ in range(4)
        ]
        # Laundering: a success after the failures gives back its own hit only.
        after = client().post("/login/", {"username": "bob", "password": "right"}).status_code
    assert failures == [401, 401, 401, 429]
    assert after == 429


def test_login_account_throttle_keys_on_the_canonical_username() -> None:
    variants = ["alice", "Alice", " ALICE ", "\uff41\uff4c\uff49\uff43\uff45"]
    with override_settings(REST_FRAMEWORK=rates(login_ip="100/min", login_account="3/min")):
        statuses = [
            client(f"198.51.100.{n}")
            .post("/login/", {"username": name, "password": "wrong"})
            .status_code
            for n, name in enumerate(variants)
        ]
        other = client().post("/login/", {"username": "bob", "password": "wrong"})
    assert statuses == [401, 401, 401, 429]
    assert other.status_code == 401


def test_login_account_throttle_skips_requests_without_a_username() -> None:
    with override_settings(REST_FRAMEWORK=rates(login_ip="100/min", login_account="1/min")):
        statuses = [client().post("/login/", {"password": "x"}).status_code for _ in range(3)]
        malformed = client().post("/login/", "{", content_type="application/json")
    assert statuses == [401, 401, 401]
    # A malformed body is answered as one, not as a login without a username.
    assert malformed.status_code == 400
    assert malformed.json()["code"] == "parse_error"


def test_fail_closed_answers_503_json_with_retry_after() -> None:
    with override_settings(
        CACHES=redis_caches(UNREACHABLE_URL),
        APISEC_CACHE="abuse",
        REST_FRAMEWORK=rates(anon="5/min"),
    ):
        response = client().get("/anon/")
    assert response.status_code == 503
    assert response.json() == {
        "detail": "Service temporarily unavailable, try again later.",
        "code": "service_unavailable",
    }
    assert response["Retry-After"] == "10"


def test_fail_open_lets_requests_through() -> None:
    with override_settings(
        CACHES=redis_caches(UNREACHABLE_URL),
        APISEC_CACHE="abuse",
        APISEC_FAILURE_POLICY="open",
        REST_FRAMEWORK=rates(anon="1/min"),
    ):
        assert [client().get("/anon/").status_code for _ in range(3)] == [200, 200, 200]


def test_per_class_failure_policy_wins() -> None:
    class OpenThrottle(AnonRateThrottle):
        failure_policy = "open"

    view = AnonView()
    request = AnonView().initialize_request(APIRequestFactory().get("/", REMOTE_ADDR="1.2.3.4"))
    with override_settings(
        CACHES=redis_caches(UNREACHABLE_URL),
        APISEC_CACHE="abuse",
        REST_FRAMEWORK=rates(anon="1/min"),
    ):
        assert OpenThrottle().allow_request(request, view)


@pytest.mark.parametrize(
    "rest_framework", [None, "x", {"DEFAULT_THROTTLE_RATES": None}, {"DEFAULT_THROTTLE_RATES": 3}]
)
def test_unusual_rate_settings_mean_no_rates(rest_framework: object) -> None:
    with override_settings(REST_FRAMEWORK=rest_framework):
        assert throttle_rates() == {}


def test_base_throttle_needs_a_bucket() -> None:
    with pytest.raises(NotImplementedError):
        RateThrottle().get_bucket(None, None)  # type: ignore[arg-type]


def test_wait_without_a_decision_and_get_ident() -> None:
    throttle = AnonRateThrottle()
    assert throttle.wait() is None
    request = APIRequestFactory().get("/", REMOTE_ADDR="::ffff:1.2.3.4")
    assert throttle.get_ident(request) == "1.2.3.4"  # type: ignore[arg-type]


def test_ratelimit_headers_without_decisions() -> None:
    assert ratelimit_headers(None) == {}
    assert ratelimit_headers(APIRequestFactory().get("/")) == {}


def test_redis_throttle_admits_exactly_the_limit_under_threads() -> None:
    require_redis()
    with override_settings(
        CACHES={**LOCMEM, "abuse": redis_caches()["abuse"]},
        APISEC_CACHE="abuse",
        REST_FRAMEWORK=rates(anon="10/hour"),
    ):
        caches["abuse"].clear()
        statuses: list[int] = []
        barrier = threading.Barrier(30)

        def worker() -> None:
            barrier.wait()
            try:
                statuses.append(client().get("/anon/").status_code)
            finally:
                close_thread_connection()

        threads = [threading.Thread(target=worker) for _ in range(30)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        caches["abuse"].clear()
    assert statuses.count(200) == 10
    assert statuses.count(429) == 20


def test_each_decision_lands_in_the_state_of_the_django_request() -> None:
    django_request = APIRequestFactory().get("/", REMOTE_ADDR="203.0.113.9")
    with override_settings(REST_FRAMEWORK=rates(anon="2/min", user="5/min")):
        for throttle in (AnonRateThrottle(), UserRateThrottle()):
            # DRF wraps the request anew for each view; the state outlives the wrapper.
            request = APIView().initialize_request(django_request)
            assert throttle.allow_request(request, AnonView())
    anon, user = state_of(django_request).throttle_decisions
    assert (anon.scope, anon.limit, anon.period, anon.remaining) == ("anon", 2, 60, 1)
    assert (user.scope, user.limit, user.period, user.remaining) == ("user", 5, 60, 4)
    assert 0 < anon.reset <= 60
    assert ratelimit_headers(request) == {
        "RateLimit-Policy": '"anon";q=2;w=60, "user";q=5;w=60',
        "RateLimit": f'"anon";r=1;t={anon.reset}, "user";r=4;t={user.reset}',
    }


def test_refunds_without_a_request_give_nothing_back() -> None:
    refund_login_throttles(None)  # authenticate(None, ...) succeeded: nothing to refund


def test_ratelimit_rate_reads_the_scope_rate_now() -> None:
    with override_settings(REST_FRAMEWORK=rates(login_ip="7/min", broken=3)):
        assert throttling.ratelimit_rate("login_ip", None) == "7/min"
        assert throttling.ratelimit_rate("broken", None) is None
        assert throttling.ratelimit_rate("missing", None) is None


@pytest.mark.urls("testproject.urls")
@pytest.mark.django_db
def test_admin_login_is_rate_limited_per_client_with_retry_after() -> None:
    from django.test import Client

    with override_settings(REST_FRAMEWORK=rates(login_ip="2/min")):
        attacker = Client(REMOTE_ADDR="203.0.113.9")
        statuses = [
            attacker.post(
                "/admin/login/",
                {"username": f"u{n}", "password": "x"},
                HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
            ).status_code
            for n in range(3)
        ]
        blocked = attacker.post("/admin/login/", {"username": "u", "password": "x"})
        other = Client(REMOTE_ADDR="203.0.113.10").post("/admin/login/", {"username": "u"})
        page = attacker.get("/admin/login/")
    assert statuses == [200, 200, 429]
    assert blocked.status_code == 429
    assert 1 <= int(blocked["Retry-After"]) <= 60
    assert other.status_code == 200
    assert page.status_code == 200  # only POSTs count


@pytest.mark.urls("testproject.urls")
@pytest.mark.django_db
@pytest.mark.parametrize(("policy", "status"), [("closed", 503), ("open", 200)])
def test_admin_login_when_the_cache_is_down(policy: str, status: int) -> None:
    from django.test import Client

    with override_settings(
        CACHES=redis_caches(UNREACHABLE_URL),
        RATELIMIT_USE_CACHE="abuse",
        APISEC_FAILURE_POLICY=policy,
        AUTHENTICATION_BACKENDS=["django.contrib.auth.backends.ModelBackend"],
        REST_FRAMEWORK=rates(login_ip="2/min"),
    ):
        response = Client().post("/admin/login/", {"username": "u", "password": "x"})
    assert response.status_code == status
    if status == 503:
        assert response["Retry-After"] == "10"


def test_login_account_throttle_gives_trusted_devices_their_own_bucket() -> None:
    from django_apisec.abuse import devices

    token = devices.issue(None, "alice")
    with override_settings(REST_FRAMEWORK=rates(login_ip="100/min", login_account="2/min")):
        attacker = [
            client(f"198.51.100.{n}").post("/login/", {"username": "alice", "password": "x"})
            for n in range(3)
        ]
        owner = client()
        owner.cookies[devices.cookie_name()] = token
        known = owner.post("/login/", {"username": "alice", "password": "right"})
    assert [response.status_code for response in attacker] == [401, 401, 429]
    assert known.status_code == 200

"""The lockout engine through authenticate(): reservation before hashing, canonical accounts,
growing locks, trusted devices, signals, failure policy, the command. Attacks first, then the check.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
import time
from io import StringIO
from typing import TYPE_CHECKING, Any
from unittest import mock

import pytest
from asgiref.sync import iscoroutinefunction
from django.contrib.auth import aauthenticate, authenticate, get_user_model
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core.cache import caches
from django.core.management import call_command
from django.db import connection
from django.http import HttpResponse
from django.test import AsyncClient, Client, RequestFactory, override_settings
from django.urls import path
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.response import Response
from rest_framework.test import APIClient, APIRequestFactory
from rest_framework.views import APIView

from django_apisec import signals
from django_apisec.abuse import devices, lockout
from django_apisec.abuse.backends import LockoutModelBackend
from django_apisec.abuse.lockout import LockedOut, Refusal, raise_for_lockout, refusal
from django_apisec.abuse.usernames import account_id, canonical_username, submitted_username
from django_apisec.ownership.permissions import public
from django_apisec.request.state import state_of
from tests.conftest import PASSWORD
from tests.services import UNREACHABLE_URL, redis_caches, require_redis

if TYPE_CHECKING:
    from collections.abc import Iterator

    from django.http import HttpRequest, HttpResponseBase

BACKEND = "django_apisec.abuse.backends.LockoutModelBackend"


def close_thread_connection() -> None:
    """Close this thread's database connection (Django keeps in-memory SQLite ones open)."""
    if connection.connection is not None:
        connection.connection.close()
        connection.connection = None


LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
FULL_WIDTH_ALICE = "\uff41\uff4c\uff49\uff43\uff45"


class CountingHasher(MD5PasswordHasher):
    """MD5 (fast) that counts every hash it computes.

    ``verify`` (a known user) and ``set_password`` (ModelBackend's timing equaliser for an
    unknown user) both end in ``encode``: one count per password check either way.
    """

    calls = 0
    lock = threading.Lock()

    def encode(self, password: str, salt: str, iterations: int | None = None) -> str:
        with self.lock:
            CountingHasher.calls += 1
        return super().encode(password, salt)


LOCKOUT_SETTINGS: dict[str, Any] = {
    "AUTHENTICATION_BACKENDS": [BACKEND],
    "PASSWORD_HASHERS": [f"{__name__}.CountingHasher"],
    "APISEC_LOCKOUT_THRESHOLD": 3,
    "APISEC_LOCKOUT_PERIODS": [60, 300],
    "CACHES": LOCMEM,
    "APISEC_CACHE": "default",
}


@pytest.fixture(autouse=True)
def _lockout_settings() -> Iterator[None]:
    with override_settings(**LOCKOUT_SETTINGS):
        caches["default"].clear()
        CountingHasher.calls = 0
        yield


@pytest.fixture
def alice(alice: Any) -> Any:
    """The shared ``alice``, with the hash her creation cost forgotten."""
    CountingHasher.calls = 0
    return alice


def login(username: str, password: str, request: HttpRequest | None = None) -> Any:
    request = request if request is not None else RequestFactory().post("/login/")
    return authenticate(request, username=username, password=password)


def hashes_during(action: Any) -> int:
    before = CountingHasher.calls
    action()
    return CountingHasher.calls - before


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("alice", "alice"),
        ("Alice", "alice"),
        ("  ALICE\t", "alice"),
        (FULL_WIDTH_ALICE, "alice"),
        ("\u3000alice\u3000", "alice"),  # ideographic spaces
        ("Stra\u00dfe", "strasse"),
        ("\ufb01le", "file"),  # ligature
        (42, "42"),
    ],
)
def test_canonical_username(value: object, expected: str) -> None:
    assert canonical_username(value) == expected


def test_account_id_is_keyed_stable_and_says_nothing_of_the_name() -> None:
    ids = {account_id(name) for name in ("alice", "Alice", " ALICE", FULL_WIDTH_ALICE)}
    assert len(ids) == 1  # every spelling of one account: one identifier
    [alice_id] = ids
    assert len(alice_id) == 32
    assert int(alice_id, 16) >= 0
    assert "alice" not in alice_id
    assert account_id("bob") != alice_id
    # Keyed: a guessed name cannot be checked against a logged id without SECRET_KEY.
    assert hashlib.sha256(b"alice").hexdigest()[:32] != alice_id
    with override_settings(SECRET_KEY="another secret key, long enough " * 2):
        assert account_id("alice") != alice_id


@pytest.mark.parametrize(
    ("credentials", "expected"),
    [
        ({"username": "a"}, "a"),
        ({"email": "a@x"}, None),
        ({"username": None, "username_field": "x"}, None),
        ({"username": ["a"]}, None),
        ({"username": {"a": 1}}, None),
        ("not a mapping", None),
    ],
)
def test_submitted_username(credentials: Any, expected: str | None) -> None:
    assert submitted_username(credentials) == expected


@pytest.mark.django_db
def test_threshold_locks_and_a_locked_account_costs_no_hash(alice: Any) -> None:
    for _ in range(3):
        assert login("alice", "wrong") is None
    assert CountingHasher.calls == 3
    request = RequestFactory().post("/login/")
    assert hashes_during(lambda: login("alice", PASSWORD, request)) == 0
    refused = refusal(request)
    assert refused is not None
    assert refused.reason == "locked"
    assert refused.retry_after in (60, 61)  # the lock's end is stored in whole seconds
    with pytest.raises(LockedOut) as raised:
        raise_for_lockout(request)
    assert raised.value.status_code == 429
    assert raised.value.wait == refused.retry_after
    assert raised.value.get_codes() == "locked_out"


@pytest.mark.django_db
def test_the_lock_expires_and_the_next_lock_is_longer(alice: Any) -> None:
    with mock.patch("django_apisec.abuse.lockout.time.time", return_value=1_000_000.0):
        for _ in range(3):
            login("alice", "wrong")
    request = RequestFactory().post("/login/")
    with mock.patch("django_apisec.abuse.lockout.time.time", return_value=1_000_061.0):
        # Locmem keys expire on the real clock: clear the counter as its TTL would.
        caches["default"].delete(lockout._keys("alice", "alice")[0])
        assert login("alice", PASSWORD) == alice
        for _ in range(3):
            login("alice", "wrong")
        login("alice", PASSWORD, request)
    refused = refusal(request)
    assert refused is not None
    assert refused.retry_after in (300, 301)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("store", ["locmem", "redis"])
def test_concurrent_guesses_run_at_most_threshold_hashes(store: str) -> None:
    get_user_model().objects.create_user("alice", password=PASSWORD)
    CountingHasher.calls = 0
    caches_setting = LOCMEM
    if store == "redis":
        require_redis()
        caches_setting = {**LOCMEM, "abuse": redis_caches()["abuse"]}
    with override_settings(
        CACHES=caches_setting, APISEC_CACHE="abuse" if store == "redis" else "default"
    ):
        caches["abuse" if store == "redis" else "default"].clear()
        barrier = threading.Barrier(20)
        results: list[Any] = []

        def guess() -> None:
            barrier.wait()
            try:
                results.append(login("alice", "wrong"))
            finally:
                close_thread_connection()

        threads = [threading.Thread(target=guess) for _ in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert results == [None] * 20
        assert CountingHasher.calls == 3
        # The owner's correct password is refused too, without a hash.
        assert login("alice", PASSWORD) is None
        assert CountingHasher.calls == 3


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("store", ["locmem", "redis"])
def test_concurrent_correct_logins_of_one_account_all_succeed(store: str) -> None:
    # Threshold 3, 15 parallel jobs of a service account: before APISEC_LOCKOUT_WAIT, every
    # attempt beyond the 3 in progress was refused (429). A hashing slot per thread: the bound on
    # concurrent hashes (tests/test_hashing.py) is not what this test is about.
    get_user_model().objects.create_user("alice", password=PASSWORD)
    caches_setting = LOCMEM
    if store == "redis":
        require_redis()
        caches_setting = {**LOCMEM, "abuse": redis_caches()["abuse"]}
    with override_settings(
        CACHES=caches_setting,
        APISEC_CACHE="abuse" if store == "redis" else "default",
        APISEC_HASHING_SLOTS=15,
    ):
        caches["abuse" if store == "redis" else "default"].clear()
        barrier = threading.Barrier(15)
        results: list[Any] = []

        def log_in() -> None:
            barrier.wait()
            try:
                results.append(login("alice", PASSWORD))
            finally:
                close_thread_connection()

        threads = [threading.Thread(target=log_in) for _ in range(15)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(results) == 15
        assert all(user is not None for user in results)


@pytest.mark.django_db
def test_a_login_waits_for_a_held_reservation_then_gets_it(alice: Any) -> None:
    held = [lockout.reserve(None, "alice") for _ in range(3)]  # three checks in progress
    assert all(attempt.admitted for attempt in held)

    def finish_one() -> None:
        time.sleep(0.2)
        lockout.record_success(None, held[0])  # a right password: the counter is cleared

    finisher = threading.Thread(target=finish_one)
    started = time.monotonic()
    finisher.start()
    assert login("alice", PASSWORD) is not None
    finisher.join()
    assert time.monotonic() - started >= 0.2


@pytest.mark.django_db
def test_a_login_waiting_for_a_reservation_is_refused_when_the_last_one_locks(
    alice: Any,
) -> None:
    held = [lockout.reserve(None, "alice") for _ in range(3)]

    def fail_all() -> None:
        time.sleep(0.1)
        for attempt in held:
            lockout.record_failure(None, attempt)  # the third failure locks

    failer = threading.Thread(target=fail_all)
    failer.start()
    request = RequestFactory().post("/login/")
    assert hashes_during(lambda: login("alice", PASSWORD, request)) == 0
    failer.join()
    refused = refusal(request)
    assert refused is not None
    assert refused.reason == "locked"


@pytest.mark.django_db
def test_the_wait_for_a_reservation_is_bounded(alice: Any) -> None:
    for _ in range(3):
        assert lockout.reserve(None, "alice").admitted
    for wait in (0, 150):
        with override_settings(APISEC_LOCKOUT_WAIT=wait):
            request = RequestFactory().post("/login/")
            started = time.monotonic()
            before = CountingHasher.calls
            assert login("alice", PASSWORD, request) is None
            elapsed = time.monotonic() - started
            assert CountingHasher.calls == before
            refused = refusal(request)
            assert refused is not None
            assert refused.reason == "locked"
            assert wait / 1000 <= elapsed < wait / 1000 + 1


@pytest.mark.django_db
def test_username_variants_share_one_lock(alice: Any) -> None:
    for name in ["Alice", " alice", FULL_WIDTH_ALICE]:
        assert login(name, "wrong") is None
    assert hashes_during(lambda: login("alice", PASSWORD)) == 0


@pytest.mark.django_db
def test_a_nonexistent_account_locks_exactly_like_a_real_one(alice: Any) -> None:
    def run(name: str) -> list[tuple[Any, int, str | None]]:
        outcome = []
        for _ in range(5):
            request = RequestFactory().post("/login/")
            before = CountingHasher.calls
            user = login(name, "wrong", request)
            refused = refusal(request)
            reason = None if refused is None else refused.reason
            outcome.append((user, CountingHasher.calls - before, reason))
        return outcome

    real, ghost = run("alice"), run("nobody")
    assert real == ghost
    assert [hashes for _, hashes, _ in real] == [1, 1, 1, 0, 0]


@pytest.mark.django_db
def test_a_trusted_device_keeps_its_own_bucket(alice: Any) -> None:
    owner = RequestFactory().post("/login/")
    assert login("alice", PASSWORD, owner) == alice
    token = state_of(owner).trusted_device_token
    # The attacker locks the account for every client without the cookie...
    for _ in range(3):
        login("alice", "wrong")
    assert hashes_during(lambda: login("alice", PASSWORD)) == 0
    # ...but the owner's device still gets in.
    device = RequestFactory().post("/login/")
    device.COOKIES[devices.cookie_name()] = token
    assert login("alice", PASSWORD, device) == alice
    # The device's own bucket has the same threshold.
    for _ in range(3):
        retry = RequestFactory().post("/login/")
        retry.COOKIES[devices.cookie_name()] = token
        login("alice", "wrong", retry)
    last = RequestFactory().post("/login/")
    last.COOKIES[devices.cookie_name()] = token
    assert hashes_during(lambda: login("alice", PASSWORD, last)) == 0
    # The device's lock is not listed as the account's.
    assert list(lockout.locked_accounts()) == ["alice"]


@pytest.mark.django_db
def test_a_device_cookie_for_another_account_does_not_help(
    alice: Any, django_user_model: Any
) -> None:
    django_user_model.objects.create_user("mallory", password=PASSWORD)
    own = RequestFactory().post("/login/")
    login("mallory", PASSWORD, own)
    for _ in range(3):
        login("alice", "wrong")
    attack = RequestFactory().post("/login/")
    attack.COOKIES[devices.cookie_name()] = state_of(own).trusted_device_token
    assert hashes_during(lambda: login("alice", PASSWORD, attack)) == 0


@pytest.mark.django_db
@pytest.mark.parametrize("cookie", ["garbage", "", None])
def test_invalid_device_cookies_are_ignored(cookie: str | None) -> None:
    request = RequestFactory().get("/")
    if cookie is not None:
        request.COOKIES[devices.cookie_name()] = cookie
    assert devices.device_for(request, "alice") is None
    assert devices.device_for(None, "alice") is None


def test_device_tokens_without_a_device_id_are_ignored() -> None:
    from django.core import signing

    request = RequestFactory().get("/")
    token = signing.dumps({"a": devices.account_tag("alice"), "d": 5}, salt=devices.SALT)
    request.COOKIES[devices.cookie_name()] = token
    assert devices.device_for(request, "alice") is None
    request.COOKIES[devices.cookie_name()] = signing.dumps([1], salt=devices.SALT)
    assert devices.device_for(request, "alice") is None


def test_expired_device_cookies_are_ignored() -> None:
    request = RequestFactory().get("/")
    token = devices.issue(None, "alice")
    request.COOKIES[devices.cookie_name()] = token
    assert devices.device_for(request, "alice")
    with (
        override_settings(APISEC_TRUSTED_DEVICE_AGE=1),
        mock.patch("django.core.signing.time.time", return_value=10**10),
    ):
        assert devices.device_for(request, "alice") is None


@pytest.mark.django_db
def test_successful_logins_do_not_launder_failures(alice: Any, django_user_model: Any) -> None:
    django_user_model.objects.create_user("mallory", password=PASSWORD)
    for _ in range(2):
        login("alice", "wrong")
    # The attacker logs in to their own account between guesses: alice's count is untouched.
    assert login("mallory", PASSWORD) is not None
    login("alice", "wrong")
    assert hashes_during(lambda: login("alice", PASSWORD)) == 0


@pytest.mark.django_db
def test_success_clears_the_bucket_and_sends_signals(alice: Any) -> None:
    received: list[tuple[str, dict[str, Any]]] = []

    def receiver(signal: Any, **kwargs: Any) -> None:
        kwargs.pop("sender")
        received.append((signal_names[signal], kwargs))

    signal_names = {
        signals.login_failed: "failed",
        signals.account_locked: "locked",
        signals.lockout_reset: "reset",
        signals.login_succeeded_after_failures: "success_after_failures",
        signals.account_unlocked: "unlocked",
    }
    for signal in signal_names:
        signal.connect(receiver)
    try:
        request = RequestFactory().post("/login/", REMOTE_ADDR="203.0.113.5")
        login("alice", "wrong", request)
        login("alice", "wrong", request)
        login("alice", PASSWORD, request)
        for _ in range(3):
            login("alice", "wrong", request)
        lockout.unlock("ALICE", by="test")
    finally:
        for signal in signal_names:
            signal.disconnect(receiver)
    names = [name for name, _ in received]
    assert names == [
        "failed",
        "failed",
        "reset",
        "success_after_failures",
        "failed",
        "failed",
        "failed",
        "locked",
        "unlocked",
    ]
    assert received[0][1] == {
        "username": "alice",
        "client_ip": "203.0.113.5",
        "failures": 1,
        "request": request,
    }
    assert received[2][1] == {"username": "alice", "failures": 2, "request": request}
    assert received[7][1]["level"] == 1
    assert received[8][1] == {"username": "alice", "by": "test", "request": None}
    assert login("alice", PASSWORD) == alice


@pytest.mark.django_db
def test_store_down_fails_closed_without_a_hash(alice: Any) -> None:
    with override_settings(CACHES=redis_caches(UNREACHABLE_URL), APISEC_CACHE="abuse"):
        request = RequestFactory().post("/login/")
        assert hashes_during(lambda: login("alice", PASSWORD, request)) == 0
    assert refusal(request) == Refusal("unavailable", 10)
    with pytest.raises(Exception, match="temporarily unavailable") as raised:
        raise_for_lockout(request)
    assert raised.value.status_code == 503  # type: ignore[attr-defined]


@pytest.mark.django_db
def test_store_down_fails_open_when_configured(alice: Any) -> None:
    with override_settings(
        CACHES=redis_caches(UNREACHABLE_URL), APISEC_CACHE="abuse", APISEC_FAILURE_POLICY="open"
    ):
        for _ in range(5):
            assert login("alice", "wrong") is None
        assert login("alice", PASSWORD) == alice
    assert CountingHasher.calls == 6


@pytest.mark.django_db
def test_store_failing_while_locking_or_resetting_is_logged(alice: Any, caplog: Any) -> None:
    for _ in range(2):
        login("alice", "wrong")
    cache_class = type(caches["default"])
    with mock.patch.object(cache_class, "touch", side_effect=OSError("down")):
        login("alice", "wrong")
    with mock.patch.object(cache_class, "delete", side_effect=OSError("down")):
        lockout.record_success(None, lockout.Attempt("alice", None, admitted=True))
    messages = [record.getMessage() for record in caplog.records]
    assert "Lockout store failed while locking an account" in messages
    assert "Lockout store failed while resetting a counter" in messages


def test_missing_credentials_are_not_counted() -> None:
    backend = LockoutModelBackend()
    assert backend.authenticate(None, username=None, password="x") is None
    assert backend.authenticate(None, username="alice", password=None) is None
    assert CountingHasher.calls == 0


@pytest.mark.django_db
def test_authenticate_without_a_request(alice: Any) -> None:
    for _ in range(3):
        assert authenticate(None, username="alice", password="wrong") is None
    assert authenticate(None, username="alice", password=PASSWORD) is None
    assert CountingHasher.calls == 3


@pytest.mark.django_db(transaction=True)
def test_aauthenticate_uses_the_same_engine() -> None:
    get_user_model().objects.create_user("alice", password=PASSWORD)
    CountingHasher.calls = 0

    async def scenario() -> list[Any]:
        results = [await aauthenticate(None, username="alice", password="wrong") for _ in range(3)]
        results.append(await aauthenticate(None, username="alice", password=PASSWORD))
        return results

    assert asyncio.run(scenario()) == [None] * 4
    assert CountingHasher.calls == 3


@pytest.mark.django_db
def test_username_field_keyword_is_counted(alice: Any) -> None:
    for _ in range(3):
        authenticate(None, **{get_user_model().USERNAME_FIELD: "ALICE"}, password="wrong")
    assert hashes_during(lambda: login("alice", PASSWORD)) == 0


def test_raise_for_lockout_without_a_refusal() -> None:
    raise_for_lockout(RequestFactory().get("/"))
    raise_for_lockout(None)
    drf_request = APIRequestFactory().get("/")
    assert refusal(drf_request) is None


@pytest.mark.django_db
def test_command_lists_and_unlocks(alice: Any) -> None:
    out = StringIO()
    call_command("apisec_lockout", "list", stdout=out)
    assert out.getvalue() == "No account is locked.\n"
    for _ in range(3):
        login(" Alice ", "wrong")
    out = StringIO()
    call_command("apisec_lockout", "list", stdout=out)
    assert out.getvalue().startswith("alice\tlocked until ")
    out = StringIO()
    call_command("apisec_lockout", "unlock", "ALICE", "bob", stdout=out)
    assert out.getvalue().splitlines() == [
        "alice: unlocked",
        "bob: was not locked; counters cleared",
    ]
    assert login("alice", PASSWORD) == alice
    assert lockout.locked_accounts() == {}


@pytest.mark.django_db
def test_the_index_drops_expired_locks(alice: Any, django_user_model: Any) -> None:
    with mock.patch("django_apisec.abuse.lockout.time.time", return_value=1_000.0):
        for _ in range(3):
            login("bob", "wrong")
    for _ in range(3):
        login("alice", "wrong")
    assert list(lockout.locked_accounts()) == ["alice"]


def test_lock_period_levels() -> None:
    with override_settings(APISEC_LOCKOUT_PERIODS=[10, 20]):
        assert [lockout.lock_period(level) for level in (0, 1, 2, 3, 9)] == [10, 10, 20, 20, 20]


@pytest.mark.django_db
def test_middleware_sets_the_trusted_device_cookie(alice: Any) -> None:
    def view(request: HttpRequest) -> Any:
        from django.http import HttpResponse

        authenticate(request, username=request.POST["username"], password=request.POST["password"])
        return HttpResponse("ok")

    middleware = devices.TrustedDeviceMiddleware(view)
    request = RequestFactory().post("/", {"username": "alice", "password": PASSWORD})
    response = middleware(request)
    cookie = response.cookies[devices.cookie_name()]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Strict"
    assert devices.device_for(type("R", (), {"COOKIES": {cookie.key: cookie.value}})(), "alice")
    failed = middleware(RequestFactory().post("/", {"username": "alice", "password": "no"}))
    assert devices.cookie_name() not in failed.cookies


def test_secure_cookie_name_follows_the_session_cookie() -> None:
    with override_settings(SESSION_COOKIE_SECURE=True):
        assert devices.cookie_name() == "__Host-apisec_device"
    with override_settings(SESSION_COOKIE_SECURE=False):
        assert devices.cookie_name() == "apisec_device"


def admin_login(client: Client, username: str, password: str) -> Any:
    return client.post(
        "/admin/login/", {"username": username, "password": password, "next": "/admin/"}
    )


@pytest.mark.django_db
def test_the_admin_login_is_locked_too(django_user_model: Any) -> None:
    django_user_model.objects.create_superuser("root", password=PASSWORD)
    client = Client()
    for _ in range(3):
        assert admin_login(client, "root", "wrong").status_code == 200
    # The right password, now refused without a hash (the admin re-shows its form).
    assert hashes_during(lambda: admin_login(client, "ROOT", PASSWORD)) == 0
    assert admin_login(client, "root", PASSWORD).status_code == 200


@public
class JsonLoginView(APIView):
    """The integration a JSON login view needs: authenticate(), then raise_for_lockout()."""

    throttle_classes: list[Any] = []

    def post(self, request: Any) -> Response:
        user = authenticate(
            request, username=request.data.get("username"), password=request.data.get("password")
        )
        if user is None:
            raise_for_lockout(request)
            raise AuthenticationFailed("No active account found with the given credentials")
        response = Response({"ok": True})
        devices.set_cookie(request, response)
        return response


def form_login(request: HttpRequest) -> HttpResponse:
    """A plain Django login: authenticate() and nothing else; the middleware sets the cookie."""
    user = authenticate(
        request, username=request.POST["username"], password=request.POST["password"]
    )
    return HttpResponse(status=401 if user is None else 200)


async def async_form_login(request: HttpRequest) -> HttpResponse:
    """The same, as an async view with aauthenticate()."""
    user = await aauthenticate(
        request, username=request.POST["username"], password=request.POST["password"]
    )
    return HttpResponse(status=401 if user is None else 200)


urlpatterns = [
    path("login/", JsonLoginView.as_view()),
    path("form-login/", form_login),
    path("async-form-login/", async_form_login),
]
DEVICE_MIDDLEWARE = ["django_apisec.abuse.devices.TrustedDeviceMiddleware"]


def device_cookie_of(response: HttpResponseBase) -> str | None:
    cookie = response.cookies.get(devices.cookie_name())
    if cookie is None:
        return None
    assert cookie["httponly"]
    assert cookie["samesite"] == "Strict"
    assert cookie["path"] == "/"
    return cookie.value


@pytest.mark.urls(__name__)
@pytest.mark.django_db(transaction=True)
@override_settings(MIDDLEWARE=DEVICE_MIDDLEWARE)
@pytest.mark.parametrize("url", ["/form-login/", "/async-form-login/"])
def test_the_device_middleware_sets_the_cookie_under_wsgi(client: Client, url: str) -> None:
    get_user_model().objects.create_user("alice", password=PASSWORD)
    failed = client.post(url, {"username": "alice", "password": "wrong"})
    assert failed.status_code == 401
    assert device_cookie_of(failed) is None
    response = client.post(url, {"username": "alice", "password": PASSWORD})
    assert response.status_code == 200
    token = device_cookie_of(response)
    assert token is not None
    request = RequestFactory().post("/")
    request.COOKIES[devices.cookie_name()] = token
    assert devices.device_for(request, "alice")


@pytest.mark.urls(__name__)
@pytest.mark.django_db(transaction=True)
@override_settings(MIDDLEWARE=DEVICE_MIDDLEWARE)
@pytest.mark.parametrize("url", ["/form-login/", "/async-form-login/"])
def test_the_device_middleware_sets_the_cookie_under_asgi(
    async_client: AsyncClient, url: str
) -> None:
    get_user_model().objects.create_user("alice", password=PASSWORD)

    async def scenario() -> tuple[HttpResponseBase, HttpResponseBase]:
        failed = await async_client.post(url, {"username": "alice", "password": "wrong"})
        return failed, await async_client.post(url, {"username": "alice", "password": PASSWORD})

    failed, response = asyncio.run(scenario())
    assert failed.status_code == 401
    assert device_cookie_of(failed) is None
    assert response.status_code == 200
    token = device_cookie_of(response)
    assert token is not None
    request = RequestFactory().post("/")
    request.COOKIES[devices.cookie_name()] = token
    assert devices.device_for(request, "alice")


def test_the_device_middleware_is_async_capable() -> None:
    async def get_response(request: HttpRequest) -> HttpResponse:
        return HttpResponse()

    assert iscoroutinefunction(devices.TrustedDeviceMiddleware(get_response))
    assert not iscoroutinefunction(devices.TrustedDeviceMiddleware(lambda r: HttpResponse()))


@pytest.mark.urls(__name__)
@pytest.mark.django_db
def test_a_json_login_view_answers_429_with_retry_after_when_locked(alice: Any) -> None:
    client = APIClient()
    statuses = [
        client.post("/login/", {"username": "alice", "password": "wrong"}).status_code
        for _ in range(3)
    ]
    locked = client.post("/login/", {"username": "alice", "password": PASSWORD})
    ghost = [
        client.post("/login/", {"username": "ghost", "password": "wrong"}).status_code
        for _ in range(4)
    ]
    assert statuses == [401, 401, 401]
    assert locked.status_code == 429
    body = locked.json()
    assert body["code"] == "locked_out"
    assert body["detail"].startswith("Too many failed login attempts, try again later.")
    assert int(locked["Retry-After"]) in (60, 61)
    assert ghost == [401, 401, 401, 429]


@pytest.mark.urls(__name__)
@pytest.mark.django_db
def test_a_json_login_view_sets_the_trusted_device_cookie(alice: Any) -> None:
    response = APIClient().post("/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 200
    assert devices.cookie_name() in response.cookies


@pytest.mark.urls(__name__)
@pytest.mark.django_db
def test_a_json_login_view_answers_503_when_the_store_is_down(alice: Any) -> None:
    with override_settings(CACHES=redis_caches(UNREACHABLE_URL), APISEC_CACHE="abuse"):
        response = APIClient().post("/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 503
    assert response.json()["code"] == "service_unavailable"
    assert response["Retry-After"] == "10"


@pytest.mark.django_db
def test_refuse_never_lets_an_attempt_that_was_not_admitted_through(alice: Any) -> None:
    with override_settings(APISEC_LOCKOUT_THRESHOLD=1):
        lockout.record_failure(None, lockout.reserve(None, "alice"))  # locks the account
        # Without a request no refusal is kept in a state: the attempt itself answers 429.
        attempt = lockout.reserve(None, "alice")
        assert not attempt.admitted
        assert refusal(None) is None
        raise_for_lockout(None)  # (returns: for it, the login simply failed)
        with pytest.raises(LockedOut) as locked:
            lockout.refuse(None, attempt)
        assert int(locked.value.wait) == attempt.retry_after >= 1
        assert locked.value.account == account_id("alice")
        # With a request, the refusal kept in its state decides, the same way.
        request = RequestFactory().post("/login/")
        attempt = lockout.reserve(request, "alice")
        with pytest.raises(LockedOut):
            lockout.refuse(request, attempt)

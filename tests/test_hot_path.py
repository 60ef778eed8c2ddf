"""The authenticated hot path: one store round trip, no user query, nothing stale, and refused
credentials throttled (issue 16).

Round trips are counted on the store's redis client (every command it sends), SQL queries with
Django's ``CaptureQueriesContext``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.cache import caches
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from django_apisec.store.backends import RedisStore, current_store
from tests.conftest import LOGIN, ME, PASSWORD, PASSWORD_URL
from tests.services import UNREACHABLE_URL, record_store_commands, redis_caches, require_redis

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.django_db

RATES = {"anon": "5/min", "user": "1000/min", "login_ip": "100/min", "login_account": "100/min"}


def rest_framework(**rates: str) -> dict[str, Any]:
    from django.conf import settings

    config = dict(settings.REST_FRAMEWORK)
    config["DEFAULT_THROTTLE_RATES"] = {**RATES, **rates}
    return config


@pytest.fixture
def redis_store() -> Iterator[RedisStore]:
    """APISEC_CACHE on the machine's Redis (the unit tests' database, flushed)."""
    require_redis()
    with override_settings(
        CACHES=redis_caches(), APISEC_CACHE="abuse", REST_FRAMEWORK=rest_framework()
    ):
        caches["abuse"].clear()
        store = current_store()
        assert isinstance(store, RedisStore)
        yield store
        caches["abuse"].clear()
        store.client.connection_pool.disconnect()
        for pool in caches["abuse"]._cache._pools.values():
            pool.disconnect()


def login(username: str = "alice") -> APIClient:
    client = APIClient()
    response = client.post(LOGIN, {"username": username, "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    return client


def record_commands(store: RedisStore, monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    return record_store_commands(store, monkeypatch)


def user_queries(captured: CaptureQueriesContext) -> list[str]:
    table = get_user_model()._meta.db_table
    return [q["sql"] for q in captured.captured_queries if f'"{table}"' in q["sql"]]


def test_an_authenticated_request_is_one_round_trip_and_no_user_query(
    alice: Any, redis_store: RedisStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = login()
    assert client.get(ME).status_code == 200  # loads alice into this process's cache
    sent = record_commands(redis_store, monkeypatch)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(ME)
    assert response.status_code == 200
    assert response.json()["username"] == "alice"
    # The revocation marker, the version and the user throttle's decision: one EVALSHA.
    assert [command[0] for command in sent] == ["EVALSHA"]
    _evalsha, _sha, key_count, marker, version, throttle, *_args = sent[0]
    assert key_count == 3
    assert "jwt:revoked:" in marker
    assert version.endswith(":version")
    assert throttle.endswith(":throttle.user")
    # One hash tag for all three keys: one Redis Cluster slot.
    tags = {key[key.index("{") : key.index("}") + 1] for key in (marker, version, throttle)}
    assert len(tags) == 1
    assert user_queries(captured) == []


def test_the_user_throttle_still_admits_exactly_its_rate(
    alice: Any, redis_store: RedisStore
) -> None:
    with override_settings(REST_FRAMEWORK=rest_framework(user="4/min")):
        client = login()
        statuses = [client.get(ME).status_code for _ in range(6)]
    assert statuses == [200] * 4 + [429] * 2


def test_a_request_refused_before_its_throttles_costs_no_quota(
    alice: Any, redis_store: RedisStore
) -> None:
    with override_settings(
        REST_FRAMEWORK=rest_framework(user="3/min"), ROOT_URLCONF="tests.hot_path_urls"
    ):
        client = login()
        # Refused by the view's permission, which DRF checks before the throttles: the hit the
        # authentication counted ahead is given back.
        for _ in range(5):
            assert client.get("/admin-only/").status_code == 403
        statuses = [client.get(ME).status_code for _ in range(4)]
    assert statuses == [200] * 3 + [429]


def test_deactivation_is_seen_at_once(alice: Any, redis_store: RedisStore) -> None:
    client = login()
    assert client.get(ME).status_code == 200
    alice.is_active = False
    alice.save(update_fields=["is_active"])
    assert client.get(ME).status_code == 401


def test_a_change_that_revokes_nothing_is_seen_at_once(alice: Any, redis_store: RedisStore) -> None:
    client = login()
    assert client.get(ME).json()["username"] == "alice"
    alice.username = "alice2"
    alice.save()
    assert client.get(ME).json()["username"] == "alice2"


def test_a_password_change_refuses_old_tokens_at_once(alice: Any, redis_store: RedisStore) -> None:
    client = login()
    other_device = login()
    assert other_device.get(ME).status_code == 200
    response = client.post(
        PASSWORD_URL,
        {"old_password": PASSWORD, "new_password": "another battery staple 42"},
        format="json",
    )
    assert response.status_code == 204
    assert other_device.get(ME).status_code == 401
    assert client.get(ME).status_code == 401


def test_a_group_change_loads_the_user_again(alice: Any, redis_store: RedisStore) -> None:
    client = login()
    client.get(ME)
    group = Group.objects.create(name="staff")
    with CaptureQueriesContext(connection) as unchanged:
        client.get(ME)
    group.user_set.add(alice)
    with CaptureQueriesContext(connection) as changed:
        client.get(ME)
    assert user_queries(unchanged) == []
    assert len(user_queries(changed)) == 1


def test_with_the_cache_off_a_bulk_update_is_seen_at_once(
    alice: Any, redis_store: RedisStore
) -> None:
    # update() sends no signal; with the cache off every request sees the database at once.
    with override_settings(APISEC_USER_CACHE_SECONDS=0):
        client = login()
        assert client.get(ME).status_code == 200
        get_user_model().objects.filter(pk=alice.pk).update(is_active=False)
        assert client.get(ME).status_code == 401


def test_a_store_outage_loads_the_user_every_time(alice: Any, redis_store: RedisStore) -> None:
    client = login()
    client.get(ME)
    with override_settings(CACHES=redis_caches(UNREACHABLE_URL), APISEC_CACHE="abuse"):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(ME)
        # The revocation check fails open (as before); the throttle applies its own policy.
        assert response.status_code == 503
    assert len(user_queries(captured)) == 1


def test_a_cached_user_is_a_copy_per_request(alice: Any, redis_store: RedisStore) -> None:
    from django_apisec.jwt import users as user_cache

    client = login()
    client.get(ME)
    entry = user_cache._users[str(alice.pk)]
    first = user_cache.cached_user(str(alice.pk), entry[0])
    second = user_cache.cached_user(str(alice.pk), entry[0])
    assert first is not second
    assert first.username == second.username == "alice"
    assert user_cache.cached_user(str(alice.pk), "another version") is None


# --- refused credentials count toward the anonymous rate ----------------------------------


@pytest.mark.parametrize(
    "authorization",
    ["Bearer not.a.token", "Bearer " + "e30." * 3, "Api-Key definitely-not-a-key"],
    ids=["garbage-token", "forged-token", "forged-api-key"],
)
def test_a_flood_of_refused_credentials_is_throttled(
    redis_store: RedisStore, authorization: str
) -> None:
    client = APIClient()
    statuses = [client.get(ME, HTTP_AUTHORIZATION=authorization).status_code for _ in range(8)]
    assert statuses == [401] * 5 + [429] * 3
    response = client.get(ME, HTTP_AUTHORIZATION=authorization)
    assert int(response["Retry-After"]) >= 1
    assert response.json()["code"] == "throttled"


def test_refused_credentials_cost_a_valid_request_nothing(
    alice: Any, redis_store: RedisStore
) -> None:
    valid = login()
    attacker = APIClient()
    for _ in range(10):
        attacker.get(ME, HTTP_AUTHORIZATION="Bearer forged")
    # Same address, but authenticated: never in the anonymous bucket.
    assert [valid.get(ME).status_code for _ in range(10)] == [200] * 10


def test_clearing_a_groups_users_loads_them_again(alice: Any, redis_store: RedisStore) -> None:
    group = Group.objects.create(name="staff")
    group.user_set.add(alice)
    client = login()
    client.get(ME)
    with CaptureQueriesContext(connection) as unchanged:
        client.get(ME)
    group.user_set.clear()  # pre_clear on the group's side: its users are found before
    with CaptureQueriesContext(connection) as changed:
        client.get(ME)
    assert user_queries(unchanged) == []
    assert len(user_queries(changed)) == 1


def test_the_per_process_user_cache_is_bounded(
    alice: Any, redis_store: RedisStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django_apisec.jwt import users

    monkeypatch.setattr(users, "MAX_USERS", 1)
    users.remember_user("someone-else", "v1", alice)
    users.remember_user(str(alice.pk), "v1", alice)  # full: everything is forgotten first
    assert set(users._users) == {str(alice.pk)}


def test_without_an_anonymous_rate_refused_credentials_stay_401(redis_store: RedisStore) -> None:
    config = rest_framework()
    config["DEFAULT_THROTTLE_RATES"] = {
        scope: rate for scope, rate in config["DEFAULT_THROTTLE_RATES"].items() if scope != "anon"
    }
    with override_settings(REST_FRAMEWORK=config):
        statuses = {
            APIClient().get(ME, HTTP_AUTHORIZATION="Bearer forged").status_code for _ in range(5)
        }
    assert statuses == {401}


def test_only_throttles_that_would_limit_the_user_are_decided_ahead() -> None:
    from types import SimpleNamespace

    from rest_framework.views import APIView

    from django_apisec.abuse import throttling

    class Unscoped(APIView):
        throttle_classes = [throttling.ScopedRateThrottle]  # no throttle_scope: not limited

    class Scoped(Unscoped):
        throttle_scope = "user"

    def hits(view: Any) -> list[Any]:
        return throttling.prefetched_hits(SimpleNamespace(parser_context={"view": view}), "7")

    assert hits(object()) == []  # not a DRF view: no throttles to decide
    assert hits(Unscoped()) == []
    assert [key for key, _ in hits(Scoped())] == [throttling.throttle_key("user", "user:7")]


def test_a_user_model_without_groups_or_permissions_needs_no_relation_receiver(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from django.apps import apps
    from django.contrib import auth
    from django.db.models.signals import m2m_changed, post_delete, post_save

    class BareUser:  # a custom user model without PermissionsMixin
        pass

    monkeypatch.setattr(auth, "get_user_model", lambda: BareUser)
    before = list(m2m_changed.receivers)
    apps.get_app_config("django_apisec").connect_session_receivers()
    try:
        assert m2m_changed.receivers == before
    finally:
        post_save.disconnect(
            sender=BareUser,
            dispatch_uid="django_apisec.jwt.revocation.revoke_on_credential_change",
        )
        for name, signal in (("post_save", post_save), ("post_delete", post_delete)):
            signal.disconnect(
                sender=BareUser,
                dispatch_uid=f"django_apisec.jwt.users.forget_users_on_change.{name}",
            )

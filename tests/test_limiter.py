"""The limiter core: rates, typed keys, exact atomic counts on any cache, failure policy."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any
from unittest import mock

import pytest
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from django_apisec.abuse import limiter
from django_apisec.abuse.limiter import (
    LimiterUnavailable,
    Rate,
    hit,
    limiter_key,
    parse_rate,
)
from django_apisec.store import backends, clients
from django_apisec.store.backends import CacheStore, RedisStore, store_for
from tests.services import (
    LOCMEM_BACKEND,
    UNREACHABLE_URL,
    record_store_commands,
    redis_caches,
    require_redis,
)

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture
def redis_abuse_cache() -> Iterator[None]:
    """APISEC_CACHE on the machine's Redis (the unit tests' database, flushed)."""
    require_redis()
    with override_settings(CACHES=redis_caches(), APISEC_CACHE="abuse"):
        caches["abuse"].clear()
        yield
        caches["abuse"].clear()


@pytest.fixture
def locmem_abuse_cache() -> Iterator[None]:
    with override_settings(CACHES={"default": {"BACKEND": LOCMEM_BACKEND}}, APISEC_CACHE="default"):
        caches["default"].clear()
        yield


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("10/min", Rate(10, 60)),
        ("10/m", Rate(10, 60)),
        ("1/s", Rate(1, 1)),
        ("100/hour", Rate(100, 3600)),
        ("5/day", Rate(5, 86400)),
        ("5/15m", Rate(5, 900)),
        (" 7 / 2h ", Rate(7, 7200)),
        ("3/MIN", Rate(3, 60)),
        (None, None),
    ],
)
def test_parse_rate(value: object, expected: Rate | None) -> None:
    assert parse_rate(value) == expected


@pytest.mark.parametrize("value", ["", "10", "10/", "ten/min", "0/min", "5/0m", "-1/min", 10, [1]])
def test_invalid_rate_is_a_configuration_error(value: object) -> None:
    with pytest.raises(ImproperlyConfigured, match="throttle rate"):
        parse_rate(value)


def test_keys_are_typed_fixed_length_and_hash_tagged() -> None:
    ip = limiter_key("throttle.anon", "1.2.3.4")
    account = limiter_key("lockout.account", "1.2.3.4")
    long = limiter_key("throttle.anon", "x" * 100_000)
    assert ip != account
    assert len(ip) == len(limiter_key("throttle.anon", "")) == len(long)
    assert ip.startswith("apisec:{throttle.anon:")
    assert ip.endswith("}")
    # Concatenations that used to collide (axes: "bob1"@1.2.3.4 == "bob"@11.2.3.4) do not.
    assert limiter_key("k", "bob1\x001.2.3.4") != limiter_key("k", "bob\x0011.2.3.4")
    # Lone surrogates from a hostile client never crash the encoder.
    assert limiter_key("k", "\udc80")


@pytest.mark.parametrize("kind", ["", "has space", "UPPER", "x" * 65, "brace{"])
def test_invalid_kind_is_refused(kind: str) -> None:
    with pytest.raises(ValueError, match="kind"):
        limiter_key(kind, "v")


@pytest.mark.usefixtures("locmem_abuse_cache")
def test_cache_store_admits_exactly_the_limit() -> None:
    rate = Rate(3, 60)
    decisions = [hit("k1", rate) for _ in range(5)]
    assert [d.allowed for d in decisions] == [True, True, True, False, False]
    assert [d.remaining for d in decisions] == [2, 1, 0, 0, 0]
    assert decisions[3].retry_after >= 1
    assert decisions[0].retry_after == 0
    assert isinstance(store_for("default"), CacheStore)


@pytest.mark.usefixtures("locmem_abuse_cache")
def test_cache_store_refund_gives_one_back() -> None:
    rate = Rate(2, 60)
    hit("k2", rate)
    hit("k2", rate)
    refund = hit("k2", rate, cost=-1)
    assert refund.allowed
    assert refund.remaining == 1
    assert hit("k2", rate).allowed
    assert not hit("k2", rate).allowed


@pytest.mark.usefixtures("locmem_abuse_cache")
def test_cache_store_refund_of_nothing_is_empty() -> None:
    decision = hit("k-empty", Rate(2, 60), cost=-1)
    assert decision.allowed
    assert decision.reset == 0


@pytest.mark.usefixtures("locmem_abuse_cache")
def test_cache_store_new_window_starts_fresh() -> None:
    rate = Rate(1, 60)
    with mock.patch("django_apisec.abuse.limiter.time.time", return_value=6000.0):
        assert hit("k3", rate).allowed
        assert not hit("k3", rate).allowed
    with mock.patch("django_apisec.abuse.limiter.time.time", return_value=6060.0):
        assert hit("k3", rate).allowed


@pytest.mark.usefixtures("locmem_abuse_cache")
def test_cache_store_survives_expiry_between_add_and_incr() -> None:
    store = store_for("default")
    assert isinstance(store, CacheStore)
    with mock.patch.object(type(caches["default"]), "incr", side_effect=ValueError):
        decision = hit("k4", Rate(1, 60))
    assert decision.allowed


@pytest.mark.usefixtures("redis_abuse_cache")
def test_redis_store_admits_exactly_the_limit() -> None:
    rate = Rate(5, 3600)
    decisions = [hit("r1", rate) for _ in range(7)]
    assert [d.allowed for d in decisions] == [True] * 5 + [False] * 2
    assert [d.remaining for d in decisions[:5]] == [4, 3, 2, 1, 0]
    # GCRA: the next unit comes back after period / limit = 720 s.
    assert 715 <= decisions[5].retry_after <= 720
    assert 3595 <= decisions[4].reset <= 3600
    assert isinstance(store_for("abuse"), RedisStore)


@pytest.mark.usefixtures("redis_abuse_cache")
def test_redis_store_is_exact_under_threads() -> None:
    rate = Rate(25, 3600)
    results: list[bool] = []
    barrier = threading.Barrier(40)

    def worker() -> None:
        barrier.wait()
        results.append(hit("r-threads", rate).allowed)

    threads = [threading.Thread(target=worker) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count(True) == 25


@pytest.mark.usefixtures("redis_abuse_cache")
def test_redis_decision_is_one_round_trip_with_evalsha() -> None:
    store = store_for("abuse")
    assert isinstance(store, RedisStore)
    hit("r-warm", Rate(5, 60))  # loads the script once
    with pytest.MonkeyPatch.context() as monkeypatch:
        sent = record_store_commands(store, monkeypatch)
        hit("r-once", Rate(5, 60))
    assert [command[0] for command in sent] == ["EVALSHA"]


@pytest.mark.usefixtures("redis_abuse_cache")
def test_redis_script_is_loaded_when_the_server_lost_it() -> None:
    from redis.exceptions import NoScriptError

    store = store_for("abuse")
    assert isinstance(store, RedisStore)
    real_send_once = backends.send_once
    forgotten: list[bool] = []

    def forgetful(client: Any, key: str, *command: Any) -> Any:
        if not forgotten:
            forgotten.append(True)
            raise NoScriptError("NOSCRIPT")
        return real_send_once(client, key, *command)

    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(backends, "send_once", forgetful)
        sent = record_store_commands(store, monkeypatch)
        decision = hit("r-reload", Rate(5, 60))
    assert decision.allowed
    assert [command[0] for command in sent] == ["EVALSHA", "SCRIPT", "EVALSHA"]


@pytest.mark.usefixtures("redis_abuse_cache")
def test_redis_keys_expire_and_use_the_cache_prefix() -> None:
    store = store_for("abuse")
    assert isinstance(store, RedisStore)
    key = limiter_key("throttle.test", "client")
    hit(key, Rate(10, 60))
    full_key = caches["abuse"].make_key(key)
    assert full_key.startswith("t:")
    assert 0 < store.client.pttl(full_key) <= 6000


@pytest.mark.usefixtures("redis_abuse_cache")
def test_redis_refund() -> None:
    rate = Rate(2, 3600)
    hit("r2", rate)
    hit("r2", rate)
    assert not hit("r2", rate).allowed
    refund = hit("r2", rate, cost=-1)
    assert refund.allowed
    assert hit("r2", rate).allowed
    assert not hit("r2", rate).allowed
    # A refund of an empty bucket leaves nothing behind.
    empty = hit("r-empty", rate, cost=-1)
    assert (empty.allowed, empty.remaining, empty.reset) == (True, 2, 0)


def test_redis_client_is_built_once_per_alias_with_timeouts() -> None:
    with override_settings(CACHES=redis_caches(OPTIONS={"socket_timeout": 2})):
        store = store_for("abuse")
        assert store is store_for("abuse")
        assert isinstance(store, RedisStore)
        kwargs = store.client.connection_pool.connection_kwargs
        assert kwargs["socket_timeout"] == 2
        assert kwargs["socket_connect_timeout"] == clients.REDIS_TIMEOUT
    with override_settings(CACHES=redis_caches()):
        assert store_for("abuse") is not store  # forgotten when CACHES changed


@pytest.mark.parametrize("url", [UNREACHABLE_URL])
def test_unreachable_store_fails_closed_by_default(url: str, caplog: Any) -> None:
    # The failure log's clock restarts with the new CACHES: the first failure is logged.
    with override_settings(CACHES=redis_caches(url), APISEC_CACHE="abuse"):
        with (
            caplog.at_level(logging.ERROR, "django_apisec.abuse.limiter"),
            pytest.raises(LimiterUnavailable) as raised,
        ):
            hit("down", Rate(5, 60))
        # The second failure inside the interval is not logged again.
        with pytest.raises(LimiterUnavailable):
            hit("down", Rate(5, 60))
    assert raised.value.status_code == 503
    assert raised.value.wait == limiter.FAILURE_RETRY_AFTER
    assert raised.value.default_code == "service_unavailable"
    assert [r.getMessage() for r in caplog.records].count(
        "Abuse-control store 'abuse' unreachable; failing closed (key down)"
    ) == 1


def test_unreachable_store_fails_open_when_configured() -> None:
    with override_settings(
        CACHES=redis_caches(UNREACHABLE_URL), APISEC_CACHE="abuse", APISEC_FAILURE_POLICY="open"
    ):
        assert hit("down", Rate(5, 60)).allowed
        # A per-call policy beats the setting.
        with pytest.raises(LimiterUnavailable):
            hit("down", Rate(5, 60), failure_policy="closed")


def test_missing_cache_alias_takes_the_failure_policy() -> None:
    with override_settings(APISEC_CACHE="nowhere"), pytest.raises(LimiterUnavailable):
        hit("k", Rate(5, 60))


def test_a_user_key_part_is_checked() -> None:
    assert limiter.user_key("7", "version").endswith(":version")
    with pytest.raises(ValueError, match="Invalid user key part"):
        limiter.user_key("7", "no spaces {here}")


def test_a_version_created_concurrently_on_a_cache_without_scripts_is_the_one_read() -> None:
    cache = caches["default"]
    cache.delete_many(["t-gate", "t-version"])
    real_add = cache.add

    def another_worker_first(key: str, value: Any, timeout: Any = None) -> bool:
        real_add(key, "t-theirs", timeout)  # another worker wrote the version in between
        return real_add(key, value, timeout)

    with mock.patch.object(cache, "add", side_effect=another_worker_first):
        answer = limiter._gated_fixed_windows(cache, ["t-gate", "t-version"], [60_000])
    assert answer == [0, "t-theirs"]

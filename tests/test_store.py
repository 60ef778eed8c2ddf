"""The store adapter: Django's RedisCache internals, scripts, hash slots, the failure policy.

Every Redis command the limiter, the lockout and the revocation markers send is checked for Redis
Cluster safety (one key, or one hash slot per script); during an outage each kind of failure is
logged once per interval, not once per request.
"""

from __future__ import annotations

import logging
import subprocess
import time
from typing import TYPE_CHECKING, Any
from unittest import mock

import pytest
import redis
import redis.cluster
import redis.exceptions
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory, override_settings
from redis.crc import key_slot

from django_apisec.abuse import lockout
from django_apisec.abuse.limiter import LimiterUnavailable, Rate, hit, limiter_key
from django_apisec.jwt import revocation
from django_apisec.store import failures
from django_apisec.store.backends import CacheStore, RedisStore, current_store, store_for
from django_apisec.store.clients import REDIS_TIMEOUT, django_redis_settings, redis_client
from tests.services import (
    REDIS_URL,
    UNREACHABLE_URL,
    cluster_caches,
    django_redis_caches,
    record_store_commands,
    redis_caches,
    require_redis,
    sentinel_caches,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

LOCKOUT = {"APISEC_LOCKOUT_THRESHOLD": 3, "APISEC_LOCKOUT_PERIODS": [60, 300]}
# Commands that name exactly one key (after the command name); anything else is refused below.
SINGLE_KEY_COMMANDS = {"GET", "SET", "EXISTS", "DEL", "PEXPIRE"}


TOPOLOGIES = ["django", "django-redis", "sentinel", "cluster"]


def topology_caches(request: pytest.FixtureRequest, topology: str) -> dict[str, Any]:
    """``CACHES`` with the ``abuse`` alias on ``topology`` (started for the session if needed)."""
    if topology == "cluster":
        return cluster_caches(request.getfixturevalue("cluster"))
    if topology == "sentinel":
        return sentinel_caches(request.getfixturevalue("sentinel_group"))
    require_redis()
    return django_redis_caches() if topology == "django-redis" else redis_caches()


@pytest.fixture(params=TOPOLOGIES)
def redis_store(request: pytest.FixtureRequest) -> Iterator[RedisStore]:
    """APISEC_CACHE on each Redis topology: Django's RedisCache and django-redis on the machine's
    Redis (the unit tests' database, flushed), django-redis on Sentinel, RedisClusterCache."""
    with override_settings(
        CACHES=topology_caches(request, request.param), APISEC_CACHE="abuse", **LOCKOUT
    ):
        caches["abuse"].clear()
        store = current_store()
        assert isinstance(store, RedisStore)
        yield store
        caches["abuse"].clear()
        store.client.close()


@pytest.fixture
def outage() -> Iterator[None]:
    """APISEC_CACHE on a Redis address where nothing listens (connection refused at once)."""
    with override_settings(CACHES=redis_caches(UNREACHABLE_URL), APISEC_CACHE="abuse", **LOCKOUT):
        yield


class CommandLog:
    """Every command a store's redis client sends (scripts, pipelines too) as ``(NAME, *args)``."""

    def __init__(self, store: RedisStore, monkeypatch: pytest.MonkeyPatch) -> None:
        self.commands = record_store_commands(store, monkeypatch)

        real_execute = redis.client.Pipeline.execute
        real_cluster_execute = redis.cluster.ClusterPipeline.execute

        def pipelined(pipeline: Any, *args: Any, **kwargs: Any) -> Any:
            self.commands.extend(command for command, _ in pipeline.command_stack)
            return real_execute(pipeline, *args, **kwargs)

        def cluster_pipelined(pipeline: Any, *args: Any, **kwargs: Any) -> Any:
            self.commands.extend(command.args for command in pipeline.command_stack)
            return real_cluster_execute(pipeline, *args, **kwargs)

        monkeypatch.setattr(redis.client.Pipeline, "execute", pipelined)
        monkeypatch.setattr(redis.cluster.ClusterPipeline, "execute", cluster_pipelined)

    def names(self) -> list[str]:
        return [str(command[0]).upper() for command in self.commands]


# --- Django's RedisCache, read in one place ---------------------------------------------------


def test_django_redis_cache_internals_are_where_the_adapter_reads_them() -> None:
    # Fails on a Django version that moves RedisCache's parsed LOCATION and OPTIONS.
    backend = RedisCache(
        "redis://127.0.0.1:1/3,redis://127.0.0.1:2/3",
        {"OPTIONS": {"socket_timeout": 2, "pool_class": "redis.BlockingConnectionPool"}},
    )
    servers, options, pool_class, lib = django_redis_settings(backend)
    assert servers == ["redis://127.0.0.1:1/3", "redis://127.0.0.1:2/3"]
    assert options["socket_timeout"] == 2
    assert options["parser_class"] is redis.connection.DefaultParser
    assert "pool_class" not in options
    assert pool_class is redis.BlockingConnectionPool
    assert lib is redis
    client = redis_client(backend)
    assert isinstance(client, redis.Redis)
    assert isinstance(client.connection_pool, redis.BlockingConnectionPool)
    kwargs = client.connection_pool.connection_kwargs
    assert (kwargs["port"], kwargs["db"]) == (1, 3)  # the primary: the first LOCATION
    assert kwargs["socket_timeout"] == 2
    assert kwargs["socket_connect_timeout"] == REDIS_TIMEOUT


def test_moved_django_internals_fail_loudly() -> None:
    with pytest.raises(ImproperlyConfigured, match=r"RedisCache.*pin a supported Django"):
        django_redis_settings(object())  # type: ignore[arg-type]


def test_a_django_redis_shard_client_is_refused() -> None:
    # ShardClient puts each key on a server of its own choosing: a script's keys would not meet.
    caches_setting = django_redis_caches(UNREACHABLE_URL)
    caches_setting["abuse"]["OPTIONS"]["CLIENT_CLASS"] = "django_redis.client.ShardClient"
    with (
        override_settings(CACHES=caches_setting, APISEC_CACHE="abuse"),
        pytest.raises(ImproperlyConfigured, match=r"ShardClient.*apisec\.E416"),
    ):
        current_store()


def test_other_caches_get_the_cache_store() -> None:
    with override_settings(APISEC_CACHE="default"):
        assert isinstance(current_store(), CacheStore)
        assert current_store() is store_for("default")


# --- scripts ----------------------------------------------------------------------------------


def test_a_script_is_reloaded_after_script_flush(
    redis_store: RedisStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = limiter_key("throttle.test", "flush")
    assert hit(key, Rate(5, 60)).remaining == 4
    redis_store.client.script_flush()  # as a restart or a failover to a fresh replica would
    log = CommandLog(redis_store, monkeypatch)
    decision = hit(key, Rate(5, 60))
    assert log.names() == ["EVALSHA", "SCRIPT", "EVALSHA"]
    assert decision.remaining == 3  # the bucket survived; only the script was lost
    hit(key, Rate(5, 60))
    assert log.names()[3:] == ["EVALSHA"]  # loaded again: one round trip per decision


class LostAnswer:
    """The first script's answer is read and then lost (a timeout): the script ran on the server,
    the client cannot know it. Every other answer arrives."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.lost = 0
        real = redis.Redis.parse_response

        def parse_response(client: Any, connection: Any, command: str, **options: Any) -> Any:
            answer = real(client, connection, command, **options)
            if str(command).upper() == "EVALSHA" and not self.lost:
                self.lost += 1
                raise redis.exceptions.TimeoutError("Timeout reading from socket")
            return answer

        # Every client reads through it: Redis, the Sentinel-managed one, each cluster node's.
        monkeypatch.setattr(redis.Redis, "parse_response", parse_response)


def test_a_script_whose_answer_is_lost_is_counted_once(
    redis_store: RedisStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # RedisCluster retries a command after a timeout (10 times in redis-py 8): the script that
    # already ran would count the same request twice. The failure policy answers instead.
    key = limiter_key("throttle.test", "lost-answer")
    assert hit(key, Rate(5, 3600)).remaining == 4
    lost = LostAnswer(monkeypatch)
    with pytest.raises(LimiterUnavailable):
        hit(key, Rate(5, 3600))
    assert lost.lost == 1
    assert hit(key, Rate(5, 3600)).remaining == 2  # 4 - the lost one - this one: counted once


def _retrying_django_redis() -> dict[str, Any]:
    # django-redis shares one pool per URL across caches: a URL of its own gets a new pool.
    configured = django_redis_caches(f"{REDIS_URL}?client_name=apisec-retrying")
    configured["abuse"]["OPTIONS"]["CONNECTION_POOL_KWARGS"] = {"retry_on_timeout": True}
    return configured


#: Caches whose clients retry a command after a timeout, as many projects configure them.
RETRYING = {
    "django": redis_caches(OPTIONS={"retry_on_timeout": True}),
    "django-redis": _retrying_django_redis(),
}


@pytest.mark.parametrize("topology", RETRYING)
def test_a_client_told_to_retry_does_not_send_a_script_twice(
    topology: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_redis()
    with override_settings(CACHES=RETRYING[topology], APISEC_CACHE="abuse"):
        caches["abuse"].clear()
        store = current_store()
        assert isinstance(store, RedisStore)
        connection = store.client.connection_pool.get_connection()
        assert connection.retry.get_retries() > 0  # this client would send a command again
        store.client.connection_pool.release(connection)
        key = limiter_key("throttle.test", "lost-answer")
        assert hit(key, Rate(5, 3600)).remaining == 4
        LostAnswer(monkeypatch)
        with pytest.raises(LimiterUnavailable):
            hit(key, Rate(5, 3600))
        assert hit(key, Rate(5, 3600)).remaining == 2
        caches["abuse"].clear()


#: A Lua loop that keeps a Redis server busy for about a second: commands sent meanwhile wait,
#: then run (a slow primary, a node swapping, a long script of someone else's).
BUSY = """
local start = redis.call('TIME')
while true do
    local now = redis.call('TIME')
    if (now[1] - start[1]) * 1000000 + now[2] - start[2] > 1000000 then return 1 end
end
"""


def test_a_script_that_times_out_on_a_busy_cluster_node_is_counted_once(
    request: pytest.FixtureRequest,
) -> None:
    cluster = request.getfixturevalue("cluster")
    with override_settings(CACHES=cluster_caches(cluster), APISEC_CACHE="abuse"):
        caches["abuse"].clear()
        store = current_store()
        assert isinstance(store, RedisStore)
        key = limiter_key("throttle.test", "busy-node")
        assert hit(key, Rate(5, 3600)).remaining == 4
        node = store.client.get_node_from_key(store.key(key))
        busy = subprocess.Popen(
            ["redis-cli", "-h", node.host, "-p", str(node.port), "EVAL", BUSY, "0"],
            stdout=subprocess.DEVNULL,
        )
        try:
            time.sleep(0.2)  # the loop has started
            started = time.monotonic()
            with pytest.raises(LimiterUnavailable):
                hit(key, Rate(5, 3600))
            assert time.monotonic() - started < 0.9  # one timeout, no retry waiting for the node
        finally:
            busy.wait(timeout=10)
        # The script waited out the loop, then ran: once.
        assert hit(key, Rate(5, 3600)).remaining == 2
        caches["abuse"].clear()


def test_store_values_round_trip_on_redis(redis_store: RedisStore) -> None:
    redis_store.set("n", 42, 60)
    redis_store.set("data", {"alice": 1.5}, 60)
    assert redis_store.get("n") == 42
    assert redis_store.get("data") == {"alice": 1.5}
    assert redis_store.get("missing") is None
    assert caches["abuse"].get("n") == 42  # an int is stored raw, as Django's RedisCache does
    assert redis_store.incr("count", 30) == 1
    assert redis_store.incr("count", 30) == 2
    assert 0 < redis_store.client.ttl(redis_store.key("count")) <= 30
    redis_store.touch("count", 5)
    assert 0 < redis_store.client.pttl(redis_store.key("count")) <= 5000
    redis_store.delete("count")
    assert not redis_store.exists("count")
    redis_store.mark([], 10)  # nothing to write: nothing sent


def test_cache_store_counts_after_expiry_between_add_and_incr() -> None:
    store = store_for("default")
    assert isinstance(store, CacheStore)
    with mock.patch.object(type(caches["default"]), "incr", side_effect=ValueError):
        assert store.incr("gone", 60) == 1
    assert store.incr("counted", 60) == 1
    assert store.incr("counted", 60) == 2


# --- Redis Cluster: one key per command, one hash slot per script -----------------------------


@pytest.mark.parametrize("bucket", ["alice", "bob\x00device-1", "\u00e9", ""])
def test_lockout_script_keys_share_a_hash_slot(bucket: str) -> None:
    failures_key, lock_key, _ = lockout._keys(bucket, "alice")
    assert key_slot(failures_key.encode()) == key_slot(lock_key.encode())
    # An account's shared bucket and its lock level live together too (unlock clears all three).
    assert len({key_slot(key.encode()) for key in lockout._keys(bucket, bucket)}) == 1


@pytest.mark.django_db
def test_every_command_is_cluster_safe(
    redis_store: RedisStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = CommandLog(redis_store, monkeypatch)
    throttle = limiter_key("throttle.anon", "203.0.113.7")
    for _ in range(3):
        hit(throttle, Rate(2, 60))
    hit(throttle, Rate(2, 60), cost=-1)
    for _ in range(3):
        lockout.record_failure(None, lockout.reserve(None, "alice"))
    assert not lockout.reserve(RequestFactory().post("/"), "alice").admitted
    assert list(lockout.locked_accounts()) == ["alice"]
    assert lockout.unlock("alice") is True
    lockout.record_success(None, lockout.reserve(None, "alice"))
    revocation.mark_revoked(["family-1", "family-2", "family-3"])
    assert revocation.is_session_revoked("family-2") is True

    # SCRIPT LOAD only if the server lacked a script (it keeps them across FLUSHDB).
    assert set(log.names()) - {"SCRIPT"} == {"EVALSHA", *SINGLE_KEY_COMMANDS}
    assert log.names().count("EXISTS") == 2  # unlock's lock check, the revocation check
    for command in log.commands:
        name = str(command[0]).upper()
        if name == "EVALSHA":
            keys = command[3 : 3 + int(command[2])]
            assert len({key_slot(str(key).encode()) for key in keys}) == 1, command
        elif name in SINGLE_KEY_COMMANDS:
            key = command[1]
            assert str(key).startswith("t:"), command  # the cache's key function
    # Three markers: three single-key writes, never one MSET.
    assert log.names().count("SET") >= 3


# --- the failure policy, logged once per interval ---------------------------------------------


def messages(caplog: pytest.LogCaptureFixture, logger: str) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == logger]


@pytest.mark.usefixtures("outage")
def test_limiter_outage_is_logged_once_per_interval(caplog: pytest.LogCaptureFixture) -> None:
    with mock.patch.object(failures.time, "monotonic", return_value=1000.0):
        for _ in range(5):
            with pytest.raises(LimiterUnavailable):
                hit("k", Rate(5, 60))
    with mock.patch.object(failures.time, "monotonic", return_value=1009.9):
        assert hit("k", Rate(5, 60), failure_policy="open").allowed
    with mock.patch.object(failures.time, "monotonic", return_value=1010.0):
        assert hit("k", Rate(5, 60), failure_policy="open").allowed
    assert messages(caplog, "django_apisec.abuse.limiter") == [
        "Abuse-control store 'abuse' unreachable; failing closed (key k)",
        "Abuse-control store 'abuse' unreachable; failing open (key k)",
    ]


@pytest.mark.django_db
@pytest.mark.usefixtures("outage")
def test_lockout_outage_is_logged_once_per_interval(caplog: pytest.LogCaptureFixture) -> None:
    # Before the adapter, the lockout logged every refused login of an outage.
    with mock.patch.object(failures.time, "monotonic", return_value=1000.0):
        attempts = [lockout.reserve(None, f"user{n}") for n in range(5)]
    assert [attempt.admitted for attempt in attempts] == [False] * 5
    assert {attempt.retry_after for attempt in attempts} == {10}
    with (
        override_settings(APISEC_FAILURE_POLICY="open"),
        mock.patch.object(failures.time, "monotonic", return_value=1010.0),
    ):
        attempt = lockout.reserve(None, "user")
    assert (attempt.admitted, attempt.counted) == (True, False)
    assert messages(caplog, "django_apisec.abuse.lockout") == [
        "Lockout store unreachable; failing closed",
        "Lockout store unreachable; failing open",
    ]


@pytest.mark.usefixtures("outage")
def test_revocation_outage_accepts_tokens_and_is_logged_once_per_interval(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with (
        override_settings(APISEC_FAILURE_POLICY="closed"),  # the check is open whatever it says
        mock.patch.object(failures.time, "monotonic", return_value=1000.0),
    ):
        assert [revocation.is_session_revoked(f"f{n}") for n in range(4)] == [False] * 4
    (record,) = [r for r in caplog.records if r.name == "django_apisec.security"]
    assert record.event == "revocation_cache_unavailable"  # type: ignore[attr-defined]
    assert record.family_id == "f0"  # type: ignore[attr-defined]
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None


@pytest.mark.usefixtures("outage")
def test_each_kind_of_failure_has_its_own_clock(caplog: pytest.LogCaptureFixture) -> None:
    with mock.patch.object(failures.time, "monotonic", return_value=1000.0):
        assert hit("k", Rate(5, 60), failure_policy="open").allowed
        assert lockout.reserve(None, "alice").admitted is False
        assert revocation.is_session_revoked("f") is False
    assert [record.name for record in caplog.records] == [
        "django_apisec.abuse.limiter",
        "django_apisec.abuse.lockout",
        "django_apisec.security",
    ]


def test_a_new_store_configuration_restarts_the_clocks(caplog: pytest.LogCaptureFixture) -> None:
    with mock.patch.object(failures.time, "monotonic", return_value=1000.0):
        for _ in range(2):
            with override_settings(CACHES=redis_caches(UNREACHABLE_URL), APISEC_CACHE="abuse"):
                assert hit("k", Rate(5, 60), failure_policy="open").allowed
                assert hit("k", Rate(5, 60), failure_policy="open").allowed
    assert len(messages(caplog, "django_apisec.abuse.limiter")) == 2


@pytest.mark.parametrize(
    ("setting", "override", "expected"),
    [
        ("closed", None, "closed"),
        ("open", None, "open"),
        ("open", "closed", "closed"),
        ("closed", "open", "open"),
        ("open", "bogus", "open"),  # an unusable override is ignored (apisec.E604 judges it)
    ],
)
def test_failure_policy(setting: str, override: str | None, expected: str) -> None:
    with override_settings(APISEC_FAILURE_POLICY=setting):
        assert failures.failure_policy(override) == expected

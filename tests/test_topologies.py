"""The topology launcher (django_apisec.testing.topologies): ports, failures, cleanup."""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING

import pytest

from django_apisec.testing import topologies
from tests.services import require_redis_binaries

if TYPE_CHECKING:
    from pathlib import Path


def test_missing_binaries_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(topologies.shutil, "which", lambda name: None)
    assert topologies.missing_binaries() == "redis-server and redis-cli not found on PATH"


def test_a_taken_port_is_not_free() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        assert not topologies._is_free(taken.getsockname()[1])


def test_a_node_whose_bus_port_is_taken_gets_another_port(monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter([False, True])
    monkeypatch.setattr(topologies, "_is_free", lambda port: next(answers))
    assert topologies._free_port(bus=True) + topologies.BUS_OFFSET < 65536


def test_a_server_that_cannot_start_is_reported_with_its_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_redis_binaries()
    monkeypatch.setattr(topologies, "STARTS", 1)
    with pytest.raises(RuntimeError, match="redis-server broken did not start"):
        topologies._start(tmp_path, "broken", ["no-such-directive yes"])
    # Stopped and reaped: stopping twice is harmless.
    (directory,) = tmp_path.iterdir()
    assert directory.name.startswith("broken-")


def test_a_condition_that_never_holds_times_out_with_the_logs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(topologies, "START_TIMEOUT", 0.2)
    server = topologies.RedisProcess(1, None, tmp_path)  # type: ignore[arg-type]
    (tmp_path / "redis.log").write_text("the log line\n")
    with pytest.raises(RuntimeError, match=r"(?s)never did not happen.*the log line"):
        topologies._wait("never", lambda: False, [server])
    assert topologies.RedisProcess(1, None, tmp_path / "absent").log() == ""  # type: ignore[arg-type]


def test_no_answering_sentinel_names_no_primary(tmp_path: Path) -> None:
    require_redis_binaries()
    nowhere = topologies.RedisProcess(1, None, tmp_path)  # type: ignore[arg-type]
    group = topologies.SentinelGroup(nowhere, nowhere, [nowhere, nowhere])
    assert group.primary_port() is None

"""Throwaway Redis topologies for tests and benchmarks: a Redis Cluster and a Sentinel group.

::

    from django_apisec.testing.topologies import redis_cluster, redis_sentinel

    with redis_cluster() as cluster:      # 3 primaries, made by redis-cli --cluster create
        cluster.location                  # ["redis://127.0.0.1:P1", ...]
    with redis_cluster(replicas=1) as cluster:  # 3 primaries, a replica each (for failovers)
        cluster.node(port).stop()         # a primary dies: its replica takes over
    with redis_sentinel() as sentinel:    # 1 primary, 1 replica, 3 sentinels
        sentinel.sentinels                # [("127.0.0.1", S1), ...]; service "apisec"

Every ``redis-server`` runs on a free loopback port (Redis cannot report a port it chose
itself: the kernel picks a free one, it is released and the server binds it at once; a server
that loses that race is started again on another), in its own temporary directory, without
persistence, in its own session. Leaving the block, however it ends, kills every process and
removes the directories. :func:`missing_binaries` says why the topologies cannot run here.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

__all__ = [
    "SENTINEL_SERVICE",
    "Cluster",
    "RedisProcess",
    "SentinelGroup",
    "missing_binaries",
    "redis_cluster",
    "redis_sentinel",
]

SENTINEL_SERVICE = "apisec"
HOST = "127.0.0.1"
START_TIMEOUT = 30.0
#: A cluster node also listens on its port + 10000 (the cluster bus).
BUS_OFFSET = 10000
STARTS = 5


def missing_binaries() -> str | None:
    """Why the topologies cannot start here (``redis-server`` or ``redis-cli`` missing), or None."""
    missing = [name for name in ("redis-server", "redis-cli") if shutil.which(name) is None]
    return f"{' and '.join(missing)} not found on PATH" if missing else None


def _free_port(*, bus: bool = False) -> int:
    while True:
        with socket.socket() as probe:
            probe.bind((HOST, 0))
            port: int = probe.getsockname()[1]
        if not bus or (port + BUS_OFFSET < 65536 and _is_free(port + BUS_OFFSET)):
            return port


def _is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
    return True


def _answers(port: int, *command: str) -> str | None:
    done = subprocess.run(  # noqa: S603 - our own arguments
        ["redis-cli", "-h", HOST, "-p", str(port), *command],  # noqa: S607 - found on PATH
        capture_output=True,
        text=True,
        timeout=5,
        check=False,
    )
    return done.stdout if done.returncode == 0 and not done.stdout.startswith("ERR") else None


@dataclass
class RedisProcess:
    """One running ``redis-server`` (a node, a replica or a sentinel)."""

    port: int
    process: subprocess.Popen[bytes]
    directory: Path

    @property
    def url(self) -> str:
        """``redis://127.0.0.1:PORT``."""
        return f"redis://{HOST}:{self.port}"

    def stop(self) -> None:
        """Kill the server now (as a crashed or unplugged primary would vanish)."""
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def log(self) -> str:
        """What the server logged."""
        path = self.directory / "redis.log"
        return path.read_text(errors="replace") if path.exists() else ""


def _start(root: Path, name: str, lines: list[str], *, sentinel: bool = False, bus: bool = False
           ) -> RedisProcess:  # fmt: skip
    for _ in range(STARTS):
        port = _free_port(bus=bus)
        directory = root / f"{name}-{port}"
        directory.mkdir()
        config = directory / "redis.conf"
        config.write_text(
            "\n".join(
                [
                    f"port {port}",
                    f"bind {HOST}",
                    f'dir "{directory}"',
                    f'logfile "{directory / "redis.log"}"',
                    'save ""',
                    "appendonly no",
                    "protected-mode no",
                    *lines,
                ]
            )
            + "\n"
        )
        command = ["redis-server", str(config), *(["--sentinel"] if sentinel else [])]
        process = subprocess.Popen(  # noqa: S603 - our own arguments
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        server = RedisProcess(port, process, directory)
        deadline = time.monotonic() + START_TIMEOUT
        while process.poll() is None and time.monotonic() < deadline:
            if _answers(port, "PING") == "PONG\n":
                return server
            time.sleep(0.05)
        server.stop()  # lost the port to another process, or too slow: try another port
    msg = f"redis-server {name} did not start:\n{server.log()[-2000:]}"
    raise RuntimeError(msg)


def _wait(what: str, condition: Callable[[], bool], servers: list[RedisProcess]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while not condition():
        if time.monotonic() > deadline:
            logs = "\n".join(server.log()[-1000:] for server in servers)
            msg = f"{what} did not happen within {START_TIMEOUT:.0f}s:\n{logs}"
            raise RuntimeError(msg)
        time.sleep(0.1)


@dataclass
class Cluster:
    """A running Redis Cluster: its primaries, then their replicas if it has any."""

    nodes: list[RedisProcess] = field(default_factory=list)

    @property
    def location(self) -> list[str]:
        """Every node's URL: a ``RedisClusterCache`` ``LOCATION``."""
        return [node.url for node in self.nodes]

    @property
    def addresses(self) -> str:
        """``host:port,host:port,...``: the testproject's ``REDIS_CLUSTER_NODES``."""
        return ",".join(f"{HOST}:{node.port}" for node in self.nodes)

    def node(self, port: int) -> RedisProcess:
        """The node listening on ``port``."""
        (found,) = (node for node in self.nodes if node.port == port)
        return found

    def flush(self) -> None:
        """Empty every primary."""
        for node in self.nodes:
            _answers(node.port, "FLUSHALL")


@dataclass
class SentinelGroup:
    """A running primary, its replica and three sentinels monitoring them."""

    primary: RedisProcess
    replica: RedisProcess
    sentinel_processes: list[RedisProcess]
    service: str = SENTINEL_SERVICE

    @property
    def sentinels(self) -> list[tuple[str, int]]:
        """``(host, port)`` of each sentinel (django-redis ``OPTIONS["SENTINELS"]``)."""
        return [(HOST, sentinel.port) for sentinel in self.sentinel_processes]

    @property
    def addresses(self) -> str:
        """``host:port,...`` of the sentinels: the testproject's ``REDIS_SENTINELS``."""
        return ",".join(f"{host}:{port}" for host, port in self.sentinels)

    def flush(self) -> None:
        """Empty the current primary (the replica follows)."""
        _answers(self.primary_port() or self.primary.port, "FLUSHALL")

    def primary_port(self) -> int | None:
        """The port the first answering sentinel names as the primary now."""
        for sentinel in self.sentinel_processes:
            answer = _answers(sentinel.port, "SENTINEL", "get-master-addr-by-name", self.service)
            if answer:
                return int(answer.split()[1])
        return None


@contextlib.contextmanager
def _processes() -> Iterator[tuple[Path, list[RedisProcess]]]:
    started: list[RedisProcess] = []
    with tempfile.TemporaryDirectory(prefix="apisec-redis-") as root:
        try:
            yield Path(root), started
        finally:
            for server in started:
                server.stop()


@contextlib.contextmanager
def redis_cluster(primaries: int = 3, replicas: int = 0) -> Iterator[Cluster]:
    """A Redis Cluster of ``primaries`` nodes, each with ``replicas`` replicas, on loopback, torn
    down when the block ends (a primary that stops is replaced by its replica within about the
    node timeout, 2 s)."""
    with _processes() as (root, started):
        cluster = Cluster()
        for _ in range(primaries * (1 + replicas)):
            node = _start(
                root,
                "cluster",
                ["cluster-enabled yes", "cluster-config-file nodes.conf",
                 "cluster-node-timeout 2000"],
                bus=True,
            )  # fmt: skip
            started.append(node)
            cluster.nodes.append(node)
        subprocess.run(  # noqa: S603 - our own arguments
            ["redis-cli", "--cluster", "create",  # noqa: S607 - found on PATH
             *(f"{HOST}:{node.port}" for node in cluster.nodes),
             "--cluster-replicas", str(replicas), "--cluster-yes"],
            capture_output=True, timeout=60, check=True,
        )  # fmt: skip

        def ready(node: RedisProcess) -> bool:
            replication = _answers(node.port, "INFO", "replication") or ""
            synced = "role:master" in replication or "master_link_status:up" in replication
            return synced and "cluster_state:ok" in (_answers(node.port, "CLUSTER", "INFO") or "")

        _wait(
            "cluster_state:ok and replicas in sync on every node",
            lambda: all(ready(node) for node in cluster.nodes),
            cluster.nodes,
        )
        yield cluster


@contextlib.contextmanager
def redis_sentinel(service: str = SENTINEL_SERVICE) -> Iterator[SentinelGroup]:
    """One primary, one replica and three sentinels (quorum 2), torn down when the block ends."""
    with _processes() as (root, started):
        primary = _start(root, "primary", [])
        started.append(primary)
        replica = _start(root, "replica", [f"replicaof {HOST} {primary.port}"])
        started.append(replica)
        sentinels = []
        for _ in range(3):
            sentinel = _start(
                root,
                "sentinel",
                [f"sentinel monitor {service} {HOST} {primary.port} 2",
                 f"sentinel down-after-milliseconds {service} 1000",
                 f"sentinel failover-timeout {service} 3000",
                 f"sentinel parallel-syncs {service} 1"],
                sentinel=True,
            )  # fmt: skip
            started.append(sentinel)
            sentinels.append(sentinel)
        group = SentinelGroup(primary, replica, sentinels, service)

        def ready() -> bool:
            for sentinel in sentinels:
                info = _answers(sentinel.port, "SENTINEL", "master", service) or ""
                fields = info.split("\n")
                values = dict(zip(fields[::2], fields[1::2], strict=False))
                if values.get("num-slaves") != "1" or values.get("num-other-sentinels") != "2":
                    return False
            return "master_link_status:up" in (_answers(replica.port, "INFO", "replication") or "")

        _wait("the sentinels seeing the replica and each other", ready, started)
        yield group

"""Plain-HTTP gunicorn deployments for the benchmarks that measure the request path itself.

``tests/integration/abuse_server.py`` serves over TLS, and gunicorn's sync workers close the
connection after every response: a TLS handshake per request would dominate what
bench/request_overhead.py measures. Here gunicorn speaks plain HTTP on 127.0.0.1 and the load
generator plays the TLS-terminating proxy (``X-Forwarded-Proto: https`` from 127.0.0.1, the
trusted proxy), the shape of a production deployment behind a load balancer. The database and
the environment come from ``abuse_server`` (a fresh PostgreSQL database, Redis, the production
profile's secrets).
"""

from __future__ import annotations

import contextlib
import http.client
import os
import secrets
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.integration.abuse_server import MANAGE, ROOT, free_port

if TYPE_CHECKING:
    from collections.abc import Iterator

PROXY_HEADERS = {"X-Forwarded-Proto": "https"}
START_TIMEOUT = 90


def production_env(database_url: str, redis_url: str, **overrides: str) -> dict[str, str]:
    """The testproject's production environment behind a proxy on 127.0.0.1."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("APISEC_", "DJANGO_", "COV_CORE_", "BENCH_"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "testproject.settings",
            "PYTHONPATH": str(ROOT),
            "APISEC_PROFILE": "production",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
            "APISEC_JWT_SIGNING_KEY": secrets.token_urlsafe(64),
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "APISEC_TRUSTED_PROXIES": "127.0.0.1/32",
            **overrides,
        }
    )
    return env


def python(env: dict[str, str], code: str) -> str:
    """Run ``code`` in a configured Django process (``env``'s settings); its stdout."""
    done = subprocess.run(
        [sys.executable, "-c", f"import django\ndjango.setup()\n{code}"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(
            f"{env['DJANGO_SETTINGS_MODULE']}: {code[:60]!r}:\n{done.stderr[-3000:]}"
        )
    return done.stdout


def migrate(env: dict[str, str]) -> None:
    """``manage.py migrate`` with ``env``."""
    subprocess.run(
        [sys.executable, str(MANAGE), "migrate", "--noinput", "-v", "0"],
        env=env,
        cwd=ROOT,
        check=True,
        timeout=300,
    )


@dataclass
class Server:
    """A running gunicorn."""

    name: str
    port: int
    env: dict[str, str]
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        """Base URL."""
        return f"http://127.0.0.1:{self.port}"

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, bytes]:
        """One request as the proxy forwards it: status and body."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(
                method, path, body=body, headers={**PROXY_HEADERS, **(headers or {})}
            )
            answer = connection.getresponse()
            return answer.status, answer.read()
        finally:
            connection.close()

    def worker_pids(self) -> list[int]:
        """The worker processes' ids (children of the arbiter)."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()]


def gunicorn_command(port: int, workers: int) -> list[str]:
    """gunicorn with ``workers`` sync workers on 127.0.0.1:``port``, trusting no forwarded header
    itself (Django decides, from ``APISEC_TRUSTED_PROXIES``)."""
    command = [
        sys.executable, "-m", "gunicorn", "testproject.wsgi:application",
        "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers),
        "--forwarded-allow-ips", "",
        "--graceful-timeout", "2",
        "--timeout", "60",
        "--backlog", "2048",
    ]  # fmt: skip
    from gunicorn.config import KNOWN_SETTINGS

    # gunicorn 24+ opens a control socket shared by every instance on the machine.
    if any(setting.name == "control_socket_disable" for setting in KNOWN_SETTINGS):
        command.append("--no-control-socket")
    return command


@contextlib.contextmanager
def serve(name: str, env: dict[str, str], workers: int) -> Iterator[Server]:
    """Serve ``env``'s settings with gunicorn until the block ends; waits for every worker."""
    with tempfile.TemporaryDirectory(prefix="apisec-bench-") as tmp:
        log = Path(tmp) / "gunicorn.log"
        port = free_port()
        with log.open("wb") as output:
            process = subprocess.Popen(
                gunicorn_command(port, workers),
                env=env,
                cwd=ROOT,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        server = Server(name, port, env, process, log)
        try:
            wait_until_up(server, workers)
            yield server
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=15)


def wait_until_up(server: Server, workers: int) -> None:
    """Until a path no view answers gives 404 and every worker has booted."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name}: gunicorn exited:\n{server.log.read_text()[-3000:]}")
        booted = server.log.read_text(errors="replace").count("Booting worker")
        with contextlib.suppress(OSError, http.client.HTTPException):
            if booted >= workers and server.request("GET", "/no-such-path/")[0] == 404:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{server.name}: gunicorn did not start:\n{server.log.read_text()[-3000:]}")

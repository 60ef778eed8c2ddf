"""The integration-server harness (django_apisec.testing.server): the port is read back, every
worker is ready before the block starts, nothing survives the block, TLS is verified, and every
Redis database number comes from one registry.

The servers here serve tests/harness_app.py (no Django, no database) so they start in a second.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import pytest

from django_apisec.testing import gunicorn_hooks, server
from django_apisec.testing.server import (
    REDIS_DATABASES,
    HarnessError,
    django_admin,
    django_env,
    listening_port,
    ready_workers,
    redis_url,
    serve,
    unreachable,
)

ROOT = Path(__file__).resolve().parent.parent
APP = "tests.harness_app:application"


def alive(pid: int) -> bool:
    """Whether a process (not a zombie) with this id exists."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


# --- the pure parts --------------------------------------------------------------------------


def test_the_port_is_read_from_gunicorns_listening_line() -> None:
    log = (
        "[INFO] Starting gunicorn 23.0.0\n"
        "[INFO] Listening at: http://127.0.0.1:41234 (4242)\n"
        "[INFO] Using worker: sync\n"
    )
    assert listening_port(log) == 41234
    assert listening_port("[INFO] Listening at: https://127.0.0.1:8443 (1)\n") == 8443
    assert listening_port("[INFO] Starting gunicorn 23.0.0\n") is None


def test_the_line_the_hook_logs_is_the_line_readiness_waits_for(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Worker:
        pid = 4321
        log = logging.getLogger("gunicorn.error")

    with caplog.at_level(logging.INFO, logger="gunicorn.error"):
        gunicorn_hooks.post_worker_init(Worker())
    assert ready_workers(caplog.text) == [4321]
    assert ready_workers("[INFO] Booting worker with pid: 4321\n") == []


def test_the_hook_turns_off_a_uvicorn_workers_server_banner() -> None:
    class Config:
        server_header = True

    class UvicornWorker:
        pid = 4322
        log = logging.getLogger("gunicorn.error")
        config = Config()

    gunicorn_hooks.post_worker_init(UvicornWorker())
    assert UvicornWorker.config.server_header is False


def test_every_redis_user_has_its_own_database() -> None:
    numbers = list(REDIS_DATABASES.values())
    assert len(set(numbers)) == len(numbers)
    assert all(0 < number < 16 for number in numbers)  # 0 is every other program's default
    with pytest.raises(TypeError):
        REDIS_DATABASES["new"] = 1  # type: ignore[index]


def test_redis_url_takes_the_server_from_the_environment_and_the_number_from_the_registry(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("APISEC_TEST_REDIS_URL", raising=False)
    assert redis_url("unit") == f"redis://127.0.0.1:6379/{REDIS_DATABASES['unit']}"
    monkeypatch.setenv("APISEC_TEST_REDIS_URL", "redis://:pw@redis.internal:6380/3")
    assert redis_url("bench") == f"redis://:pw@redis.internal:6380/{REDIS_DATABASES['bench']}"
    with pytest.raises(KeyError):
        redis_url("not-registered")


# A Redis URL with an explicit database on the machine's Redis, outside the registry.
LITERAL_REDIS_DATABASE = re.compile(r"redis://[^\"'\s/]*:6379/\d+")


def test_no_test_or_benchmark_names_a_redis_database_itself() -> None:
    sources = [*ROOT.glob("tests/**/*.py"), *ROOT.glob("bench/*.py")]
    offenders = [
        f"{path.relative_to(ROOT)}: {match}"
        for path in sources
        if path.name != Path(__file__).name
        for match in LITERAL_REDIS_DATABASE.findall(path.read_text())
    ]
    assert offenders == []


def test_neither_tests_nor_benchmarks_import_each_other() -> None:
    bench_imports_tests = [
        path.name
        for path in ROOT.glob("bench/*.py")
        if re.search(r"^\s*(from|import) tests\b", path.read_text(), re.MULTILINE)
    ]
    tests_import_bench_or_tests = [
        str(path.relative_to(ROOT))
        for path in ROOT.glob("tests/**/*.py")
        if re.search(
            r"^\s*(from|import) (bench\b|tests(\.\w+)*\.test_)", path.read_text(), re.MULTILINE
        )
    ]
    assert bench_imports_tests == []
    assert tests_import_bench_or_tests == []


def test_unreachable_services_are_named_with_the_reason_and_no_password() -> None:
    assert unreachable() is None
    problem = unreachable(postgres="postgres://me:hunter2-secret@127.0.0.1:1/db")
    assert problem is not None
    assert problem.startswith("PostgreSQL not reachable at postgres://me:***@127.0.0.1:1/db: ")
    assert "hunter2-secret" not in problem
    problem = unreachable(redis="redis://127.0.0.1:1/0")
    assert problem is not None
    assert problem.startswith("Redis not reachable at redis://127.0.0.1:1/0: ConnectionError")
    assert server._describe(ValueError()) == "ValueError"


def test_django_env_keeps_the_outer_runs_settings_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APISEC_PROFILE", "development")
    monkeypatch.setenv("BENCH_USERS", "9")
    monkeypatch.setenv("COV_CORE_SOURCE", "x")
    monkeypatch.setenv("PYTEST_CURRENT_TEST", "test_x[" + "[" * 200_000 + "] (setup)")
    env = django_env("testproject.settings", {"APISEC_PROFILE": "production"}, root=ROOT)
    assert env["DJANGO_SETTINGS_MODULE"] == "testproject.settings"
    assert env["APISEC_PROFILE"] == "production"
    assert env["PYTHONPATH"] == str(ROOT)
    assert "BENCH_USERS" not in env
    assert "COV_CORE_SOURCE" not in env
    assert "PYTEST_CURRENT_TEST" not in env  # a long test id would not fit in the environment


def test_a_failing_command_raises_with_its_output() -> None:
    env = django_env("tests.settings", root=ROOT)
    with pytest.raises(HarnessError, match="no-such-command"):
        django_admin(env, "no-such-command", root=ROOT)
    done = django_admin(env, "no-such-command", root=ROOT, check=False)
    assert done.returncode != 0


# --- real servers ----------------------------------------------------------------------------


def test_serve_reads_the_port_back_and_waits_for_every_worker() -> None:
    with serve("tests.settings", app=APP, workers=2, worker_class="gthread", threads=2) as running:
        assert f"Listening at: http://127.0.0.1:{running.port} " in running.log_text()
        assert running.url == f"http://127.0.0.1:{running.port}"
        assert running.scheme == "http"
        assert len(set(running.workers)) == 2
        children = Path(f"/proc/{running.pid}/task/{running.pid}/children").read_text().split()
        assert sorted(running.workers) == sorted(int(pid) for pid in children)
        response = running.request("GET", "/echo/")
        assert response.status == 200
        assert response.json()["path"] == "/echo/"


def test_request_sends_json_tokens_and_default_headers() -> None:
    headers = {"X-Forwarded-Proto": "https"}
    with serve("tests.settings", app=APP, workers=1, headers=headers) as running:
        echoed = running.request("POST", "/", {"a": 1}, token="t0k").json()
        assert echoed["method"] == "POST"
        assert echoed["body"] == '{"a": 1}'
        assert echoed["headers"]["Content-Type"] == "application/json"
        assert echoed["headers"]["Authorization"] == "Bearer t0k"
        assert echoed["headers"]["X-Forwarded-Proto"] == "https"
        # gunicorn itself trusts no forwarded header: the scheme stays what the socket is.
        assert echoed["scheme"] == "http"
        raw = running.request("PUT", "/", "plain", {"X-A": "1"}, default_headers=False).json()
        assert raw["body"] == "plain"
        assert "X-Forwarded-Proto" not in raw["headers"]
        assert raw["headers"]["X-A"] == "1"
        connection = running.connect()
        assert running.request("GET", "/", connection=connection).status == 200


def test_tls_serves_a_certificate_the_client_verifies() -> None:
    with serve("tests.settings", app=APP, workers=1, tls=True) as running:
        assert running.url.startswith("https://127.0.0.1:")
        assert running.request("GET", "/").json()["scheme"] == "https"
        # The check is real: a client that does not trust the throwaway certificate refuses it.
        import http.client

        untrusting = http.client.HTTPSConnection(
            "127.0.0.1", running.port, timeout=10, context=ssl.create_default_context()
        )
        with pytest.raises(ssl.SSLCertVerificationError):
            untrusting.connect()
        untrusting.close()


def test_nothing_survives_the_block_even_when_it_raises() -> None:
    pids: list[int] = []

    def failing_test() -> None:
        with serve("tests.settings", app=APP, workers=2) as running:
            pids.extend([running.pid, *running.workers])
            raise RuntimeError("the test failed")

    with pytest.raises(RuntimeError, match="the test failed"):
        failing_test()
    assert len(pids) == 3
    assert not group_alive(pids[0])
    assert not any(alive(pid) for pid in pids)


def test_a_server_that_cannot_start_raises_with_its_log() -> None:
    with (
        pytest.raises(HarnessError, match=r"No module named 'tests\.no_such_module'"),
        serve("tests.settings", app="tests.no_such_module:application", workers=1),
    ):
        pytest.fail("the block must not run")  # pragma: no cover


STUBBORN = """
import signal, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
print("ready", flush=True)
time.sleep(60)
"""


def test_a_server_that_ignores_sigterm_is_killed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(server, "STOP_TIMEOUT", 0.5)
    stubborn = subprocess.Popen(
        [sys.executable, "-c", STUBBORN],
        stdout=subprocess.PIPE, start_new_session=True,
    )  # fmt: skip
    assert stubborn.stdout is not None
    assert stubborn.stdout.readline() == b"ready\n"
    started = time.monotonic()
    server._stop(stubborn)
    assert stubborn.returncode == -signal.SIGKILL
    assert time.monotonic() - started < 5
    stubborn.stdout.close()


def test_the_ownership_helper_is_importable_from_the_package() -> None:
    from django_apisec import testing
    from django_apisec.testing.ownership import assert_owner_isolation

    assert testing.assert_owner_isolation is assert_owner_isolation
    with pytest.raises(AttributeError, match="no_such_helper"):
        testing.no_such_helper  # noqa: B018


# --- deployment shapes: uvicorn workers under gunicorn, uvicorn alone, TLS --------------------

ASGI_APP = "tests.harness_app:asgi_application"


@pytest.mark.parametrize("shape", ["asgi", "uvicorn"])
def test_asgi_shapes_are_ready_with_every_worker_and_trust_no_forwarded_header(
    shape: str,
) -> None:
    with serve("tests.settings", app=ASGI_APP, workers=2, shape=shape) as running:
        assert len(set(running.workers)) == 2
        response = running.request(
            "GET",
            "/echo/",
            headers={"X-Forwarded-For": "198.51.100.1", "X-Forwarded-Proto": "https"},
        )
        assert response.status == 200
        assert response.json() == {
            "path": "/echo/",
            "scheme": "http",
            "client": "127.0.0.1",
            "body": "",
        }
        # No banner names the server software.
        assert "Server" not in response.headers


def handshakes(port: int, *options: str) -> bool:
    """Whether ``openssl s_client`` with ``options`` completes a handshake with the server."""
    done = subprocess.run(
        ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", *options],
        input=b"",
        capture_output=True,
        timeout=30,
        check=False,
    )
    return b"Cipher is (NONE)" not in done.stdout and b"Cipher is" in done.stdout


@pytest.mark.parametrize("shape", ["wsgi", "asgi", "uvicorn"])
def test_tls_offers_mozilla_intermediate_only(shape: str) -> None:
    app = APP if shape == "wsgi" else ASGI_APP
    with serve("tests.settings", app=app, workers=1, tls=True, shape=shape) as running:
        assert running.request("GET", "/").json()["scheme"] == "https"
        assert running.certificate is not None
        # TLS 1.2 with an AEAD suite of the profile is accepted...
        context = ssl.create_default_context(cafile=str(running.certificate))
        context.maximum_version = ssl.TLSVersion.TLSv1_2
        with (
            socket.create_connection(("127.0.0.1", running.port)) as sock,
            context.wrap_socket(sock, server_hostname="127.0.0.1") as tls,
        ):
            cipher = tls.cipher()
        assert cipher is not None
        assert cipher[0] in server.TLS_CIPHERS.split(":")
        # ... key exchange groups outside the profile (OpenSSL's defaults offer them) are not.
        for group, accepted in (("X25519", True), ("X448", False), ("secp521r1", False)):
            assert handshakes(running.port, "-tls1_3", "-groups", group) is accepted, group
        # ... nor a CBC suite (which Python's default server list offers).
        context.set_ciphers("ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES256-SHA384")
        with (
            socket.create_connection(("127.0.0.1", running.port)) as sock,
            pytest.raises(ssl.SSLError),
        ):
            context.wrap_socket(sock, server_hostname="127.0.0.1")


def test_uvicorn_readiness_counts_workers_that_completed_startup() -> None:
    log = (
        "INFO:     Uvicorn running on http://127.0.0.1:40123 (Press CTRL+C to quit)\n"
        "INFO:     Started server process [11]\n"
        "INFO:     Application startup complete.\n"
        "INFO:     Started server process [12]\n"
    )
    assert listening_port(log) == 40123
    assert ready_workers(log) == [11]

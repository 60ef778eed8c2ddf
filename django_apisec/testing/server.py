"""The integration-server harness: a real gunicorn for tests and benchmarks, started one way.

::

    from django_apisec.testing.server import fresh_database, redis_url, serve

    with fresh_database(POSTGRES_URL) as database_url, serve(
        "testproject.settings", env={"DATABASE_URL": database_url, "REDIS_URL": redis_url("unit")}
    ) as server:
        assert server.request("GET", "/api/health/").status == 200

The rules every server started here follows:

* **Port**: gunicorn binds ``127.0.0.1:0`` and the harness reads the port the kernel chose back
  from gunicorn's ``Listening at:`` log line. Nothing binds a port, closes it and hopes it is
  still free a moment later.
* **Readiness**: the server is ready when every worker has loaded the application (each logs a
  line from gunicorn's ``post_worker_init`` hook, :mod:`django_apisec.testing.gunicorn_hooks`;
  under ``uvicorn`` alone, each worker's ``Application startup complete.``). No request is spent
  on readiness, so no throttle bucket is touched.
* **Shapes** (:data:`SHAPES`): ``wsgi`` (gunicorn's own workers, ``testproject.wsgi``), ``asgi``
  (gunicorn with uvicorn workers, ``uvicorn_worker.UvicornWorker``, ``testproject.asgi``) and
  ``uvicorn`` (``uvicorn --workers N`` alone, ``testproject.asgi``), selected with
  ``serve(..., shape=...)``.
* **Teardown**: gunicorn runs in its own process group; leaving the block (normally or by an
  exception) terminates the whole group, waits, and kills what is left.
* **Proxy headers**: the server trusts no forwarded header (gunicorn ``--forwarded-allow-ips ""``,
  uvicorn ``--no-proxy-headers``); what a request's scheme and client address are is Django's
  decision (``APISEC_TRUSTED_PROXIES``).
* **TLS** (``tls=True``): a throwaway self-signed certificate for 127.0.0.1, generated with
  ``cryptography``; :meth:`Server.connect` verifies the server against it. The server offers
  Mozilla's "intermediate" profile: TLS 1.2 and 1.3, the AEAD suites of :data:`TLS_CIPHERS`
  (no CBC), the groups of :data:`TLS_GROUPS` (OpenSSL configuration through ``OPENSSL_CONF``).
  No ``Server`` banner names the software (gunicorn's is dropped by
  :mod:`~django_apisec.testing.gunicorn_hooks`, uvicorn's by ``--no-server-header``).
* **Redis**: every test and benchmark takes its database number from :data:`REDIS_DATABASES`,
  so two of them never flush each other's counters.

``psycopg`` and ``cryptography`` are imported only by the functions that need them.
"""

from __future__ import annotations

import contextlib
import datetime
import http.client
import ipaddress
import json
import os
import re
import secrets
import signal
import ssl
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

__all__ = [
    "ASGI_APP",
    "REDIS_DATABASES",
    "SHAPES",
    "TLS_CIPHERS",
    "TLS_GROUPS",
    "UVICORN_WORKER",
    "HarnessError",
    "Response",
    "Server",
    "django_admin",
    "django_env",
    "fresh_database",
    "listening_port",
    "postgres_url",
    "production_env",
    "ready_workers",
    "redis_url",
    "self_signed_certificate",
    "serve",
    "unreachable",
]

#: The Redis database of every user of the machine's Redis, one number each: a test that flushes
#: its database never empties another's. Ask :func:`redis_url` for a URL.
REDIS_DATABASES: Mapping[str, int] = MappingProxyType(
    {
        "bench": 10,  # every script in bench/ (they run one at a time)
        "hardening": 11,  # tests/integration/test_hardening_server.py
        "abuse": 12,  # tests/integration/abuse_server.py deployments and their hash counter
        "unit": 13,  # unit tests on a real Redis (the limiter, lockout, throttles, revocation)
        "unit_gw1": 3,  # the same, for the second pytest-xdist worker (``-n 2``)
        "production_stack": 14,  # tests/integration/conftest.py ``server``
        "deploy_checks": 15,  # settings the deploy checks read; nothing connects to it
        "jwt_concurrency": 9,  # tests/integration/test_jwt_concurrency.py
        "apikeys": 8,  # tests/integration/test_apikeys_server.py
        "mfa_concurrency": 7,  # tests/integration/test_mfa_concurrency.py
        # Every module of tests/browser: they run one after another (one xdist worker) and each
        # flushes it when its server starts.
        "browser": 6,
        "passkeys_concurrency": 4,  # tests/integration/test_passkeys_concurrency.py
        "database_shapes": 2,  # tests/integration/test_database_shapes.py
        "monitoring": 1,  # tests/integration/test_monitoring_server.py
    }
)

DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379"
DEFAULT_APP = "testproject.wsgi:application"
ASGI_APP = "testproject.asgi:application"
#: gunicorn's uvicorn worker class: the ``uvicorn-worker`` package (``uvicorn.workers`` is
#: deprecated since uvicorn 0.30 and warns on import).
UVICORN_WORKER = "uvicorn_worker.UvicornWorker"
#: The deployment shapes :func:`serve` knows: name -> (application, gunicorn worker class, or
#: ``None`` for uvicorn alone). ``wsgi`` keeps the worker class the caller asked for.
SHAPES: Mapping[str, tuple[str, str | None]] = MappingProxyType(
    {
        "wsgi": (DEFAULT_APP, "sync"),
        "asgi": (ASGI_APP, UVICORN_WORKER),
        "uvicorn": (ASGI_APP, None),
    }
)
#: Mozilla's "intermediate" TLS 1.2 suites (ECDHE, AEAD only; TLS 1.3's are all AEAD).
TLS_CIPHERS = ":".join(
    (
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384",
        "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-CHACHA20-POLY1305",
        "ECDHE-RSA-CHACHA20-POLY1305",
    )
)
#: Mozilla's "intermediate" key-exchange groups (OpenSSL's default adds X448 and secp521r1).
TLS_GROUPS = "X25519:prime256v1:secp384r1"
START_TIMEOUT = 90.0
STOP_TIMEOUT = 15.0
CONNECT_TIMEOUT = 3
# Variables of the outer process that must not configure the served project: pytest-django's
# settings module, the outer run's APISEC_* and coverage, a benchmark's own options.
#: The outer run's variables a server must not inherit. ``PYTEST_CURRENT_TEST`` names the test
#: that starts the server, with its parameters: a test id of 200 kB made the environment too
#: large to start a program (E2BIG).
FOREIGN_ENV_PREFIXES = ("APISEC_", "DJANGO_", "COV_CORE_", "BENCH_", "PYTEST_")

LISTENING = re.compile(r"(?:Listening at:|Uvicorn running on) https?://[^\s]+:(\d+) ")
READY = re.compile(r"apisec-harness: worker (\d+) ready")
UVICORN_STARTED = re.compile(r"Started server process \[(\d+)\]")
UVICORN_READY = "Application startup complete."
OPENSSL_CONF = f"""openssl_conf = apisec_harness
[apisec_harness]
ssl_conf = apisec_ssl
[apisec_ssl]
system_default = apisec_tls
[apisec_tls]
MinProtocol = TLSv1.2
CipherString = {TLS_CIPHERS}
Groups = {TLS_GROUPS}
"""


class HarnessError(RuntimeError):
    """A server or command of the harness did not start or failed; the message has its log."""


def redis_url(purpose: str) -> str:
    """The Redis URL for ``purpose`` (a key of :data:`REDIS_DATABASES`).

    The server is ``APISEC_TEST_REDIS_URL`` (default ``redis://127.0.0.1:6379``); its database
    part, if any, is replaced by the registry's number.
    """
    server = urlsplit(os.environ.get("APISEC_TEST_REDIS_URL", DEFAULT_REDIS_URL))
    return urlunsplit(server._replace(path=f"/{REDIS_DATABASES[purpose]}"))


def postgres_url() -> str:
    """The PostgreSQL server for tests: ``APISEC_TEST_DATABASE_URL`` or the local default."""
    return os.environ.get("APISEC_TEST_DATABASE_URL", DEFAULT_POSTGRES_URL)


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.replace(parts.password, "***", 1)))


def _describe(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0] if lines else ''}".rstrip(": ")


def unreachable(*, postgres: str | None = None, redis: str | None = None) -> str | None:
    """Why the PostgreSQL or Redis server at these URLs cannot be used, or ``None`` if both answer.

    The reason names the (password-redacted) URL and the error: short enough for a skip message.
    """
    if postgres is not None:
        try:
            import psycopg  # noqa: PLC0415 - optional dependency

            with psycopg.connect(postgres, connect_timeout=CONNECT_TIMEOUT) as connection:
                connection.execute("SELECT 1")
        except Exception as exc:  # noqa: BLE001 - any failure means "not usable", with its reason
            return f"PostgreSQL not reachable at {_redact(postgres)}: {_describe(exc)}"
    if redis is not None:
        try:
            import redis as redis_client  # noqa: PLC0415 - optional dependency

            client = redis_client.Redis.from_url(
                redis, socket_connect_timeout=CONNECT_TIMEOUT, socket_timeout=CONNECT_TIMEOUT
            )
            try:
                client.ping()
            finally:
                client.close()
        except Exception as exc:  # noqa: BLE001 - any failure means "not usable", with its reason
            return f"Redis not reachable at {_redact(redis)}: {_describe(exc)}"
    return None


@contextlib.contextmanager
def fresh_database(
    server_url: str, *, prefix: str = "apisec_test", template: str | None = None
) -> Iterator[str]:
    """Create a uniquely named PostgreSQL database on ``server_url``; yield its URL; drop it.

    With ``template`` (the URL of a database nobody is connected to, e.g. an already migrated
    one), the new database is a copy of it: PostgreSQL copies files, far faster than migrating.
    Names are quoted with ``psycopg.sql.Identifier``; the drop uses ``WITH (FORCE)`` so a
    worker that still holds a connection cannot keep the database alive.
    """
    import psycopg  # noqa: PLC0415 - optional dependency
    from psycopg import sql  # noqa: PLC0415 - optional dependency

    name = f"{prefix}_{secrets.token_hex(6)}"
    create = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if template is not None:
        source = urlsplit(template).path.lstrip("/")
        create = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
            sql.Identifier(name), sql.Identifier(source)
        )
    with psycopg.connect(server_url, autocommit=True) as connection:
        connection.execute(create)
    try:
        yield urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(server_url, autocommit=True) as connection:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def django_env(
    settings_module: str, env: Mapping[str, str] | None = None, *, root: Path | None = None
) -> dict[str, str]:
    """This process's environment for a Django subprocess of ``settings_module``, plus ``env``.

    The outer run's ``APISEC_*``, ``DJANGO_*``, ``COV_CORE_*``, ``BENCH_*`` and ``PYTEST_*``
    variables are left out; ``root`` (default: the working directory) is put on ``PYTHONPATH``.
    """
    clean = {k: v for k, v in os.environ.items() if not k.startswith(FOREIGN_ENV_PREFIXES)}
    clean["DJANGO_SETTINGS_MODULE"] = settings_module
    clean["PYTHONPATH"] = str(root or Path.cwd())
    clean.update(env or {})
    return clean


def django_admin(
    env: Mapping[str, str],
    *args: str,
    root: Path | None = None,
    check: bool = True,
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m django ARGS`` with ``env`` (see :func:`django_env`) and capture its output.

    With ``check``, a non-zero exit raises :class:`HarnessError` with the end of the output.
    """
    done = subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "django", *args],
        env=dict(env),
        cwd=root or Path.cwd(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if check and done.returncode:
        raise HarnessError(
            f"django-admin {' '.join(args)} exited {done.returncode}:\n"
            f"{done.stdout[-2000:]}{done.stderr[-3000:]}"
        )
    return done


def production_env(database_url: str, redis: str, **overrides: str) -> dict[str, str]:
    """The testproject's production profile as a deployment configures it, with fresh secrets.

    It serves 127.0.0.1 and localhost and trusts a TLS-terminating proxy on 127.0.0.1 (pass
    ``APISEC_TRUSTED_PROXIES=""`` for a server that trusts none); ``overrides`` win.
    """
    return {
        "APISEC_PROFILE": "production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "APISEC_JWT_SIGNING_KEY": secrets.token_urlsafe(64),
        "DATABASE_URL": database_url,
        "REDIS_URL": redis,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "APISEC_TRUSTED_PROXIES": "127.0.0.1/32",
        **overrides,
    }


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """Write a throwaway certificate for 127.0.0.1 and localhost, valid one day; its paths.

    It is its own issuer (a CA certificate), so a client can trust exactly it.
    """
    from cryptography import x509  # noqa: PLC0415 - optional dependency
    from cryptography.hazmat.primitives import hashes, serialization  # noqa: PLC0415 - optional dependency
    from cryptography.hazmat.primitives.asymmetric import ec  # noqa: PLC0415 - optional dependency
    from cryptography.x509.oid import NameOID  # noqa: PLC0415 - optional dependency

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "django_apisec test server")])
    now = datetime.datetime.now(datetime.timezone.utc)
    public_key = key.public_key()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(public_key), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    return cert_path, key_path


def listening_port(log: str) -> int | None:
    """The port in gunicorn's ``Listening at: http://127.0.0.1:PORT (PID)`` line (or uvicorn's
    ``Uvicorn running on http://127.0.0.1:PORT (...)``), if logged."""
    match = LISTENING.search(log)
    return int(match.group(1)) if match else None


def ready_workers(log: str) -> list[int]:
    """The pids of the workers that logged that their app is loaded: the harness hook's line
    (gunicorn), or uvicorn's ``Started server process`` once as many workers completed startup."""
    gunicorn = [int(pid) for pid in READY.findall(log)]
    if gunicorn:
        return gunicorn
    started = [int(pid) for pid in UVICORN_STARTED.findall(log)]
    return started[: log.count(UVICORN_READY)]


@dataclass
class Response:
    """What the server answered: status, headers (case-insensitive) and the raw body."""

    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> Any:
        """The body decoded as JSON."""
        return json.loads(self.body)


@dataclass
class Server:
    """A running server (gunicorn or uvicorn): where it listens, its processes and log, and a
    stdlib HTTP client."""

    port: int
    process: subprocess.Popen[bytes]
    log: Path
    env: dict[str, str]
    workers: list[int]
    certificate: Path | None = None
    #: Sent with every request unless ``request(..., default_headers=False)``.
    headers: dict[str, str] = field(default_factory=dict)
    host: str = "127.0.0.1"

    @property
    def scheme(self) -> str:
        """``https`` when the server speaks TLS, else ``http``."""
        return "http" if self.certificate is None else "https"

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:41234``."""
        return f"{self.scheme}://{self.host}:{self.port}"

    @property
    def pid(self) -> int:
        """The gunicorn arbiter's (or uvicorn supervisor's) process id."""
        return self.process.pid

    def connect(self, timeout: float = 30) -> http.client.HTTPConnection:
        """A new connection, already open (for requests that must leave together)."""
        connection: http.client.HTTPConnection
        if self.certificate is None:
            connection = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        else:
            context = ssl.create_default_context(cafile=str(self.certificate))
            connection = http.client.HTTPSConnection(
                self.host, self.port, timeout=timeout, context=context
            )
        connection.connect()
        return connection

    def request(
        self,
        method: str,
        path: str,
        body: bytes | str | Any = None,
        headers: Mapping[str, str] | None = None,
        *,
        token: str | None = None,
        default_headers: bool = True,
        connection: http.client.HTTPConnection | None = None,
    ) -> Response:
        """Send one request on a new connection (or ``connection``) and close it.

        ``body`` is sent as is when it is bytes or text, as JSON otherwise; ``token`` becomes an
        ``Authorization: Bearer`` header; ``headers`` come last and win.
        """
        sent = dict(self.headers) if default_headers else {}
        payload: bytes | str | None
        if body is None or isinstance(body, (bytes, str)):
            payload = body
        else:
            payload = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        sent.update(headers or {})
        connection = connection or self.connect()
        try:
            connection.request(method, path, body=payload, headers=sent)
            answer = connection.getresponse()
            return Response(answer.status, answer.headers, answer.read())
        finally:
            connection.close()

    def log_text(self) -> str:
        """Everything the server and the application logged so far."""
        return self.log.read_text(errors="replace")


def gunicorn_command(
    app: str,
    *,
    workers: int,
    worker_class: str,
    threads: int,
    certificate: tuple[Path, Path] | None,
    extra: tuple[str, ...] = (),
) -> list[str]:
    """The gunicorn command line of :func:`serve`."""
    command = [
        sys.executable, "-m", "gunicorn", app,
        "--config", "python:django_apisec.testing.gunicorn_hooks",
        "--bind", "127.0.0.1:0",
        "--workers", str(workers),
        "--worker-class", worker_class,
        "--threads", str(threads),
        "--forwarded-allow-ips", "",
        "--graceful-timeout", "2",
        "--timeout", "60",
        "--backlog", "2048",
    ]  # fmt: skip
    if certificate is not None:
        command += [
            "--certfile", str(certificate[0]),
            "--keyfile", str(certificate[1]),
            "--ciphers", TLS_CIPHERS,
        ]  # fmt: skip
    return [*command, *extra]


def uvicorn_command(
    app: str,
    *,
    workers: int,
    certificate: tuple[Path, Path] | None,
    extra: tuple[str, ...] = (),
) -> list[str]:
    """The ``uvicorn`` command line of :func:`serve` (``shape="uvicorn"``)."""
    command = [
        sys.executable, "-m", "uvicorn", app,
        "--host", "127.0.0.1",
        "--port", "0",
        "--workers", str(workers),
        "--no-proxy-headers",
        "--no-server-header",
        "--timeout-graceful-shutdown", "2",
        "--backlog", "2048",
    ]  # fmt: skip
    if certificate is not None:
        command += [
            "--ssl-certfile", str(certificate[0]),
            "--ssl-keyfile", str(certificate[1]),
            "--ssl-ciphers", TLS_CIPHERS,
        ]  # fmt: skip
    return [*command, *extra]


def _wait_until_ready(
    process: subprocess.Popen[bytes], log: Path, workers: int
) -> tuple[int, list[int]]:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        text = log.read_text(errors="replace")
        port, ready = listening_port(text), ready_workers(text)
        if port is not None and len(ready) >= workers:
            return port, ready
        if process.poll() is not None or time.monotonic() > deadline:
            raise HarnessError(f"the server did not start:\n{text[-3000:]}")
        time.sleep(0.05)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate the server's whole process group, wait for it, then kill what is left."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=STOP_TIMEOUT)
    # A worker the arbiter lost track of must not outlive it either.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


@contextlib.contextmanager
def serve(
    settings_module: str,
    *,
    env: Mapping[str, str] | None = None,
    app: str | None = None,
    tls: bool = False,
    workers: int = 2,
    worker_class: str = "sync",
    threads: int = 1,
    headers: Mapping[str, str] | None = None,
    root: Path | None = None,
    gunicorn_args: tuple[str, ...] = (),
    shape: str | None = None,
) -> Iterator[Server]:
    """Serve ``app`` (a WSGI or ASGI path; default: the testproject's, for the shape) under
    ``settings_module``; yield it.

    ``env`` is added to :func:`django_env`; ``worker_class`` is any gunicorn worker class
    (``sync``, ``gthread``, :data:`UVICORN_WORKER`...); ``headers`` are sent with every
    :meth:`Server.request`. ``shape`` (a key of :data:`SHAPES`) chooses the server and the
    default application: ``"asgi"`` is gunicorn with uvicorn workers (``worker_class`` and
    ``threads`` are ignored), ``"uvicorn"`` is uvicorn alone (``workers`` processes;
    ``gunicorn_args`` are then uvicorn's options), ``"wsgi"`` changes nothing. The block starts
    once every worker is ready; the server is stopped when it ends, however it ends. Raises
    :class:`HarnessError` with the log when the server does not start.
    """
    root = root or Path.cwd()
    full_env = django_env(settings_module, env, root=root)
    shape_app, shape_worker = SHAPES[shape or "wsgi"]
    app = app or shape_app
    program = "gunicorn"
    if shape_worker is None:
        program = "uvicorn"
    elif shape not in (None, "wsgi"):
        worker_class, threads = shape_worker, 1
    with tempfile.TemporaryDirectory(prefix="apisec-server-") as directory:
        certificate = self_signed_certificate(Path(directory)) if tls else None
        if tls:
            openssl_conf = Path(directory) / "openssl.cnf"
            openssl_conf.write_text(OPENSSL_CONF)
            full_env["OPENSSL_CONF"] = str(openssl_conf)
        log = Path(directory) / "server.log"
        if program == "uvicorn":
            command = uvicorn_command(
                app, workers=workers, certificate=certificate, extra=gunicorn_args
            )
        else:
            command = gunicorn_command(
                app,
                workers=workers,
                worker_class=worker_class,
                threads=threads,
                certificate=certificate,
                extra=gunicorn_args,
            )
        with log.open("wb") as output:
            process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
                command,
                env=full_env,
                cwd=root,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            port, ready = _wait_until_ready(process, log, workers)
            yield Server(
                port=port,
                process=process,
                log=log,
                env=full_env,
                workers=ready,
                certificate=None if certificate is None else certificate[0],
                headers=dict(headers or {}),
            )
        finally:
            _stop(process)

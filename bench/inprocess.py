"""µs per request in one process (no HTTP, no load generator): the WSGI handler of one
contender of bench/request_overhead.py called directly; wall time (waiting on PostgreSQL and
Redis included) and the process's CPU time (``time.process_time()``: what a CPU-bound server
pays). Run by profile_request.py --inprocess in a subprocess per contender (each has its own
settings); with ``BENCH_PROFILE=<file>`` it writes a cProfile of the measured requests there
instead.
"""

from __future__ import annotations

import io
import json
import os
import statistics
import time

import django

django.setup()

from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.test import RequestFactory  # noqa: E402


def environ(path: str, token: str, body: bytes | None) -> dict[str, object]:
    factory = RequestFactory(SERVER_NAME="127.0.0.1")
    headers = {
        "HTTP_HOST": "127.0.0.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_X_FORWARDED_PROTO": "https",
        "HTTP_ACCEPT": "application/json",
    }
    if token:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    if body is None:
        request = factory.get(path, **headers)
    else:
        request = factory.post(path, body, content_type="application/json", **headers)
    return dict(request.environ)


def main() -> None:
    spec = json.loads(os.environ["BENCH_INPROCESS"])
    handler = WSGIHandler()
    statuses: list[str] = []

    def start_response(status: str, *_: object) -> None:
        statuses.append(status)

    body = spec.get("body", "").encode() or None
    items = [environ(path, token, body) for token, path in spec["items"]]

    cpu: list[float] = []

    def call(count: int) -> float:
        started, cpu_started = time.perf_counter(), time.process_time()
        for n in range(count):
            env = dict(items[n % len(items)])
            if body is not None:
                env["wsgi.input"] = io.BytesIO(body)
            response = handler(env, start_response)
            response.close()
        cpu.append((time.process_time() - cpu_started) / count * 1e6)
        return (time.perf_counter() - started) / count * 1e6

    call(200)  # warm up
    counts = count_io(handler, items, body, start_response)
    if os.environ.get("BENCH_PROFILE"):
        import cProfile

        cProfile.runctx(
            "call(count)",
            globals(),
            {"call": call, "count": spec["count"]},
            os.environ["BENCH_PROFILE"],
        )
        return
    cpu.clear()
    samples = [call(spec["count"]) for _ in range(spec["rounds"])]
    bad = [s for s in statuses if not s.startswith("2")]
    assert not bad, bad[:3]
    result = {"us": statistics.median(samples), "cpu_us": statistics.median(cpu), **counts}
    print(json.dumps({**result, "samples": samples}))


def count_io(
    handler: WSGIHandler, items: list[dict[str, object]], body: bytes | None, start_response: object
) -> dict[str, float]:
    """SQL queries and Redis round trips per request, over 50 requests after the warm-up.

    Queries by Django's ``CaptureQueriesContext``; round trips by counting what redis-py sends
    (one ``send_packed_command`` per command, or per pipeline), whoever sends it: our store,
    Django's ``RedisCache``, DRF's throttles.
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from redis.connection import AbstractConnection

    sent = 0
    real = AbstractConnection.send_packed_command

    def counting(self: AbstractConnection, *args: object, **kwargs: object) -> None:
        nonlocal sent
        sent += 1
        real(self, *args, **kwargs)  # type: ignore[arg-type]

    count = 50
    AbstractConnection.send_packed_command = counting  # type: ignore[method-assign]
    try:
        with CaptureQueriesContext(connection) as captured:
            for n in range(count):
                env = dict(items[n % len(items)])
                if body is not None:
                    env["wsgi.input"] = io.BytesIO(body)
                handler(env, start_response).close()  # type: ignore[arg-type]
    finally:
        AbstractConnection.send_packed_command = real  # type: ignore[method-assign]
    return {"queries": len(captured.captured_queries) / count, "redis_commands": sent / count}


main()

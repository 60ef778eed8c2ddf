"""Authentication cost per request: an API key vs a JWT access token, side by side.

    .venv/bin/python bench/apikey_auth.py [--rounds 5] [--requests 400] [--workers 4]

One testproject in production (PostgreSQL, Redis: the harness's ``bench`` database), one user
with an API key (scope ``notes:read``) and a JWT access token. Two measurements, each alternating
between the two credentials round by round so that machine noise hits both alike:

* **in-process**: µs per ``authenticate()`` call of ``ApiKeyAuthentication`` and of
  ``JWTSessionAuthentication`` on the same ``GET /api/me/`` request, in a Django process with the
  deployment's settings (the key: one query by prefix joined to the user, one SHA-512; the JWT:
  a signature check, one Redis read of the revocation mark, one user query);
* **HTTP**: requests/s of ``GET /api/me/`` through gunicorn (``--workers`` sync workers, 16
  concurrent clients) with each credential.

Prints the medians and the key/JWT ratio.
"""

from __future__ import annotations

import argparse
import json
import secrets
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from django_apisec.testing.server import (  # noqa: E402
    django_admin,
    django_env,
    fresh_database,
    postgres_url,
    production_env,
    redis_url,
    serve,
)

SETTINGS = "testproject.settings"
PROXY = {"X-Forwarded-Proto": "https", "Accept": "application/json"}
SETUP = """
import json, os
from django.contrib.auth import get_user_model
from django_apisec.apikeys.keys import issue_key
user = get_user_model().objects.create_user("bench", password=os.environ["BENCH_PASSWORD"])
_row, key = issue_key(user, name="bench", scopes=["notes:read"])
print(json.dumps({"key": key}))
"""
INPROCESS = """
import json, os, statistics, time
import django
django.setup()
from django.test import RequestFactory
from rest_framework.request import Request
from django_apisec.apikeys.authentication import ApiKeyAuthentication
from django_apisec.jwt.authentication import JWTSessionAuthentication
from testproject.api.views import MeView

spec = json.loads(os.environ["BENCH_SPEC"])
factory = RequestFactory(SERVER_NAME="127.0.0.1")
view = MeView()

def request(header):
    django_request = factory.get(
        "/api/me/", HTTP_AUTHORIZATION=header, HTTP_X_FORWARDED_PROTO="https",
        REMOTE_ADDR="127.0.0.1",
    )
    return Request(django_request, parser_context={"view": view})

contenders = {
    "api key": (ApiKeyAuthentication(), request("Api-Key " + spec["key"])),
    "jwt": (JWTSessionAuthentication(), request("Bearer " + spec["token"])),
}
for authenticator, req in contenders.values():  # warm up connections and caches
    for _ in range(50):
        assert authenticator.authenticate(req) is not None
results = {name: [] for name in contenders}
for _ in range(spec["rounds"]):
    for name, (authenticator, req) in contenders.items():
        started = time.perf_counter()
        for _ in range(spec["calls"]):
            authenticator.authenticate(req)
        results[name].append((time.perf_counter() - started) / spec["calls"] * 1e6)
print(json.dumps({name: statistics.median(values) for name, values in results.items()}))
"""


def http_rate(server: object, header: str, count: int) -> float:
    def one(_: int) -> int:
        return server.request("GET", "/api/me/", headers={"Authorization": header}).status  # type: ignore[attr-defined]

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(one, range(count)))
    elapsed = time.perf_counter() - started
    assert set(statuses) == {200}, sorted(set(statuses))
    return count / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    redis = redis_url("bench")
    import redis as redis_lib

    redis_lib.Redis.from_url(redis).flushdb()
    with fresh_database(postgres_url(), prefix="apisec_bench_keys") as database_url:
        env = production_env(
            database_url, redis, APISEC_RATE_USER="1000000/min", APISEC_RATE_API_KEY="1000000/min"
        )
        manage = django_env(SETTINGS, env, root=ROOT)
        django_admin(manage, "migrate", "--noinput", "-v", "0", root=ROOT)
        password = secrets.token_urlsafe(24)
        done = django_admin({**manage, "BENCH_PASSWORD": password}, "shell", "-c", SETUP, root=ROOT)
        key = json.loads(done.stdout.strip().splitlines()[-1])["key"]
        with serve(SETTINGS, env=env, workers=args.workers, headers=PROXY, root=ROOT) as server:
            login = server.request(
                "POST", "/api/auth/login/", {"username": "bench", "password": password}
            )
            token = login.json()["access"]
            spec = {"key": key, "token": token, "rounds": args.rounds, "calls": args.calls}
            inprocess = subprocess.run(  # noqa: PLW1510
                [sys.executable, "-c", INPROCESS],
                env={**manage, "BENCH_SPEC": json.dumps(spec)},
                cwd=ROOT,
                capture_output=True,
                text=True,
            )
            if inprocess.returncode:
                raise SystemExit(inprocess.stderr[-3000:])
            micros = json.loads(inprocess.stdout.strip().splitlines()[-1])
            rates: dict[str, list[float]] = {"api key": [], "jwt": []}
            headers = {"api key": f"Api-Key {key}", "jwt": f"Bearer {token}"}
            http_rate(server, headers["jwt"], 50)  # warm every worker
            for _ in range(args.rounds):
                for name, header in headers.items():
                    rates[name].append(http_rate(server, header, args.requests))
    medians = {name: statistics.median(values) for name, values in rates.items()}
    print(f"{'':10} {'in-process µs/auth':>20} {'HTTP req/s (GET /api/me/)':>28}")
    for name in ("api key", "jwt"):
        print(f"{name:10} {micros[name]:>20.1f} {medians[name]:>28.0f}")
    print(
        f"{'key/jwt':10} {micros['api key'] / micros['jwt']:>20.2f} "
        f"{medians['api key'] / medians['jwt']:>28.2f}"
    )


if __name__ == "__main__":
    main()

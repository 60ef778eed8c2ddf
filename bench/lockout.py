"""Account lockout under attack: django_apisec vs django-axes (database and cache handlers) vs
django-defender, each in its documented default setup, all on the Django admin login.

    .venv/bin/python bench/lockout.py [--threads 20 50]

For each contender a child process configures Django (a fresh PostgreSQL database, the
benchmarks' Redis database for the cache / defender, a password hasher that counts every hash)
with a failure limit of 5, then:

Every attempt comes from a new client address (a botnet; what an account attack looks like),
so a per-IP lock does not help anyone; the lock has to be about the account.

* **concurrent guesses**: N threads, released together by a barrier, each POST a wrong password
  for ``alice`` to ``/admin/login/`` with Django's test client; then the correct password. Reports
  the password hashes computed and whether the correct password then logged in.
* **cost of one failed login** (fresh state, below the limit): database queries, database writes
  and Redis round trips (socket sends, so a pipeline counts once).
* **username variants**: 5 failures spread over ``Alice``, `` alice``, ``ALICE``, full-width
  ``alice`` and ``alice `` -- does the correct ``alice`` password still log in?
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import dj_database_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from django_apisec.testing.server import fresh_database, postgres_url, redis_url

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = redis_url("bench")
LIMIT = 5
PASSWORD = "correct horse battery staple"  # noqa: S105 (the bench user's)
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
CONTENDERS = ("django_apisec", "axes (database)", "axes (cache)", "defender")

_hashes = 0
_hash_lock = threading.Lock()


def count_hash() -> None:
    global _hashes  # noqa: PLW0603
    with _hash_lock:
        _hashes += 1


def counting_hasher() -> type:
    from django.contrib.auth.hashers import MD5PasswordHasher

    class CountingHasher(MD5PasswordHasher):
        """Fast MD5 that counts each hash (a known user's verify ends in encode too)."""

        def encode(self, password: str, salt: str) -> str:
            count_hash()
            return super().encode(password, salt)

    return CountingHasher


def contender_settings(name: str, database: str) -> dict[str, Any]:
    apps = [
        "django.contrib.admin",
        "django.contrib.auth",
        "django.contrib.contenttypes",
        "django.contrib.sessions",
        "django.contrib.messages",
    ]
    middleware = [
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.common.CommonMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
    ]
    extra: dict[str, Any] = {"AUTHENTICATION_BACKENDS": [MODEL_BACKEND]}
    if name == "django_apisec":
        apps.append("django_apisec")
        extra = {
            "AUTHENTICATION_BACKENDS": ["django_apisec.abuse.backends.LockoutModelBackend"],
            "APISEC_LOCKOUT_THRESHOLD": LIMIT,
        }
    elif name.startswith("axes"):
        apps.append("axes")
        middleware.append("axes.middleware.AxesMiddleware")
        handler = "database.AxesDatabaseHandler" if "database" in name else "cache.AxesCacheHandler"
        extra = {
            "AUTHENTICATION_BACKENDS": ["axes.backends.AxesStandaloneBackend", MODEL_BACKEND],
            "AXES_FAILURE_LIMIT": LIMIT,
            # Lock the account, not the address (axes' default is the address alone).
            "AXES_LOCKOUT_PARAMETERS": ["username"],
            "AXES_VERBOSE": False,
            "AXES_HANDLER": f"axes.handlers.{handler}",
        }
    elif name == "defender":
        apps.append("defender")
        middleware.append("defender.middleware.FailedLoginMiddleware")
        extra["DEFENDER_REDIS_URL"] = REDIS_URL
        extra["DEFENDER_LOGIN_FAILURE_LIMIT"] = LIMIT
    return {
        "SECRET_KEY": "bench-" + "k" * 50,
        "DEBUG": False,
        "ALLOWED_HOSTS": ["*"],
        "INSTALLED_APPS": apps,
        "MIDDLEWARE": middleware,
        "ROOT_URLCONF": "bench.lockout_urls",
        "DATABASES": {"default": dj_database_url.parse(database)},
        "CACHES": {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": REDIS_URL,
            }
        },
        "PASSWORD_HASHERS": ["__main__.CountingHasher"],
        "TEMPLATES": [
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "APP_DIRS": True,
                "OPTIONS": {
                    "context_processors": [
                        "django.template.context_processors.request",
                        "django.contrib.auth.context_processors.auth",
                        "django.contrib.messages.context_processors.messages",
                    ]
                },
            }
        ],
        "USE_TZ": True,
        "DEFAULT_AUTO_FIELD": "django.db.models.BigAutoField",
        "STATIC_URL": "static/",
        **extra,
    }


_addresses = iter(range(1, 10**6))
_address_lock = threading.Lock()


def next_address() -> str:
    """A new client address per attempt: the attacker is a botnet (or rotates IPv6 addresses)."""
    with _address_lock:
        n = next(_addresses)
    return f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"


def login(username: str, password: str) -> bool:
    """POST the admin login form from a new address; ``True`` when it logged in."""
    from django.test import Client

    response = Client(REMOTE_ADDR=next_address()).post(
        "/admin/login/?next=/admin/", {"username": username, "password": password}
    )
    return response.status_code == 302 and response["Location"] == "/admin/"


def reset() -> None:
    import redis
    from django.db import connection

    redis.Redis.from_url(REDIS_URL).flushdb()
    tables = connection.introspection.table_names()
    with connection.cursor() as cursor:
        for table in tables:
            if table.startswith(("axes_", "defender_", "django_session")):
                cursor.execute(f'DELETE FROM "{table}"')  # noqa: S608 (our own table names)


def concurrent_guesses(name: str, threads: int) -> dict[str, Any]:
    global _hashes  # noqa: PLW0603
    reset()
    _hashes = 0
    barrier = threading.Barrier(threads)
    errors: list[str] = []

    def guess() -> None:
        barrier.wait()
        try:
            login("alice", "wrong")
        except Exception as exc:  # noqa: BLE001 (reported, e.g. "database is locked")
            errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            from django.db import connection

            connection.close()

    workers = [threading.Thread(target=guess) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    hashes = _hashes
    correct = login("alice", PASSWORD)
    if errors:
        print(f"{name}: {len(errors)} errors, e.g. {errors[0]}", file=sys.stderr)
    return {"hashes": hashes, "correct_logs_in": correct, "errors": len(errors)}


def cost_of_one_failure() -> dict[str, int]:
    import redis.connection
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    reset()
    login("alice", "wrong")  # warm up: connections, templates, scripts
    reset()
    sends = 0
    connection_class = redis.connection.AbstractConnection
    original = connection_class.send_packed_command

    def counted(self: Any, command: Any, check_health: bool = True) -> None:
        nonlocal sends
        sends += 1
        original(self, command, check_health)

    connection_class.send_packed_command = counted  # type: ignore[method-assign]
    try:
        with CaptureQueriesContext(connection) as queries:
            login("alice", "wrong")
    finally:
        connection_class.send_packed_command = original  # type: ignore[method-assign]
    writes = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    return {"queries": len(queries.captured_queries), "writes": len(writes), "redis": sends}


def variants() -> dict[str, bool]:
    reset()
    for variant in ["Alice", " alice", "ALICE", "\uff41\uff4c\uff49\uff43\uff45", "alice "]:
        login(variant, "wrong")
    return {"correct_logs_in_after_variants": login("alice", PASSWORD)}


def child(name: str, threads: list[int]) -> None:
    import django
    from django.conf import settings

    with fresh_database(postgres_url(), prefix="apisec_bench") as database_url:
        settings.configure(**contender_settings(name, database_url))
        django.setup()
        globals()["CountingHasher"] = counting_hasher()
        from django.contrib.auth import get_user_model
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        get_user_model().objects.create_superuser("alice", password=PASSWORD)
        result: dict[str, Any] = {"name": name, "limit": LIMIT}
        for count in threads:
            result[f"threads_{count}"] = concurrent_guesses(name, count)
        result["one_failure"] = cost_of_one_failure()
        result.update(variants())
        from django.db import connections

        connections.close_all()
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[20, 50])
    parser.add_argument("--child", choices=CONTENDERS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.threads)
        return
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    print(f"limit {LIMIT} failures; admin login; fresh PostgreSQL; Redis {REDIS_URL}")
    header = ["contender"]
    for count in args.threads:
        header += [f"hashes@{count}", f"correct@{count}"]
    header += ["queries", "writes", "redis RT", "variants bypass"]
    print(" | ".join(header))
    for name in CONTENDERS:
        done = subprocess.run(
            [sys.executable, __file__, "--child", name, "--threads", *map(str, args.threads)],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode:
            print(f"{name}: failed\n{done.stderr[-2000:]}")
            continue
        for line in done.stderr.splitlines():
            if "errors, e.g." in line:
                print(line[:400], file=sys.stderr)
        result = json.loads(done.stdout.strip().splitlines()[-1])
        row = [name]
        for count in args.threads:
            run = result[f"threads_{count}"]
            errors = f" ({run['errors']} errors)" if run["errors"] else ""
            row += [
                f"{run['hashes']}/{count}{errors}",
                "logs in" if run["correct_logs_in"] else "refused",
            ]
        cost = result["one_failure"]
        row += [str(cost["queries"]), str(cost["writes"]), str(cost["redis"])]
        row.append("yes" if result["correct_logs_in_after_variants"] else "no")
        print(" | ".join(row))


if __name__ == "__main__":
    main()

"""Request overhead: the testproject's full django_apisec stack vs stock DRF + simplejwt + DRF's
throttles vs a bare Django JSON view (the ceiling), on the same server, database and Redis.

    .venv/bin/python bench/request_overhead.py [--rounds 5] [--duration 5] [--connections 8]
        [--worker-class gthread --threads 4]

Three gunicorn deployments run side by side, each with ``--workers`` workers of
``--worker-class`` (``gthread`` by default: connections are kept alive, so the figures are the
request path's and not TCP setup's; ``sync`` closes each connection after its response), all on
one fresh PostgreSQL database (migrated and seeded by the testproject) and Redis db 10:

* **django_apisec**: ``testproject.settings`` in production (``harden()``: every middleware,
  ``JWTSessionAuthentication`` with its revocation check, our Redis throttles, strict
  serializers, ``OwnedQuerysetMixin``), behind a trusted proxy on 127.0.0.1;
* **stock DRF**: ``bench/stock_settings.py`` + ``bench/stock_urls.py``, the same ``Note`` model
  and fields with a hand-written ``get_queryset`` filter, simplejwt's ``JWTAuthentication``, DRF's
  ``AnonRateThrottle`` / ``UserRateThrottle`` on Django's ``RedisCache``;
* **bare Django**: ``bench/bare_settings.py``, plain views returning ``JsonResponse`` with the
  same queries, no middleware, no authentication, no throttle.

``--users`` users own ``--notes`` notes each. wrk (``apt-get install wrk``) runs ``--connections``
connections for ``--duration`` seconds per (endpoint, contender); each request takes the next
user's access token (minted directly before each round: no password hashing in the run) and, for
the owned GET, one of that user's notes. Endpoints: the owned GET ``/api/notes/<id>/``, the list
``/api/notes/`` and the create ``POST /api/notes/`` (created rows are deleted after each run, so
every list sees the same data). Contenders alternate, and their order rotates every round. The
user rate of both throttled contenders is the testproject's ``1200/min`` per user (``--rate``);
the run fails if any response is not 2xx, so nobody was throttled. Prints the medians over the
rounds of req/s, p50 and p99 latency, and the ratios.

``--pin`` gives the servers a CPU of their own (Linux): every thread of every contender's
gunicorn on CPU 0, and wrk, PostgreSQL and Redis (each of their processes, found by name) on the
others; the services' affinity is put back at the end. With the server alone on its core, its
requests/s is bound by the CPU it spends per request, which is what the contenders differ in,
instead of by what the load generator and the services leave it on shared cores.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.servers import (
    POSTGRES_URL,
    PROXY_HEADERS,
    REDIS_URL,
    migrate,
    production_env,
    python,
    require_services,
    serve,
)
from django_apisec.testing.server import Server, fresh_database

CONTENDERS = ("django_apisec", "stock DRF", "bare Django")
ENDPOINTS = ("owned GET", "list", "create")

SEED = """
import json, os
from django.contrib.auth import get_user_model
from testproject.api.models import Note
User = get_user_model()
users = User.objects.bulk_create(
    [User(username=f"bench{i:04d}", password="!") for i in range(int(os.environ["BENCH_USERS"]))]
)
notes = Note.objects.bulk_create(
    [
        Note(title=f"note {j} of {user.username}", body="Some text of a note. " * 8, owner=user)
        for user in users
        for j in range(int(os.environ["BENCH_NOTES"]))
    ]
)
owned = {}
for note in notes:
    owned.setdefault(note.owner_id, []).append(note.pk)
print(json.dumps({"notes": owned, "last_note": max(note.pk for note in notes)}))
"""

MINT_OURS = """
import json, os
from django.contrib.auth import get_user_model
from django_apisec.jwt.families import start_session
ids = json.loads(os.environ["BENCH_USER_IDS"])
users = get_user_model().objects.in_bulk(ids)
print(json.dumps({str(pk): start_session(users[pk]).access for pk in ids}))
"""

MINT_STOCK = """
import json, os
from django.contrib.auth import get_user_model
from rest_framework_simplejwt.tokens import AccessToken
ids = json.loads(os.environ["BENCH_USER_IDS"])
users = get_user_model().objects.in_bulk(ids)
print(json.dumps({str(pk): str(AccessToken.for_user(users[pk])) for pk in ids}))
"""

LUA = """
local items = {%(items)s}
local n = #items
local i = 0
local headers = {%(headers)s}
local method, body = %(method)s, %(body)s
request = function()
  i = i %% n + 1
  local item = items[i]
  headers["Authorization"] = item[1]
  return wrk.format(method, item[2], headers, body)
end
"""

CREATE_BODY = json.dumps({"title": "created by wrk", "body": "A new note, created in the run."})


def lua_string(text: str) -> str:
    """A Lua string literal (JSON's escapes are valid Lua for this ASCII text)."""
    return json.dumps(text)


def wrk_script(
    endpoint: str, tokens: dict[str, str] | None, notes: dict[str, list[int]], directory: Path
) -> Path:
    """A wrk script cycling through the users: their token and, for the GET, one of their notes."""
    items = []
    for position, (user, owned) in enumerate(sorted(notes.items())):
        token = f"Bearer {tokens[user]}" if tokens else ""
        path = (
            f"/api/notes/{owned[position % len(owned)]}/"
            if endpoint == "owned GET"
            else "/api/notes/"
        )
        items.append(f"{{{lua_string(token)}, {lua_string(path)}}}")
    headers = {**PROXY_HEADERS, "Accept": "application/json"}
    method, body = "GET", "nil"
    if endpoint == "create":
        headers["Content-Type"] = "application/json"
        method, body = "POST", lua_string(CREATE_BODY)
    script = LUA % {
        "items": ",\n".join(items),
        "headers": ", ".join(f"[{lua_string(k)}] = {lua_string(v)}" for k, v in headers.items()),
        "method": lua_string(method),
        "body": body,
    }
    path = directory / f"{endpoint.replace(' ', '_')}-{'auth' if tokens else 'bare'}.lua"
    path.write_text(script)
    return path


UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def parse_wrk(output: str) -> dict[str, float]:
    """req/s, p50 and p99 (ms), request count and non-2xx count from wrk --latency output."""

    def latency(percent: str) -> float:
        match = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
        assert match, output
        return float(match.group(1)) * UNITS[match.group(2)]

    rate = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)
    count = re.search(r"^\s+(\d+) requests in", output, re.MULTILINE)
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    assert rate, output
    assert count, output
    return {
        "rps": float(rate.group(1)),
        "p50": latency("50"),
        "p99": latency("99"),
        "requests": int(count.group(1)),
        "non_2xx": int(bad.group(1)) if bad else 0,
        # Reads closed by the server (gunicorn's sync workers close every connection) are not
        # errors; connect failures and timeouts are.
        "errors": int(errors.group(1)) + int(errors.group(4)) if errors else 0,
    }


#: CPUs of the load generator and the services under ``--pin`` (empty: no pinning).
OTHER_CPUS: set[int] = set()


def tasks(pid: int) -> list[int]:
    """Every thread id of process ``pid`` (none when it is gone)."""
    try:
        return [int(task.name) for task in Path(f"/proc/{pid}/task").iterdir()]
    except OSError:
        return []


def pin(pids: list[int], cpus: set[int]) -> dict[int, set[int]]:
    """Move every thread of ``pids`` to ``cpus``; their previous affinities."""
    previous = {}
    for pid in pids:
        for task in tasks(pid):
            with contextlib.suppress(OSError):  # the thread ended meanwhile
                previous[task] = os.sched_getaffinity(task)
                os.sched_setaffinity(task, cpus)
    return previous


def restore(affinities: dict[int, set[int]]) -> None:
    """Give the threads that :func:`pin` moved their affinity back (those still running)."""
    for task, previous in affinities.items():
        with contextlib.suppress(OSError):  # the thread ended meanwhile
            os.sched_setaffinity(task, previous)


def service_pids(*names: str) -> list[int]:
    """The processes whose command name is one of ``names`` (PostgreSQL's, Redis's)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "comm").read_text().strip()
            except OSError:
                continue
            if command in names:
                found.append(int(entry.name))
    return found


def cpu_seconds(server: Server) -> float:
    """User + system CPU seconds spent so far by ``server``'s master and workers (``/proc``)."""
    total = 0
    for pid in (server.pid, *server.workers):
        with contextlib.suppress(OSError):
            # After the command name in parentheses: fields 14 and 15 are utime and stime.
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def run_wrk(
    server: Server, script: Path, duration: float, connections: int, threads: int
) -> dict[str, float]:
    """One wrk run against ``server`` (on :data:`OTHER_CPUS` under ``--pin``), with the
    server's CPU time per request (µs, its processes' user + system time over the run)."""
    cpu_before = cpu_seconds(server)
    taskset = ["taskset", "-c", ",".join(map(str, sorted(OTHER_CPUS)))] if OTHER_CPUS else []
    done = subprocess.run(
        [
            *taskset,
            "wrk",
            "--latency",
            "-t",
            str(threads),
            "-c",
            str(connections),
            "-d",
            f"{duration:g}s",
            "-s",
            str(script),
            server.url,
        ],
        capture_output=True,
        text=True,
        timeout=duration + 60,
        check=True,
    )
    result = parse_wrk(done.stdout)
    result["cpu_us"] = (cpu_seconds(server) - cpu_before) / max(result["requests"], 1) * 1e6
    return result


def delete_created(database_url: str, last_note: int) -> None:
    """Delete the notes a create run added, so every run sees the seeded data."""
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute("DELETE FROM api_note WHERE id > %s", (last_note,))


def sanity(
    servers: dict[str, Server], tokens: dict[str, dict[str, str]], notes: dict[str, list[int]]
) -> None:
    """Before timing: each contender answers its own note, and the owned ones hide others'."""
    (alice, alice_notes), (_bob, bob_notes) = sorted(notes.items())[:2]
    for name in ("django_apisec", "stock DRF"):
        auth = {"Authorization": f"Bearer {tokens[name][alice]}", "Accept": "application/json"}
        own = servers[name].request("GET", f"/api/notes/{alice_notes[0]}/", headers=auth)
        other = servers[name].request("GET", f"/api/notes/{bob_notes[0]}/", headers=auth)
        anonymous = servers[name].request("GET", f"/api/notes/{alice_notes[0]}/")
        statuses = (own.status, other.status, anonymous.status)
        assert statuses == (200, 404, 401), (name, statuses, own.body, other.body, anonymous.body)
    bare = servers["bare Django"].request("GET", f"/api/notes/{alice_notes[0]}/")
    assert bare.status == 200, bare.body


def machine() -> str:
    """One line describing the machine and the versions."""
    import django
    import rest_framework

    cpu = "unknown CPU"
    with Path("/proc/cpuinfo").open() as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{os.cpu_count()} cores ({cpu}), {memory:.0f} GiB, Python {platform.python_version()}, "
        f"Django {django.get_version()}, DRF {rest_framework.__version__}"
    )


def arguments() -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--wrk-threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers per contender")
    parser.add_argument("--worker-class", default="gthread", choices=("gthread", "sync"))
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--notes", type=int, default=20, help="notes per user")
    parser.add_argument("--rate", default="1200/min", help="the user throttle rate of both")
    parser.add_argument("--endpoints", nargs="+", choices=ENDPOINTS, default=list(ENDPOINTS))
    parser.add_argument(
        "--pin",
        action="store_true",
        help="servers on CPU 0; wrk, PostgreSQL and Redis on the other CPUs (Linux)",
    )
    args = parser.parse_args()
    if args.worker_class != "gthread":
        args.threads = 1
    return args


def main() -> None:
    args = arguments()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (Debian: apt-get install wrk)")
    require_services()
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    print(machine())
    threads = f" x {args.threads} threads" if args.worker_class == "gthread" else ""
    print(
        f"{args.workers} {args.worker_class} workers{threads} each, "
        f"wrk -t{args.wrk_threads} -c{args.connections} "
        f"-d{args.duration:g}s, {args.rounds} rounds, {args.users} users x {args.notes} notes, "
        f"user rate {args.rate}{', servers pinned to CPU 0' if args.pin else ''}; "
        f"load average at start: {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    samples: dict[tuple[str, str], list[dict[str, float]]] = {}
    with (
        fresh_database(POSTGRES_URL, prefix="apisec_bench") as database_url,
        ExitStack() as stack,
        tempfile.TemporaryDirectory() as tmp,
    ):
        ours_env = production_env(
            database_url, REDIS_URL, APISEC_RATE_USER=args.rate, APISEC_RATE_ANON=args.rate
        )
        migrate(ours_env)
        seeded = json.loads(
            python(
                {**ours_env, "BENCH_USERS": str(args.users), "BENCH_NOTES": str(args.notes)}, SEED
            )
        )
        notes: dict[str, list[int]] = seeded["notes"]
        user_ids = json.dumps([int(pk) for pk in notes])
        stock_env = {**ours_env, "DJANGO_SETTINGS_MODULE": "bench.stock_settings"}
        bare_env = {
            **ours_env,
            "DJANGO_SETTINGS_MODULE": "bench.bare_settings",
            "BENCH_BARE_USER": min(notes, key=int),
        }
        servers = {
            name: stack.enter_context(
                serve(
                    env,
                    args.workers,
                    worker_class=args.worker_class,
                    threads=args.threads,
                )
            )
            for name, env in zip(CONTENDERS, (ours_env, stock_env, bare_env), strict=True)
        }
        if args.pin:
            cpus = os.sched_getaffinity(0)
            if len(cpus) < 2:
                sys.exit("--pin needs at least 2 CPUs")
            OTHER_CPUS.update(cpus - {min(cpus)})
            for server in servers.values():
                pin([server.pid, *server.workers], {min(cpus)})
            stack.callback(restore, pin(service_pids("postgres", "redis-server"), OTHER_CPUS))

        def mint() -> dict[str, dict[str, str]]:
            return {
                "django_apisec": json.loads(
                    python({**ours_env, "BENCH_USER_IDS": user_ids}, MINT_OURS)
                ),
                "stock DRF": json.loads(
                    python({**stock_env, "BENCH_USER_IDS": user_ids}, MINT_STOCK)
                ),
            }

        def scripts(tokens: dict[str, dict[str, str]]) -> dict[tuple[str, str], Path]:
            return {
                (endpoint, name): wrk_script(
                    endpoint, tokens.get(name), notes, Path(tmp) / name.replace(" ", "_")
                )
                for endpoint in args.endpoints
                for name in CONTENDERS
            }

        for name in CONTENDERS:
            (Path(tmp) / name.replace(" ", "_")).mkdir()
        tokens = mint()
        sanity(servers, tokens, notes)
        current = scripts(tokens)
        # Warm up: every worker imports, connects and caches before anything is timed.
        for (_endpoint, name), script in current.items():
            run_wrk(servers[name], script, 2, args.connections, args.wrk_threads)
            delete_created(database_url, seeded["last_note"])
        for round_number in range(args.rounds):
            if round_number:
                current = scripts(mint())  # stock access tokens live 5 minutes
            shift = round_number % len(CONTENDERS)
            order = CONTENDERS[shift:] + CONTENDERS[:shift]
            for endpoint in args.endpoints:
                for name in order:
                    result = run_wrk(
                        servers[name],
                        current[endpoint, name],
                        args.duration,
                        args.connections,
                        args.wrk_threads,
                    )
                    if endpoint == "create":
                        delete_created(database_url, seeded["last_note"])
                    if result["non_2xx"] or result["errors"]:
                        sys.exit(f"{name} {endpoint}: {result} (throttled or failing: no figure)")
                    samples.setdefault((endpoint, name), []).append(result)
            load = os.getloadavg()[0]
            print(
                f"round {round_number + 1}/{args.rounds} done, load average {load:.2f}", flush=True
            )
    report(samples, args.endpoints)


def report(samples: dict[tuple[str, str], list[dict[str, Any]]], endpoints: list[str]) -> None:
    """Medians over the rounds, the ratios of req/s, and the server's CPU per request (its
    ratio to ours: how many more requests the same CPU serves)."""
    print(f"\nload average at end: {os.getloadavg()[0]:.2f}")
    print(
        f"{'endpoint':10s} {'contender':14s} {'req/s':>7s} {'range':>11s} {'p50 ms':>7s} "
        f"{'p99 ms':>7s} {'vs stock':>8s} {'vs bare':>8s} {'CPU µs/req':>10s} {'vs ours':>8s}"
    )
    for endpoint in endpoints:
        medians = {
            name: {
                key: statistics.median(r[key] for r in samples[endpoint, name])
                for key in ("rps", "p50", "p99", "cpu_us")
            }
            for name in CONTENDERS
        }
        for name in CONTENDERS:
            rates = [r["rps"] for r in samples[endpoint, name]]
            median = medians[name]
            print(
                f"{endpoint:10s} {name:14s} {median['rps']:7.0f} "
                f"{min(rates):5.0f}-{max(rates):<5.0f} "
                f"{median['p50']:7.2f} {median['p99']:7.2f} "
                f"{median['rps'] / medians['stock DRF']['rps']:7.2f}x "
                f"{median['rps'] / medians['bare Django']['rps']:7.2f}x "
                f"{median['cpu_us']:10.0f} "
                f"{median['cpu_us'] / medians['django_apisec']['cpu_us']:7.2f}x"
            )


if __name__ == "__main__":
    main()

"""A login flood against the testproject in production while a steady load reads notes.

    .venv/bin/python bench/login_flood.py [--clients 200] [--logins 3] [--readers 4]
        [--accounts 50] [--baseline 10] [--workers 4] [--threads 8] [--rounds 1]
        [--variants ours before split split-nice] [--login-workers 2]
        [--login-threads 8] [--client-nice 0]

The testproject in production (PostgreSQL, Redis db 10) served by the one harness
(``django_apisec.testing.server.serve``) with gunicorn gthread workers (4 x 8 threads, and
``WEB_CONCURRENCY`` set to the same number of workers, as a deployment does). ``--readers``
clients read ``GET /api/notes/`` with a bearer token in a loop for ``--baseline`` seconds; then
``--clients`` concurrent clients, each from its own address (``X-Forwarded-For`` through the
trusted proxy on 127.0.0.1), each send ``--logins`` logins one after the other: right, wrong and
unknown-user passwords in turn, over ``--accounts`` accounts. The readers go on until the last
login is answered; each runs in a process of its own, so that the flood clients' threads do not
hold up their clock (this process's GIL).

Reported per variant: the note reads' p50/p99 before and during the flood (and their ratio), the
three slowest reads of the flood and when they started, the logins' statuses and p50, every 5xx
(a 503 ``login_busy`` is counted apart: it is the designed answer of a full process), and the
workers' resident memory (``VmRSS`` of each worker, sampled every 100 ms): the sum before the
flood, its peak during the flood, and the rise.

Variants (each on its own server, alternating over ``--rounds``):

* ``ours``: what ``harden()`` installs now: Argon2id with OWASP's 19 MiB / t=2 / p=1, hashing
  slots per process (automatic: CPUs / ``WEB_CONCURRENCY``), a 500 ms wait for a slot, and the
  lockout's wait for a reservation;
* ``before``: the previous behaviour: Django's Argon2PasswordHasher (100 MiB, t=2, p=8), no bound
  on concurrent hashes (``APISEC_HASHING_SLOTS=1024``), no wait for a lockout reservation;
* ``split``: ``ours`` with the logins sent to a pool of their own (``--login-workers`` gthread
  workers, the same code and settings), as a reverse proxy routing the login endpoint to its
  own upstream would (docs/deployment.rst); the reads go to the ``--workers`` of the main pool
  (``--login-threads`` threads per login worker: default ``--threads``);
* ``split-nice``: ``split`` with every thread of the login pool at nice 10 (``nice -n 10
  gunicorn ...`` for that pool), so that its CPU is what the main pool leaves.

``--client-nice N`` runs the flood's client threads at nice N (Linux), so that the attacker's
CPU, which shares this machine, weighs less against the server's.
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

if TYPE_CHECKING:
    from django_apisec.testing.server import Server

PASSWORD = "correct horse battery staple"  # noqa: S105 (the bench users')
NOTES = "/api/notes/"
LOGIN = "/api/auth/login/"
# Generous: the previous behaviour answered logins after 40 s and more.
CLIENT_TIMEOUT = 300
HIGH_RATE = "1000000/min"
VARIANTS: dict[str, tuple[str, dict[str, str]]] = {
    "ours": (
        "ours: Argon2id 19 MiB/t=2/p=1, hashing slots (auto), waits",
        {"BENCH_ARGON2": "owasp"},
    ),
    "before": (
        "before: Django Argon2 100 MiB/t=2/p=8, no slot bound, no wait",
        {"BENCH_ARGON2": "django", "APISEC_HASHING_SLOTS": "1024", "APISEC_LOCKOUT_WAIT": "0"},
    ),
    "split": ("split: ours, logins served by a pool of their own", {"BENCH_ARGON2": "owasp"}),
    "split-nice": (
        "split-nice: ours, logins served by a pool of their own at nice 10",
        {"BENCH_ARGON2": "owasp"},
    ),
}
#: Variants whose logins go to a pool of their own, and that pool's nice value.
LOGIN_POOLS = {"split": 0, "split-nice": 10}


@dataclass
class Sample:
    """One request: when it started (monotonic), how long it took, what it answered."""

    started: float
    seconds: float
    status: int
    code: str = ""


@dataclass
class Memory:
    """Resident memory of the workers (MiB), sampled until ``stop`` is set."""

    pids: list[int]
    samples: list[tuple[float, float]] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def rss(self) -> float:
        total = 0
        for pid in self.pids:
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        return total / 1024

    def run(self) -> None:
        while not self.stop.is_set():
            self.samples.append((time.monotonic(), self.rss()))
            time.sleep(0.1)


def percentile(values: list[float], share: float) -> float:
    """The ``share`` quantile (nearest rank) of ``values``; NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def timed(server: Server, method: str, path: str, body: Any, headers: dict[str, str]) -> Sample:
    started = time.monotonic()
    try:
        connection = server.connect(timeout=CLIENT_TIMEOUT)
        response = server.request(method, path, body, headers, connection=connection)
    except OSError:
        return Sample(started, time.monotonic() - started, 0, "client_error")
    code = ""
    if response.status >= 400:
        try:
            code = str(response.json().get("code", ""))
        except ValueError:
            code = "not_json"
    return Sample(started, time.monotonic() - started, response.status, code)


def address(index: int) -> str:
    return f"10.{index // 62500 % 256}.{index // 250 % 250}.{index % 250 + 1}"


def reader_token(server: Server) -> str:
    response = server.request(
        "POST",
        LOGIN,
        {"username": "reader", "password": PASSWORD},
        {"X-Forwarded-For": "192.0.2.1"},
    )
    assert response.status == 200, (response.status, response.body[:300])
    return str(response.json()["access"])


def read_notes(server: Server, token: str, stop: Any, results: Any) -> None:
    """One reader (in a process of its own): read notes until ``stop``, then send the samples."""
    headers = {"Authorization": f"Bearer {token}", "X-Forwarded-For": "192.0.2.2"}
    samples = []
    while not stop.is_set():
        samples.append(timed(server, "GET", NOTES, None, headers))
    results.put(samples)


def renice(pids: list[int], niceness: int) -> None:
    """Set every thread of ``pids`` to ``niceness`` (Linux: the nice value is per thread, and
    threads started later inherit their creator's)."""
    for pid in pids:
        for task in Path(f"/proc/{pid}/task").iterdir():
            os.setpriority(os.PRIO_PROCESS, int(task.name), niceness)


def flood_once(
    server: Server, args: argparse.Namespace, login_server: Server | None = None
) -> dict[str, Any]:
    login_server = login_server or server
    token = reader_token(server)
    # The readers run in processes of their own: as threads beside the 200 flood clients they
    # would wait for this process's GIL, and that wait would be counted as the server's latency.
    processes = multiprocessing.get_context("fork")
    stop = processes.Event()
    results = processes.Queue()

    def client(index: int) -> list[Sample]:
        if args.client_nice:  # Linux: this thread only
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), args.client_nice)
        samples = []
        headers = {"X-Forwarded-For": address(index)}
        for attempt in range(args.logins):
            kind = (index + attempt) % 3
            account = f"user{(index * args.logins + attempt) % args.accounts}"
            body = [
                {"username": account, "password": PASSWORD},
                {"username": account, "password": "wrong password"},
                {"username": f"ghost{index}", "password": "wrong password"},
            ][kind]
            samples.append(timed(login_server, "POST", LOGIN, body, headers))
        return samples

    memory = Memory(sorted({*server.workers, *login_server.workers}))
    sampler = threading.Thread(target=memory.run)
    sampler.start()
    readers = [
        processes.Process(target=read_notes, args=(server, token, stop, results))
        for _ in range(args.readers)
    ]
    for reader in readers:
        reader.start()
    time.sleep(args.baseline)
    flood_start = time.monotonic()  # CLOCK_MONOTONIC: the readers' clock too
    with ThreadPoolExecutor(max_workers=args.clients) as pool:
        logins = [s for samples in pool.map(client, range(args.clients)) for s in samples]
    flood_end = time.monotonic()
    stop.set()
    reads: list[Sample] = [sample for _ in readers for sample in results.get()]
    for reader in readers:
        reader.join()
    memory.stop.set()
    sampler.join()

    before = [s.seconds for s in reads if s.started < flood_start and s.status == 200]
    during = [s.seconds for s in reads if flood_start <= s.started < flood_end and s.status == 200]
    rss_before = [rss for at, rss in memory.samples if at < flood_start]
    rss_during = [rss for at, rss in memory.samples if at >= flood_start]
    all_requests = reads + logins
    statuses: dict[str, int] = {}
    for sample in logins:
        key = f"{sample.status}" + (f" {sample.code}" if sample.code else "")
        statuses[key] = statuses.get(key, 0) + 1
    return {
        "read_p50_before_ms": percentile(before, 0.5) * 1000,
        "read_p99_before_ms": percentile(before, 0.99) * 1000,
        "read_p50_during_ms": percentile(during, 0.5) * 1000,
        "read_p99_during_ms": percentile(during, 0.99) * 1000,
        "slowest_reads_during": [
            f"{s.seconds * 1000:.0f} ms at +{s.started - flood_start:.2f} s"
            for s in sorted(
                (s for s in reads if flood_start <= s.started < flood_end),
                key=lambda s: -s.seconds,
            )[:3]
        ],
        "reads_before": len(before),
        "reads_during": len(during),
        "read_errors": sum(1 for s in reads if s.status != 200),
        "login_p50_ms": percentile([s.seconds for s in logins], 0.5) * 1000,
        "login_p99_ms": percentile([s.seconds for s in logins], 0.99) * 1000,
        "flood_s": flood_end - flood_start,
        "login_statuses": dict(sorted(statuses.items())),
        "login_busy_503": sum(1 for s in logins if s.code == "login_busy"),
        "other_5xx": sum(1 for s in all_requests if s.status >= 500 and s.code != "login_busy"),
        "client_errors": sum(1 for s in all_requests if s.status == 0),
        "rss_before_mib": statistics.median(rss_before) if rss_before else float("nan"),
        "rss_peak_mib": max(rss_during, default=float("nan")),
    }


def create_users(env: dict[str, str], accounts: int) -> None:
    from bench.servers import python

    python(
        env,
        "from django.contrib.auth import get_user_model\n"
        "from django.contrib.auth.hashers import make_password\n"
        "from testproject.api.models import Note\n"
        "User = get_user_model()\n"
        "User.objects.all().delete()\n"
        f"hashed = make_password({PASSWORD!r})\n"
        f"names = ['reader'] + [f'user{{i}}' for i in range({accounts})]\n"
        "User.objects.bulk_create([User(username=n, password=hashed) for n in names])\n"
        "reader = User.objects.get(username='reader')\n"
        "Note.objects.bulk_create([Note(owner=reader, title=f'n{i}', body='x') for i in "
        "range(5)])\n",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--logins", type=int, default=3, help="logins per client")
    parser.add_argument("--readers", type=int, default=4)
    parser.add_argument("--accounts", type=int, default=50)
    parser.add_argument("--baseline", type=float, default=10.0, help="seconds before the flood")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument(
        "--client-nice",
        type=int,
        default=0,
        help="nice value of the flood's client threads (the attacker's CPU is not the server's)",
    )
    parser.add_argument(
        "--login-workers", type=int, default=2, help="workers of the split variants' login pool"
    )
    parser.add_argument(
        "--login-threads", type=int, default=None, help="their threads (default: --threads)"
    )
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--variants", nargs="+", choices=VARIANTS, default=["ours", "before"])
    args = parser.parse_args()

    import redis

    from bench.servers import (
        POSTGRES_URL,
        REDIS_URL,
        migrate,
        production_env,
        require_services,
        serve,
    )
    from django_apisec.testing.server import fresh_database

    require_services()
    results: dict[str, list[dict[str, Any]]] = {}
    with fresh_database(POSTGRES_URL, prefix="apisec_bench_flood") as database_url:
        base = production_env(
            database_url,
            DJANGO_SETTINGS_MODULE="bench.login_settings",
            APISEC_RATE_ANON=HIGH_RATE,
            APISEC_RATE_USER=HIGH_RATE,
            WEB_CONCURRENCY=str(args.workers),
        )
        migrate(base)
        for _ in range(args.rounds):
            for variant in args.variants:
                env = {**base, **VARIANTS[variant][1]}
                redis.Redis.from_url(REDIS_URL).flushdb()  # lockout and throttle counters
                create_users(env, args.accounts)
                with contextlib.ExitStack() as stack:
                    server = stack.enter_context(serve(env, args.workers, threads=args.threads))
                    login_server = None
                    if variant in LOGIN_POOLS:
                        login_env = {**env, "WEB_CONCURRENCY": str(args.login_workers)}
                        login_server = stack.enter_context(
                            serve(
                                login_env,
                                args.login_workers,
                                threads=args.login_threads or args.threads,
                            )
                        )
                        renice(login_server.workers, LOGIN_POOLS[variant])
                    results.setdefault(variant, []).append(flood_once(server, args, login_server))
                print(f"{variant}: {results[variant][-1]}", flush=True)
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for variant, runs in results.items():
        print(VARIANTS[variant][0])
        for key in runs[0]:
            values = [run[key] for run in runs]
            if isinstance(values[0], (int, float)):
                shown = f"{statistics.median(values):.1f}"
            else:
                shown = " | ".join(str(value) for value in values)
            print(f"  {key:22s} {shown}")


if __name__ == "__main__":
    main()

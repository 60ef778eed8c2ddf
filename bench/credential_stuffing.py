"""A credential-stuffing wave against the running testproject: detected, tightened, relaxed.

    .venv/bin/python bench/credential_stuffing.py [--guesses 1000 --accounts 500 --addresses 200]

The testproject runs in its production profile under gunicorn (the one harness,
``django_apisec.testing.server.serve``; a fresh PostgreSQL database, the benchmarks' Redis
database), behind a trusted proxy on 127.0.0.1: every guess names its client address in
``X-Forwarded-For``, as the proxy of a deployment would. Attack detector settings: the
testproject's (``APISEC_ATTACK_THRESHOLDS`` default: 100 failures, 30 accounts, 10 networks in
300 s), tightened to ``--tightened-rate`` for ``--tightened-for`` seconds.

1. **Normal load**: ``--users`` real users each log in with their password every
   ``--user-interval`` seconds from their own address, during the whole run.
2. **The wave**: ``--guesses`` wrong passwords over ``--accounts`` accounts (the real users'
   names among them: the attacker knows them) and ``--addresses`` addresses, each in its own
   /24, sent by ``--threads`` threads.
3. **Relax**: after the wave, the tightening key's expiry is watched in Redis; then a burst of
   logins above the tightened rate must all pass.

Figures (printed as JSON, and a summary): the detection delay (seconds from the first guess to
the ``attack_detected`` event, and failed logins counted by then), guesses admitted (password
checked: 401) before and after the tightening, guesses refused (429), the users' logins (200,
refused by the tightened rate, locked out: a false lockout), the time to relax, and the metrics
endpoint's counters against the events in the server's security log.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

import redis as redis_lib

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from django_apisec.testing.server import (
    Server,
    django_admin,
    django_env,
    fresh_database,
    postgres_url,
    production_env,
    redis_url,
    serve,
)

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = "testproject.settings"
PASSWORD = "a legitimate user's passphrase"  # noqa: S105 (the bench users')
METRICS_CLIENT = "10.255.0.1"  # in APISEC_METRICS_ALLOWED_NETWORKS below
# The bench plays the TLS-terminating proxy (production redirects plain http).
PROXY = {"X-Forwarded-Proto": "https", "Accept": "application/json"}


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--guesses", type=int, default=1000)
    parser.add_argument("--accounts", type=int, default=500)
    parser.add_argument("--addresses", type=int, default=200)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--users", type=int, default=5)
    parser.add_argument("--user-interval", type=float, default=2.0)
    parser.add_argument("--tightened-rate", default="30/min")
    parser.add_argument("--tightened-for", type=int, default=60)
    parser.add_argument("--output", type=Path, help="also write the figures (JSON) here")
    return parser.parse_args()


def attacker_address(index: int) -> str:
    """The ``index``-th attacking address, each in its own /24."""
    return f"10.{index // 250}.{index % 250}.9"


def login(server: Server, username: str, password: str, address: str) -> dict[str, Any]:
    started = time.time()
    answer = server.request(
        "POST",
        "/api/auth/login/",
        {"username": username, "password": password},
        {"X-Forwarded-For": address},
    )
    code = answer.json().get("code") if answer.status >= 400 else None
    return {"start": started, "end": time.time(), "status": answer.status, "code": code}


def normal_load(
    server: Server, users: int, interval: float, stop: threading.Event
) -> list[dict[str, Any]]:
    """Each user logs in every ``interval`` seconds until ``stop``; every answer."""
    answers: list[dict[str, Any]] = []
    lock = threading.Lock()

    def user(number: int) -> None:
        while not stop.is_set():
            answer = login(server, f"user{number}", PASSWORD, f"192.0.2.{10 + number}")
            with lock:
                answers.append(answer)
            stop.wait(interval)

    threads = [threading.Thread(target=user, args=(n,)) for n in range(users)]
    for thread in threads:
        thread.start()
    stop.wait()
    for thread in threads:
        thread.join()
    return answers


def wave(server: Server, args: argparse.Namespace) -> list[dict[str, Any]]:
    """The attack: every guess's answer, in the order sent."""

    def guess(index: int) -> dict[str, Any]:
        account = f"user{index % args.accounts}"  # user0..user{N-1} are the real users
        address = attacker_address(index % args.addresses)
        return login(server, account, f"guess number {index}", address)

    with ThreadPoolExecutor(args.threads) as pool:
        return list(pool.map(guess, range(args.guesses)))


def security_log(server: Server) -> list[dict[str, Any]]:
    return [
        json.loads(line)
        for line in server.log_text().splitlines()
        if line.startswith("{") and '"logger":"django_apisec.security"' in line
    ]


def timestamp(record: dict[str, Any]) -> float:
    return datetime.fromisoformat(record["time"]).timestamp()


def tightening_ttl(client: redis_lib.Redis) -> float | None:
    """Seconds the global login tightening still holds (``None``: not tightened)."""
    for key in client.scan_iter(match="*login.tightening*"):
        ttl = client.pttl(key)
        return None if ttl < 0 else ttl / 1000
    return None


def metrics(server: Server) -> dict[str, float]:
    answer = server.request("GET", "/api/metrics/", headers={"X-Forwarded-For": METRICS_CLIENT})
    assert answer.status == 200, answer.body[:200]
    values: dict[str, float] = {}
    for line in answer.body.decode().splitlines():
        if line.startswith("apisec_") and "_created" not in line:
            name, _, value = line.rpartition(" ")
            values[name] = float(value)
    return values


def run(args: argparse.Namespace) -> dict[str, Any]:
    redis = redis_url("bench")
    client = redis_lib.Redis.from_url(redis)
    client.flushdb()
    with (
        fresh_database(postgres_url(), prefix="apisec_bench") as database,
        tempfile.TemporaryDirectory(prefix="apisec-metrics-") as metrics_dir,
    ):
        env = production_env(
            database,
            redis,
            APISEC_RATE_ANON="100000/min",
            APISEC_RATE_USER="100000/min",
            APISEC_ATTACK_LOGIN_RATE=args.tightened_rate,
            APISEC_ATTACK_TIGHTENING_SECONDS=str(args.tightened_for),
            APISEC_METRICS_ALLOWED_NETWORKS="10.255.0.0/16",
            PROMETHEUS_MULTIPROC_DIR=metrics_dir,
        )
        manage = django_env(SETTINGS, env, root=ROOT)
        django_admin(manage, "migrate", "--noinput", root=ROOT)
        create = (
            "from django.contrib.auth import get_user_model; User = get_user_model(); "
            f"[User.objects.create_user(f'user{{n}}', password={PASSWORD!r}) "
            f"for n in range({args.users})]"
        )
        django_admin(manage, "shell", "-c", create, root=ROOT)
        with serve(SETTINGS, env=env, workers=args.workers, headers=PROXY, root=ROOT) as server:
            stop = threading.Event()
            users: list[dict[str, Any]] = []
            load = threading.Thread(
                target=lambda: users.extend(
                    normal_load(server, args.users, args.user_interval, stop)
                )
            )
            load.start()
            time.sleep(2 * args.user_interval)  # the normal load first
            started = time.time()
            guesses = wave(server, args)
            wave_ended = time.time()
            # Relax: wait for the tightening to expire by itself, the normal load going on.
            while (ttl := tightening_ttl(client)) is not None:
                time.sleep(min(ttl, 1.0))
            relaxed_at = time.time()
            time.sleep(2 * args.user_interval)
            stop.set()
            load.join()
            # Above the tightened rate, every login passes again.
            burst = [
                login(server, f"user{n % args.users}", PASSWORD, f"192.0.2.{10 + n % args.users}")
                for n in range(int(args.tightened_rate.split("/")[0]) + 10)
            ]
            observed = {
                "started": started,
                "wave_ended": wave_ended,
                "relaxed_at": relaxed_at,
                "guesses": guesses,
                "users": users,
                "burst": burst,
                "records": security_log(server),
                "scraped": metrics(server),
            }
    return figures(args, observed)


def figures(args: argparse.Namespace, observed: dict[str, Any]) -> dict[str, Any]:
    """The run's figures from what was observed."""
    started, wave_ended, relaxed_at = (
        observed["started"],
        observed["wave_ended"],
        observed["relaxed_at"],
    )
    guesses, users, burst = observed["guesses"], observed["users"], observed["burst"]
    records, scraped = observed["records"], observed["scraped"]
    detections = [r for r in records if r["event"] == "attack_detected"]
    detected_at = timestamp(detections[0]) if detections else None
    admitted = [g for g in guesses if g["status"] == 401]
    before = [g for g in admitted if detected_at is None or g["end"] <= detected_at]
    during = [
        u for u in users if detected_at is not None and detected_at <= u["start"] < relaxed_at
    ]
    events = Counter(r["event"] for r in records)
    locks = sum(
        1 for r in records if r["event"] == "account_locked_out" and r.get("phase") == "locked"
    )
    throttled_events = Counter(
        scope for r in records if r["event"] == "throttled" for scope in r.get("scopes", [])
    )
    return {
        "command": "bench/credential_stuffing.py " + " ".join(sys.argv[1:]),
        "wave": {
            "guesses": args.guesses,
            "accounts": args.accounts,
            "addresses": args.addresses,
            "threads": args.threads,
            "seconds": round(wave_ended - started, 1),
            "statuses": dict(Counter(g["status"] for g in guesses)),
        },
        "detected": bool(detections),
        "detections": len(detections),
        "detection_delay_s": None if detected_at is None else round(detected_at - started, 2),
        "failures_counted_at_detection": detections[0]["failures"] if detections else None,
        "window_at_detection": (
            {k: detections[0][k] for k in ("failures", "accounts", "networks")}
            if detections
            else None
        ),
        "guesses_admitted_before_tightening": len(before),
        "guesses_admitted_while_tightened": len(admitted) - len(before),
        "guesses_refused": sum(1 for g in guesses if g["status"] == 429),
        "relaxed_after_detection_s": (
            None if detected_at is None else round(relaxed_at - detected_at, 1)
        ),
        "users": {
            "logins": len(users),
            "statuses": dict(Counter(u["status"] for u in users)),
            "false_lockouts": sum(1 for u in users if u["code"] == "locked_out"),
            "refused_while_tightened": sum(1 for u in during if u["status"] == 429),
            "logins_while_tightened": len(during),
        },
        "after_relax_burst": dict(Counter(b["status"] for b in burst)),
        "events": dict(events),
        "metrics_match_events": {
            "authentication_failed": (
                scraped.get(
                    'apisec_security_events_total{event="authentication_failed",outcome="failure"}'
                ),
                events["authentication_failed"],
            ),
            "lockouts": (scraped.get("apisec_lockouts_total"), locks),
            "attacks": (
                scraped.get('apisec_attacks_detected_total{kind="credential_stuffing"}'),
                events["attack_detected"],
            ),
            "throttled_login_tightened": (
                scraped.get('apisec_throttled_requests_total{scope="login_tightened"}'),
                throttled_events["login_tightened"],
            ),
        },
    }


def main() -> None:
    args = parse()
    result = run(args)
    text = json.dumps(result, indent=2)
    print(text)
    if args.output:
        args.output.write_text(text + "\n")


if __name__ == "__main__":
    main()

"""Where one contender of bench/request_overhead.py spends a request: py-spy on a single worker.

    .venv/bin/python bench/profile_request.py [--contender django_apisec] [--endpoint create]

Serves the contender with one gunicorn worker on a fresh seeded database (as request_overhead.py
does), drives it with wrk for ``--duration`` seconds and samples the worker with py-spy
(``pip install py-spy``; needs ptrace). Prints the share of samples under each function
(inclusive) for the top frames, filtered with ``--match`` (default: django_apisec and the
frameworks), and writes the collapsed stacks to ``--output`` for a flame graph.

    .venv/bin/python bench/profile_request.py --inprocess [--endpoint list] [--rounds 7]

measures instead the wall time and the CPU time per request of the three contenders in one
process each (their WSGI handler called directly: no HTTP, no load generator, bench/inprocess.py),
alternating rounds of 500 requests, and prints the medians, with the SQL queries and Redis round
trips per request; with ``--cprofile DIR`` it writes one cProfile file per contender there instead.

    .venv/bin/python bench/profile_request.py --inprocess --instructions [--endpoint create]

counts instead the machine instructions per request of each contender under valgrind's
callgrind (``apt-get install valgrind``): slow (about a minute per contender), but the same on a
loaded machine as on a quiet one, where the times above vary by a factor of two.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.request_overhead import (
    CONTENDERS,
    CREATE_BODY,
    ENDPOINTS,
    MINT_OURS,
    MINT_STOCK,
    SEED,
    delete_created,
    run_wrk,
    wrk_script,
)
from bench.servers import (
    POSTGRES_URL,
    ROOT,
    migrate,
    production_env,
    python,
    require_services,
    serve,
)
from django_apisec.testing.server import fresh_database

#: Requests measured in the two valgrind runs of ``--instructions`` (their difference counts).
INSTRUCTION_COUNTS = (20, 520)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contender", choices=CONTENDERS[:2], default="django_apisec")
    parser.add_argument("--endpoint", choices=ENDPOINTS, default="owned GET")
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--match", default="")
    parser.add_argument("--top", type=int, default=60)
    parser.add_argument("--output", default="apisec-profile.collapsed")
    parser.add_argument("--inprocess", action="store_true")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--cprofile", default="")
    parser.add_argument("--instructions", action="store_true")
    args = parser.parse_args()
    if args.inprocess:
        inprocess(args)
        return
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    require_services()
    with (
        fresh_database(POSTGRES_URL, prefix="apisec_bench") as database_url,
        tempfile.TemporaryDirectory() as tmp,
    ):
        env = production_env(database_url, APISEC_RATE_USER="1200/min")
        migrate(env)
        seeded = json.loads(python({**env, "BENCH_USERS": "100", "BENCH_NOTES": "20"}, SEED))
        ids = json.dumps([int(pk) for pk in seeded["notes"]])
        if args.contender == "stock DRF":
            env = {**env, "DJANGO_SETTINGS_MODULE": "bench.stock_settings"}
        mint = MINT_OURS if args.contender == "django_apisec" else MINT_STOCK
        tokens = json.loads(python({**env, "BENCH_USER_IDS": ids}, mint))
        script = wrk_script(args.endpoint, tokens, seeded["notes"], Path(tmp))
        with serve(env, 1) as server:
            run_wrk(server, script, 2, 4, 1)  # warm up
            (worker,) = server.workers
            sampler = subprocess.Popen(
                [spy, "record", "--pid", str(worker), "--duration", str(args.duration),
                 "--format", "raw", "--output", args.output, "--nonblocking"],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            )  # fmt: skip
            time.sleep(1)
            result = run_wrk(server, script, args.duration, 4, 1)
            sampler.wait(timeout=args.duration + 30)
            if args.endpoint == "create":
                delete_created(database_url, seeded["last_note"])
    print(f"{args.contender} {args.endpoint}: {result['rps']:.0f} req/s on one worker")
    summarize(Path(args.output), args.match, args.top)


def inprocess(args: argparse.Namespace) -> None:
    """Median µs per request of each API contender, in-process, rounds alternating."""
    require_services()
    with fresh_database(POSTGRES_URL, prefix="apisec_bench") as database_url:
        specs = inprocess_specs(args, database_url)
        if args.instructions:
            count_instructions(args, specs, database_url)
        elif args.cprofile:
            run_inprocess(args, specs, database_url)
            print(f"cProfile files in {args.cprofile}")
        else:
            samples, cpu, io_counts = run_inprocess(args, specs, database_url)
            print(f"load average at end: {os.getloadavg()[0]:.2f}")
            report(args.endpoint, samples, cpu, io_counts)


def inprocess_specs(args: argparse.Namespace, database_url: str) -> dict[str, dict[str, str]]:
    """The environment of each contender's bench/inprocess.py run (seeds the database)."""
    env = production_env(database_url, APISEC_RATE_USER="1200/min")
    migrate(env)
    seeded = json.loads(python({**env, "BENCH_USERS": "100", "BENCH_NOTES": "20"}, SEED))
    bare_env = {
        **env,
        "DJANGO_SETTINGS_MODULE": "bench.bare_settings",
        "BENCH_BARE_USER": min(seeded["notes"], key=int),
    }
    envs = {
        "django_apisec": (env, MINT_OURS),
        "stock DRF": ({**env, "DJANGO_SETTINGS_MODULE": "bench.stock_settings"}, MINT_STOCK),
        "bare Django": (bare_env, None),
    }
    specs = {}
    for name, (contender_env, mint) in envs.items():
        spec = {
            "paths": {
                user: f"/api/notes/{owned[0]}/" if args.endpoint == "owned GET" else "/api/notes/"
                for user, owned in seeded["notes"].items()
            },
            "mint": mint,
            "count": 500,
            "rounds": 1,
            "last_note": seeded["last_note"],
        }
        if args.endpoint == "create":
            spec["body"] = CREATE_BODY
        specs[name] = {**contender_env, "BENCH_INPROCESS": json.dumps(spec)}
        if args.cprofile:
            specs[name]["BENCH_PROFILE"] = str(
                Path(args.cprofile) / f"{name.replace(' ', '_')}.prof"
            )
    return specs


def with_tokens(env: dict[str, str]) -> dict[str, str]:
    """``env`` with access tokens minted now (simplejwt's live 5 minutes: a valgrind run is longer)
    and the ``items`` bench/inprocess.py requests: one ``[token, path]`` per user."""
    spec = json.loads(env["BENCH_INPROCESS"])
    users = list(spec["paths"])
    tokens = (
        json.loads(python({**env, "BENCH_USER_IDS": json.dumps([int(u) for u in users])}, mint))
        if (mint := spec["mint"])
        else dict.fromkeys(users, "")
    )
    spec["items"] = [[tokens[user], spec["paths"][user]] for user in users]
    return {**env, "BENCH_INPROCESS": json.dumps(spec)}


def run_once(
    args: argparse.Namespace, env: dict[str, str], database_url: str, prefix: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    """One bench/inprocess.py run (under ``prefix``, e.g. valgrind); created notes deleted."""
    done = subprocess.run(
        [*prefix, sys.executable, str(ROOT / "bench" / "inprocess.py")],
        env=with_tokens(env), cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode:
        sys.exit(done.stderr[-3000:])
    if args.endpoint == "create":
        delete_created(database_url, json.loads(env["BENCH_INPROCESS"])["last_note"])
    return done


def run_inprocess(
    args: argparse.Namespace, specs: dict[str, dict[str, str]], database_url: str
) -> tuple[dict[str, list[float]], dict[str, list[float]], dict[str, dict[str, float]]]:
    """Alternating rounds: wall µs, CPU µs and I/O counts per request of each contender."""
    samples: dict[str, list[float]] = {name: [] for name in specs}
    cpu: dict[str, list[float]] = {name: [] for name in specs}
    io_counts: dict[str, dict[str, float]] = {}
    for _ in range(1 if args.cprofile else args.rounds):
        for name, run_env in specs.items():
            done = run_once(args, run_env, database_url)
            if not args.cprofile:
                result = json.loads(done.stdout)
                samples[name].append(result["us"])
                cpu[name].append(result["cpu_us"])
                io_counts[name] = {k: result[k] for k in ("queries", "redis_commands")}
    return samples, cpu, io_counts


def count_instructions(
    args: argparse.Namespace, specs: dict[str, dict[str, str]], database_url: str
) -> None:
    """Machine instructions per request of each contender (valgrind's callgrind: deterministic).

    Each contender runs twice, with 20 and with 520 requests after the same warm-up; the
    difference of the two totals over 500 requests leaves out the process's start-up.
    """
    valgrind = ("valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null")
    for name, run_env in specs.items():
        totals = []
        for count in INSTRUCTION_COUNTS:
            spec = {**json.loads(run_env["BENCH_INPROCESS"]), "count": count}
            env = {**run_env, "BENCH_INPROCESS": json.dumps(spec)}
            stderr = run_once(args, env, database_url, valgrind).stderr
            totals.append(int(re.findall(r"Collected : (\d+)", stderr)[-1]))
        per_request = (totals[1] - totals[0]) / (INSTRUCTION_COUNTS[1] - INSTRUCTION_COUNTS[0])
        print(f"{args.endpoint:10s} {name:14s} {per_request / 1e6:6.2f} M instructions/request")


def report(
    endpoint: str,
    samples: dict[str, list[float]],
    cpu: dict[str, list[float]],
    io_counts: dict[str, dict[str, float]],
) -> None:
    """Print the medians, their ranges and the ratios to stock and bare."""
    for label, measured in (("wall", samples), ("CPU", cpu)):
        stock = statistics.median(measured["stock DRF"])
        bare = statistics.median(measured["bare Django"])
        for name, values in measured.items():
            median = statistics.median(values)
            print(
                f"{endpoint:10s} {name:14s} {label:4s} {median:7.0f} µs/request "
                f"(range {min(values):.0f}-{max(values):.0f}), {stock / median:4.2f}x stock's "
                f"speed, {bare / median:4.2f}x bare's; {io_counts[name]['queries']:.2f} SQL "
                f"queries and {io_counts[name]['redis_commands']:.2f} Redis round trips per request"
            )


def summarize(collapsed: Path, match: str, top: int) -> None:
    """Inclusive share of samples per function (``name (file)``), counted once per stack."""
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        samples = int(count)
        total += samples
        frames = {frame.rsplit(":", 1)[0] for frame in stack.split(";")}
        for frame in frames:
            inclusive[frame] += samples
    print(f"{total} samples; inclusive share of the top frames")
    shown = 0
    for frame, samples in inclusive.most_common():
        if match and match not in frame:
            continue
        print(f"{samples / total:6.1%}  {frame}")
        shown += 1
        if shown >= top:
            break


if __name__ == "__main__":
    main()

"""`make bench`: the app under gunicorn on a fresh database, driven by wrk; prints a table.

python -m bench                 # every figure, medians of 3 runs (a few minutes)
python -m bench --smoke         # a few seconds, no targets: CI runs this so it cannot rot
python -m bench --runs 5 --duration 20 --skip-postgres
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.nginx import NGINX, nginx_in_front

ROOT = Path(__file__).resolve().parent.parent
WRK_DIR = Path(__file__).resolve().parent / "wrk"
SLUG = "surveillance-moratorium"
PG_ADMIN_URL = os.environ.get(
    "BENCH_POSTGRES_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


PAGE_THROUGH_NGINX = "campaign page through nginx's cache"
TALLY_JSON = "tally JSON (SQLite)"
SIGNING = "signing, full path (SQLite)"
CONFIRMATIONS = "confirmations (SQLite)"
# (figure, at least this many × hello, p99 under this many ms): issue "the biggest day".
GOALS = [
    (PAGE_THROUGH_NGINX, 1.00, None),
    (SIGNING, 0.20, 50.0),
    (TALLY_JSON, 0.80, None),
    (CONFIRMATIONS, 0.15, None),
]
EXPORT_GOALS = {"sqlite": ("the floor", 2.0), "postgresql": ("COPY", 1.0)}


@dataclass
class Figure:
    name: str
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    note: str = ""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def machine() -> str:
    cpu = "unknown CPU"
    try:
        text = Path("/proc/cpuinfo").read_text()
        cpu = re.search(r"model name\s*:\s*(.+)", text).group(1)  # type: ignore[union-attr]
    except (OSError, AttributeError):
        pass
    pg = "n/a"
    if shutil.which("psql"):
        result = subprocess.run(
            ["psql", PG_ADMIN_URL, "-Atc", "SHOW server_version"],
            capture_output=True,
            text=True,
            check=False,
        )
        pg = result.stdout.strip() or "unreachable"
    return (
        f"{os.cpu_count()} cores ({cpu}), {platform.system()} {platform.machine()}, "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, PostgreSQL {pg}"
    )


def app_env(database_url: str, instance: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        SECRET_KEY="bench-secret-key",
        DATABASE_URL=database_url,
        PUBLIC_URL="http://127.0.0.1",
        RATELIMIT_ENABLED="false",
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    env.pop("MAIL_SERVER", None)
    return env


def flask(env: dict[str, str], *args: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{result.stderr}")


@contextmanager
def fresh_database(kind: str, workdir: Path) -> Iterator[str]:
    """A new, migrated and seeded database; dropped afterwards."""
    if kind == "sqlite":
        url = f"sqlite:///{workdir / 'bench.db'}"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{workdir / 'bench.db'}{suffix}").unlink(missing_ok=True)
        env = app_env(url, workdir)
        flask(env, "db", "upgrade")
        flask(env, "campaigns", "seed")
        yield url
        return
    name = f"campaign_bench_{os.getpid()}_{int(time.time())}"
    subprocess.run(["psql", PG_ADMIN_URL, "-qc", f'CREATE DATABASE "{name}"'], check=True)
    url = (
        PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
        + "/"
        + name
    )
    try:
        env = app_env(url, workdir)
        flask(env, "db", "upgrade")
        flask(env, "campaigns", "seed")
        yield url
    finally:
        subprocess.run(
            ["psql", PG_ADMIN_URL, "-qc", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'],
            check=False,
        )


# gunicorn's worker class for every run (`--worker-class gthread --threads 4` to compare).
WORKER_ARGS: list[str] = []


@contextmanager
def gunicorn(target: str, env: dict[str, str], workers: int) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            target,
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{port}",
            "--backlog",
            "2048",
            "--log-level",
            "warning",
            *WORKER_ARGS,
        ],
        cwd=ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(base + "/", timeout=1)
                break
            except OSError:
                time.sleep(0.05)
        else:
            raise RuntimeError(f"gunicorn {target} did not start")
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def wrk(
    base: str,
    path: str,
    script: str,
    duration: float,
    connections: int,
    args: list[str] | None = None,
    threads: int = 2,
) -> dict[str, int]:
    env = dict(os.environ, BENCH_WRK_DIR=str(WRK_DIR))
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(duration))}s",
        "--latency",
        "-s",
        str(WRK_DIR / script),
        base + path,
    ]
    if args:
        command += ["--", *args]
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
    line = [row for row in result.stdout.splitlines() if row.startswith("{")][-1]
    data: dict[str, int] = json.loads(line)
    return data


def to_figure(name: str, runs: list[dict[str, int]], note: str = "") -> Figure:
    rps = [r["requests"] / (r["duration_us"] / 1e6) for r in runs]
    return Figure(
        name=name,
        rps=statistics.median(rps),
        p50_ms=statistics.median(r["p50_us"] for r in runs) / 1000,
        p99_ms=statistics.median(r["p99_us"] for r in runs) / 1000,
        errors=sum(
            r["connect_errors"]
            + r["read_errors"]
            + r["write_errors"]
            + r["timeouts"]
            + r["bad_status"]
            for r in runs
        ),
        note=note,
    )


def form_token(base: str) -> str:
    """The form token of the campaign page, as every visitor gets it (no cookie)."""
    page = urllib.request.urlopen(f"{base}/campaigns/{SLUG}").read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    return token


def make_confirmation_tokens(database_url: str, count: int, path: Path) -> None:
    """Pending signatures with known tokens, inserted directly, and the tokens in a file."""
    script = ROOT / "bench" / "pending.py"
    subprocess.run(
        [sys.executable, str(script), database_url, str(count), str(path)],
        cwd=ROOT,
        env=app_env(database_url, path.parent),
        check=True,
    )


def count_rows(database_url: str) -> tuple[int, int, int]:
    script = ROOT / "bench" / "pending.py"
    result = subprocess.run(
        [sys.executable, str(script), database_url, "count"],
        cwd=ROOT,
        env=app_env(database_url, Path(tempfile.gettempdir())),
        capture_output=True,
        text=True,
        check=True,
    )
    signatures, outbox, counted = (int(x) for x in result.stdout.split())
    return signatures, outbox, counted


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--smoke", action="store_true", help="a few seconds, for CI")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers on SQLite")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-export", action="store_true")
    parser.add_argument("--worker-class", default="sync", help="gunicorn -k (sync, gthread)")
    parser.add_argument("--threads", type=int, default=1, help="gunicorn --threads (gthread)")
    args = parser.parse_args()
    WORKER_ARGS[:] = ["-k", args.worker_class, "--threads", str(args.threads)]
    if args.smoke:
        args.runs, args.duration, args.connections = 1, 1.0, 4
    if not shutil.which("wrk"):
        print("wrk is not installed: apt-get install wrk", file=sys.stderr)
        return 2

    print(f"Machine: {machine()}")
    print(
        f"gunicorn -w {args.workers} -k {args.worker_class} --threads {args.threads}; "
        f"wrk -t2 -c{args.connections} "
        f"-d{args.duration:g}s on the same machine; median of {args.runs} run(s)\n",
        flush=True,
    )

    figures: list[Figure] = []
    checks: list[str] = []
    with tempfile.TemporaryDirectory(prefix="campaign-bench-") as tmp:
        workdir = Path(tmp)
        env = app_env("sqlite:///unused", workdir)
        with gunicorn("bench.hello:app", env, args.workers) as base:
            runs = [
                wrk(base, "/", "get.lua", args.duration, args.connections) for _ in range(args.runs)
            ]
        hello = to_figure("bare Flask hello view", runs)
        figures.append(hello)

        with fresh_database("sqlite", workdir) as url:
            env = app_env(url, workdir)
            with gunicorn("wsgi:app", env, args.workers) as base:
                figures.append(
                    to_figure(
                        "campaign page, new visitor (SQLite)",
                        [
                            wrk(
                                base,
                                f"/campaigns/{SLUG}",
                                "get.lua",
                                args.duration,
                                args.connections,
                            )
                            for _ in range(args.runs)
                        ],
                    )
                )
                if NGINX is None:
                    print("nginx is not installed (apt-get install nginx): no cached-page figure")
                else:
                    with nginx_in_front(base, workdir / "nginx", workers=args.workers) as cached:
                        figures.append(
                            to_figure(
                                PAGE_THROUGH_NGINX,
                                [
                                    wrk(
                                        cached,
                                        f"/campaigns/{SLUG}",
                                        "get.lua",
                                        args.duration,
                                        args.connections,
                                    )
                                    for _ in range(args.runs)
                                ],
                            )
                        )
                figures.append(
                    to_figure(
                        TALLY_JSON,
                        [
                            wrk(
                                base,
                                f"/campaigns/{SLUG}.json",
                                "get.lua",
                                args.duration,
                                args.connections,
                            )
                            for _ in range(args.runs)
                        ],
                    )
                )
                token = form_token(base)
                sign_runs = [
                    wrk(
                        base,
                        f"/campaigns/{SLUG}",
                        "sign.lua",
                        args.duration,
                        args.connections,
                        [token, f"s{n}", f"/campaigns/{SLUG}"],
                    )
                    for n in range(args.runs)
                ]
                figures.append(to_figure(SIGNING, sign_runs))
                accepted = sum(r["requests"] - r["bad_status"] for r in sign_runs)
                stored, queued, _ = count_rows(url)
                checks.append(
                    f"SQLite signing: {accepted} accepted by wrk's count, {stored} "
                    f"signatures and {queued} outbox rows stored "
                    f"(more rows than wrk counted = requests still in flight at the end)"
                )

                tokens = workdir / "tokens.txt"
                per_run = int(max(2000, 2500 * args.duration))
                make_confirmation_tokens(url, per_run * args.runs, tokens)
                confirm_runs = []
                all_tokens = tokens.read_text().splitlines()
                for n in range(args.runs):
                    chunk = workdir / f"tokens-{n}.txt"
                    chunk.write_text("\n".join(all_tokens[n * per_run : (n + 1) * per_run]) + "\n")
                    confirm_runs.append(
                        wrk(
                            base,
                            "/",
                            "confirm.lua",
                            args.duration,
                            args.connections,
                            [str(chunk), "2"],
                        )
                    )
                figures.append(to_figure(CONFIRMATIONS, confirm_runs))
                _, _, counted = count_rows(url)
                confirmed = sum(r["requests"] - r["bad_status"] for r in confirm_runs)
                checks.append(
                    f"SQLite confirmations: {confirmed} confirmed by wrk's count, "
                    f"{counted} counted in the tallies"
                )

        if not args.skip_postgres:
            for workers in (2, 4):
                with fresh_database("postgresql", workdir) as url:
                    env = app_env(url, workdir)
                    with gunicorn("wsgi:app", env, workers) as base:
                        token = form_token(base)
                        runs = [
                            wrk(
                                base,
                                f"/campaigns/{SLUG}",
                                "sign.lua",
                                args.duration,
                                args.connections,
                                [token, f"p{workers}-{n}", f"/campaigns/{SLUG}"],
                            )
                            for n in range(args.runs)
                        ]
                    figures.append(
                        to_figure(f"signing, full path (PostgreSQL, {workers} workers)", runs)
                    )

    print(f"{'what':<48} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'× hello':>8}")
    for f in figures:
        print(
            f"{f.name:<48} {f.rps:>9.0f} {f.p50_ms:>8.1f} {f.p99_ms:>8.1f} {f.errors:>7} "
            f"{f.rps / hello.rps:>7.0%}"
        )
    print()
    for line in checks:
        print(line)
    exports: dict[str, float] = {}
    if not args.skip_export:
        print()
        command = [sys.executable, "-m", "bench.export", "--runs", str(args.runs)]
        if args.smoke:
            with tempfile.TemporaryDirectory(prefix="campaign-export-smoke-") as tmp:
                url = f"sqlite:///{Path(tmp) / 'export.db'}"
                exports["sqlite"] = run_export([*command, "--signatures", "1000"], url)
        else:
            exports["sqlite"] = run_export([*command, "--signatures", "1000000"], None)
            if not args.skip_postgres:
                with fresh_database("postgresql", Path(tempfile.gettempdir())) as url:
                    exports["postgresql"] = run_export([*command, "--signatures", "1000000"], url)
    print_goals(figures, hello, exports, args)
    return 0


def run_export(command: list[str], database_url: str | None) -> float:
    """Run bench/export.py (its table goes to the terminal); the export's ratio to its goal's
    reference: the driver alone on SQLite, COPY on PostgreSQL."""
    if database_url:
        command = [*command, "--database-url", database_url]
    result = subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True)
    print(result.stdout, end="", flush=True)
    match = re.search(r"^GOAL RATIO ([0-9.]+)$", result.stdout, re.M)
    return float(match.group(1)) if match else float("nan")


def print_goals(
    figures: list[Figure], hello: Figure, exports: dict[str, float], args: argparse.Namespace
) -> None:
    print()
    print(f"Goals, on {machine()}")
    print(f"(ratios to the bare Flask view in this run; medians of {args.runs} run(s)):")
    by_name = {f.name: f for f in figures}
    for name, at_least, p99_under in GOALS:
        figure = by_name.get(name)
        goal = f">= {at_least:.2f} x hello" + (f", p99 < {p99_under:.0f} ms" if p99_under else "")
        if figure is None:
            print(f"  {name:<40} {'not measured':<28} goal {goal}")
            continue
        ratio = figure.rps / hello.rps
        met = ratio >= at_least and (p99_under is None or figure.p99_ms < p99_under)
        measured = f"{ratio:.2f} x hello" + (f", p99 {figure.p99_ms:.0f} ms" if p99_under else "")
        print(f"  {name:<40} {measured:<28} goal {goal:<32} {'met' if met else 'MISSED'}")
    for kind in ("sqlite", "postgresql"):
        reference, at_most = EXPORT_GOALS[kind]
        name = f"1,000,000-row export ({kind})" if not args.smoke else f"export ({kind}, smoke)"
        goal = f"<= {at_most:.1f} x {reference}"
        if kind not in exports:
            print(f"  {name:<40} {'not measured':<28} goal {goal}")
            continue
        ratio = exports[kind]
        met = ratio <= at_most
        measured = f"{ratio:.2f} x {reference}"
        print(f"  {name:<40} {measured:<28} goal {goal:<32} {'met' if met else 'MISSED'}")


if __name__ == "__main__":
    sys.exit(main())

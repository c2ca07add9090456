"""The 1,000,000-signature export, through the CLI and over HTTP, with the dashboard's cost.

    python -m bench.export [--database-url URL] [--signatures 1000000] [--runs 3]

Fills the database with bench/generate.py unless it already holds the campaign at that size,
then measures, for each run: `flask export signatures` writing a file (wall time and peak
resident memory of the process), and the same export downloaded from gunicorn (one sync
worker) by a logged-in organiser (wall time to the last byte and the worker's peak resident
memory during the download). Also the dashboard page's time at that size. Prints medians
and the machine. Targets: CLI under 5 s, HTTP at most 1.5 times that, both under
100 MB resident.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import platform
import re
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, func, select, text

from bench.generate import DEFAULT_URL, generate
from campaign.campaigns.models import Campaign
from campaign.signing.models import Signature

ROOT = Path(__file__).resolve().parent.parent
SECRET = "benchmark-only-secret-key"
EMAIL = "bench-organiser@example.org"
PASSWORD = "benchmark organiser password"
CLI_TARGET_S = 5.0
RSS_TARGET_MB = 100.0


@dataclass
class Run:
    seconds: float
    peak_mb: float
    rows: int


def _env(database_url: str, port: int = 0) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        SECRET_KEY=SECRET,
        PUBLIC_URL=f"http://127.0.0.1:{port}" if port else "http://127.0.0.1",
        LOG_LEVEL="WARNING",
        FLASK_DEBUG="",
    )
    return env


def _flask(
    database_url: str, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT,
        env=_env(database_url),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def ensure_data(database_url: str, slug: str, count: int) -> int:
    """The campaign's confirmed count, generating the data first if it is not there."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            campaign_id = connection.scalar(select(Campaign.id).where(Campaign.slug == slug))
            total = connection.scalar(
                select(func.count())
                .select_from(Signature)
                .where(Signature.campaign_id == campaign_id)
            )
    except Exception:  # no database, or no tables yet
        total = None
    finally:
        engine.dispose()
    if total != count:
        print(
            f"generating {count:,} signatures (about a minute per million on SQLite) …", flush=True
        )
        generate(database_url, count, slug)
    _flask(database_url, "db", "upgrade")
    engine = create_engine(database_url)
    with engine.connect() as connection:
        confirmed = connection.scalar(
            text(
                "SELECT count(*) FROM signatures s JOIN campaigns c ON c.id = s.campaign_id "
                "WHERE c.slug = :slug AND s.status = 'confirmed'"
            ),
            {"slug": slug},
        )
    engine.dispose()
    return int(confirmed or 0)


def cli_export(database_url: str, slug: str, output: Path, *options: str) -> Run:
    """`flask export signatures` into a file: wall time and the process's peak RSS."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "flask",
            "--app",
            "wsgi",
            "export",
            "signatures",
            slug,
            "-o",
            str(output),
            *options,
        ],
        cwd=ROOT,
        env=_env(database_url),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if status != 0:
        raise RuntimeError(
            f"export failed: {process.stderr.read().decode() if process.stderr else status}"
        )
    with output.open("rb") as file:
        rows = _count_lines(iter(lambda: file.read(1 << 20), b"")) - 1
    return Run(seconds, usage.ru_maxrss / 1024, rows)


def _count_lines(chunks: Iterator[bytes]) -> int:
    """CRLF line ends (a name's own line break is a bare LF), also across chunk edges."""
    lines, tail = 0, b""
    for chunk in chunks:
        lines += (tail + chunk).count(b"\r\n")
        tail = chunk[-1:]
    return lines


def reference_stream(database_url: str, slug: str, output: str) -> None:
    """The yardstick: the same confirmed rows streamed by SQLAlchemy Core (`yield_per`)
    straight into csv.writer, with no formatting or neutralising (about 3.5 s on the
    reference machine the targets were set on)."""
    import csv

    engine = create_engine(database_url)
    s = Signature
    with engine.connect() as connection, open(output, "w", newline="", encoding="utf-8") as file:
        campaign_id = connection.scalar(select(Campaign.id).where(Campaign.slug == slug))
        result = connection.execution_options(yield_per=2000).execute(
            select(
                s.first_name,
                s.last_name,
                s.email,
                s.country,
                s.postcode,
                s.opt_in,
                s.source,
                s.signed_at,
                s.confirmed_at,
            )
            .where(s.campaign_id == campaign_id)
            .where(s.status == "confirmed")
        )
        writer = csv.writer(file)
        for rows in result.partitions():
            writer.writerows(rows)
    engine.dispose()


def driver_fetch(database_url: str, slug: str, output: str) -> None:
    """The floor: the same rows, in the same order, fetched by the database driver alone
    (no SQLAlchemy, no CSV, nothing written). No export can be faster than this."""
    engine = create_engine(database_url)
    mark = "%s" if engine.dialect.name == "postgresql" else "?"
    sql = (
        "SELECT first_name, last_name, email, country, postcode, opt_in, source, signed_at,"
        " confirmed_at, signatures.id FROM signatures JOIN campaigns"
        " ON campaigns.id = signatures.campaign_id"
        f" WHERE campaigns.slug = {mark} AND signatures.status = 'confirmed'"
        " ORDER BY confirmed_at, signatures.id"
    )
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute(sql, (slug,))
        while cursor.fetchmany(2000):
            pass
    finally:
        connection.close()
        engine.dispose()


def copy_fetch(database_url: str, slug: str, output: str) -> None:
    """PostgreSQL's own CSV writer: `COPY (the same query) TO STDOUT`, read to the end by
    psycopg (nothing written). The export's goal on PostgreSQL is to be this, or as fast."""
    import psycopg

    url = database_url.replace("postgresql+psycopg://", "postgresql://")
    sql = (
        "COPY (SELECT first_name, last_name, email, country, postcode, opt_in, source,"
        " signed_at, confirmed_at FROM signatures JOIN campaigns"
        " ON campaigns.id = signatures.campaign_id"
        " WHERE campaigns.slug = %s AND signatures.status = 'confirmed'"
        " ORDER BY confirmed_at, signatures.id) TO STDOUT WITH (FORMAT csv)"
    )
    with (
        psycopg.connect(url) as connection,
        connection.cursor() as cursor,
        cursor.copy(sql, (slug,)) as copy,
    ):
        for _ in copy:
            pass


def reference_export(
    database_url: str, slug: str, output: Path, what: str = "reference_stream"
) -> Run:
    """Run `reference_stream` or `driver_fetch` in a process of its own: time and peak RSS."""
    code = f"import sys; from bench.export import {what}; {what}(*sys.argv[1:])"
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", code, database_url, slug, str(output)],
        cwd=ROOT,
        env=_env(database_url),
    )
    _, status, usage = os.wait4(process.pid, 0)
    if status != 0:
        raise RuntimeError("the reference stream failed")
    return Run(time.perf_counter() - started, usage.ru_maxrss / 1024, -1)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """gunicorn with one sync worker (the production default) on a free loopback port."""

    def __init__(self, database_url: str) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "wsgi:app",
                "-w",
                "1",
                "-b",
                f"127.0.0.1:{self.port}",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=_env(database_url, self.port),
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(self.base + "/healthz", timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.stop()
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.2)
        cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(cookies))

    def worker_pid(self) -> int:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text()
        return int(children.split()[0])

    def login(self) -> None:
        page = self.opener.open(self.base + "/organiser/login", timeout=30).read().decode()
        match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
        assert match, "no CSRF token on the login page"
        form = {"csrf_token": match.group(1), "email": EMAIL, "password": PASSWORD, "next": ""}
        data = urllib.parse.urlencode(form).encode()
        response = self.opener.open(self.base + "/organiser/login", data=data, timeout=60)
        assert response.url.endswith("/organiser/"), f"login failed: {response.url}"

    def get(self, path: str) -> float:
        started = time.perf_counter()
        with self.opener.open(self.base + path, timeout=300) as response:
            while response.read(1 << 20):
                pass
        return time.perf_counter() - started

    def download(self, path: str) -> Run:
        worker = self.worker_pid()
        Path(f"/proc/{worker}/clear_refs").write_text("5")  # reset the peak RSS (Linux)
        started = time.perf_counter()
        with self.opener.open(self.base + path, timeout=300) as response:
            rows = _count_lines(iter(lambda: response.read(1 << 20), b"")) - 1
        seconds = time.perf_counter() - started
        peak = re.search(r"VmHWM:\s+(\d+) kB", Path(f"/proc/{worker}/status").read_text())
        assert peak, "no VmHWM in /proc/PID/status"
        return Run(seconds, int(peak.group(1)) / 1024, rows)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _machine(database_url: str) -> list[str]:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    meminfo = re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text())
    memory_gib = int(meminfo.group(1)) / 1048576 if meminfo else 0
    if database_url.startswith("postgresql"):
        engine = create_engine(database_url)
        with engine.connect() as connection:
            database = "PostgreSQL " + str(connection.scalar(text("SHOW server_version")))
        engine.dispose()
    else:
        database = f"SQLite {sqlite3.sqlite_version}"
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return [
        f"machine: {os.cpu_count()} cores ({cpu}), {memory_gib:.0f} GiB, "
        f"{platform.system()} {platform.release()}",
        f"python {platform.python_version()}, {database}; load average at start {load}",
    ]


def _median(runs: list[Run], key: Callable[[Run], float]) -> float:
    return statistics.median(key(run) for run in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--signatures", type=int, default=1_000_000)
    parser.add_argument("--slug", default="bench-export")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    header = _machine(args.database_url)
    confirmed = ensure_data(args.database_url, args.slug, args.signatures)
    created = _flask(
        args.database_url,
        "organisers",
        "create",
        EMAIL,
        "--admin",
        stdin=f"{PASSWORD}\n{PASSWORD}\n",
    )
    if created.returncode != 0 and "already exists" not in created.stderr + created.stdout:
        raise SystemExit(created.stderr)
    _flask(
        args.database_url, "organisers", "set-password", EMAIL, stdin=f"{PASSWORD}\n{PASSWORD}\n"
    )

    postgres = args.database_url.startswith("postgresql")
    floor_runs: list[Run] = []
    copy_runs: list[Run] = []
    reference_runs: list[Run] = []
    cli_runs: list[Run] = []
    startup_runs: list[Run] = []
    http_runs: list[Run] = []
    dashboard: list[float] = []
    overview: list[float] = []
    with tempfile.TemporaryDirectory() as scratch:
        for _ in range(args.runs):
            output = Path(scratch) / "export.csv"
            floor_runs.append(
                reference_export(args.database_url, args.slug, output, "driver_fetch")
            )
            if postgres:
                copy_runs.append(
                    reference_export(args.database_url, args.slug, output, "copy_fetch")
                )
            reference_runs.append(reference_export(args.database_url, args.slug, output))
            cli_runs.append(cli_export(args.database_url, args.slug, output))
            # The same command with no row to export: the app's start-up and the audit
            # log, which the CLI figure includes and COPY's does not.
            startup_runs.append(
                cli_export(args.database_url, args.slug, output, "--since", "9000-01-01")
            )
        server = Server(args.database_url)
        try:
            server.login()
            server.get(f"/organiser/campaigns/{args.slug}")  # warm: imports, caches
            for _ in range(args.runs):
                http_runs.append(
                    server.download(f"/organiser/campaigns/{args.slug}/signatures.csv")
                )
            for _ in range(max(args.runs, 5)):
                dashboard.append(server.get(f"/organiser/campaigns/{args.slug}"))
                overview.append(server.get("/organiser/"))
        finally:
            server.stop()

    for run in cli_runs + http_runs:
        if run.rows != confirmed:
            raise SystemExit(f"an export had {run.rows:,} rows, expected {confirmed:,}")
    cli_s = _median(cli_runs, lambda r: r.seconds)
    http_s = _median(http_runs, lambda r: r.seconds)
    cli_mb = max(r.peak_mb for r in cli_runs)
    http_mb = max(r.peak_mb for r in http_runs)
    ratio = http_s / cli_s
    cli_ok = cli_s < CLI_TARGET_S and cli_mb < RSS_TARGET_MB
    http_ok = ratio <= 1.5 and http_mb < RSS_TARGET_MB
    reference_s = _median(reference_runs, lambda r: r.seconds)
    floor_s = _median(floor_runs, lambda r: r.seconds)
    rows = [
        ("what", "time", "peak RSS", "target"),
        (
            "floor: the driver fetching the rows",
            f"{floor_s:.2f} s",
            f"{max(r.peak_mb for r in floor_runs):.0f} MB",
            "no SQLAlchemy, no CSV, no output",
        ),
        *(
            [
                (
                    "COPY (the same query) TO STDOUT, read",
                    f"{_median(copy_runs, lambda r: r.seconds):.2f} s",
                    f"{max(r.peak_mb for r in copy_runs):.0f} MB",
                    "PostgreSQL's own CSV writer",
                )
            ]
            if copy_runs
            else []
        ),
        (
            "yardstick: plain Core stream into csv",
            f"{reference_s:.2f} s",
            f"{max(r.peak_mb for r in reference_runs):.0f} MB",
            "about 3.5 s on the reference machine",
        ),
        (
            "export through the CLI (-o file)",
            f"{cli_s:.2f} s",
            f"{cli_mb:.0f} MB",
            f"< 5 s, < 100 MB: {'ok' if cli_ok else 'MISSED'}",
        ),
        (
            "export over HTTP (gunicorn, 1 worker)",
            f"{http_s:.2f} s",
            f"{http_mb:.0f} MB",
            f"<= 1.5 x CLI ({ratio:.2f} x), < 100 MB: {'ok' if http_ok else 'MISSED'}",
        ),
        ("dashboard page (queries and plots)", f"{statistics.median(dashboard):.2f} s", "", ""),
        ("campaign list page", f"{statistics.median(overview):.2f} s", "", ""),
    ]
    print()
    print("\n".join(header))
    print(f"data: {args.signatures:,} signatures, {confirmed:,} confirmed (exported)")
    print(f"medians of {args.runs} runs (pages: of {len(dashboard)}); peak RSS: the highest run")
    print(
        f"CLI export: {cli_s / reference_s:.2f} x the yardstick, {cli_s / floor_s:.2f} x the floor"
    )
    print()
    _print_table(rows)
    print()
    each = [f"CLI {r.seconds:.2f} s {r.peak_mb:.0f} MB" for r in cli_runs]
    each += [f"HTTP {r.seconds:.2f} s {r.peak_mb:.0f} MB" for r in http_runs]
    print("every run: " + "; ".join(each))
    startup_s = _median(startup_runs, lambda r: r.seconds)
    print(
        f"CLI start-up (the same command exporting no row): {startup_s:.2f} s, "
        f"{max(r.peak_mb for r in startup_runs):.0f} MB; CLI less start-up: "
        f"{cli_s - startup_s:.2f} s"
    )
    if copy_runs:
        copy_s = _median(copy_runs, lambda r: r.seconds)
        print(
            f"against COPY: CLI {cli_s / copy_s:.2f} x, CLI less start-up "
            f"{(cli_s - startup_s) / copy_s:.2f} x, HTTP {http_s / copy_s:.2f} x"
        )
    # For `python -m bench`: the export against its goal's reference (COPY on PostgreSQL).
    goal_reference = _median(copy_runs, lambda r: r.seconds) if copy_runs else floor_s
    print(f"GOAL RATIO {cli_s / goal_reference:.3f}")


def _print_table(rows: list[tuple[str, str, str, str]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for n, row in enumerate(rows):
        cells = [
            cell.rjust(width) if i in (1, 2) else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        print("| " + " | ".join(cells) + " |")
        if n == 0:
            print("| " + " | ".join("-" * w for w in widths) + " |")


if __name__ == "__main__":
    main()

"""Run the benchmark and write bench/results/<date>-<engine>-<scales>.md.

For each scale: build (or reuse) the database, start on 127.0.0.1, each on a free port, the API
(`python -m app serve`), Datasette on the same data as SQLite (the peer) and the constant-body
FastAPI app (the framework floor); then warm every target up and run at least three interleaved
rounds of wrk per target, with the same endpoints' SQL replayed in-process on the raw driver
(the database floor) in the same rounds. Optionally a mixed soak with the workers' RSS sampled.
Every server it started is stopped, whatever happens.

    python -m bench.run --engine sqlite --scales 10k --duration 5 --soak 30
    python -m bench.run --engine postgresql --scales 10k \\
        --pg-url 'postgresql+psycopg://postgres@127.0.0.1:5432/bench_{scale}' --drop-pg
"""

import argparse
import json
import os
import platform
import shlex
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import ExitStack, closing, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from sqlalchemy import text
from sqlalchemy.engine import make_url

from app import schema
from app.api.paging import encode_cursor
from app.config import Settings
from app.db import create_db_engine
from bench import db_floor
from bench import load as bench_load
from bench.generate import COMMON_WORD, DEFAULT_SEED, RARE_PHRASE

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
LUA = BENCH / "paths.lua"
PYTHON = sys.executable
DATASETTE = str(Path(sys.executable).parent / "datasette")
PACKAGES = [
    "fastapi", "starlette", "uvicorn", "pydantic", "sqlmodel", "sqlalchemy", "psycopg",
    "orjson", "uvloop", "httptools", "datasette",
]  # fmt: skip

# The API's mix: key → what it is. Paths are built from the loaded data by `plan`.
ENDPOINTS = {
    "list": "Filtered commitment list (page of 50, first page with `total`)",
    "detail": "Commitment detail with evidence",
    "actor": "Actor detail (a person)",
    "claims": "Claim list by source (page of 50)",
    "search_rare": f"Search, rare phrase (`{RARE_PHRASE}`)",
    "search_common": f"Search, common word (`{COMMON_WORD}`)",
    "timeline": "Timeline (first page of 50)",
    "stats": "Stats",
    "csv": "CSV export (one source's claims, `format=csv`)",
    "deep": "Deep cursor page (90% into the filtered list)",
}
SAMPLES = {"detail": 200, "actor": 100, "claims": 100, "csv": 100}


@dataclass
class Measurement:
    rate: float
    p50: float  # milliseconds
    p99: float
    errors: int = 0


@dataclass
class Target:
    group: str  # api, db-floor, datasette-fast, datasette-default, floor-async, floor-sync
    endpoint: str
    paths: list[str]
    server: "Server | None" = None
    statements: list[list[db_floor.Statement]] = field(default_factory=list)
    rounds: list[Measurement] = field(default_factory=list)
    problem: str | None = None

    @property
    def name(self) -> str:
        return f"{self.group}:{self.endpoint}"

    def median(self) -> Measurement | None:
        if not self.rounds:
            return None
        return Measurement(
            rate=statistics.median(m.rate for m in self.rounds),
            p50=statistics.median(m.p50 for m in self.rounds),
            p99=statistics.median(m.p99 for m in self.rounds),
            errors=sum(m.errors for m in self.rounds),
        )


@dataclass
class Server:
    name: str
    command: list[str]
    env: dict[str, str]
    ready_path: str
    log: Path
    port: int = 0
    process: "subprocess.Popen[bytes] | None" = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        handle = self.log.open("wb")
        self.process = subprocess.Popen(
            self.command,
            cwd=ROOT,
            env={**os.environ, **self.env},
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited; see {self.log}")
            try:
                if httpx.get(self.base + self.ready_path, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"{self.name} did not become ready; see {self.log}")

    def wait_idle(self, quick: float = 0.05, limit: float = 180) -> None:
        """Wait until the server answers its ready path within `quick` seconds.

        wrk stops sending when its time is up, but the server still works through what it
        had queued: a few slow requests (stats at 1M) would eat into the next target's round.
        """
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            begun = time.monotonic()
            try:
                httpx.get(self.base + self.ready_path, timeout=limit)
            except httpx.HTTPError:
                pass
            if time.monotonic() - begun < quick:
                return
            time.sleep(0.2)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=15)


def free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def running(server: Server) -> Iterator[Server]:
    server.port = free_port()
    server.command = [part.replace("{port}", str(server.port)) for part in server.command]
    try:
        server.start()
        yield server
    finally:
        server.stop()


def run_wrk(base: str, paths_file: Path, seconds: float, connections: int) -> Measurement:
    command = [
        "wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "30s",
        "-s", str(LUA), base, "--", str(paths_file),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 90)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise RuntimeError(f"wrk gave no result: {done.stdout} {done.stderr}")
    result = json.loads(lines[-1])
    seconds_run = result["duration_us"] / 1e6
    return Measurement(
        rate=result["requests"] / seconds_run if seconds_run else 0.0,
        p50=result["p50_us"] / 1000,
        p99=result["p99_us"] / 1000,
        errors=result["status_errors"] + result["socket_errors"],
    )


@dataclass
class Plan:
    paths: dict[str, list[str]]
    topic: str
    status: str
    filtered: int
    deep_after: str


def plan(url: str) -> Plan:
    """Paths for each endpoint, sampled evenly from the loaded data."""
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:

            def ids(sql: str, **params: Any) -> list[str]:
                return [row[0] for row in connection.execute(text(sql), params)]

            topic, status = connection.execute(
                text(
                    "SELECT topic, status FROM commitment GROUP BY topic, status "
                    "ORDER BY count(*) DESC, topic, status LIMIT 1"
                )
            ).one()
            filtered = ids(
                "SELECT id FROM commitment WHERE topic = :t AND status = :s ORDER BY id",
                t=topic,
                s=status,
            )
            commitments = ids("SELECT id FROM commitment ORDER BY id")
            people = ids("SELECT id FROM actor WHERE kind = 'person' ORDER BY id")
            sources = ids("SELECT id FROM source ORDER BY id")
    finally:
        engine.dispose()

    def evenly(values: list[str], count: int) -> list[str]:
        step = max(1, len(values) // count)
        return values[::step][:count]

    deep_after = filtered[int(len(filtered) * 0.9)]
    cursor = encode_cursor(["id", None, deep_after])
    listing = f"/v1/commitments?topic={topic}&status={status}&limit=50"
    source_sample = evenly(sources, SAMPLES["claims"])
    paths = {
        "list": [listing],
        "detail": [f"/v1/commitments/{i}" for i in evenly(commitments, SAMPLES["detail"])],
        "actor": [f"/v1/actors/{i}" for i in evenly(people, SAMPLES["actor"])],
        "claims": [f"/v1/claims?source={i}&limit=50" for i in source_sample],
        "search_rare": [f"/v1/search?q={quote(RARE_PHRASE)}"],
        "search_common": [f"/v1/search?q={COMMON_WORD}"],
        "timeline": ["/v1/timeline?limit=50"],
        "stats": ["/v1/stats"],
        "csv": [f"/v1/claims?source={i}&format=csv" for i in source_sample],
        "deep": [f"{listing}&cursor={cursor}"],
    }
    return Plan(paths, topic, status, len(filtered), deep_after)


def datasette_paths(database: str, p: Plan, fast: bool) -> dict[str, list[str]]:
    quick = "&_nocount=1&_nofacet=1" if fast else ""
    sources = [path.split("source=")[1].split("&")[0] for path in p.paths["claims"]]
    paths = {
        "list": [f"/{database}/commitment.json?topic={p.topic}&status={p.status}&_size=50{quick}"],
        "claims": [f"/{database}/claim.json?source_id={s}&_size=50{quick}" for s in sources],
    }
    if fast:  # a row page has no count or facets: one variant is enough
        paths["detail"] = [
            f"/{database}/commitment/{path.rsplit('/', 1)[1]}.json" for path in p.paths["detail"]
        ]
        paths["actor"] = [
            f"/{database}/actor/{path.rsplit('/', 1)[1]}.json" for path in p.paths["actor"]
        ]
    return paths


def process_tree(pid: int) -> list[int]:
    children: dict[int, list[int]] = defaultdict(list)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            children[int(stat.rsplit(")", 1)[1].split()[1])].append(int(entry.name))
    found, stack = [pid], [pid]
    while stack:
        for child in children[stack.pop()]:
            found.append(child)
            stack.append(child)
    return found


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def worker_rss(server: Server, workers: int) -> list[float]:
    """RSS (MB) of each worker: the server process itself with one worker; with more, the
    children uvicorn spawned (not multiprocessing's resource tracker)."""
    assert server.process is not None
    if workers == 1:
        return [round(rss_mb(server.process.pid), 1)]
    found = []
    for pid in process_tree(server.process.pid)[1:]:
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"spawn_main" in cmdline:
            found.append(round(rss_mb(pid), 1))
    return found


def machine_facts(pg_url: str | None) -> dict[str, str]:
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    total = next(line for line in meminfo if line.startswith("MemTotal")).split()[1]
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout
    facts = {
        "nproc": subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip(),
        "memory": f"{int(total) / 1024 / 1024:.1f} GiB",
        "cpu": cpu,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "wrk": wrk.splitlines()[0].split(" [")[0] if wrk else "?",
        "load average": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }
    for package in PACKAGES:
        try:
            facts[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            facts[package] = "not installed"
    if pg_url:
        engine = create_db_engine(pg_url)
        try:
            with engine.connect() as connection:
                facts["postgresql"] = str(connection.execute(text("SHOW server_version")).scalar())
        finally:
            engine.dispose()
    return facts


def ensure_data(scale: str, url: str, reload: bool, seed: int) -> dict[str, Any]:
    """The load report of the database at `url`, building it first when needed."""
    report = bench_load.report_path(url)
    if not reload and report.exists():
        previous: dict[str, Any] = json.loads(report.read_text())
        if previous.get("seed") == seed and previous.get("scale") == scale:
            try:
                engine = create_db_engine(url)
                with engine.connect() as connection:
                    claims = connection.execute(text("SELECT count(*) FROM claim")).scalar()
                if claims == previous["claims"]:
                    schema.upgrade(url)  # data built before a later migration
                    bench_load.finish(engine)  # as a fresh load leaves it (a no-op if so)
                    engine.dispose()
                    previous["reused"] = True
                    return previous
                engine.dispose()
            except Exception:  # a missing or broken database is rebuilt
                pass
    print(f"loading {scale} into {make_url(url).render_as_string()}", flush=True)
    result = bench_load.build(scale, url, seed=seed, recreate=True)
    result["reused"] = False
    return result


@dataclass
class ScaleRun:
    scale: str
    url: str
    load: dict[str, Any]
    plan: Plan
    targets: list[Target]
    rss: dict[str, Any]
    sizes: dict[str, int]
    commands: list[str]


def measure_scale(args: argparse.Namespace, scale: str, work: Path) -> ScaleRun:
    sqlite_url = bench_load.default_url(scale)
    url = args.pg_url.format(scale=scale.lower()) if args.engine == "postgresql" else sqlite_url
    load_report = ensure_data(scale, url, args.reload, args.seed)
    peer = not args.no_peer
    if peer and url != sqlite_url:
        ensure_data(scale, sqlite_url, args.reload, args.seed)
    p = plan(url)
    database = Path(str(make_url(sqlite_url).database)).stem
    api = Server(
        "api",
        [
            PYTHON,
            "-m",
            "app",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            "{port}",
            "--workers",
            str(args.workers),
        ],
        {
            "DATABASE_URL": url,
            "LOG_LEVEL": args.log_level,
            "RESPONSE_CACHE_MB": str(args.response_cache_mb),
        },
        "/readyz",
        work / f"api-{scale}.log",
    )
    datasette = Server(
        "datasette",
        [
            DATASETTE,
            "serve",
            str(make_url(sqlite_url).database),
            "--host",
            "127.0.0.1",
            "--port",
            "{port}",
            "--setting",
            "sql_time_limit_ms",
            "10000",
            "--setting",
            "default_page_size",
            "50",
        ],
        {},
        "/-/versions.json",
        work / f"datasette-{scale}.log",
    )
    commands: list[str] = []
    targets: list[Target] = []
    rss: dict[str, Any] = {}
    with ExitStack() as stack:
        stack.enter_context(running(api))
        commands.append(
            f"DATABASE_URL={shlex.quote(make_url(url).render_as_string())} "
            f"LOG_LEVEL={args.log_level} RESPONSE_CACHE_MB={args.response_cache_mb} "
            f"{shlex.join(api.command)}"
        )
        sizes = body_sizes(api.base, p)
        floor = Server(
            "floor",
            [
                PYTHON,
                "-m",
                "uvicorn",
                "bench.floor_app:app",
                "--host",
                "127.0.0.1",
                "--port",
                "{port}",
                "--workers",
                str(args.workers),
                "--log-level",
                args.log_level,
            ],
            {"BENCH_FLOOR_SIZES": ",".join(f"{k}={v}" for k, v in sizes.items())},
            "/healthz",
            work / f"floor-{scale}.log",
        )
        stack.enter_context(running(floor))
        commands.append(
            f"BENCH_FLOOR_SIZES={floor.env['BENCH_FLOOR_SIZES']} {shlex.join(floor.command)}"
        )
        for endpoint, paths in p.paths.items():
            targets.append(Target("api", endpoint, paths, api))
        if peer:
            stack.enter_context(running(datasette))
            commands.append(shlex.join(datasette.command))
            for fast, group in ((True, "datasette-fast"), (False, "datasette-default")):
                for endpoint, paths in datasette_paths(database, p, fast).items():
                    targets.append(Target(group, endpoint, paths, datasette))
        for name in sizes:
            targets.append(Target("floor-async", name, [f"/async/{name}"], floor))
        targets.append(Target("floor-sync", "list", ["/sync/list"], floor))
        statements = db_floor.capture(
            url, [path for paths in p.paths.values() for path in paths[:25]]
        )
        for endpoint, paths in p.paths.items():
            target = Target("db-floor", endpoint, paths[:25])
            target.statements = [statements[path] for path in paths[:25]]
            targets.append(target)
        replayer = stack.enter_context(closing(db_floor.Replayer(url)))
        check(targets)
        live = [t for t in targets if t.problem is None]
        files = write_path_files(live, work)
        estimate = len(live) * (args.warmup + args.rounds * args.duration) + args.soak
        print(f"{scale}: {len(live)} targets, about {estimate / 60:.0f} min", flush=True)
        for target in live:
            measure(target, args.warmup, args, files, replayer)
        for round_number in range(args.rounds):
            shift = round_number % len(live)
            for target in live[shift:] + live[:shift]:
                target.rounds.append(measure(target, args.duration, args, files, replayer))
            print(f"{scale}: round {round_number + 1}/{args.rounds} done", flush=True)
        if args.soak > 0:
            rss = soak(api, p, args, work)
    return ScaleRun(scale, url, load_report, p, targets, rss, sizes, commands)


def body_sizes(base: str, p: Plan) -> dict[str, int]:
    """Bytes of the API's answers the floor mirrors: the list page, a median detail, an actor."""
    with httpx.Client(base_url=base, timeout=60) as client:

        def median_size(paths: list[str]) -> int:
            return int(statistics.median(len(client.get(path).content) for path in paths[:20]))

        return {
            "list": median_size(p.paths["list"]),
            "detail": median_size(p.paths["detail"]),
            "actor": median_size(p.paths["actor"]),
        }


def check(targets: list[Target]) -> None:
    """Every target's first path must answer 200 before it is measured."""
    for target in targets:
        if target.server is None:
            continue
        try:
            status = httpx.get(target.server.base + target.paths[0], timeout=120).status_code
        except httpx.HTTPError as error:
            target.problem = f"{type(error).__name__}"
            continue
        if status != 200:
            target.problem = f"HTTP {status}"


def write_path_files(targets: list[Target], work: Path) -> dict[str, Path]:
    files = {}
    for number, target in enumerate(targets):
        if target.server is not None:
            path = work / f"paths-{number}.txt"
            path.write_text("\n".join(target.paths) + "\n")
            files[target.name] = path
    return files


def measure(
    target: Target,
    seconds: float,
    args: argparse.Namespace,
    files: dict[str, Path],
    replayer: db_floor.Replayer,
) -> Measurement:
    if target.server is None:
        result = db_floor.replay(replayer, target.statements, min(seconds, args.db_seconds))
        return Measurement(result.rate, result.percentile(50), result.percentile(99))
    target.server.wait_idle()
    return run_wrk(target.server.base, files[target.name], seconds, args.connections)


def soak(api: Server, p: Plan, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """The whole mix at once for `args.soak` seconds; the workers' RSS at start, every 10 s, end."""
    mixed = []
    longest = max(len(paths) for paths in p.paths.values())
    for index in range(longest):
        mixed += [paths[index % len(paths)] for paths in p.paths.values()]
    paths_file = work / "paths-soak.txt"
    paths_file.write_text("\n".join(mixed) + "\n")
    samples = [worker_rss(api, args.workers)]
    command = [
        "wrk", "-t1", f"-c{args.connections}", f"-d{args.soak}s", "--timeout", "30s",
        "-s", str(LUA), api.base, "--", str(paths_file),
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    while process.poll() is None:
        time.sleep(10)
        samples.append(worker_rss(api, args.workers))
    output = process.communicate()[0]
    samples.append(worker_rss(api, args.workers))
    result = json.loads([line for line in output.splitlines() if line.startswith("{")][-1])
    return {
        "seconds": args.soak,
        "requests": result["requests"],
        "errors": result["status_errors"] + result["socket_errors"],
        "start_mb": samples[0],
        "end_mb": samples[-1],
        "max_mb": [max(s[i] for s in samples if i < len(s)) for i in range(len(samples[0]))],
        # every minute, so that a cache filling up and levelling off tells from a leak
        "per_minute_mb": samples[::6],
    }


# ---- the report ----------------------------------------------------------------------------


def fmt(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "–"
    return f"{value:,.{digits}f}"


def find(run: ScaleRun, group: str, endpoint: str) -> Measurement | None:
    for target in run.targets:
        if target.group == group and target.endpoint == endpoint:
            return target.median()
    return None


def verdict(ok: bool | None, note: str = "") -> str:
    mark = {True: "**met**", False: "**not met**", None: "n/a"}[ok]
    return f"{mark}{' ' + note if note else ''}"


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def targets_table(runs: list[ScaleRun], workers: int) -> list[str]:
    last, first = runs[-1], runs[0]
    at = f"at {last.scale}"
    rows = ["| target | measured | verdict |", "| --- | --- | --- |"]

    def rate(run: ScaleRun, group: str, endpoint: str) -> float | None:
        m = find(run, group, endpoint)
        return m.rate if m else None

    def add(name: str, value: float | None, goal: float | None, unit: str) -> None:
        ok = None if value is None or goal is None else value >= goal
        shown = fmt(value * 100 if value is not None else None, 1) if unit == "%" else fmt(value, 2)
        rows.append(f"| {name} | {shown}{unit} {at} | {verdict(ok)} |")

    api_list = rate(last, "api", "list")
    add(
        "list ≥ 5× Datasette (fast path)",
        ratio(api_list, rate(last, "datasette-fast", "list")),
        5,
        "×",
    )
    add("list ≥ 25% of floor", ratio(api_list, rate(last, "floor-async", "list")), 0.25, "%")
    detail = ratio(rate(last, "api", "detail"), rate(last, "floor-async", "detail"))
    add("detail ≥ 25% of floor", detail, 0.25, "%")
    actor = ratio(rate(last, "api", "actor"), rate(last, "floor-async", "actor"))
    add("actor detail ≥ 50% of floor", actor, 0.5, "%")
    claims = ratio(rate(last, "api", "claims"), rate(last, "datasette-fast", "claims"))
    add("(no target) claim list by source vs Datasette (fast path)", claims, None, "×")
    for endpoint, goal in (("list", 1.5), ("detail", 1.5), ("search_rare", 3.0)):
        a, b = find(first, "api", endpoint), find(last, "api", endpoint)
        grown = ratio(b.p99 if b else None, a.p99 if a else None) if len(runs) > 1 else None
        span = f"{first.scale}→{last.scale}" if len(runs) > 1 else "10k→1M"
        name = f"p99 growth {span}, {endpoint} ≤ {goal}×"
        ok = None if grown is None else grown <= goal
        note = "" if len(runs) > 1 else "(one scale run)"
        rows.append(f"| {name} | {fmt(grown, 2)}× | {verdict(ok, note)} |")
    common = rate(last, "api", "search_common")
    is_1m = last.load.get("claims", 0) >= 1_000_000
    ok = (common or 0) >= 50 if is_1m else None
    note = "" if is_1m else "(target is at 1M)"
    rows.append(
        f"| common-word search ≥ 50 req/s at 1M | {fmt(common, 1)} req/s {at} | "
        f"{verdict(ok, note)} |"
    )
    for run in runs:
        deep, page = find(run, "api", "deep"), find(run, "api", "list")
        value = ratio(deep.p50 if deep else None, page.p50 if page else None)
        rows.append(
            f"| deep cursor page p50 within 1.5× of first page | {fmt(value, 2)}× at {run.scale} "
            f"| {verdict(None if value is None else value <= 1.5)} |"
        )
    for run in runs:
        speed = run.load.get("claims_per_second_write")
        rows.append(
            f"| bulk load ≥ 50k claims/s, quotes verified | {fmt(speed)} claims/s at {run.scale} "
            f"({run.load.get('method')}, {fmt(run.load.get('quotes_verified'))} verified) "
            f"| {verdict(None if speed is None else speed >= 50_000)} |"
        )
    if last.rss:
        start, end = sum(last.rss["start_mb"]), sum(last.rss["end_mb"])
        flat = end <= start * 1.10 + 10 if last.rss["seconds"] >= 300 else None
        rows.append(
            f"| worker RSS flat under mixed load ({last.rss['seconds']} s; target: 300 s) "
            f"| {fmt(start, 1)} → {fmt(end, 1)} MB ({workers} worker(s)) | {verdict(flat)} |"
        )
    return rows


GROUPS = [
    ("api", "API"),
    ("db-floor", "database floor (raw driver, in-process, 1 client)"),
    ("floor-async", "framework floor (`async def`, constant body)"),
    ("floor-sync", "framework floor (`def`, constant body: threadpool hop)"),
    ("datasette-fast", "Datasette, `_nocount=1&_nofacet=1`"),
    ("datasette-default", "Datasette, defaults"),
]


def results_table(run: ScaleRun) -> list[str]:
    rows = [
        "| server | endpoint | req/s | p50 ms | p99 ms | errors | req/s per round |",
        "| --- | --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for group, label in GROUPS:
        for target in run.targets:
            if target.group != group:
                continue
            m = target.median()
            if m is None:
                rows.append(f"| {label} | {target.endpoint} | – | – | – | {target.problem} | |")
                continue
            rounds = ", ".join(fmt(r.rate) for r in target.rounds)
            rows.append(
                f"| {label} | {target.endpoint} | {fmt(m.rate)} | {fmt(m.p50, 2)} | "
                f"{fmt(m.p99, 2)} | {m.errors} | {rounds} |"
            )
    return rows


def scaling_table(runs: list[ScaleRun]) -> list[str]:
    """Each API endpoint's req/s and p99 at every scale of the run."""
    header = " | ".join(f"{run.scale} req/s | {run.scale} p99 ms" for run in runs)
    rows = [f"| endpoint | {header} |", "| --- |" + " ---: | ---: |" * len(runs)]
    for endpoint in ENDPOINTS:
        cells = []
        for run in runs:
            m = find(run, "api", endpoint)
            cells += [fmt(m.rate if m else None), fmt(m.p99 if m else None, 1)]
        rows.append(f"| {endpoint} | {' | '.join(cells)} |")
    return rows


def write_report(
    args: argparse.Namespace, runs: list[ScaleRun], facts: dict[str, str], started: float
) -> Path:
    today = datetime.now(UTC).date().isoformat()
    scales = "+".join(run.scale.lower() for run in runs)
    suffix = f"-w{args.workers}" if args.workers > 1 else ""
    suffix += "-uncached" if args.response_cache_mb == 0 else ""
    path = Path(args.out) / f"{today}-{args.engine}-{scales}{suffix}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        f"# Benchmark: {args.engine}, {', '.join(r.scale for r in runs)} claims, "
        f"{args.workers} worker(s), {today}",
        "",
        f"The API's response cache: {args.response_cache_mb} MB per worker"
        + (
            " (off: every request does its full work)."
            if args.response_cache_mb == 0
            else " (repeated requests are answered from it; `--response-cache-mb 0` measures "
            "the full work)."
        ),
        "",
    ]
    if args.note:
        lines += [f"> {args.note}", ""]
    lines += [
        f"Median of {args.rounds} interleaved rounds of {args.duration:g} s per target after a "
        f"{args.warmup:g} s warm-up; wrk -t1 -c{args.connections} on loopback; database floor "
        f"rounds of {min(args.duration, args.db_seconds):g} s. "
        f"Took {(time.time() - started) / 60:.1f} min.",
        "",
        "## Targets",
        "",
        *targets_table(runs, args.workers),
        "",
        "## Scaling curve (API, 1 row per endpoint)",
        "",
        *scaling_table(runs),
        "",
        "Endpoints: " + "; ".join(f"`{key}` {label}" for key, label in ENDPOINTS.items()) + ".",
        "",
        "## Machine and versions",
        "",
        "| fact | value |",
        "| --- | --- |",
        *(f"| {key} | {value} |" for key, value in facts.items()),
        f"| load average at end | {' '.join(f'{x:.2f}' for x in os.getloadavg())} |",
        "",
    ]
    for run in runs:
        lo = run.load
        lines += [
            f"## {run.scale}: {fmt(lo.get('claims'))} claims",
            "",
            f"Data: {', '.join(f'{k} {v:,}' for k, v in lo.get('rows', {}).items())}. "
            f"Filtered list: topic={run.plan.topic}, status={run.plan.status} "
            f"({run.plan.filtered:,} commitments; deep cursor after {run.plan.deep_after}). "
            f"Floor bodies (bytes): {', '.join(f'{k} {v:,}' for k, v in run.sizes.items())}.",
            "",
            f"Bulk load ({lo.get('method')}, search index in each batch, quotes checked; "
            f"{'reused from ' + str(lo.get('loaded_at')) if lo.get('reused') else 'this run'}): "
            f"{fmt(lo.get('load_write_seconds'), 1)} s writing (of which "
            f"{fmt(lo.get('index_build_seconds'), 1)} s building the deferred indexes) = "
            f"**{fmt(lo.get('claims_per_second_write'))} claims/s** "
            f"({fmt(lo.get('rows_per_second_write'))} rows/s); "
            f"{fmt(lo.get('load_wall_seconds'), 1)} s with generation "
            f"({fmt(lo.get('claims_per_second_wall'))} claims/s); ANALYZE "
            f"{fmt(lo.get('analyze_seconds'), 2)} s.",
            "",
            *results_table(run),
            "",
        ]
        if run.rss:
            rss = run.rss
            lines += [
                f"Soak: the whole mix for {rss['seconds']} s, {rss['requests']:,} requests, "
                f"{rss['errors']} errors; worker RSS {rss['start_mb']} MB at start, "
                f"{rss['end_mb']} MB at end, max {rss['max_mb']} MB; every minute: "
                f"{rss['per_minute_mb']}.",
                "",
            ]
    lines += [
        "## Commands",
        "",
        "```sh",
        f"cd {ROOT}",
        shlex.join([".venv/bin/python", "-m", "bench.run", *sys.argv[1:]]),
    ]
    for run in runs:
        lines += [f"# {run.scale}", *run.commands]
    lines += [
        f"wrk -t1 -c{args.connections} -d{args.duration:g}s --timeout 30s -s bench/paths.lua "
        "http://127.0.0.1:PORT -- PATHS_FILE",
        "```",
        "",
    ]
    path.write_text("\n".join(lines))
    path.with_suffix(".json").write_text(
        json.dumps(
            {
                "facts": facts,
                "runs": [
                    {
                        "scale": run.scale,
                        "load": run.load,
                        "rss": run.rss,
                        "sizes": run.sizes,
                        "targets": {
                            t.name: [m.__dict__ for m in t.rounds] or t.problem for t in run.targets
                        },
                    }
                    for run in runs
                ],
            },
            indent=1,
        )
    )
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--scales", default="10k", help="comma list: 10k,100k,1m")
    parser.add_argument(
        "--pg-url",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/bench_{scale}",
        help="PostgreSQL URL template; {scale} is replaced. The database is dropped and created.",
    )
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--duration", type=float, default=10, help="seconds per round")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of warm-up per target")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--db-seconds", type=float, default=3, help="cap on database-floor rounds")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--soak", type=int, default=0, help="seconds of mixed load for RSS")
    parser.add_argument("--log-level", default="info", help="uvicorn log level for API and floor")
    parser.add_argument(
        "--response-cache-mb",
        type=int,
        default=Settings.model_fields["response_cache_mb"].default,
        help="the API's RESPONSE_CACHE_MB; 0 measures every request's full work",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--reload", action="store_true", help="rebuild the data even if present")
    parser.add_argument("--no-peer", action="store_true", help="skip Datasette")
    parser.add_argument(
        "--drop-pg", action="store_true", help="drop the PostgreSQL databases after"
    )
    parser.add_argument("--note", default="", help="a line for the top of the results file")
    parser.add_argument("--out", default=str(BENCH / "results"))
    args = parser.parse_args()
    if args.rounds < 3:
        parser.error("--rounds must be at least 3")
    started = time.time()
    maintenance = args.pg_url.format(scale="x").rsplit("/", 1)[0] + "/postgres"
    facts = machine_facts(maintenance if args.engine == "postgresql" else None)
    runs = []
    with tempfile.TemporaryDirectory(prefix="bench-") as work:
        try:
            for scale in args.scales.split(","):
                runs.append(measure_scale(args, scale.strip(), Path(work)))
        finally:
            if args.drop_pg and args.engine == "postgresql":
                for scale in args.scales.split(","):
                    bench_load.drop_database(args.pg_url.format(scale=scale.strip().lower()))
    path = write_report(args, runs, facts, started)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()

"""The database floor: each endpoint's own SQL, replayed in-process on the raw driver.

The statements are not written by hand: `capture` serves each path once through the real app
(in-process, on its own engine) and records every statement and parameter set the app sends to
the driver. `replay` then runs exactly those statements on a bare `sqlite3` or `psycopg`
connection, one read transaction per request, fetching every row, with no ORM, validation,
serialisation or HTTP. What the endpoint costs above this is the application's share.

    python -m bench.db_floor --database sqlite:///bench/data/bench-10k.db /v1/stats /v1/timeline
"""

import argparse
import asyncio
import sqlite3
import statistics
import time
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass
from typing import Any

import httpx
import psycopg
from sqlalchemy import event
from sqlalchemy.engine import make_url

from app.config import Settings
from app.db import SQLITE_PRAGMAS, create_db_engine
from app.main import create_app

Statement = tuple[str, Any]
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


@dataclass
class FloorResult:
    requests: int
    seconds: float
    latencies: list[float]

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        """Latency percentile in milliseconds."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000


def capture(url: str, paths: Sequence[str]) -> dict[str, list[Statement]]:
    """The statements the app sends to the driver to answer each path (which must be a 200)."""
    engine = create_db_engine(url)
    recorded: list[Statement] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _record(
        _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool
    ) -> None:
        if not statement.lstrip().upper().startswith(TRANSACTION_CONTROL):
            recorded.append((statement, parameters))

    captured: dict[str, list[Statement]] = {}
    # Uncached: the floor is the endpoint's own SQL, not a cache hit's read of the version.
    settings = Settings(database_url=url, response_cache_mb=0)
    transport = httpx.ASGITransport(app=create_app(settings, engine))

    async def fetch_all() -> None:
        async with httpx.AsyncClient(transport=transport, base_url="http://floor") as client:
            for path in paths:
                recorded.clear()
                response = await client.get(path)
                if response.status_code != 200:
                    raise RuntimeError(f"{path} answered {response.status_code}")
                captured[path] = list(recorded)

    try:
        asyncio.run(fetch_all())
    finally:
        engine.dispose()
    return captured


class Replayer:
    """A raw driver connection that replays captured statements, one transaction per request."""

    def __init__(self, url: str) -> None:
        parsed = make_url(url)
        self.sqlite = parsed.get_backend_name() == "sqlite"
        if self.sqlite:
            self.connection: Any = sqlite3.connect(
                str(parsed.database), isolation_level=None, check_same_thread=False
            )
            for pragma in SQLITE_PRAGMAS:
                self.connection.execute(pragma)
        else:
            conninfo = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
            self.connection = psycopg.connect(conninfo)

    def request(self, statements: Sequence[Statement]) -> None:
        if self.sqlite:
            self.connection.execute("BEGIN")
            try:
                for sql, parameters in statements:
                    self.connection.execute(sql, parameters).fetchall()
            finally:
                self.connection.execute("ROLLBACK")
            return
        try:
            with self.connection.cursor() as cursor:
                for sql, parameters in statements:
                    cursor.execute(sql, parameters or None)
                    if cursor.description is not None:
                        cursor.fetchall()
        finally:
            self.connection.rollback()

    def close(self) -> None:
        self.connection.close()


def replay(
    replayer: Replayer, requests: Sequence[Sequence[Statement]], seconds: float
) -> FloorResult:
    """Replay the requests round-robin for `seconds`; one request at a time."""
    latencies: list[float] = []
    started = time.perf_counter()
    deadline = started + seconds
    index = 0
    while True:
        begun = time.perf_counter()
        if begun >= deadline:
            break
        replayer.request(requests[index % len(requests)])
        latencies.append(time.perf_counter() - begun)
        index += 1
    return FloorResult(len(latencies), time.perf_counter() - started, latencies)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", required=True, help="SQLAlchemy URL of a loaded database")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("paths", nargs="+", help="API paths, e.g. /v1/stats")
    args = parser.parse_args()
    captured = capture(args.database, args.paths)
    with closing(Replayer(args.database)) as replayer:
        for path, statements in captured.items():
            result = replay(replayer, [statements], args.seconds)
            print(
                f"{path}: {len(statements)} statements, {result.rate:,.0f} req/s, "
                f"p50 {result.percentile(50):.2f} ms, p99 {result.percentile(99):.2f} ms, "
                f"mean {statistics.fmean(result.latencies) * 1000:.2f} ms"
            )


if __name__ == "__main__":
    main()

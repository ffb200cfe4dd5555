"""Build a benchmark database: a fresh schema (Alembic), then a generated scale, bulk-loaded.

    python -m bench.load --scale 10k                       # bench/data/bench-10k.db (SQLite)
    python -m bench.load --scale 10k --recreate \\
        --database postgresql+psycopg://postgres@127.0.0.1:5432/bench_10k

A SQLite file is always replaced. A PostgreSQL database is dropped and created again only with
`--recreate` (it connects to the server's `postgres` database to do so); without it, it must
exist and be empty. The load goes through `app.ingest.bulk`, which writes the search index in
each batch's transaction; the report (also written as JSON beside the data, for `bench.run`)
gives the claims per second of the loader itself and the wall time including generation.
"""

import argparse
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from app import schema
from app.db import create_db_engine
from app.ingest import bulk
from bench.generate import DEFAULT_SEED, Generator, parse_scale

DATA = Path(__file__).resolve().parent / "data"


def default_url(scale: str) -> str:
    return f"sqlite:///{DATA / f'bench-{scale.lower()}.db'}"


def report_path(url: str) -> Path:
    """Where the load report of the database at `url` is kept."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return Path(str(parsed.database) + ".load.json")
    return DATA / f"pg-{parsed.database}.load.json"


def fresh_database(url: str, recreate: bool) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = Path(str(parsed.database))
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    if recreate:
        drop_database(url)
        _on_server(url, "CREATE DATABASE {}")


def drop_database(url: str) -> None:
    """Drop the PostgreSQL database at `url` (for cleaning up after a run)."""
    _on_server(url, "DROP DATABASE IF EXISTS {} WITH (FORCE)")


def _on_server(url: str, statement: str) -> None:
    """Run `statement` (its `{}` the database named in `url`) from the `postgres` database."""
    parsed = make_url(url)
    if not parsed.database:
        raise SystemExit(f"no database name in {url!r}")
    maintenance = parsed.set(drivername="postgresql", database="postgres")
    conninfo = maintenance.render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as connection:
        connection.execute(sql.SQL(statement).format(sql.Identifier(parsed.database)))


def finish(engine: Engine) -> float:
    """Planner statistics (and, on SQLite, an emptied WAL); returns the seconds it took.

    PostgreSQL gets VACUUM ANALYZE, as autovacuum would give a loaded table in time: until
    the visibility map is set, a count has to visit the heap instead of the index alone
    (the list's first-page count at 1M: 8.6 ms before, 1.4 ms after).
    """
    started = time.perf_counter()
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    else:
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return time.perf_counter() - started


def build(
    scale: str,
    url: str,
    *,
    seed: int = DEFAULT_SEED,
    method: bulk.Method = "auto",
    recreate: bool = False,
    batch_claims: int = 10_000,
) -> dict[str, Any]:
    """Migrate a fresh database at `url`, load `scale` into it, and return the load report."""
    fresh_database(url, recreate)
    started = time.perf_counter()
    schema.upgrade(url)
    migrate_seconds = time.perf_counter() - started
    engine = create_db_engine(url)
    try:
        generator = Generator(parse_scale(scale), seed)
        report = bulk.load(engine, generator.batches(batch_claims), method=method)
        analyze_seconds = finish(engine)
    finally:
        engine.dispose()
    result = {
        "scale": scale,
        "claims": report.rows["claim"],
        "seed": seed,
        "engine": make_url(url).get_backend_name(),
        "method": report.method,
        "batches": report.batches,
        "rows": dict(report.rows),
        "migrate_seconds": round(migrate_seconds, 2),
        "load_wall_seconds": round(report.seconds, 2),
        "load_write_seconds": round(report.write_seconds, 2),
        "index_build_seconds": round(report.index_seconds, 2),
        "claims_per_second_write": round(report.rate("claim")),
        "claims_per_second_wall": round(report.rows["claim"] / report.seconds),
        "rows_per_second_write": round(sum(report.rows.values()) / report.write_seconds),
        "analyze_seconds": round(analyze_seconds, 2),
        "quotes_verified": report.rows["claim"],
        "loaded_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    path = report_path(url)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", default="10k", help="10k, 100k, 1m or a number of claims")
    parser.add_argument("--database", help="SQLAlchemy URL (default: bench/data/bench-SCALE.db)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument(
        "--method", choices=["auto", "executemany", "driver", "copy"], default="auto"
    )
    parser.add_argument("--batch-claims", type=int, default=10_000)
    parser.add_argument(
        "--recreate", action="store_true", help="drop and create the PostgreSQL database first"
    )
    args = parser.parse_args()
    url = args.database or default_url(args.scale)
    result = build(
        args.scale,
        url,
        seed=args.seed,
        method=args.method,
        recreate=args.recreate,
        batch_claims=args.batch_claims,
    )
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

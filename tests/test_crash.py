"""Crash consistency: kill -9 in the middle of a large write, restart or reopen, on each engine.

Afterwards all of the write is there or none of it (every table's row count, the search index's
included, is exactly the count before or the count after a whole write), SQLite's integrity and
foreign-key checks pass, and the app serves and takes a new write. Two large writes, each one
transaction:

* the API's largest kind of single-transaction write: a commitment created with `TERMS`
  quantified terms (one row each; the default 1 MiB `MAX_BODY_BYTES` would take some 9000), so
  the commitment, its parties, the term rows, the audit entry holding the whole record, its search
  document and the stored idempotent answer. The server runs with two uvicorn workers and its
  whole process group is killed with SIGKILL; then it is started again on the same database, and
  the client's retry of the killed request (same `Idempotency-Key`) goes through whole.
* the seed loader (`python -m app seed --path FILE`), which loads a whole file in one
  transaction, run as a subprocess on a generated file of actors, long sources and claims, and
  killed with SIGKILL; then the database is reopened and takes a new load.

The kills land inside the transaction, and the test checks so right before each one. The
database is watched from outside: on PostgreSQL, `pg_locks` shows which tables an open
transaction has written rows to; on SQLite, the write lock shows that a write transaction is
open, and the size of the WAL (emptied before each trial) shows uncommitted pages reaching the
disk. The server is killed `KILL_AT` of the way through the time a whole write of the same size
was seen open, if by then the transaction is still open and unanswered; a kill that came too late
(the write ran faster than the measured one) still has its outcome checked, and is tried again
sooner, at most `RETRIES` times. The loader is killed once it writes sources (PostgreSQL) or once
its uncommitted pages are in the WAL (SQLite), while it still runs. `CRASH_TRIALS` (default 1)
sets the kills of each kind per engine; `make load` runs more. Run with `pytest -n 0 -s` to see
them.
"""

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from app.db import create_db_engine
from app.ingest import load as seed_loader
from tests.conftest import ENGINES, DatabaseFactory
from tests.support.databases import migrate, new_key
from tests.support.live import serving
from tests.support.loadgen import SEARCH_INDEX, changed, database_counts

TRIALS = int(os.environ.get("CRASH_TRIALS", "1"))
TERMS = 3000  # ≈ 0.3 MB of JSON (the default MAX_BODY_BYTES, 1 MiB, would take some 9000)
KILL_AT = 0.5  # of the time the transaction of a whole write was seen open
RETRIES = 2  # kills that may come too late, each followed by one sooner
POLL = 0.01
TIMEOUT = 60.0
WAL_SPILL = 1 << 20  # uncommitted bytes in SQLite's WAL that show the loader is mid-write
REPO = Path(__file__).resolve().parents[1]
SEED_TEXTS = REPO / "seeds" / "texts"


@pytest.fixture(params=ENGINES)
def database(request: pytest.FixtureRequest, empty_database_url: DatabaseFactory) -> str:
    """A fresh, migrated, empty database of each engine."""
    url = empty_database_url(request.param, "crash")
    migrate(url, seed=False)
    return url


class Watch:
    """Looks at a database from outside for a write transaction in flight."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.sqlite = make_url(url).get_backend_name() == "sqlite"
        if self.sqlite:
            self.path = Path(make_url(url).database or "")
            self.connect()
        else:
            self._engine = create_db_engine(url)
            self._pg = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")

    def connect(self) -> None:
        self._lite = sqlite3.connect(self.path, timeout=0, isolation_level=None)

    def disconnect(self) -> None:
        self._lite.close()

    def close(self) -> None:
        if self.sqlite:
            self.disconnect()
        else:
            self._pg.close()
            self._engine.dispose()

    def open(self, table: str) -> bool:
        """SQLite: another connection holds the write lock (it cannot say which table).
        PostgreSQL: another backend's open transaction has written rows to `table`."""
        if self.sqlite:
            try:
                self._lite.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as error:
                if "locked" not in str(error):
                    raise
                return True
            self._lite.execute("ROLLBACK")
            return False
        query = text(
            "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
            "WHERE l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
            "AND c.relname = :table AND l.mode = 'RowExclusiveLock' "
            "AND l.pid <> pg_backend_pid()"
        )
        writers: int = self._pg.execute(query, {"table": table}).scalar_one()
        return writers > 0

    def checkpoint(self) -> tuple[int, int, int]:
        """SQLite: copy the WAL into the database and truncate it to zero bytes."""
        busy, frames, done = self._lite.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        return busy, frames, done

    def wal_bytes(self) -> int:
        wal = Path(f"{self.path}-wal")
        return wal.stat().st_size if wal.exists() else 0

    def until_no_writer(self) -> float:
        """Wait until no transaction that wrote is left open (PostgreSQL notices a dead client
        and rolls back its transaction); return how long that took."""
        started = time.monotonic()
        if self.sqlite:
            while self.open("any"):
                assert time.monotonic() - started < TIMEOUT, "the write lock outlived the kill"
                time.sleep(POLL)
            return time.monotonic() - started
        query = text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND backend_xid IS NOT NULL AND pid <> pg_backend_pid()"
        )
        while self._pg.execute(query).scalar_one() > 0:
            assert time.monotonic() - started < TIMEOUT, "the killed transaction lingers"
            time.sleep(POLL)
        return time.monotonic() - started


def wait_for(condition: Callable[[], bool], still: Callable[[], bool], what: str) -> float:
    """Poll until `condition`; fail if `still` stops holding first. Return the time it held."""
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        assert still(), f"finished before {what}"
        assert time.monotonic() < deadline, f"no {what} within {TIMEOUT} s"
        time.sleep(POLL)
    return time.monotonic()


def check_reopened(watch: Watch, before: dict[str, int], whole: dict[str, int]) -> str:
    """Reopen the database after a kill: every table holds exactly the rows of `before`, or
    those plus `whole` (the rows a whole write adds); say which. On SQLite, twice, and with
    the same result: first a copy of the database and its WAL as the killed process left them,
    without the shared-memory index, so that SQLite rebuilds it from the WAL as after a machine
    crash; then the database itself, once every connection to it is closed; both pass the
    integrity and foreign-key checks."""
    if not watch.sqlite:
        return outcome(counts_of(watch.url), before, whole)
    cold = watch.path.with_name(f"cold-{watch.path.name}")
    shutil.copyfile(watch.path, cold)
    if Path(f"{watch.path}-wal").exists():
        shutil.copyfile(f"{watch.path}-wal", f"{cold}-wal")
    try:
        cold_outcome = outcome(sqlite_counts(cold), before, whole)
    finally:
        for leftover in (cold, Path(f"{cold}-wal"), Path(f"{cold}-shm")):
            leftover.unlink(missing_ok=True)
    watch.disconnect()
    try:
        warm_outcome = outcome(sqlite_counts(watch.path), before, whole)
    finally:
        watch.connect()
    assert cold_outcome == warm_outcome
    return warm_outcome


def sqlite_counts(path: Path) -> dict[str, int]:
    with closing(sqlite3.connect(path)) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
    return counts_of(f"sqlite:///{path}")


def counts_of(url: str) -> dict[str, int]:
    engine = create_db_engine(url)
    try:
        return database_counts(engine)
    finally:
        engine.dispose()


def outcome(after: dict[str, int], before: dict[str, int], whole: dict[str, int]) -> str:
    if after == before:
        return "none"
    assert changed(before, after) == whole, {"changed": changed(before, after), "whole": whole}
    return "all"


# --- 1. A live server killed in the middle of its largest write ------------------------------


@dataclass
class Server:
    base_url: str
    process: "subprocess.Popen[bytes]"
    headers: dict[str, str]

    def kill(self) -> None:
        """SIGKILL to the whole process group: the uvicorn supervisor and its workers."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


@contextmanager
def killable_server(url: str, headers: dict[str, str], workers: int = 1) -> Iterator[Server]:
    """`python -m app serve` in a process group of its own, ready; stopped (if the test has
    not killed it) when the block ends."""
    with serving(url, workers, TIMEOUT, own_group=True) as (base_url, process):
        yield Server(base_url, process, headers)


def big_commitment(commitment_id: str) -> dict[str, Any]:
    return {
        "id": commitment_id,
        "title": f"Crash test {commitment_id}",
        "topic": "tariffs",
        "action": "reduce",
        "obligors": ["crash-obligor"],
        "counterparties": ["crash-counterparty"],
        "terms": [
            {"measure": f"term {n}", "from_value": n, "to_value": n + 1, "unit": "percent"}
            for n in range(TERMS)
        ],
    }


def post_big(server: Server, commitment_id: str) -> httpx.Response | Exception:
    """The big create, with an Idempotency-Key; a dead server's error instead of an answer."""
    headers = server.headers | {"Idempotency-Key": f"big-{commitment_id}"}
    try:
        return httpx.post(
            f"{server.base_url}/v1/commitments",
            json=big_commitment(commitment_id),
            headers=headers,
            timeout=TIMEOUT,
        )
    except httpx.HTTPError as error:
        return error


@dataclass
class Trial:
    commitment_id: str
    mid_write: bool  # killed while the transaction was open, before any answer
    answered: bool
    outcome: str  # none or all
    open_for: float  # how long the transaction had been seen open at the kill
    wal_bytes: int
    rolled_back_in: float


def kill_mid_write(
    server: Server,
    watch: Watch,
    background: ThreadPoolExecutor,
    delay: float,
    whole: dict[str, int],
    commitment_id: str,
) -> Trial:
    """Send the big write, kill the server `delay` seconds after its transaction is seen open,
    reopen the database and count."""
    before = counts_of(watch.url)
    if watch.sqlite:  # an empty WAL: what it holds at the kill is the write's, uncommitted
        busy, _frames, _copied = watch.checkpoint()
        assert busy == 0
    pending = background.submit(post_big, server, commitment_id)
    opened = wait_for(
        lambda: watch.open("commitment_term"), lambda: not pending.done(), "the write began"
    )
    time.sleep(max(0.0, opened + delay - time.monotonic()))
    mid_write = watch.open("commitment_term") and not pending.done()
    open_for = time.monotonic() - opened
    wal_bytes = watch.wal_bytes() if watch.sqlite else 0
    server.kill()
    answered = isinstance(pending.result(), httpx.Response)
    rolled_back_in = watch.until_no_writer()
    result = check_reopened(watch, before, whole)
    wal = f", {wal_bytes} bytes in the WAL" if watch.sqlite else ""
    print(
        f"[{'sqlite' if watch.sqlite else 'postgresql'}] server trial {commitment_id}: killed "
        f"{open_for:.2f} s into the transaction (still open, no answer: {mid_write}{wal}); "
        f"answered: {answered}; no open write {rolled_back_in:.2f} s after the kill; "
        f"outcome: {result}"
    )
    return Trial(commitment_id, mid_write, answered, result, open_for, wal_bytes, rolled_back_in)


def check_restarted(server: Server, trial: Trial) -> None:
    """The restarted server answers for the killed write as the database holds it."""
    response = httpx.get(f"{server.base_url}/v1/commitments/{trial.commitment_id}")
    if trial.outcome == "none":
        assert response.status_code == 404, response.text
    else:
        assert response.status_code == 200, response.text
        assert len(response.json()["terms"]) == TERMS


def test_a_server_killed_in_the_middle_of_its_largest_write_keeps_all_or_nothing(
    database: str,
) -> None:
    engine_name = make_url(database).get_backend_name()
    _key_id, secret = new_key(database)
    headers = {"Authorization": f"Bearer {secret}"}
    watch = Watch(database)
    trials: list[Trial] = []
    try:
        with ThreadPoolExecutor(1) as background:
            with killable_server(database, headers) as server:
                for actor_id in ("crash-obligor", "crash-counterparty"):
                    body = {"id": actor_id, "name": actor_id, "kind": "state"}
                    created = httpx.post(f"{server.base_url}/v1/actors", json=body, headers=headers)
                    assert created.status_code == 201, created.text

                # A whole write first: the rows it adds, and how long its transaction is open.
                before = counts_of(database)
                pending = background.submit(post_big, server, "crash-whole")
                opened = wait_for(
                    lambda: watch.open("commitment_term"), lambda: not pending.done(), "began"
                )
                closed = wait_for(lambda: not watch.open("commitment_term"), lambda: True, "end")
                answer = pending.result()
                assert isinstance(answer, httpx.Response), answer
                assert answer.status_code == 201, answer.text
                assert len(answer.json()["terms"]) == TERMS
                whole = changed(before, counts_of(database))
                assert whole == {
                    "commitment": 1,
                    "commitment_party": 2,
                    "commitment_term": TERMS,
                    "audit_entry": 1,
                    "idempotency_record": 1,
                    SEARCH_INDEX: 1,
                }
                window = closed - opened
                print(
                    f"\n[{engine_name}] whole write of {TERMS} terms: its transaction was seen "
                    f"open {window:.2f} s; it adds {whole}"
                )
                delay = KILL_AT * window
                trials.append(kill_mid_write(server, watch, background, delay, whole, "cut-1"))
            # Restarted, again and again until TRIALS kills have landed mid-write; a kill that
            # came too late (this write ran faster than the measured one) is tried again sooner.
            while sum(trial.mid_write for trial in trials) < TRIALS:
                assert len(trials) < TRIALS + RETRIES, "the kills kept missing the transaction"
                if not trials[-1].mid_write:
                    delay /= 2
                with killable_server(database, headers) as server:
                    check_restarted(server, trials[-1])
                    cut = f"cut-{len(trials) + 1}"
                    trials.append(kill_mid_write(server, watch, background, delay, whole, cut))

            # Restarted once more (one worker is enough here): it serves, and the client's retry
            # of the last killed write (same Idempotency-Key) goes through whole, or is replayed
            # if the write had landed.
            with killable_server(database, headers) as server:
                check_restarted(server, trials[-1])
                before = counts_of(database)
                retry = post_big(server, trials[-1].commitment_id)
                assert isinstance(retry, httpx.Response), retry
                assert retry.status_code == 201, retry.text
                replayed = retry.headers.get("idempotent-replayed") == "true"
                assert replayed == (trials[-1].outcome == "all")
                assert len(retry.json()["terms"]) == TERMS
                expected = {} if replayed else whole
                assert changed(before, counts_of(database)) == expected
    finally:
        watch.close()

    for trial in trials:  # a kill inside the transaction left nothing, and was never answered
        if trial.mid_write:
            assert not trial.answered, "the killed server answered the write"


# --- 2. The seed loader killed in the middle of a load ---------------------------------------

ACTORS, SOURCES, CLAIMS = 50, 8, 400
SOURCE_CHARS = 200_000


@dataclass(frozen=True)
class SeedPlan:
    path: Path
    whole: dict[str, int]  # the rows a whole load adds


def write_seed(
    directory: Path, prefix: str, actors: int, sources: int, claims: int, chars: int
) -> SeedPlan:
    """A seed file (and its texts) of `actors` with two aliases each, `sources` of `chars`
    characters by one author each, and `claims` quoting them with one speaker each."""
    (directory / "texts").mkdir(parents=True, exist_ok=True)
    corpus = "\n".join(
        path.read_text(encoding="utf-8") for path in sorted(SEED_TEXTS.glob("*.txt"))
    )
    actor_ids = [f"{prefix}-actor-{n}" for n in range(actors)]
    texts: list[str] = []
    seed: dict[str, list[dict[str, Any]]] = {"actors": [], "sources": [], "commitments": []}
    seed["actors"] = [
        {"id": a, "name": f"{a} name", "kind": "organisation", "aliases": [f"{a} A", f"{a} B"]}
        for a in actor_ids
    ]
    for n in range(sources):
        body = f"{prefix} source {n}\n" + corpus * (chars // len(corpus) + 1)
        texts.append(body[:chars])
        file_name = f"{prefix}-{n}.txt"
        (directory / "texts" / file_name).write_text(texts[-1], encoding="utf-8", newline="")
        seed["sources"].append(
            {
                "id": f"{prefix}-source-{n}",
                "file": file_name,
                "kind": "analysis",
                "authors": [actor_ids[n % actors]],
            }
        )
    seed["claims"] = []
    for n in range(claims):
        source = n % sources
        start = (n * 7919) % (chars - 200)
        start = texts[source].index(" ", start) + 1  # whole words, as a reader would quote
        end = texts[source].index(" ", start + 60)
        seed["claims"].append(
            {
                "id": f"{prefix}-claim-{n}",
                "source": f"{prefix}-source-{source}",
                "quote": texts[source][start:end],
                "start_offset": start,
                "kind": "report",
                "speakers": [actor_ids[n % actors]],
            }
        )
    path = directory / f"{prefix}.json"
    path.write_text(json.dumps(seed), encoding="utf-8")
    records = actors + sources + claims
    whole = {
        "actor": actors,
        "actor_alias": 2 * actors,
        "source": sources,
        "source_contributor": sources,
        "claim": claims,
        "claim_speaker": claims,
        "audit_entry": records,
        SEARCH_INDEX: records,
    }
    return SeedPlan(path, {table: rows for table, rows in whole.items() if rows})


def kill_load_mid_write(database: str, plan: SeedPlan, watch: Watch) -> str:
    """Run `python -m app seed --path` and SIGKILL it once it is writing; describe the kill."""
    if watch.sqlite:  # an empty WAL: whatever it holds during the load is uncommitted
        busy, _frames, _copied = watch.checkpoint()
        assert busy == 0

    def mid_load() -> bool:
        if watch.sqlite:  # the loader's uncommitted pages have reached the WAL file
            return watch.wal_bytes() >= WAL_SPILL and watch.open("any")
        return watch.open("source")  # actors written, sources being written

    command = [sys.executable, "-m", "app", "seed", "--path", str(plan.path)]
    env = {**os.environ, "DATABASE_URL": database}
    log = tempfile.TemporaryFile()
    started = time.monotonic()
    loader = subprocess.Popen(
        command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        wait_for(mid_load, lambda: loader.poll() is None, "the load was mid-write")
        wal_bytes = watch.wal_bytes() if watch.sqlite else 0
        running = loader.poll() is None
        os.killpg(loader.pid, signal.SIGKILL)
        loader.wait()
    finally:
        if loader.poll() is None:
            os.killpg(loader.pid, signal.SIGKILL)
            loader.wait()
        log.seek(0)
        output = log.read().decode(errors="replace")
        log.close()
    assert running, f"the load ended before the kill:\n{output}"
    assert loader.returncode == -signal.SIGKILL, output
    wal = f", {wal_bytes} uncommitted bytes in the WAL" if watch.sqlite else ", writing sources"
    return f"killed {time.monotonic() - started:.2f} s after its start, mid-write{wal}"


def test_a_seed_load_killed_in_the_middle_keeps_all_or_nothing(
    database: str, tmp_path: Path
) -> None:
    engine_name = make_url(database).get_backend_name()
    watch = Watch(database)
    try:
        for n in range(1, TRIALS + 1):
            plan = write_seed(tmp_path, f"crash{n}", ACTORS, SOURCES, CLAIMS, SOURCE_CHARS)
            before = counts_of(database)
            kill = kill_load_mid_write(database, plan, watch)
            watch.until_no_writer()
            result = check_reopened(watch, before, plan.whole)

            # Reopened, the database takes a new load through the same path, whole.
            tiny = write_seed(tmp_path / f"after{n}", f"after{n}", 2, 1, 2, 2_000)
            before = counts_of(database)
            engine = create_db_engine(database)
            try:
                with Session(engine) as session:
                    seed_loader.load(session, tiny.path)
                    session.commit()
            finally:
                engine.dispose()
            assert changed(before, counts_of(database)) == tiny.whole
            print(
                f"\n[{engine_name}] seed trial {n}: a load of {sum(plan.whole.values())} rows "
                f"{kill}; outcome: {result}; a new load afterwards: whole"
            )
    finally:
        watch.close()

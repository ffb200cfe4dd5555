"""Bulk loading: large batches of ready-made rows into an empty database, fast.

This is the path for benchmark data (`bench/`) and for large imports, not for editing the
knowledge base. It deliberately bypasses the API's write path: no SQLModel object is built per
record, the services' existence checks are left to the database's foreign keys, and no audit
entry (`app.writes`) is recorded for the rows it writes. That is why it refuses a database that
already holds actors, sources, commitments or claims (pass `require_empty=False` to override):
loaded data starts the audit log's history, it never changes records someone may have edited.

What it keeps:

* every claim's `quote` is `text[start_offset:end_offset]` of its source, checked with
  `app.ingest.quotes.check_span` before the claim's batch is written;
* every constraint of the schema (foreign keys, CHECKs, vocabularies) is enforced by the
  database as usual, and each batch is one transaction: a failure leaves no part of that batch;
* the data version (`app.data_version`), which each batch changes once (its row triggers
  are suspended with the search index's);
* the search index, in the same transaction: the row triggers that keep it are suspended for
  the batch (SQLite: dropped and created again from their own stored SQL, transactional DDL;
  PostgreSQL: `ALTER TABLE … DISABLE TRIGGER`, which locks the loaded tables until the batch
  commits), and the batch's records are indexed with one `INSERT … SELECT` per entity type
  (`app.insights.search_documents`), which is where most of the speed comes from.

Rows go in through the driver: `executemany` of tuples on SQLite, `COPY … FROM STDIN` on
PostgreSQL (method `auto`); `executemany` through SQLAlchemy Core is there for comparison.
"""

import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from functools import lru_cache
from hashlib import sha256
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy import Connection, Engine
from sqlmodel import SQLModel

import app.models  # noqa: F401  (registers every table on SQLModel.metadata)
from app.db import BUMP_DATA_VERSION, writer
from app.ingest.quotes import QuoteError, check_span
from app.insights.search_documents import documents, index_rows
from app.models.base import utcnow

Row = Mapping[str, Any]
# One transaction's worth of rows: table name → rows (all rows of a table with the same keys).
Batch = Mapping[str, Sequence[Row]]
Method = Literal["auto", "executemany", "driver", "copy"]
DRIVER_METHODS = {"sqlite": "driver", "postgresql": "copy"}
SEARCH_TRIGGER = "search_index"  # the PostgreSQL triggers of migration 2026_11_23_0002
VERSION_TRIGGER = "data_version"  # and of 2026_12_02_0005 (row triggers, deferred)
ID_CHUNK = 5_000  # ids per `IN` list when indexing (SQLite allows 32,766 parameters)
SQLITE_TIMESTAMP = "%Y-%m-%d %H:%M:%S.%f"

# Foreign keys point only backwards in this order. Within a table, rows go in the order given:
# an actor's affiliation must come before the actor.
TABLE_ORDER = (
    "actor",
    "actor_alias",
    "source",
    "source_contributor",
    "commitment",
    "commitment_party",
    "commitment_term",
    "claim",
    "claim_speaker",
    "claim_commitment",
    "status_event",
    "commitment_link",
)
VERSIONED = frozenset({"actor", "source", "commitment", "claim", "commitment_link"})
CHECKED_EMPTY = ("actor", "source", "commitment", "claim")
TEXT_CACHE_SIZE = 2_000  # source texts kept for checking the claims of later batches


class BulkLoadError(ValueError):
    """The data cannot be bulk-loaded: a non-empty database, an unknown table, a bad quote."""


@dataclass
class LoadReport:
    """What a load wrote and how long it took."""

    method: str
    rows: Counter[str] = field(default_factory=Counter)
    batches: int = 0
    seconds: float = 0.0  # wall time, including the time the caller took to produce batches
    write_seconds: float = 0.0  # checking and writing only (one transaction per batch)

    def rate(self, table: str = "claim") -> float:
        """Rows of `table` written per second of checking and writing."""
        return self.rows[table] / self.write_seconds if self.write_seconds else 0.0


def load(
    engine: Engine,
    batches: Iterable[Batch],
    *,
    method: Method = "auto",
    require_empty: bool = True,
) -> LoadReport:
    """Write each batch in one transaction, tables in `TABLE_ORDER`; return counts and times.

    Bookkeeping columns the rows leave out are filled in: `created_at`, `updated_at` (now) and
    `version` (1) of top-level records, a source's `text_sha256`, a status event's
    `recorded_at`. A claim whose quote is not its source's text at its offsets raises
    `BulkLoadError` naming it; its batch is checked before any of it is written, and earlier
    batches stay committed.
    """
    dialect = engine.dialect.name
    chosen = DRIVER_METHODS[dialect] if method == "auto" else method
    if chosen in DRIVER_METHODS.values() and chosen != DRIVER_METHODS[dialect]:
        raise BulkLoadError(f"method {chosen!r} is not available on {dialect}")
    if require_empty:
        _require_empty(engine)
    report = LoadReport(method=chosen)
    texts: OrderedDict[str, str] = OrderedDict()
    now = utcnow()
    started = time.perf_counter()
    for batch in batches:
        unknown = batch.keys() - set(TABLE_ORDER)
        if unknown:
            raise BulkLoadError(f"no bulk path for tables {sorted(unknown)}")
        batch_started = time.perf_counter()
        with writer(engine).begin() as connection:
            prepared = {
                table: _with_defaults(table, batch[table], now)
                for table in TABLE_ORDER
                if batch.get(table)
            }
            for row in prepared.get("source", []):
                _remember(texts, row["id"], row["text"])
            _check_quotes(connection, prepared.get("claim", []), texts)
            with _triggers_suspended(connection):
                for table, rows in prepared.items():
                    _insert(connection, table, rows, chosen)
                    report.rows[table] += len(rows)
                _index(connection, prepared)
        report.batches += 1
        report.write_seconds += time.perf_counter() - batch_started
    report.seconds = time.perf_counter() - started
    return report


def _require_empty(engine: Engine) -> None:
    with engine.connect() as connection:
        for table in CHECKED_EMPTY:
            if connection.execute(sa.text(f"SELECT 1 FROM {table} LIMIT 1")).first():
                raise BulkLoadError(
                    f"table {table!r} is not empty: bulk loads bypass the audit log and are "
                    "only for filling an empty database"
                )


def _with_defaults(table: str, rows: Sequence[Row], now: Any) -> list[dict[str, Any]]:
    defaults: dict[str, Any] = {}
    if table in VERSIONED:
        defaults = {"created_at": now, "updated_at": now, "version": 1}
    elif table == "status_event":
        defaults = {"recorded_at": now}
    complete = [{**defaults, **row} for row in rows]
    if table == "source":
        for row in complete:
            row.setdefault("text_sha256", sha256(row["text"].encode("utf-8")).hexdigest())
    return complete


def _remember(texts: OrderedDict[str, str], source_id: str, text: str) -> None:
    texts[source_id] = text
    texts.move_to_end(source_id)
    while len(texts) > TEXT_CACHE_SIZE:
        texts.popitem(last=False)


def _check_quotes(
    connection: Connection, claims: Sequence[Row], texts: OrderedDict[str, str]
) -> None:
    missing = {row["source_id"] for row in claims} - texts.keys()
    if missing:  # sources loaded by an earlier batch (or an earlier load)
        found = connection.execute(
            sa.text("SELECT id, text FROM source WHERE id IN :ids").bindparams(
                sa.bindparam("ids", expanding=True)
            ),
            {"ids": sorted(missing)},
        )
        for source_id, text in found:
            _remember(texts, source_id, text)
    for row in claims:
        text = texts.get(row["source_id"])
        if text is None:
            raise BulkLoadError(f"claim {row['id']!r}: unknown source {row['source_id']!r}")
        try:
            check_span(text, row["quote"], row["start_offset"], row["end_offset"])
        except QuoteError as error:
            raise BulkLoadError(f"claim {row['id']!r}: {error}") from error


@contextmanager
def _triggers_suspended(connection: Connection) -> Iterator[None]:
    """The row triggers of the search index and of the data version are off inside the
    block, back on when it ends, all inside the batch's transaction (a failure rolls the
    suspension back with the rows); the batch then adds one to the data version."""
    if connection.dialect.name == "sqlite":
        triggers = connection.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
            "AND (name LIKE 'search%' OR name LIKE 'data_version%')"
        ).all()
        for name, _sql in triggers:
            connection.exec_driver_sql(f'DROP TRIGGER "{name}"')
        yield
        for _name, sql in triggers:
            connection.exec_driver_sql(sql)
    else:
        suspended = connection.exec_driver_sql(
            "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            f"WHERE t.tgname IN ('{SEARCH_TRIGGER}', '{VERSION_TRIGGER}')"
        ).all()
        for table, trigger in suspended:
            connection.exec_driver_sql(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}")
        yield
        for table, trigger in suspended:
            connection.exec_driver_sql(f"ALTER TABLE {table} ENABLE TRIGGER {trigger}")
    connection.exec_driver_sql(BUMP_DATA_VERSION)


def _index(connection: Connection, prepared: Mapping[str, Sequence[Row]]) -> None:
    """Index the batch's records: actors (with the aliases of this batch), sources,
    commitments and claims, as the suspended triggers would have."""
    dialect = connection.dialect.name
    last_document = connection.exec_driver_sql(
        "SELECT coalesce(max(id), 0) FROM search_document"
    ).scalar_one()
    for entity_type in documents(dialect):
        ids = [row["id"] for row in prepared.get(entity_type, ())]
        for start in range(0, len(ids), ID_CHUNK):
            connection.execute(
                index_rows(dialect, entity_type), {"ids": ids[start : start + ID_CHUNK]}
            )
    if dialect == "sqlite":  # the FTS5 table follows `search_document` (its triggers are off too)
        connection.exec_driver_sql(
            "INSERT INTO search_fts (rowid, entity_type, entity_id, title, body) "
            "SELECT id, entity_type, entity_id, title, body FROM search_document WHERE id > ?",
            (last_document,),
        )


def _insert(connection: Connection, table: str, rows: list[dict[str, Any]], method: str) -> None:
    target = SQLModel.metadata.tables[table]
    if method == "executemany":
        connection.execute(sa.insert(target), rows)
        return
    columns = list(rows[0])
    unknown = set(columns) - set(target.columns.keys())
    if unknown:
        raise BulkLoadError(f"table {table!r} has no columns {sorted(unknown)}")
    names = ", ".join(f'"{name}"' for name in columns)
    driver: Any = connection.connection.driver_connection
    if method == "driver":
        marks = ", ".join("?" for _ in columns)
        converters = [_sqlite_converter(target.columns[name].type) for name in columns]
        values = (
            [convert(row[name]) for name, convert in zip(columns, converters, strict=True)]
            for row in rows
        )
        driver.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", values)
        return
    with driver.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([_plain(row[name]) for name in columns])


def _plain(value: Any) -> Any:
    """COPY sends values as the driver adapts them; a vocabulary member goes as its value."""
    return value.value if isinstance(value, Enum) else value


def _sqlite_converter(column_type: sa.types.TypeEngine[Any]) -> Callable[[Any], Any]:
    """How a column's values are written to SQLite, as SQLAlchemy would store them:
    timestamps as naive UTC text with microseconds, dates as ISO text, vocabulary members as
    their values. So bulk rows read back and sort like any other."""
    python_type = getattr(column_type, "impl", column_type)
    if isinstance(python_type, sa.DateTime):
        return _sqlite_timestamp
    if isinstance(python_type, sa.Date):
        return lambda value: None if value is None else value.isoformat()
    return _plain


@lru_cache(maxsize=1024)  # most timestamps of a load are its one `now`
def _sqlite_timestamp(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).strftime(SQLITE_TIMESTAMP)

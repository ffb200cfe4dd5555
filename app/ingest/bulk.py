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
The whole load uses one connection; the non-unique indexes of the tables it writes are built
once, after the batches (`_secondary_indexes_deferred`).
"""

import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache
from hashlib import sha256
from operator import itemgetter
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
    write_seconds: float = 0.0  # checking and writing only: the batches and the index builds
    index_seconds: float = 0.0  # building the deferred indexes once the batches are in

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

    The loaded tables' non-unique indexes are dropped first and built again once the batches
    are in, also when a batch fails (`_secondary_indexes_deferred`).
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
    with (
        writer(engine).connect() as connection,
        _secondary_indexes_deferred(connection, report),
    ):
        for batch in batches:
            unknown = batch.keys() - set(TABLE_ORDER)
            if unknown:
                raise BulkLoadError(f"no bulk path for tables {sorted(unknown)}")
            batch_started = time.perf_counter()
            with connection.begin():
                prepared = {
                    table: _prepare(table, batch[table], now, dialect)
                    for table in TABLE_ORDER
                    if batch.get(table)
                }
                for row in batch.get("source", ()):
                    _remember(texts, row["id"], row["text"])
                _check_quotes(connection, batch.get("claim", ()), texts)
                with _triggers_suspended(connection):
                    for table, rows in prepared.items():
                        _insert(connection, rows, chosen)
                        report.rows[table] += len(rows.values)
                    _index(connection, batch)
            report.batches += 1
            report.write_seconds += time.perf_counter() - batch_started
    report.seconds = time.perf_counter() - started
    return report


@contextmanager
def _secondary_indexes_deferred(connection: Connection, report: LoadReport) -> Iterator[None]:
    """Without the non-unique indexes of the loaded tables and of the search index inside the
    block; each is built again after it from its own stored definition, however the block ends.

    Building an index once sorts its keys; keeping it during the load inserts every row's key
    at a random place in a growing B-tree (1M claims on SQLite: 90 s kept, 71 s deferred; on
    PostgreSQL the search index's GIN is built rather than grown). Unique indexes stay: they
    enforce constraints batch by batch. A load killed outright leaves a partial database
    without these indexes; start again from an empty one.
    """
    with connection.begin():
        started = time.perf_counter()
        indexes = _secondary_indexes(connection)
        for name, _definition in indexes:
            connection.exec_driver_sql(f'DROP INDEX "{name}"')
    report.write_seconds += time.perf_counter() - started
    try:
        yield
    finally:
        with connection.begin():
            started = time.perf_counter()
            for _name, definition in indexes:
                connection.exec_driver_sql(definition)
        report.index_seconds = time.perf_counter() - started
        report.write_seconds += report.index_seconds


def _secondary_indexes(connection: Connection) -> list[tuple[str, str]]:
    """(name, CREATE INDEX statement) of each non-unique index of the tables a load writes."""
    if connection.dialect.name == "sqlite":  # origin 'c': made by CREATE INDEX, not a constraint
        query = (
            "SELECT m.name, m.sql FROM sqlite_master m "
            "JOIN pragma_index_list(m.tbl_name) l ON l.name = m.name "
            "WHERE m.type = 'index' AND l.origin = 'c' AND NOT l.\"unique\" "
            "AND m.tbl_name IN :tables ORDER BY m.name"
        )
    else:
        query = (
            "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
            "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
            "WHERE t.relnamespace = current_schema()::regnamespace "
            "AND t.relname IN :tables AND NOT x.indisunique ORDER BY i.relname"
        )
    found = connection.execute(
        sa.text(query).bindparams(sa.bindparam("tables", expanding=True)),
        {"tables": [*TABLE_ORDER, "search_document"]},
    )
    return [(name, definition) for name, definition in found]


def _require_empty(engine: Engine) -> None:
    with engine.connect() as connection:
        for table in CHECKED_EMPTY:
            if connection.execute(sa.text(f"SELECT 1 FROM {table} LIMIT 1")).first():
                raise BulkLoadError(
                    f"table {table!r} is not empty: bulk loads bypass the audit log and are "
                    "only for filling an empty database"
                )


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


def _index(connection: Connection, batch: Batch) -> None:
    """Index the batch's records: actors (with the aliases of this batch), sources,
    commitments and claims, as the suspended triggers would have."""
    dialect = connection.dialect.name
    last_document = connection.exec_driver_sql(
        "SELECT coalesce(max(id), 0) FROM search_document"
    ).scalar_one()
    for entity_type in documents(dialect):
        ids = [row["id"] for row in batch.get(entity_type, ())]
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


@dataclass(frozen=True)
class _Rows:
    """A table's rows of one batch as the driver takes them: one tuple per row."""

    table: str
    columns: tuple[str, ...]
    values: list[tuple[Any, ...]]


def _prepare(table: str, rows: Sequence[Row], now: datetime, dialect: str) -> _Rows:
    """The rows as tuples in the dialect's storage form, with the bookkeeping columns they
    leave out filled in (`created_at`, `updated_at`, `version`, `recorded_at`, a source's
    `text_sha256`). Built with `itemgetter` and a constant tail: merging a dict and calling a
    converter per value took a fifth of a 100k-claim SQLite load's time."""
    target = SQLModel.metadata.tables[table]
    if table == "source":
        rows = [
            {"text_sha256": sha256(row["text"].encode("utf-8")).hexdigest(), **row} for row in rows
        ]
    given = tuple(rows[0])
    unknown = set(given) - set(target.columns.keys())
    if unknown:
        raise BulkLoadError(f"table {table!r} has no columns {sorted(unknown)}")
    defaults = {name: value for name, value in _defaults(table, now).items() if name not in given}
    columns = given + tuple(defaults)
    converters = [_converter(target.columns[name].type, dialect) for name in columns]
    tail = tuple(
        convert(value)
        for convert, value in zip(converters[len(given) :], defaults.values(), strict=True)
    )
    getter = itemgetter(*given)
    single = len(given) == 1
    converted = [
        (index, convert)
        for index, convert in enumerate(converters[: len(given)])
        if convert is not _as_is
    ]
    values: list[tuple[Any, ...]] = []
    for row in rows:
        picked = (getter(row),) if single else getter(row)
        if converted:
            listed = list(picked)
            for index, convert in converted:
                listed[index] = convert(listed[index])
            picked = tuple(listed)
        values.append(picked + tail)
    return _Rows(table, columns, values)


def _defaults(table: str, now: datetime) -> dict[str, Any]:
    if table in VERSIONED:
        return {"created_at": now, "updated_at": now, "version": 1}
    if table == "status_event":
        return {"recorded_at": now}
    return {}


def _insert(connection: Connection, rows: _Rows, method: str) -> None:
    if method == "executemany":
        target = SQLModel.metadata.tables[rows.table]
        connection.execute(
            sa.insert(target), [dict(zip(rows.columns, row, strict=True)) for row in rows.values]
        )
        return
    names = ", ".join(f'"{name}"' for name in rows.columns)
    driver: Any = connection.connection.driver_connection
    if method == "driver":
        marks = ", ".join("?" for _ in rows.columns)
        driver.executemany(f"INSERT INTO {rows.table} ({names}) VALUES ({marks})", rows.values)
        return
    with driver.cursor() as cursor, cursor.copy(f"COPY {rows.table} ({names}) FROM STDIN") as copy:
        for row in rows.values:
            copy.write_row(row)


def _as_is(value: Any) -> Any:
    return value


def _converter(column_type: sa.types.TypeEngine[Any], dialect: str) -> Callable[[Any], Any]:
    """How a column's values are written on SQLite, as SQLAlchemy would store them: timestamps
    as naive UTC text with microseconds, dates as ISO text, so bulk rows read back and sort
    like any other. Anything else goes as it is (vocabulary members are `str`s)."""
    if dialect != "sqlite":
        return _as_is
    stored = getattr(column_type, "impl", column_type)  # a TypeDecorator's underlying type
    if isinstance(stored, sa.DateTime):
        return _sqlite_timestamp
    if isinstance(stored, sa.Date):
        return _sqlite_date
    return _as_is


def _sqlite_date(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


@lru_cache(maxsize=1024)  # most timestamps of a load are its one `now`
def _sqlite_timestamp(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).strftime(SQLITE_TIMESTAMP)

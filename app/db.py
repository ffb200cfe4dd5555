"""Engine and session construction for SQLite (embedded default) and PostgreSQL."""

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session

from app.errors import ConflictError, UnavailableError

WRITE_OPTION = "busan_write"
SINGLE_STATEMENT_OPTION = "busan_single_statement"
# Every write adds one to this number, by triggers (migration 2026_12_02_0005).
BUMP_DATA_VERSION = "UPDATE data_version SET n = n + 1"

SQLITE_PRAGMAS = (
    "PRAGMA foreign_keys = ON",
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = FULL",
    "PRAGMA busy_timeout = 10000",
)


def create_db_engine(database_url: str, *, pre_ping: bool = True, **kwargs: Any) -> Engine:
    """Build an engine with the per-engine settings the app relies on.

    SQLite: foreign keys on, WAL with `synchronous=FULL` (a committed write survives a crash),
    and SQLAlchemy's documented pysqlite recipe so that transactions and SAVEPOINTs behave as
    on PostgreSQL. PostgreSQL: pre-ping pooled connections (unless `pre_ping=False`).
    """
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=pre_ping, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # let SQLAlchemy emit BEGIN itself
        cursor = dbapi_connection.cursor()
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        options = connection.get_execution_options()
        if options.get(SINGLE_STATEMENT_OPTION):
            return  # the driver runs the statement in its own implicit transaction
        connection.exec_driver_sql("BEGIN IMMEDIATE" if options.get(WRITE_OPTION) else "BEGIN")


def writer(engine: Engine) -> Engine:
    """The same engine and pool, for write transactions.

    On SQLite they start with `BEGIN IMMEDIATE`: writers queue on the database lock (up to
    `busy_timeout`) and then read fresh data, instead of failing when a transaction that began
    by reading tries to write after another writer committed.
    """
    return engine.execution_options(**{WRITE_OPTION: True})


def single_statement_reader(engine: Engine) -> Engine:
    """The same engine and pool, for reads made of one statement, which sees one snapshot on
    its own: no transaction is opened around it. On PostgreSQL that saves two of a hot read's
    round trips (BEGIN and ROLLBACK); the reads of several statements keep their transaction,
    so that a page and its count agree."""
    if engine.dialect.name == "sqlite":
        # Not the AUTOCOMMIT level: resetting it would hand pysqlite its own implicit BEGINs.
        return engine.execution_options(**{SINGLE_STATEMENT_OPTION: True})
    return engine.execution_options(isolation_level="AUTOCOMMIT")


def commit(session: Session) -> None:
    """Commit, turning what the database refuses into our errors (nothing is half-written)."""
    try:
        session.commit()
    except IntegrityError as error:
        session.rollback()
        raise ConflictError(
            "The change conflicts with data already stored (a duplicate or a reference that "
            "no longer exists); nothing was written."
        ) from error
    except OperationalError as error:
        session.rollback()
        raise UnavailableError("The database is busy; nothing was written. Retry.") from error

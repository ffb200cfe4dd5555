"""Engine and session construction for SQLite (embedded default) and PostgreSQL."""

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlmodel import Session

SQLITE_PRAGMAS = (
    "PRAGMA foreign_keys = ON",
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = FULL",
    "PRAGMA busy_timeout = 10000",
)


def create_db_engine(database_url: str, **kwargs: Any) -> Engine:
    """Build an engine with the per-engine settings the app relies on.

    SQLite: foreign keys on, WAL with `synchronous=FULL` (a committed write survives a crash),
    and SQLAlchemy's documented pysqlite recipe so that transactions and SAVEPOINTs behave as
    on PostgreSQL. PostgreSQL: pre-ping pooled connections.
    """
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


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
        connection.exec_driver_sql("BEGIN")


def session_scope(engine: Engine) -> Iterator[Session]:
    """One session per unit of work; the caller commits."""
    with Session(engine, expire_on_commit=False) as session:
        yield session

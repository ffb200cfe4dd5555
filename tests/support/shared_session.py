"""Bind every request of an app to one test session, so that a test's rolled-back transaction
holds what its requests wrote and they see what it wrote."""

from collections.abc import Callable, Iterator

from fastapi import FastAPI
from sqlalchemy import Connection
from sqlmodel import Session

from app import data_version
from app.api.deps import get_session, get_single_statement_connection, get_write_session


def bump_data_version_at_once(connection: Connection) -> None:
    """On PostgreSQL the data version changes at commit (a deferred trigger), and a test's
    outer transaction never commits: its writes must change it as they happen."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET CONSTRAINTS data_version IMMEDIATE")


def share_session(app: FastAPI, current: Callable[[], Session]) -> None:
    """Reads, writes and one-statement reads of `app` all use `current()`, and so does the
    response cache's reading of the data version (which the test's own writes change).

    The test's transaction must `bump_data_version_at_once`. Rolling back writes the app has
    seen takes the data version back to a number its cache has answers for: clear
    `app.state.response_cache` then, or use a new app."""

    def shared_session() -> Iterator[Session]:
        session = current()
        # Like a request's own session, a failed write leaves nothing behind: back to the
        # savepoint the last successful commit left.
        try:
            yield session
        except Exception:
            session.rollback()
            raise

    def shared_connection() -> Iterator[Connection]:
        yield current().connection()

    app.dependency_overrides[get_session] = shared_session
    app.dependency_overrides[get_write_session] = shared_session
    app.dependency_overrides[get_single_statement_connection] = shared_connection
    app.state.data_version = lambda: data_version.read(current().connection())

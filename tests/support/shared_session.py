"""Bind every request of an app to one test session, so that a test's rolled-back transaction
holds what its requests wrote and they see what it wrote."""

from collections.abc import Callable, Iterator

from fastapi import FastAPI
from sqlalchemy import Connection
from sqlmodel import Session

from app.api.deps import get_session, get_single_statement_connection, get_write_session


def share_session(app: FastAPI, current: Callable[[], Session]) -> None:
    """Reads, writes and one-statement reads of `app` all use `current()`."""

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

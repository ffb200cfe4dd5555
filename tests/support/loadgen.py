"""Helpers shared by the mixed-load and crash tests: what a database holds, counted."""

import sqlalchemy as sa
from sqlalchemy import Engine
from sqlmodel import Session

from tests.support.databases import row_counts

SEARCH_INDEX = "search_document"  # written by triggers (migration 0002), not a mapped table


def database_counts(engine: Engine) -> dict[str, int]:
    """Rows of every mapped table, and of the search index its triggers keep."""
    with Session(engine) as session:
        counts = row_counts(session)
        counts[SEARCH_INDEX] = (
            session.connection()
            .execute(sa.text(f"SELECT count(*) FROM {SEARCH_INDEX}"))
            .scalar_one()
        )
    return counts


def changed(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    """The tables whose row count moved, with by how much."""
    return {table: after[table] - before[table] for table in after if after[table] != before[table]}

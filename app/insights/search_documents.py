"""What the search index holds for each entity, for writers that index rows in bulk.

The index (`search_document`, see migration 2026_11_23_0002) is kept by row triggers on every
ordinary write. A bulk load suspends those triggers for its transaction and indexes each batch
with one `INSERT … SELECT` per entity type instead (`app.ingest.bulk`). The documents below are
the ones the triggers write; `tests/ingest/test_bulk.py` checks that both ways give the same
index, so a change to one that is not made to the other fails.
"""

from typing import NamedTuple

import sqlalchemy as sa


class Document(NamedTuple):
    table: str
    title: str  # SQL over the entity row `e`
    body: str


# Aliases join the actor's name in the title, so that "Beijing" ranks China first.
_ALIASES = {
    "sqlite": "(SELECT group_concat(alias, ' ') FROM "
    "(SELECT x.alias FROM actor_alias x WHERE x.actor_id = e.id ORDER BY x.id))",
    "postgresql": "(SELECT string_agg(x.alias, ' ' ORDER BY x.id) "
    "FROM actor_alias x WHERE x.actor_id = e.id)",
}


def documents(dialect: str) -> dict[str, Document]:
    """Entity type → how its document is made, in `dialect`'s SQL."""
    return {
        "commitment": Document("commitment", "e.title", "e.description"),
        "claim": Document("claim", "NULL", "e.quote"),
        "source": Document("source", "e.title", "e.text"),
        "actor": Document(
            "actor",
            f"e.name || coalesce(' ' || {_ALIASES[dialect]}, '')",
            "trim(coalesce(e.role, '') || ' ' || coalesce(e.description, ''))",
        ),
    }


def index_rows(dialect: str, entity_type: str) -> sa.TextClause:
    """An INSERT of the documents of the `entity_type` records whose ids are in `:ids`."""
    document = documents(dialect)[entity_type]
    return sa.text(
        "INSERT INTO search_document (entity_type, entity_id, title, body) "
        f"SELECT '{entity_type}', e.id, {document.title}, {document.body} "
        f"FROM {document.table} e WHERE e.id IN :ids"
    ).bindparams(sa.bindparam("ids", expanding=True))

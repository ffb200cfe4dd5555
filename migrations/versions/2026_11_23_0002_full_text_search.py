"""full-text search index, kept in sync by triggers

Revision ID: 2026_11_23_0002
Revises: 2026_11_23_0001
Create Date: 2026-11-23 15:00:00

One row per searchable entity in `search_document` (entity_type, entity_id, title, body), written
only by triggers on the entity tables, so every write path (seed loader, API, raw SQL) is indexed,
updates and deletes included.

* SQLite: `search_fts`, an FTS5 table with `search_document` as its external content, kept in
  step by three more triggers (the pattern of the FTS5 documentation, section 4.4.3).
* PostgreSQL: `search_document.document`, a generated tsvector (english; title weight A, body
  weight B) with a GIN index; the entity triggers are plpgsql functions.

No model describes these tables: `app.schema.include_name` hides them from autogenerate and the
drift test. A later batch migration that recreates one of the entity tables on SQLite drops its
triggers with it and must create them again.
"""

from collections.abc import Sequence
from typing import NamedTuple

from alembic import op

revision: str = "2026_11_23_0002"
down_revision: str | None = "2026_11_23_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


class Entity(NamedTuple):
    type: str
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


def _entities(dialect: str) -> dict[str, Entity]:
    entities = [
        Entity("commitment", "commitment", "e.title", "e.description"),
        Entity("claim", "claim", "NULL", "e.quote"),
        Entity("source", "source", "e.title", "e.text"),
        Entity(
            "actor",
            "actor",
            f"e.name || coalesce(' ' || {_ALIASES[dialect]}, '')",
            "trim(coalesce(e.role, '') || ' ' || coalesce(e.description, ''))",
        ),
    ]
    return {entity.type: entity for entity in entities}


class Watch(NamedTuple):
    """A table whose writes re-index the `entity_type` rows whose ids are in column `key`."""

    table: str
    entity_type: str
    key: str
    columns: str  # an update of any of these re-indexes


WATCHES = [
    Watch("commitment", "commitment", "id", "id, title, description"),
    Watch("claim", "claim", "id", "id, quote"),
    Watch("source", "source", "id", "id, title, text"),
    Watch("actor", "actor", "id", "id, name, role, description"),
    Watch("actor_alias", "actor", "actor_id", "actor_id, alias"),
]

# trigger name suffix: (event, the ids to re-index)
OPERATIONS = {
    "insert": ("INSERT", "new.{key}"),
    "update": ("UPDATE OF {columns}", "old.{key}, new.{key}"),
    "delete": ("DELETE", "old.{key}"),
}


def _select(entity: Entity) -> str:
    return f"SELECT '{entity.type}', e.id, {entity.title}, {entity.body} FROM {entity.table} e"


def _reindex(entity: Entity, keys: str) -> str:
    """Statements that bring the documents of the entities whose ids are in `keys` up to date.

    An upsert then a delete of the documents whose entity is gone (rather than delete then
    insert), so two PostgreSQL transactions re-indexing one entity never collide on the key.
    """
    return (
        f"INSERT INTO search_document (entity_type, entity_id, title, body)\n"
        f"{_select(entity)} WHERE e.id IN ({keys})\n"
        f"ON CONFLICT (entity_type, entity_id) DO UPDATE "
        f"SET title = excluded.title, body = excluded.body;\n"
        f"DELETE FROM search_document WHERE entity_type = '{entity.type}' "
        f"AND entity_id IN ({keys}) "
        f"AND NOT EXISTS (SELECT 1 FROM {entity.table} e WHERE e.id = search_document.entity_id);"
    )


def _backfill(dialect: str) -> None:
    for entity in _entities(dialect).values():
        op.execute(
            f"INSERT INTO search_document (entity_type, entity_id, title, body) {_select(entity)}"
        )


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _upgrade_sqlite()
    elif dialect == "postgresql":
        _upgrade_postgresql()
    else:
        raise NotImplementedError(f"no full-text search for {dialect}")
    _backfill(dialect)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for watch in WATCHES:
            for operation in OPERATIONS:
                op.execute(f"DROP TRIGGER search_index_{watch.table}_{operation}")
        op.execute("DROP TABLE search_fts")
    else:
        for watch in WATCHES:
            op.execute(f"DROP TRIGGER search_index ON {watch.table}")
            op.execute(f"DROP FUNCTION search_index_{watch.table}()")
    op.execute("DROP TABLE search_document")


def _upgrade_sqlite() -> None:
    op.execute(
        """
        CREATE TABLE search_document (
            id INTEGER PRIMARY KEY,
            entity_type VARCHAR(16) NOT NULL,
            entity_id VARCHAR(120) NOT NULL,
            title TEXT,
            body TEXT,
            CONSTRAINT uq_search_document_entity_type UNIQUE (entity_type, entity_id)
        )
        """
    )
    op.execute(
        """
        CREATE VIRTUAL TABLE search_fts USING fts5(
            entity_type UNINDEXED, entity_id UNINDEXED, title, body,
            content='search_document', content_rowid='id',
            tokenize='porter unicode61 remove_diacritics 2'
        )
        """
    )
    new = "new.id, new.entity_type, new.entity_id, new.title, new.body"
    old = "'delete', old.id, old.entity_type, old.entity_id, old.title, old.body"
    columns = "rowid, entity_type, entity_id, title, body"
    add = f"INSERT INTO search_fts ({columns}) VALUES ({new});"
    remove = f"INSERT INTO search_fts (search_fts, {columns}) VALUES ({old});"
    for operation, body in (("insert", add), ("delete", remove), ("update", remove + add)):
        op.execute(
            f"CREATE TRIGGER search_document_{operation} AFTER {operation.upper()} "
            f"ON search_document BEGIN {body} END"
        )
    entities = _entities("sqlite")
    for watch in WATCHES:
        for operation, (event, keys) in OPERATIONS.items():
            op.execute(
                f"CREATE TRIGGER search_index_{watch.table}_{operation} "
                f"AFTER {event.format(columns=watch.columns)} ON {watch.table} BEGIN\n"
                f"{_reindex(entities[watch.entity_type], keys.format(key=watch.key))}\nEND"
            )


def _upgrade_postgresql() -> None:
    op.execute(
        """
        CREATE TABLE search_document (
            id BIGINT GENERATED ALWAYS AS IDENTITY,
            entity_type VARCHAR(16) NOT NULL,
            entity_id VARCHAR(120) NOT NULL,
            title TEXT,
            body TEXT,
            document TSVECTOR GENERATED ALWAYS AS (
                setweight(to_tsvector('english', coalesce(title, '')), 'A')
                || setweight(to_tsvector('english', coalesce(body, '')), 'B')
            ) STORED,
            CONSTRAINT pk_search_document PRIMARY KEY (id),
            CONSTRAINT uq_search_document_entity_type UNIQUE (entity_type, entity_id)
        )
        """
    )
    op.execute("CREATE INDEX ix_search_document_document ON search_document USING gin (document)")
    entities = _entities("postgresql")
    for watch in WATCHES:
        key, entity = watch.key, entities[watch.entity_type]
        reindex = _reindex(entity, "SELECT unnest(keys)")
        op.execute(
            f"""
            CREATE FUNCTION search_index_{watch.table}() RETURNS trigger
            LANGUAGE plpgsql AS $$
            DECLARE
                keys TEXT[];
            BEGIN
                IF TG_OP = 'INSERT' THEN
                    keys := ARRAY[NEW.{key}];
                ELSIF TG_OP = 'DELETE' THEN
                    keys := ARRAY[OLD.{key}];
                ELSE
                    keys := ARRAY[OLD.{key}, NEW.{key}];
                END IF;
                -- Writers of one actor's aliases queue here, so each re-reads all of them.
                PERFORM 1 FROM {entity.table} WHERE id IN (SELECT unnest(keys)) FOR NO KEY UPDATE;
                {reindex}
                RETURN NULL;
            END
            $$
            """
        )
        op.execute(
            f"CREATE TRIGGER search_index AFTER INSERT OR DELETE OR UPDATE OF {watch.columns} "
            f"ON {watch.table} FOR EACH ROW EXECUTE FUNCTION search_index_{watch.table}()"
        )

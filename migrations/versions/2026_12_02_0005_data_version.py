"""data version: one number that every committed write changes

Revision ID: 2026_12_02_0005
Revises: 2026_11_23_0004
Create Date: 2026-12-02 18:40:00

`data_version.n` (one row) goes up in the same transaction as any write to any table of the
model, by triggers, so every write path (API, seed loader, CLI, raw SQL) changes it and a
rolled-back write does not. The response cache (`app.api.response_cache`) keys answers by it.

* SQLite: row triggers after INSERT, UPDATE and DELETE (writers take turns on SQLite anyway).
* PostgreSQL: a constraint trigger per table, deferred to the commit: the row's lock is taken
  last, when the transaction holds every other lock it will take, so two writers never wait
  for each other in a cycle and each holds it only while it commits. TRUNCATE has a statement
  trigger (constraint triggers are row triggers). A test's transaction, which never commits,
  sets them IMMEDIATE (`SET CONSTRAINTS data_version IMMEDIATE`).

No model describes the table (`app.schema.include_name` hides it from autogenerate). A later
migration that adds a table must add its triggers (`tests/test_schema.py` checks every table
has them); one that recreates a table on SQLite (batch mode) must create them again.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "2026_12_02_0005"
down_revision: str | None = "2026_11_23_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Every table of the model at this revision (the search index follows them: not watched).
TABLES = (
    "actor", "actor_alias", "api_key", "audit_entry", "claim", "claim_commitment",
    "claim_speaker", "commitment", "commitment_link", "commitment_party", "commitment_term",
    "idempotency_record", "source", "source_contributor", "status_event", "tombstone",
)  # fmt: skip
SQLITE_OPERATIONS = ("insert", "update", "delete")
BUMP = "UPDATE data_version SET n = n + 1"


def upgrade() -> None:
    op.execute(
        "CREATE TABLE data_version ("
        "id INTEGER NOT NULL PRIMARY KEY CHECK (id = 1), n BIGINT NOT NULL)"
    )
    op.execute("INSERT INTO data_version (id, n) VALUES (1, 0)")
    if op.get_bind().dialect.name == "sqlite":
        for table in TABLES:
            for operation in SQLITE_OPERATIONS:
                op.execute(
                    f"CREATE TRIGGER data_version_{table}_{operation} "
                    f"AFTER {operation.upper()} ON {table} BEGIN {BUMP}; END"
                )
        return
    op.execute(
        "CREATE FUNCTION data_version_bump() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$ BEGIN {BUMP}; RETURN NULL; END $$"
    )
    for table in TABLES:
        op.execute(
            f"CREATE CONSTRAINT TRIGGER data_version AFTER INSERT OR UPDATE OR DELETE "
            f"ON {table} DEFERRABLE INITIALLY DEFERRED "
            "FOR EACH ROW EXECUTE FUNCTION data_version_bump()"
        )
        op.execute(
            f"CREATE TRIGGER data_version_truncate AFTER TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION data_version_bump()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in TABLES:
            for operation in SQLITE_OPERATIONS:
                op.execute(f"DROP TRIGGER data_version_{table}_{operation}")
    else:
        for table in TABLES:
            op.execute(f"DROP TRIGGER data_version ON {table}")
            op.execute(f"DROP TRIGGER data_version_truncate ON {table}")
        op.execute("DROP FUNCTION data_version_bump()")
    op.execute("DROP TABLE data_version")

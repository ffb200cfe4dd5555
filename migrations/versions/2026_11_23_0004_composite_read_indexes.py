"""composite indexes for the hot reads

Revision ID: 2026_11_23_0004
Revises: 2026_11_23_0003
Create Date: 2026-11-23 15:40:00

Three single-column indexes become composite ones that answer the hot reads from the index
alone, in id order, so that their cost does not grow with the data (bench/README.md):

* `commitment (topic, status, id)`: the list filtered by topic and status, its count and its
  first page (it replaces the index on `topic`, its prefix);
* `claim_speaker (actor_id, claim_id)`: an actor's claims, in id order;
* `commitment_party (actor_id, role, commitment_id)`: what an actor owes and is owed.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "2026_11_23_0004"
down_revision: str | None = "2026_11_23_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, old single-column index, its column, new composite index, its columns)
CHANGES = [
    ("commitment", "ix_commitment_topic", "topic", "ix_commitment_topic_status",
     ["topic", "status", "id"]),
    ("claim_speaker", "ix_claim_speaker_actor_id", "actor_id",
     "ix_claim_speaker_actor_id_claim_id", ["actor_id", "claim_id"]),
    ("commitment_party", "ix_commitment_party_actor_id", "actor_id",
     "ix_commitment_party_actor_id_role", ["actor_id", "role", "commitment_id"]),
]  # fmt: skip


def upgrade() -> None:
    for table, old, _column, new, columns in CHANGES:
        op.create_index(new, table, columns)
        op.drop_index(old, table_name=table)


def downgrade() -> None:
    for table, old, column, new, _columns in CHANGES:
        op.create_index(old, table, [column])
        op.drop_index(new, table_name=table)

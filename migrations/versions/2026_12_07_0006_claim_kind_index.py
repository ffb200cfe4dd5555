"""an index on the claim's kind, for the stats

Revision ID: 2026_12_07_0006
Revises: 2026_12_02_0005
Create Date: 2026-12-07 03:30:00

`/v1/stats` counts the claims of each kind. Without an index that is a scan of the claim
table, quotes and all (0.44 s at a million claims on SQLite); with one it reads the index
alone (0.12 s).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "2026_12_07_0006"
down_revision: str | None = "2026_12_02_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_claim_kind", "claim", ["kind"])


def downgrade() -> None:
    op.drop_index("ix_claim_kind", table_name="claim")

"""Each article's sentence count: grouping keeps translations to clusters of a similar length.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN; articles stored before it have no count, and grouping then skips the
    # length check for them.
    op.add_column("articles", sa.Column("sentences", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("articles") as batch:
        batch.drop_column("sentences")

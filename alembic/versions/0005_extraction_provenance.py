"""Where each article's text and dates came from: extraction strategy, date sources, modified
date, declared or detected language, authors, and whether the page was rendered in a browser.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    ("extraction_strategy", sa.String(64)),
    ("date_source", sa.String(16)),
    ("modified", sa.DateTime(timezone=True)),
    ("modified_source", sa.String(16)),
    ("language_source", sa.String(16)),
    ("authors", sa.Text()),
)


def upgrade() -> None:
    # Plain ADD COLUMNs: no table rebuild, so SQLite keeps its foreign keys and data untouched.
    for name, kind in COLUMNS:
        op.add_column("articles", sa.Column(name, kind, nullable=True))
    op.add_column(
        "articles", sa.Column("rendered", sa.Boolean(), nullable=False, server_default=sa.false())
    )


def downgrade() -> None:
    with op.batch_alter_table("articles") as batch:
        batch.drop_column("rendered")
        for name, _kind in reversed(COLUMNS):
            batch.drop_column(name)

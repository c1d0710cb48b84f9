"""A row per crawl (start, end, query, what it fetched and stored), and each listing's validators
for conditional requests.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "crawl_runs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("query", sa.String(512), nullable=False),
        sa.Column("sources", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("pages_fetched", sa.Integer(), nullable=False),
        sa.Column("articles_new", sa.Integer(), nullable=False),
        sa.Column("articles_unchanged", sa.Integer(), nullable=False),
        sa.Column("clusters_new", sa.Integer(), nullable=False),
        sa.Column("clusters_grown", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
    )

    op.create_table(
        "listing_states",
        sa.Column("url", sa.String(2048), primary_key=True),
        sa.Column("etag", sa.String(512), nullable=True),
        sa.Column("last_modified", sa.String(128), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("listing_states")
    op.drop_table("crawl_runs")

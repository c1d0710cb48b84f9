"""Clusters with their text stored once, and articles as their members.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "clusters",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("representative_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "articles",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("canonical_url", sa.String(2048), nullable=True),
        sa.Column("outlet", sa.String(256), nullable=True),
        sa.Column("source", sa.String(128), nullable=True),
        sa.Column("query", sa.String(512), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("author", sa.Text(), nullable=True),
        sa.Column("published", sa.DateTime(timezone=True), nullable=True),
        sa.Column("language", sa.String(16), nullable=True),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cluster_id", sa.Integer(), sa.ForeignKey("clusters.id"), nullable=False),
        sa.Column("match_kind", sa.String(32), nullable=False),
        sa.Column("similarity", sa.Float(), nullable=False),
        sa.Column("matched_id", sa.Integer(), sa.ForeignKey("articles.id"), nullable=True),
        sa.Column("text_sha256", sa.String(64), nullable=False),
        sa.Column("text_bytes", sa.Integer(), nullable=False),
        sa.Column("text_storage", sa.String(16), nullable=False),
        sa.Column("text_payload", sa.LargeBinary(), nullable=True),
        sa.Column("signature", sa.LargeBinary(), nullable=False),
        sa.UniqueConstraint("url", name="uq_articles_url"),
    )
    op.create_index("ix_articles_cluster_id", "articles", ["cluster_id"])
    op.create_index("ix_articles_published", "articles", ["published"])
    op.create_index("ix_articles_text_sha256", "articles", ["text_sha256"])
    with op.batch_alter_table("clusters") as batch:
        batch.create_foreign_key(
            "fk_clusters_representative", "articles", ["representative_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("clusters") as batch:
        batch.drop_constraint("fk_clusters_representative", type_="foreignkey")
    op.drop_table("articles")
    op.drop_table("clusters")

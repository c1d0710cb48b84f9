"""Full-text search over every stored article (SQLite FTS5, PostgreSQL tsvector), for analysts.

``article_search`` holds the index: on SQLite a contentless FTS5 table (rowid = article id; the
texts themselves stay stored once, in clusters and deltas), on PostgreSQL a ``tsvector`` per
article with a GIN index. ``article_search_docs`` records which article was indexed from which
text (its SHA-256), so ``pipelines.search.refresh_search_index`` indexes only what is new.

The analyst views ``cluster_summary`` and ``cluster_members`` arrive with this revision too; they
are created by ``alembic/env.py`` after every migration run (``pipelines/views.py``).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "article_search_docs",
        sa.Column("article_id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("text_sha256", sa.String(64), nullable=False),
        sa.Column("indexed_at", sa.DateTime(timezone=True), nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.create_table(
            "article_search",
            sa.Column("article_id", sa.Integer(), primary_key=True, autoincrement=False),
            sa.Column("document", postgresql.TSVECTOR(), nullable=False),
        )
        op.create_index(
            "ix_article_search_document",
            "article_search",
            ["document"],
            postgresql_using="gin",
        )
    else:
        op.execute(
            "CREATE VIRTUAL TABLE article_search USING fts5("
            "title, body, folded, content='', tokenize='unicode61 remove_diacritics 2')"
        )


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS article_search")
    op.drop_table("article_search_docs")

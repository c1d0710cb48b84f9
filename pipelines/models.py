"""The stored schema: clusters hold one text each; articles are their members.

Change it only together with a new alembic migration (``alembic/versions``).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and read back time-zone aware, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class Cluster(Base):
    """One story: its representative (earliest-published member) and that member's text, once."""

    __tablename__ = "clusters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    representative_id: Mapped[int | None] = mapped_column(
        ForeignKey("articles.id", use_alter=True, name="fk_clusters_representative")
    )
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    members: Mapped[list[Article]] = relationship(
        back_populates="cluster", foreign_keys="Article.cluster_id", order_by="Article.id"
    )
    representative: Mapped[Article | None] = relationship(
        foreign_keys=[representative_id], post_update=True
    )


class Article(Base):
    """One fetched page with an article, a member of exactly one cluster."""

    __tablename__ = "articles"
    __table_args__ = (UniqueConstraint("url", name="uq_articles_url"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(String(2048))
    canonical_url: Mapped[str | None] = mapped_column(String(2048))
    outlet: Mapped[str | None] = mapped_column(String(256))
    source: Mapped[str | None] = mapped_column(String(128))  # the discovery source that found it
    query: Mapped[str | None] = mapped_column(String(512))  # the topic query of the crawl
    title: Mapped[str | None] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(Text)
    published: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    language: Mapped[str | None] = mapped_column(String(16))
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    cluster_id: Mapped[int] = mapped_column(ForeignKey("clusters.id"), index=True)
    match_kind: Mapped[str] = mapped_column(String(32))  # pipelines.group.MatchKind
    similarity: Mapped[float] = mapped_column(Float)  # estimated Jaccard to the representative
    matched_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id"))  # closest at arrival

    text_sha256: Mapped[str] = mapped_column(String(64), index=True)
    text_bytes: Mapped[int] = mapped_column(Integer)  # UTF-8 size of the extracted text
    text_storage: Mapped[str] = mapped_column(String(16))  # pipelines.textdelta.Storage
    text_payload: Mapped[bytes | None] = mapped_column(LargeBinary)
    signature: Mapped[bytes] = mapped_column(LargeBinary)  # MinHash hash values, uint32
    language_key: Mapped[str | None] = mapped_column(String(48))  # language and script
    signature_keys: Mapped[str | None] = mapped_column(Text)  # language-neutral keys, spaced
    embedding: Mapped[bytes | None] = mapped_column(LargeBinary)  # float32, L2-normalised
    sentences: Mapped[int | None] = mapped_column(Integer)  # sentence count, for grouping
    changes: Mapped[str | None] = mapped_column(Text)  # JSON: pipelines.changes.Changes
    extraction_strategy: Mapped[str | None] = mapped_column(
        String(64)
    )  # which method gave the text
    date_source: Mapped[str | None] = mapped_column(String(16))  # htmldate|json_ld|meta|listing
    modified: Mapped[datetime | None] = mapped_column(UTCDateTime)  # last modified, if later
    modified_source: Mapped[str | None] = mapped_column(String(16))
    language_source: Mapped[str | None] = mapped_column(String(16))  # page | detected
    authors: Mapped[str | None] = mapped_column(Text)  # JSON list
    rendered: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    cluster: Mapped[Cluster] = relationship(back_populates="members", foreign_keys=[cluster_id])


class CrawlRun(Base):
    """One run of the topic spider: when, for what, and what it found."""

    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    query: Mapped[str] = mapped_column(String(512))
    sources: Mapped[str | None] = mapped_column(Text)  # the sources asked for, comma-separated
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(32), default="running")  # or the close reason
    pages_fetched: Mapped[int] = mapped_column(Integer, default=0)
    articles_new: Mapped[int] = mapped_column(Integer, default=0)
    articles_unchanged: Mapped[int] = mapped_column(Integer, default=0)
    clusters_new: Mapped[int] = mapped_column(Integer, default=0)
    clusters_grown: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)


class ListingState(Base):
    """The validators a listing (feed, sitemap) last answered with, for conditional requests."""

    __tablename__ = "listing_states"

    url: Mapped[str] = mapped_column(String(2048), primary_key=True)
    etag: Mapped[str | None] = mapped_column(String(512))
    last_modified: Mapped[str | None] = mapped_column(String(128))
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

"""Reading the clustered database: clusters with their members, and any member's full text."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, selectinload

from pipelines.changes import Changes
from pipelines.models import Article, Cluster
from pipelines.store import article_text


@dataclass(frozen=True)
class MemberView:
    """One article of a cluster, as an analyst reads it."""

    id: int
    url: str
    outlet: str | None
    title: str | None
    language: str | None
    published: datetime | None
    match_kind: str
    similarity: float
    source: str | None
    changes: Changes

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["published"] = self.published.isoformat() if self.published else None
        return data


@dataclass(frozen=True)
class ClusterView:
    """A story: its representative (earliest-published) member first, then the others by date."""

    id: int
    representative_id: int | None
    members: tuple[MemberView, ...]

    @property
    def title(self) -> str | None:
        return self.members[0].title if self.members else None

    @property
    def languages(self) -> list[str]:
        return sorted({m.language for m in self.members if m.language})

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "representative_id": self.representative_id,
            "title": self.title,
            "languages": self.languages,
            "members": [m.as_json() for m in self.members],
        }


def _member(article: Article) -> MemberView:
    return MemberView(
        id=article.id,
        url=article.url,
        outlet=article.outlet,
        title=article.title,
        language=article.language,
        published=article.published,
        match_kind=article.match_kind,
        similarity=round(article.similarity, 4),
        source=article.source,
        changes=Changes.from_json(article.changes),
    )


def _order(cluster: Cluster) -> tuple[MemberView, ...]:
    def key(article: Article) -> tuple[bool, bool, datetime | None, int]:
        is_rep = article.id == cluster.representative_id
        return (not is_rep, article.published is None, article.published, article.id)

    return tuple(_member(a) for a in sorted(cluster.members, key=key))


def list_clusters(engine: Engine, query: str | None = None, min_size: int = 1) -> list[ClusterView]:
    """Clusters (with a member from a crawl of ``query``, when given), largest first."""
    statement = select(Cluster).options(selectinload(Cluster.members))
    if query:
        statement = statement.where(Cluster.members.any(Article.query == query))
    with Session(engine) as session:
        views = [
            ClusterView(c.id, c.representative_id, _order(c)) for c in session.scalars(statement)
        ]
    views = [v for v in views if len(v.members) >= min_size]
    return sorted(views, key=lambda v: (-len(v.members), v.id))


def member_text(engine: Engine, article_id: int) -> str:
    """The full text of a stored article, rebuilt from its cluster's text and its delta."""
    with Session(engine) as session:
        article = session.get_one(Article, article_id)
        return article_text(session, article)

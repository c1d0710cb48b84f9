"""Reading the clustered database: clusters with their members, and any member's full text."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Connection, Engine, select
from sqlalchemy.orm import Session, defer, selectinload

from pipelines.changes import Changes
from pipelines.models import Article, Cluster
from pipelines.store import article_text, stored_text
from pipelines.textdelta import decode

SortKey = Literal["size", "date"]


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
    query: str | None = None
    matched_id: int | None = None
    author: str | None = None

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["published"] = self.published.isoformat() if self.published else None
        return data

    def hours_after(self, earlier: datetime | None) -> float | None:
        """Hours between ``earlier`` (the representative's publication) and this member's."""
        if self.published is None or earlier is None:
            return None
        return round((self.published - earlier).total_seconds() / 3600, 2)


@dataclass(frozen=True)
class ClusterView:
    """A story: its representative (earliest-published) member first, then the others by date."""

    id: int
    representative_id: int | None
    members: tuple[MemberView, ...]

    @property
    def representative(self) -> MemberView | None:
        return next((m for m in self.members if m.id == self.representative_id), None)

    @property
    def title(self) -> str | None:
        return self.members[0].title if self.members else None

    @property
    def size(self) -> int:
        return len(self.members)

    @property
    def languages(self) -> list[str]:
        return sorted({m.language for m in self.members if m.language})

    @property
    def outlets(self) -> list[str]:
        return sorted({m.outlet for m in self.members if m.outlet})

    @property
    def queries(self) -> list[str]:
        return sorted({m.query for m in self.members if m.query})

    @property
    def first_seen(self) -> datetime | None:
        """The earliest publication date of a member."""
        return min((m.published for m in self.members if m.published), default=None)

    @property
    def last_seen(self) -> datetime | None:
        """The latest publication date of a member."""
        return max((m.published for m in self.members if m.published), default=None)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "representative_id": self.representative_id,
            "title": self.title,
            "size": self.size,
            "first_seen": _iso(self.first_seen),
            "last_seen": _iso(self.last_seen),
            "languages": self.languages,
            "outlets": self.outlets,
            "queries": self.queries,
            "members": [m.as_json() for m in self.members],
        }


@dataclass(frozen=True)
class ClusterDetail:
    """A cluster with its representative's text (stored once, in the cluster)."""

    cluster: ClusterView
    text: str

    def as_json(self) -> dict[str, Any]:
        return {**self.cluster.as_json(), "text": self.text}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


# --- how the read side writes times, delays and counts (terminal, web page, chart) -------------


def format_time(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "?"


def format_span(first: datetime | None, last: datetime | None) -> str:
    """``2025-04-28 05:00 → 14:20``: the end written only as far as it differs."""
    if not first or not last:
        return "?"
    if first == last:
        return format_time(first)
    if last.date() == first.date():
        end = f"{last:%H:%M}"
    elif last.year == first.year:
        end = f"{last:%m-%d %H:%M}"
    else:
        end = format_time(last)
    return f"{format_time(first)} → {end}"


def format_hours(value: float | None) -> str:
    """A delay: ``+4.5 h``, or in days from two days on (``+3.2 d``)."""
    if value is None:
        return "?"
    if abs(value) < 48:
        return f"{value:+.1f} h"
    return f"{value / 24:+.1f} d"


def plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


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
        query=article.query,
        matched_id=article.matched_id,
        author=article.author,
    )


def _order(cluster: Cluster) -> tuple[MemberView, ...]:
    def key(article: Article) -> tuple[bool, bool, datetime | None, int]:
        is_rep = article.id == cluster.representative_id
        return (not is_rep, article.published is None, article.published, article.id)

    return tuple(_member(a) for a in sorted(cluster.members, key=key))


# What listing clusters does not need to read: texts, payloads, fingerprints.
_LIGHT = (
    defer(Cluster.text),
    selectinload(Cluster.members).options(
        defer(Article.text_payload),
        defer(Article.signature),
        defer(Article.embedding),
        defer(Article.signature_keys),
    ),
)


def _folded(values: str | Iterable[str] | None) -> set[str]:
    if values is None:
        return set()
    if isinstance(values, str):
        values = values.split(",")
    return {v.strip().casefold() for v in values if v.strip()}


def _matches(
    view: ClusterView,
    since: datetime | None,
    until: datetime | None,
    languages: set[str],
    outlets: set[str],
) -> bool:
    """Some member is in the date range; some member has one of the languages; some member's
    outlet contains one of the outlet names (case-insensitive)."""
    if since or until:
        dates = [m.published for m in view.members if m.published]
        if not any((since is None or d >= since) and (until is None or d < until) for d in dates):
            return False
    if languages and not languages & {(m.language or "").casefold() for m in view.members}:
        return False
    if outlets:
        names = [(m.outlet or "").casefold() for m in view.members]
        if not any(o in name for o in outlets for name in names):
            return False
    return True


def list_clusters(
    engine: Engine,
    query: str | None = None,
    min_size: int = 1,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    languages: str | Iterable[str] | None = None,
    outlets: str | Iterable[str] | None = None,
    sort: SortKey = "size",
    ids: Collection[int] | None = None,
    limit: int | None = None,
) -> list[ClusterView]:
    """Clusters, largest first (``sort="date"``: most recently first seen first).

    Filters: ``query`` — a member comes from a crawl of it; ``since``/``until`` — a member was
    published in [since, until); ``languages`` — a member is in one of them; ``outlets`` — a
    member's outlet contains one of these names (case-insensitive; a string may list several,
    comma-separated); ``min_size`` — at least that many members; ``ids`` — only these clusters.
    """
    statement = select(Cluster).options(*_LIGHT)
    if query:
        statement = statement.where(Cluster.members.any(Article.query == query))
    if ids is not None:
        statement = statement.where(Cluster.id.in_(list(ids)))
    wanted_languages, wanted_outlets = _folded(languages), _folded(outlets)
    with Session(engine) as session:
        views = [
            ClusterView(c.id, c.representative_id, _order(c)) for c in session.scalars(statement)
        ]
    views = [
        v
        for v in views
        if len(v.members) >= min_size
        and _matches(v, since, until, wanted_languages, wanted_outlets)
    ]
    if sort == "date":
        views.sort(key=lambda v: (v.first_seen is None, -(_timestamp(v.first_seen)), v.id))
    else:
        views.sort(key=lambda v: (-len(v.members), v.id))
    return views[:limit] if limit is not None else views


def _timestamp(value: datetime | None) -> float:
    return value.timestamp() if value else 0.0


def get_cluster(engine: Engine, cluster_id: int) -> ClusterDetail | None:
    """One cluster with its representative's text, or ``None`` when there is no such cluster."""
    with Session(engine) as session:
        cluster = session.scalar(
            select(Cluster).where(Cluster.id == cluster_id).options(*_LIGHT[1:])
        )
        if cluster is None:
            return None
        view = ClusterView(cluster.id, cluster.representative_id, _order(cluster))
        return ClusterDetail(view, cluster.text)


def member_text(engine: Engine, article_id: int) -> str:
    """The full text of a stored article, rebuilt from its cluster's text and its delta."""
    with Session(engine) as session:
        article = session.get_one(Article, article_id)
        return article_text(session, article)


def member_texts(connection: Connection, article_ids: Sequence[int]) -> dict[int, str]:
    """Full texts of many articles at once, each rebuilt from its cluster's text."""
    rows = connection.execute(
        select(Article.id, Article.text_storage, Article.text_payload, Cluster.text)
        .join(Cluster, Cluster.id == Article.cluster_id)
        .where(Article.id.in_(list(article_ids)))
    ).all()
    return {row.id: decode(row.text, stored_text(row)) for row in rows}  # type: ignore[arg-type]


def iter_member_texts(
    engine: Engine, article_ids: Sequence[int], batch: int = 200
) -> Iterator[dict[int, str]]:
    """``member_texts`` in batches, for long runs that report progress."""
    for start in range(0, len(article_ids), batch):
        with engine.connect() as connection:
            yield member_texts(connection, article_ids[start : start + batch])

"""newscrawl for notebooks: open a clustered database and read it as typed objects.

from newscrawl import open_db

db = open_db("newscrawl-demo.db")          # a SQLite path or any database URL
for cluster in db.clusters(query="Kursk", min_size=2):
    print(cluster.id, cluster.size, cluster.languages, cluster.title)
story = db.cluster(cluster.id)             # ClusterDetail: .cluster, .text (representative)
db.text(story.cluster.members[1].id)       # any member's full text
db.search("North Korean troops")           # SearchResult per matching cluster
pandas.DataFrame(db.records())             # one row per member, texts included
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from pipelines.clusters import (
    ClusterDetail,
    ClusterView,
    MemberView,
    SortKey,
    get_cluster,
    list_clusters,
    member_text,
    member_texts,
)
from pipelines.database import open_database
from pipelines.export import Progress, records
from pipelines.search import group_hits, parse_query, refresh_search_index, search_articles
from pipelines.search import snippet as make_snippet

__all__ = ["ClusterDetail", "ClusterView", "MemberView", "NewsDatabase", "SearchResult", "open_db"]


@dataclass(frozen=True)
class SearchResult:
    """A cluster that matched a search: the members whose text matched, best first, and a passage
    of the best one."""

    cluster: ClusterView
    matches: tuple[MemberView, ...]
    score: float
    snippet: str

    def as_json(self) -> dict[str, Any]:
        return {
            **self.cluster.as_json(),
            "score": round(self.score, 6),
            "matching_ids": [m.id for m in self.matches],
            "snippet": self.snippet,
        }


class NewsDatabase:
    """A clustered newscrawl database, read-only in use (the search index is kept in step)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> NewsDatabase:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def clusters(
        self,
        query: str | None = None,
        *,
        min_size: int = 1,
        since: datetime | None = None,
        until: datetime | None = None,
        languages: str | list[str] | None = None,
        outlets: str | list[str] | None = None,
        sort: SortKey = "size",
        limit: int | None = None,
    ) -> list[ClusterView]:
        """Clusters with their members; see ``pipelines.clusters.list_clusters`` for filters."""
        return list_clusters(
            self.engine,
            query,
            min_size,
            since=since,
            until=until,
            languages=languages,
            outlets=outlets,
            sort=sort,
            limit=limit,
        )

    def cluster(self, cluster_id: int) -> ClusterDetail | None:
        """One cluster and its representative's text (``None`` if there is no such cluster)."""
        return get_cluster(self.engine, cluster_id)

    def text(self, article_id: int) -> str:
        """Any stored article's full text."""
        return member_text(self.engine, article_id)

    def refresh_search(self, progress: Progress | None = None) -> int:
        """Index the articles stored since the last search; returns how many."""
        return refresh_search_index(self.engine, progress)

    def search(
        self,
        text: str,
        *,
        limit: int = 20,
        query: str | None = None,
        languages: str | list[str] | None = None,
        refresh: bool = True,
        progress: Progress | None = None,
    ) -> list[SearchResult]:
        """Clusters whose members' texts match ``text`` (syntax: ``pipelines.search``), best
        first, each once however many of its members matched."""
        if refresh:
            self.refresh_search(progress)
        terms = parse_query(text)
        hits = group_hits(search_articles(self.engine, text))
        found = {
            c.id: c
            for c in list_clusters(
                self.engine, query, ids=[h.cluster_id for h in hits], languages=languages
            )
        }
        hits = [h for h in hits if h.cluster_id in found][:limit]
        with self.engine.connect() as connection:
            texts = member_texts(connection, [h.article_ids[0] for h in hits])
        results = []
        for hit in hits:
            cluster = found[hit.cluster_id]
            by_id = {m.id: m for m in cluster.members}
            matches = tuple(by_id[i] for i in hit.article_ids if i in by_id)
            passage = make_snippet(texts[hit.article_ids[0]], terms)
            results.append(SearchResult(cluster, matches, hit.score, passage))
        return results

    def records(
        self,
        table: str = "members",
        *,
        with_text: bool = True,
        progress: Progress | None = None,
        **filters: Any,
    ) -> Iterator[dict[str, Any]]:
        """Flat records for pandas or DuckDB: one per member (or per cluster with
        ``table="clusters"``), filtered like ``clusters()``."""
        return records(self.engine, self.clusters(**filters), table, with_text, progress)

    def timeline(self, cluster_id: int, output: str | Path) -> Path:
        """Write the cluster's spread chart (.png, .svg or .html)."""
        from pipelines.timeline import write_timeline

        detail = self.cluster(cluster_id)
        if detail is None:
            raise KeyError(f"no cluster {cluster_id}")
        return write_timeline(detail.cluster, Path(output))


def open_db(db: str | None = None) -> NewsDatabase:
    """Open (and migrate, if needed) a newscrawl database: a SQLite path, a database URL, or by
    default the configured ``DATABASE_URL``."""
    from newscrawl.cli import database_url

    return NewsDatabase(open_database(database_url(db)))

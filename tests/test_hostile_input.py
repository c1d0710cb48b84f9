"""Hostile input from users and operators: queries that look like SQL, database passwords that
must stay out of logs, and a database created by the first schema upgraded with its data."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.config import Config
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from alembic import command
from newscrawl.arguments import ArgumentError, parse_query
from newscrawl.demo.site import DemoSite
from pipelines.clusters import list_clusters, member_text
from pipelines.database import ALEMBIC_DIR, current_revision, head_revision, open_database
from pipelines.extract import ExtractedArticle
from pipelines.group import GroupingConfig, make_document
from pipelines.models import Article, Cluster, CrawlRun
from pipelines.store import ArticleStore, NewArticle
from tests.test_crawl import run_crawl

CONFIG = GroupingConfig()
HOSTILE_QUERIES = [
    "Kursk'; DROP TABLE articles; --",
    "Robert'); DELETE FROM clusters; --",
    '100% "Курск" _ \\ ; --',
    "%",
    "_",
    "' OR '1'='1",
    "Курская АЭС 🚀 ‮ ﷽",
]
PASSWORD = "s3cret-Pa55"


def _text(n: int) -> str:
    """A distinct text per ``n`` (lower-case invented words: no numbers, no names to group by)."""
    rng = random.Random(n)
    return " ".join("".join(rng.choices("abcdefghijklmnopqrstuvwxyz", k=7)) for _ in range(80))


def test_queries_reach_sql_as_bound_parameters(database_url: str) -> None:
    engine = open_database(database_url)
    store = ArticleStore(engine, CONFIG)
    for n, query in enumerate(HOSTILE_QUERIES):
        body = _text(n)
        article = ExtractedArticle(
            body, f"Title {n}", None, datetime(2025, 5, 1, tzinfo=UTC), "en", None, None
        )
        document = make_document(body, article.title, "en", CONFIG)
        store.add(NewArticle(f"https://x.test/{n}?q='%22", article, document, "test", query))

    for n, query in enumerate(HOSTILE_QUERIES):
        [cluster] = list_clusters(engine, query=query)  # exact match: no LIKE wildcards
        [member] = cluster.members
        assert member.url == f"https://x.test/{n}?q='%22"
        assert member_text(engine, member.id) == _text(n)
    with Session(engine) as session:
        assert (
            session.scalar(select(Article.query).where(Article.url.like("%/6?%")))
            == (HOSTILE_QUERIES[6])
        )
        assert len(session.scalars(select(Article)).all()) == len(HOSTILE_QUERIES)
        assert len(session.scalars(select(Cluster)).all()) == len(HOSTILE_QUERIES)
    assert list_clusters(engine, query="Kursk") == []
    engine.dispose()


def test_database_password_never_appears_in_the_crawl_log_or_stats(
    tmp_path: Path, postgres_url: str, demo_site
) -> None:
    url = make_url(postgres_url).set(password=PASSWORD).render_as_string(hide_password=False)
    assert PASSWORD in url
    site = DemoSite()
    sources = [s for s in site.sources(demo_site.base_url) if s["type"] == "feed"][:1]
    crawl = run_crawl(tmp_path, url, sources, settings={"LOG_LEVEL": "DEBUG"})
    assert crawl.returncode == 0, crawl.log[-3000:]
    assert crawl.stat("stored/new") > 0
    assert "***" in crawl.log  # the URL is logged, masked
    assert PASSWORD not in crawl.log
    engine = open_database(url)
    with Session(engine) as session:
        [run] = session.scalars(select(CrawlRun)).all()
        assert PASSWORD not in repr(vars(run))
    engine.dispose()


def test_database_password_stays_out_of_the_error_when_the_database_is_unreachable(
    tmp_path: Path,
) -> None:
    url = f"postgresql+psycopg://newscrawl:{PASSWORD}@127.0.0.1:1/newscrawl"
    sources = [{"name": "nowhere", "type": "feed", "url": "http://127.0.0.1:1/feed.xml"}]
    crawl = run_crawl(tmp_path, url, sources, settings={"LOG_LEVEL": "DEBUG"})
    assert crawl.returncode != 0 or "ERROR" in crawl.log
    assert "127.0.0.1:1/newscrawl" in crawl.log  # the error names the database …
    assert PASSWORD not in crawl.log  # … without its password


def _alembic(connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(ALEMBIC_DIR))
    config.attributes["connection"] = connection
    return config


def test_upgrade_from_the_first_migration_keeps_the_data(database_url: str) -> None:
    engine = create_engine(database_url)
    with engine.begin() as connection:
        command.upgrade(_alembic(connection), "0001")
    assert current_revision(engine) == "0001"
    now = datetime(2025, 5, 1, 12, tzinfo=UTC)
    story = "Kursk farmers count the cost of a wet spring. " * 10
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO clusters (id, representative_id, text, created_at, updated_at) "
                "VALUES (1, NULL, :text, :now, :now)"
            ),
            {"text": story, "now": now},
        )
        connection.execute(
            text(
                "INSERT INTO articles (id, url, outlet, source, query, title, published, "
                "language, fetched_at, cluster_id, match_kind, similarity, text_sha256, "
                "text_bytes, text_storage, text_payload, signature) VALUES (1, :url, 'Outlet', "
                "'feed', :query, 'Wet spring', :now, 'en', :now, 1, 'original', 1.0, :sha, "
                ":bytes, 'representative', NULL, :signature)"
            ),
            {
                "url": "https://x.test/wet-spring",
                "query": "Kursk",
                "now": now,
                "sha": "0" * 64,
                "bytes": len(story.encode()),
                "signature": b"\x00" * 512,
            },
        )
        connection.execute(text("UPDATE clusters SET representative_id = 1 WHERE id = 1"))
    engine.dispose()

    upgraded = open_database(database_url)  # what every crawl and command does first
    assert current_revision(upgraded) == head_revision()
    assert inspect(upgraded).has_table("crawl_runs")
    [cluster] = list_clusters(upgraded, query="Kursk")
    [member] = cluster.members
    assert (member.url, member.title, member.outlet) == (
        "https://x.test/wet-spring",
        "Wet spring",
        "Outlet",
    )
    assert member_text(upgraded, member.id) == story
    with Session(upgraded) as session:
        article = session.get(Article, 1)
        assert article is not None and article.signature == b"\x00" * 512
        assert article.published is not None
    upgraded.dispose()


@pytest.mark.parametrize("revision", ["0002", "0003"])
def test_upgrade_from_each_intermediate_revision_is_clean(database_url: str, revision: str):
    engine = create_engine(database_url)
    with engine.begin() as connection:
        command.upgrade(_alembic(connection), revision)
    engine.dispose()
    upgraded = open_database(database_url)
    assert current_revision(upgraded) == head_revision()
    assert list_clusters(upgraded) == []
    upgraded.dispose()


@pytest.mark.parametrize(
    "query",
    ["Kursk'; DROP TABLE articles; --", "  Курск  ", "100% _ \\", "Курская АЭС 🚀"],
)
def test_parse_query_keeps_hostile_but_storable_queries(query: str) -> None:
    assert parse_query(query) == query.strip()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "needs a query"),
        ("   ", "needs a query"),
        ("Kursk\x00", "control characters (U+0000)"),
        ("Kur\x1bsk", "control characters (U+001B)"),
        ("k" * 513, "at most 512"),
    ],
)
def test_parse_query_refuses_with_a_clear_error(query: str, message: str) -> None:
    with pytest.raises(ArgumentError, match=re.escape(message)):
        parse_query(query)


def test_topic_spider_validates_its_query() -> None:
    from newscrawl.spiders.topic import TopicSpider

    with pytest.raises(ArgumentError):
        TopicSpider(query="Kursk\x00")

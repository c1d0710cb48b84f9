"""Running ``scrapy crawl topic`` in a subprocess, as the end-to-end tests do, and reading what
it stored."""

from __future__ import annotations

import sys
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from newscrawl.sources import sources_toml
from pipelines.clusters import list_clusters, member_text
from pipelines.database import open_database
from pipelines.fingerprint import text_sha256
from pipelines.models import Article

ROOT = Path(__file__).resolve().parent.parent

# No politeness delays or retries against the local fixture sites; no periodic stats lines.
FAST = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "RETRY_TIMES": "0",
    "LOGSTATS_INTERVAL": "0",
}


def write_sources(directory: Path, sources: list[dict[str, str]]) -> Path:
    """A sources file listing ``sources``, written into ``directory``."""
    path = directory / "sources.toml"
    path.write_text(sources_toml(sources), encoding="utf-8")
    return path


def topic_crawl_command(
    db_url: str, sources_file: Path, *arguments: str, **settings: str
) -> list[str]:
    """``scrapy crawl topic -a query=Kursk`` into ``db_url``, fast unless ``settings`` say."""
    values = {"DATABASE_URL": db_url, "SOURCES_FILE": str(sources_file), **FAST, **settings}
    command = [sys.executable, "-m", "scrapy", "crawl", "topic", "-a", "query=Kursk"]
    for argument in arguments:
        command += ["-a", argument]
    for name, value in values.items():
        command += ["-s", f"{name}={value}"]
    return command


def partition(db_url: str) -> tuple[int, set[frozenset[str]]]:
    """How many articles, and which URLs share a cluster."""
    engine = open_database(db_url)
    with Session(engine) as session:
        count = session.scalar(select(func.count(Article.id)))
    clusters = {frozenset(m.url for m in c.members) for c in list_clusters(engine)}
    engine.dispose()
    return count, clusters


def assert_intact(db_url: str) -> None:
    """Every stored article's text rebuilds to what was extracted; no URL twice."""
    engine = open_database(db_url)
    with Session(engine) as session:
        articles = session.scalars(select(Article)).all()
        urls = [a.url for a in articles]
        assert len(urls) == len(set(urls))
        for article in articles:
            text = member_text(engine, article.id)
            assert text_sha256(text) == article.text_sha256
            assert len(text.encode()) == article.text_bytes
    engine.dispose()

"""StoredArticleFilter: article requests whose URL is stored are dropped, asked in one query per
chunk; when the database cannot answer, the requests are fetched."""

from __future__ import annotations

from pathlib import Path

from scrapy import Request
from scrapy.utils.test import get_crawler
from sqlalchemy import event

from newscrawl.middlewares import ARTICLE, LISTING, LOOKUP_CHUNK, StoredArticleFilter
from pipelines.database import open_database
from pipelines.models import Article, Cluster

STORED = "https://a.example/stored"


def article(url: str) -> Request:
    return Request(url, meta={"newscrawl": ARTICLE})


def crawler_for(url: str):
    crawler = get_crawler(settings_dict={"DATABASE_URL": url, "INCREMENTAL_SKIP_STORED": True})
    crawler.stats.open_spider()
    return crawler


def stored_database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'filter.db'}"
    engine = open_database(url)
    with engine.begin() as connection:
        cluster_id = connection.execute(Cluster.__table__.insert().values(text="t")).lastrowid
        connection.execute(
            Article.__table__.insert().values(
                url=STORED,
                cluster_id=cluster_id,
                match_kind="original",
                similarity=1.0,
                text_sha256="0" * 64,
                text_bytes=1,
                text_storage="representative",
                signature=b"",
            )
        )
    engine.dispose()
    return url


def test_stored_articles_are_dropped_in_one_query_per_chunk(tmp_path: Path) -> None:
    crawler = crawler_for(stored_database(tmp_path))
    middleware = StoredArticleFilter(crawler)
    listing = Request(STORED, meta={"newscrawl": LISTING})  # not an article: never dropped
    outputs = [article(STORED), listing, "an item"] + [
        article(f"https://a.example/{n}") for n in range(LOOKUP_CHUNK + 5)
    ]
    queries: list[str] = []
    middleware._stored(["https://a.example/warm-up"])  # opens the database
    event.listen(middleware._ledger.engine, "before_cursor_execute", lambda *a: queries.append(a))
    kept = list(middleware.process_spider_output(None, iter(outputs)))
    assert kept == outputs[1:]
    assert crawler.stats.get_value("newscrawl/skipped/already_stored") == 1
    selects = [q for q in queries if q[2].lstrip().upper().startswith("SELECT")]
    assert len(selects) == 2  # two chunks
    middleware.spider_closed(None, "finished")


def test_a_database_that_cannot_answer_lets_the_requests_through(tmp_path: Path) -> None:
    crawler = crawler_for(stored_database(tmp_path))
    middleware = StoredArticleFilter(crawler)
    middleware._stored(["https://a.example/warm-up"])
    (tmp_path / "filter.db").unlink()
    (tmp_path / "filter.db").mkdir()  # the file is gone: sqlite cannot open it
    middleware._ledger.engine.dispose()
    outputs = [article(STORED), article("https://a.example/new")]
    assert list(middleware.process_spider_output(None, iter(outputs))) == outputs
    assert not crawler.stats.get_value("newscrawl/skipped/already_stored")

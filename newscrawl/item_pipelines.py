"""Scrapy item pipelines: thin adapters over the plain functions of ``pipelines``."""

from __future__ import annotations

import logging

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.utils.defer import maybe_deferred_to_future
from sqlalchemy.exc import DBAPIError

from newscrawl.batching import BatchWriter, RetryPolicy, StoreUnavailable
from newscrawl.config import extract_config, grouping_config
from newscrawl.items import ArticleItem, PageItem
from newscrawl.outage import StoreOutage
from pipelines.database import describe_error, is_unavailable, open_database, safe_url
from pipelines.embed import load_embedder
from pipelines.extract import NoArticle, extract_article, has_scripts
from pipelines.group import make_document
from pipelines.store import ArticleStore, NewArticle, StoreResult, TextTotals

logger = logging.getLogger(__name__)


class _Stage:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.settings = crawler.settings

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> _Stage:
        return cls(crawler)

    def _count(self, key: str, amount: int = 1) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"newscrawl/{key}", amount)


class ExtractPipeline(_Stage):
    """Fetched page → main text and metadata; pages without an article are dropped and counted."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.config = extract_config(self.settings)

    def process_item(self, item: PageItem) -> ArticleItem:
        try:
            article = extract_article(item.html, item.url, self.config, item.lead.published)
        except NoArticle as error:
            if error.reason == "no_text" and self._render_instead(item):
                raise DropItem(f"no text in the static page {item.url}; rendering it") from None
            self._count(f"skipped/{error.reason}")
            raise DropItem(f"no article at {item.url}: {error.detail}") from None
        self._count("articles/extracted")
        self._count(f"extracted/{article.strategy}")
        self._count(f"published_from/{article.date_source or 'nowhere'}")
        return ArticleItem(
            url=item.url,
            lead=item.lead,
            query=item.query,
            article=article,
            rendered=item.rendered,
        )

    def _render_instead(self, item: PageItem) -> bool:
        """Fetch again, rendered in a browser, a static page that held no text (the spider
        bounds how many: ``RENDER_MAX_PAGES``). A page without scripts would render the same."""
        spider = self.crawler.spider
        if item.rendered or not self.settings.getbool("RENDER_EMPTY_PAGES"):
            return False
        if not has_scripts(item.html):
            return False
        make_request = getattr(spider, "rendered_request", None)
        request = make_request(item.url, item.lead, reason="empty") if make_request else None
        if request is None:
            return False
        assert self.crawler.engine is not None
        self.crawler.engine.crawl(request)
        return True


class FingerprintPipeline(_Stage):
    """Extracted article → word MinHash, language-neutral signature, language and script."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.config = grouping_config(self.settings)

    def process_item(self, item: ArticleItem) -> ArticleItem:
        article = item.article
        item.document = make_document(article.text, article.title, article.language, self.config)
        return item


class GroupAndStorePipeline(_Stage):
    """Fingerprinted article → its cluster, stored once; reports the storage ratio at the end.

    Articles are stored in batches (``STORE_BATCH_SIZE``, ``STORE_BATCH_SECONDS``): an item is
    done when its batch is committed. While the database is away the crawl is paused and the
    batch retried (``STORE_RETRY_TIMES``, ``STORE_RETRY_BACKOFF``); when the retries run out its
    articles are dropped, counted (``newscrawl/store/failed``) and the crawl closes
    (``newscrawl.outage``). Their URLs are not stored, so the next crawl fetches them.

    While ``STORE_MAX_WAITING`` articles wait for their batch, fetching is paused too: a page
    fetched meanwhile would only wait as well, its response and article held in memory, so a
    store slower than the fetching would otherwise grow the crawl's memory by every page.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.url = self.settings.get("DATABASE_URL")
        self.store: ArticleStore | None = None
        self.writer: BatchWriter[NewArticle, StoreResult] | None = None
        self.outage: StoreOutage | None = None
        self.totals_before = TextTotals(0, 0)
        self.max_waiting = self.settings.getint("STORE_MAX_WAITING")
        self.waiting = 0  # articles submitted to the writer and not yet stored or dropped
        self._holding = False  # fetching paused by this pipeline (not by an outage)

    def open_spider(self) -> None:
        engine = open_database(self.url, self.settings.getfloat("DATABASE_SQLITE_BUSY_TIMEOUT"))
        embedder = load_embedder(
            self.settings.get("GROUPING_EMBEDDER"), self.settings.getint("GROUPING_EMBED_THREADS")
        )
        self.store = ArticleStore(
            engine,
            grouping_config(self.settings),
            embedder,
            self.settings.getfloat("DELTA_TIMEOUT"),
        )
        retries = self.settings.getint("STORE_RETRY_TIMES")
        self.outage = StoreOutage(self.crawler, self.url, retries)
        self.writer = BatchWriter(
            self.store.add_batch,
            size=self.settings.getint("STORE_BATCH_SIZE"),
            seconds=self.settings.getfloat("STORE_BATCH_SECONDS"),
            retry=RetryPolicy(retries, self.settings.getfloat("STORE_RETRY_BACKOFF")),
            is_transient=is_unavailable,
            handler=self.outage,
        )
        indexed = self.store.load_index()
        self.totals_before = self.store.text_totals()
        logger.info("database %s: %d stored articles indexed", safe_url(self.url), indexed)

    async def process_item(self, item: ArticleItem) -> ArticleItem:
        assert self.writer is not None and item.document is not None
        new = NewArticle(
            url=item.url,
            article=item.article,
            document=item.document,
            source=item.lead.source,
            query=item.query,
            rendered=item.rendered,
        )
        self.waiting += 1
        self._hold_fetching()
        try:
            result = await maybe_deferred_to_future(self.writer.submit(new))
        except StoreUnavailable as error:
            raise DropItem(f"{item.url} {error}") from None
        finally:
            self.waiting -= 1
            self._hold_fetching()
        if not result.created:
            self._count("stored/unchanged")
            return item
        self._count("stored/new")
        if result.new_cluster:
            self._count("clusters/new")
        else:
            self._count(f"grouped/{result.match_kind}")
        return item

    def _hold_fetching(self) -> None:
        """Pause fetching while ``max_waiting`` articles wait for the store (0: never); resume
        below that, unless the database is away (the outage handler resumes then)."""
        engine = self.crawler.engine
        assert engine is not None
        if self.max_waiting and self.waiting >= self.max_waiting:
            if not engine.paused:
                engine.pause()
                self._holding = True
        elif self._holding:
            self._holding = False
            if not (self.outage and self.outage.paused):
                engine.unpause()

    async def close_spider(self) -> None:
        if self.store is None or self.writer is None:
            return
        await maybe_deferred_to_future(self.writer.close())
        self._count("store/batches", self.writer.batches)
        try:
            after = self.store.text_totals()
        except DBAPIError as error:
            if not is_unavailable(error):
                raise
            logger.error(
                "text totals not counted: database %s is unavailable (%s)",
                safe_url(self.url),
                describe_error(error, self.url),
            )
            self.store.engine.dispose()
            return
        extracted = after.extracted - self.totals_before.extracted
        stored = after.stored - self.totals_before.stored
        stats = self.crawler.stats
        assert stats is not None
        stats.set_value("newscrawl/text_bytes/extracted", extracted)
        stats.set_value("newscrawl/text_bytes/stored", stored)
        stats.set_value(
            "newscrawl/storage_ratio/crawl", round(stored / extracted, 4) if extracted else None
        )
        stats.set_value("newscrawl/storage_ratio/database", round(after.ratio, 4))
        logger.info(
            "text bytes: this crawl extracted %d and stored %d (ratio %s); database ratio %.3f",
            extracted,
            stored,
            f"{stored / extracted:.3f}" if extracted else "n/a",
            after.ratio,
        )
        self.store.engine.dispose()

"""Scrapy extensions: one crawl per query at a time, and a ``crawl_runs`` row for each crawl."""

from __future__ import annotations

import logging
from contextlib import ExitStack

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider

from pipelines.database import open_database
from pipelines.runs import AlreadyRunning, CrawlLedger, query_lock

logger = logging.getLogger(__name__)


class CrawlRunRecorder:
    """Takes the query's lock when the spider opens (a second crawl of the same query closes at
    once, reason ``already_running``), records the run, and completes the record at the end.
    A crawl killed outright leaves its row ``running`` with no end time."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.run_id: int | None = None
        self._held = ExitStack()
        self._ledger: CrawlLedger | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlRunRecorder:
        extension = cls(crawler)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider: Spider) -> None:
        query = getattr(spider, "query", None)
        if not query:
            return
        engine = open_database(self.crawler.settings.get("DATABASE_URL"))
        self._held.callback(engine.dispose)
        try:
            # the workers of a distributed crawl share the lock (newscrawl.distributed)
            shared = bool(self.crawler.settings.get("DISTRIBUTED_REDIS_URL"))
            self._held.enter_context(query_lock(engine, query, shared=shared))
        except AlreadyRunning as error:
            logger.error("%s; this crawl stops", error)
            raise CloseSpider("already_running") from None
        self._ledger = CrawlLedger(engine)
        sources = ",".join(getattr(spider, "wanted_sources", [])) or None
        self.run_id = self._ledger.start_run(query, sources)
        assert self.crawler.stats is not None
        self.crawler.stats.set_value("newscrawl/run_id", self.run_id)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        try:
            if self._ledger is not None and self.run_id is not None:
                assert self.crawler.stats is not None
                self._ledger.finish_run(self.run_id, reason, self.crawler.stats.get_stats())
        finally:
            self._held.close()

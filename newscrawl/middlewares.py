"""Downloader middleware for incremental crawls: stored articles are not fetched again, and
listings are asked for conditionally (ETag / Last-Modified), so an unchanged feed costs a 304.

A listing's validators are saved only when the crawl ends cleanly (finished, no article failed to
download or to be stored, no error logged): a crawl that is killed or loses articles half-way
reads its listings in full next time, so no article of an unchanged listing is skipped for good."""

from __future__ import annotations

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from pipelines.database import open_database
from pipelines.runs import CrawlLedger

ARTICLE = "article"
LISTING = "listing"


class IncrementalFetchMiddleware:
    """Requests carry ``meta["newscrawl"]``: ``article`` or ``listing``; others pass untouched."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.skip_stored = crawler.settings.getbool("INCREMENTAL_SKIP_STORED")
        self.conditional = crawler.settings.getbool("INCREMENTAL_CONDITIONAL_LISTINGS")
        self._ledger: CrawlLedger | None = None
        self._validators: dict[str, tuple[str | None, str | None]] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IncrementalFetchMiddleware:
        middleware = cls(crawler)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    @property
    def ledger(self) -> CrawlLedger:
        if self._ledger is None:
            self._ledger = CrawlLedger(open_database(self.crawler.settings.get("DATABASE_URL")))
        return self._ledger

    def _count(self, key: str) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"newscrawl/{key}")

    def process_request(self, request: Request) -> None:
        kind = request.meta.get("newscrawl")
        if kind == ARTICLE and self.skip_stored and self.ledger.is_stored(request.url):
            self._count("skipped/already_stored")
            raise IgnoreRequest(f"already stored: {request.url}")
        if kind == LISTING and self.conditional:
            etag, last_modified = self.ledger.validators(request.url)
            if etag:
                request.headers.setdefault("If-None-Match", etag)
            if last_modified:
                request.headers.setdefault("If-Modified-Since", last_modified)

    def process_response(self, request: Request, response: Response) -> Response:
        if request.meta.get("newscrawl") != LISTING or not self.conditional:
            return response
        if response.status == 304:
            self._count("discovery/not_modified")
        elif response.status == 200:
            etag = response.headers.get("ETag")
            last_modified = response.headers.get("Last-Modified")
            if etag or last_modified:
                self._validators[request.url] = (
                    etag.decode("latin-1") if etag else None,
                    last_modified.decode("latin-1") if last_modified else None,
                )
        return response

    def spider_closed(self, spider: Spider, reason: str) -> None:
        assert self.crawler.stats is not None
        stats = self.crawler.stats
        clean = (
            reason == "finished"
            and not stats.get_value("newscrawl/articles/fetch_failed")
            and not stats.get_value("newscrawl/store/failed")
            and not stats.get_value("log_count/ERROR")
        )
        if clean:
            for url, (etag, last_modified) in self._validators.items():
                self.ledger.remember_validators(url, etag, last_modified)
        elif self._validators:
            spider.logger.info("listing validators not saved: the crawl did not end cleanly")
        if self._ledger is not None:
            self._ledger.engine.dispose()

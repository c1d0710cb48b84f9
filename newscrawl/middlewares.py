"""Middlewares for incremental crawls: stored articles are not requested again, and listings are
asked for conditionally (ETag / Last-Modified), so an unchanged feed costs a 304.

Which article URLs are stored is asked once per chunk of a callback's requests (a listing's
leads), not once per request; if the database cannot answer, the chunk is fetched (the store
then recognises what it has, or pauses the crawl until the database is back).

A listing's validators are saved only when the crawl ends cleanly (finished, no article failed to
download or to be stored, no error logged): a crawl that is killed or loses articles half-way
reads its listings in full next time, so no article of an unchanged listing is skipped for good."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from itertools import islice
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.http import Response

from pipelines.database import is_unavailable, open_database
from pipelines.runs import CrawlLedger

logger = logging.getLogger(__name__)

ARTICLE = "article"
LISTING = "listing"
LOOKUP_CHUNK = 100  # a callback's outputs looked up together


def _ledger(crawler: Crawler) -> CrawlLedger:
    return CrawlLedger(open_database(crawler.settings.get("DATABASE_URL")))


class StoredArticleFilter:
    """Spider middleware: drops the article requests (``meta["newscrawl"] == "article"``) whose
    URL is stored, looked up in one query per chunk of a callback's output."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.skip_stored = crawler.settings.getbool("INCREMENTAL_SKIP_STORED")
        self._ledger: CrawlLedger | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StoredArticleFilter:
        middleware = cls(crawler)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def process_spider_output(self, response: Response, result: Iterable[Any]) -> Iterator[Any]:
        outputs = iter(result)
        while chunk := list(islice(outputs, LOOKUP_CHUNK)):
            yield from self._unstored(chunk)

    async def process_spider_output_async(
        self, response: Response, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        chunk: list[Any] = []
        async for output in result:
            chunk.append(output)
            if len(chunk) == LOOKUP_CHUNK:
                for kept in self._unstored(chunk):
                    yield kept
                chunk = []
        for kept in self._unstored(chunk):
            yield kept

    def _unstored(self, outputs: Sequence[Any]) -> Iterator[Any]:
        articles = [
            o for o in outputs if isinstance(o, Request) and o.meta.get("newscrawl") == ARTICLE
        ]
        urls = [request.url for request in articles]
        stored = self._stored(urls) if urls and self.skip_stored else set()
        dropped = {id(request) for request in articles if request.url in stored}
        assert self.crawler.stats is not None
        for output in outputs:
            if id(output) in dropped:
                self.crawler.stats.inc_value("newscrawl/skipped/already_stored")
                continue
            yield output

    def _stored(self, urls: list[str]) -> set[str]:
        try:
            if self._ledger is None:
                self._ledger = _ledger(self.crawler)
            return self._ledger.stored_among(urls)
        except Exception as error:
            if not is_unavailable(error):
                raise
            logger.warning("cannot ask the database which URLs are stored (%s); fetching", error)
            return set()

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self._ledger is not None:
            self._ledger.engine.dispose()


class IncrementalFetchMiddleware:
    """Downloader middleware: requests with ``meta["newscrawl"] == "listing"`` are conditional;
    others pass untouched."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
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
            self._ledger = _ledger(self.crawler)
        return self._ledger

    def _count(self, key: str) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"newscrawl/{key}")

    def process_request(self, request: Request) -> None:
        if request.meta.get("newscrawl") == LISTING and self.conditional:
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

"""``scrapy crawl topic -a query=Kursk``: one event's coverage, from every configured source."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import scrapy
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy_playwright.page import PageMethod
from twisted.python.failure import Failure

from newscrawl.arguments import parse_names, parse_positive_int, parse_query, parse_since
from newscrawl.items import PageItem
from newscrawl.middlewares import ARTICLE, LISTING
from newscrawl.querymatch import QueryMatcher
from newscrawl.sources import (
    InvalidListing,
    Lead,
    ListingPage,
    Source,
    load_sources,
    select_sources,
)

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml", "text/plain"})


class TopicSpider(scrapy.Spider):
    """Discover articles about ``query`` and fetch each once.

    Arguments: ``query`` (required), ``sources`` (names or types from the sources file,
    comma-separated; default all), ``since`` (ISO date or age such as ``7d``), ``max_pages``
    (article pages to fetch at most; default ``TOPIC_MAX_PAGES``).
    """

    name = "topic"

    def __init__(
        self,
        query: str | None = None,
        sources: str | None = None,
        since: str | None = None,
        max_pages: str | int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.query = parse_query(query)
        self.matcher = QueryMatcher(self.query)
        self.since: datetime | None = parse_since(since)
        self.wanted_sources = parse_names(sources)
        self.max_pages_arg = max_pages
        self.sources: list[Source] = []
        self.max_pages = 0
        self.pages_requested = 0
        self.seen_urls: set[str] = set()
        self.render_sources: set[str] = set()
        self.render_max = 0
        self.render_settle_ms = 0
        self.renders = 0
        self.render_failed: set[str] = set()  # URLs the browser could not render

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> TopicSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        spider.max_pages = parse_positive_int(
            "max_pages", spider.max_pages_arg, settings.getint("TOPIC_MAX_PAGES")
        )
        available = load_sources(Path(settings.get("SOURCES_FILE")))
        spider.sources = select_sources(available, spider.wanted_sources)
        if not spider.sources:
            raise ValueError(f"no sources configured in {settings.get('SOURCES_FILE')}")
        spider.render_sources = {s.name for s in spider.sources if s.options.get("render")}
        spider.render_max = settings.getint("RENDER_MAX_PAGES")
        spider.render_settle_ms = settings.getint("RENDER_SETTLE_MS")
        return spider

    async def start(self) -> AsyncIterator[scrapy.Request]:
        self.logger.info(
            "query %r from %d sources, since %s, at most %d pages",
            self.query,
            len(self.sources),
            self.since.isoformat() if self.since else "any time",
            self.max_pages,
        )
        for source in self.sources:
            for url in source.listing_urls(self.query, self.since):
                yield self._listing_request(source, url)

    def _listing_request(self, source: Source, url: str) -> scrapy.Request:
        return scrapy.Request(
            url,
            callback=self.parse_listing,
            errback=self.listing_failed,
            cb_kwargs={"source": source},
            meta={"source": source.name, "newscrawl": LISTING, "handle_httpstatus_list": [304]},
        )

    def _count(self, key: str) -> None:
        self.crawler.stats.inc_value(f"newscrawl/{key}")

    def parse_listing(self, response: Response, source: Source) -> Iterator[scrapy.Request]:
        """Leads from one listing, filtered by query and date, become article requests."""
        if response.status == 304:  # unchanged since the last crawl
            return
        try:
            found = list(source.parse(response))
        except InvalidListing as error:
            self._count("discovery/invalid_listing")
            self.logger.warning("skipping listing %s of %s: %s", response.url, source.name, error)
            return
        for entry in found:
            if isinstance(entry, ListingPage):
                yield self._listing_request(source, entry.url)
            elif self._wanted(entry, source):
                request = self._article_request(entry)
                if request is not None:
                    yield request

    def _wanted(self, lead: Lead, source: Source) -> bool:
        self._count("discovery/leads")
        if not source.searches and not self.matcher.matches(lead.title, lead.summary):
            self._count("discovery/off_topic")
            return False
        if self.since and lead.published and lead.published < self.since:
            self._count("discovery/too_old")
            return False
        return True

    def _article_request(self, lead: Lead) -> scrapy.Request | None:
        if lead.url in self.seen_urls:
            return None
        if self.pages_requested >= self.max_pages:
            self._count("discovery/over_page_limit")
            return None
        self.seen_urls.add(lead.url)
        self.pages_requested += 1
        self._count("articles/requested")
        if lead.source in self.render_sources:
            rendered = self.rendered_request(lead.url, lead, reason="source")
            if rendered is not None:
                return rendered
        return self._static_request(lead.url, lead)

    def _static_request(self, url: str, lead: Lead, **kwargs: Any) -> scrapy.Request:
        return scrapy.Request(
            url,
            callback=self.parse_article,
            errback=self.article_failed,
            cb_kwargs={"lead": lead},
            meta={"source": lead.source, "newscrawl": ARTICLE},
            **kwargs,
        )

    def rendered_request(self, url: str, lead: Lead, reason: str) -> scrapy.Request | None:
        """A request for ``url`` rendered in a browser (scrapy-playwright), or None once the
        crawl has used its ``RENDER_MAX_PAGES`` renders. ``reason``: ``source`` (the source says
        ``render = true``) or ``empty`` (the static page held no text)."""
        if url in self.render_failed:
            return None
        if self.renders >= self.render_max:
            self._count("render/over_limit")
            return None
        self.renders += 1
        self._count(f"render/requested/{reason}")
        methods = []
        if self.render_settle_ms > 0:
            methods.append(PageMethod("wait_for_timeout", self.render_settle_ms))
        return scrapy.Request(
            url,
            callback=self.parse_article,
            errback=self.article_failed,
            cb_kwargs={"lead": lead},
            meta={
                "source": lead.source,
                "newscrawl": ARTICLE,
                "playwright": True,
                "playwright_page_methods": methods,
            },
            dont_filter=True,
        )

    def parse_article(self, response: Response, lead: Lead) -> Iterator[PageItem]:
        """Hand a fetched article page to the item pipelines (non-text bodies are skipped)."""
        content_type = response.headers.get("Content-Type", b"").decode("latin-1")
        mime = content_type.split(";", 1)[0].strip().lower()
        if not isinstance(response, TextResponse) or (mime and mime not in HTML_TYPES):
            self._count("skipped/not_html")
            self.logger.warning("skipping %s: not an HTML page (%s)", response.url, content_type)
            return
        rendered = bool(response.meta.get("playwright"))
        if rendered:
            self._count("render/fetched")
        yield PageItem(
            url=response.url, html=response.text, lead=lead, query=self.query, rendered=rendered
        )

    def listing_failed(self, failure: Failure) -> None:
        """A source that cannot be reached is logged and counted; the crawl goes on."""
        self._count("discovery/unreachable")
        request = failure.request  # type: ignore[attr-defined]
        self.logger.warning(
            "source %s unreachable at %s: %s",
            request.meta.get("source"),
            request.url,
            failure.getErrorMessage(),
        )

    def article_failed(self, failure: Failure) -> Iterator[scrapy.Request]:
        """An article that cannot be fetched is logged and counted; one that could not be
        rendered (no browser, a timeout) is fetched once more without the browser."""
        request = failure.request  # type: ignore[attr-defined]
        if request.meta.get("playwright"):
            self._count("render/failed")
            self.logger.warning(
                "cannot render %s (%s); fetching it without a browser",
                request.url,
                failure.getErrorMessage(),
            )
            self.render_failed.add(request.url)
            lead = request.cb_kwargs["lead"]
            yield self._static_request(request.url, lead, dont_filter=True)
            return
        if failure.check(IgnoreRequest) and not failure.check(HttpError):
            message = failure.getErrorMessage()
            self._count("articles/refused")
            self.logger.warning("not fetching %s: %s", request.url, message)
            return
        self._count("articles/fetch_failed")
        self.logger.warning("cannot fetch %s: %s", request.url, failure.getErrorMessage())

"""What a crawl does while its database is away: pause, say so, and close if it stays away.

``StoreOutage`` is the ``OutageHandler`` of the store's ``BatchWriter``: the engine is paused
while a batch waits to be retried (no page is fetched that could not be stored), resumed when the
batch is stored, and the crawl closes with reason ``database_unavailable`` when the retries run
out. Log lines name the database with its password masked.
"""

from __future__ import annotations

import logging

from scrapy.crawler import Crawler
from scrapy.utils.defer import deferred_from_coro

from pipelines.database import describe_error, safe_url

logger = logging.getLogger(__name__)

CLOSE_REASON = "database_unavailable"


class StoreOutage:
    """Pauses, resumes and closes ``crawler`` as the database at ``url`` goes and comes back."""

    def __init__(self, crawler: Crawler, url: str, retries: int) -> None:
        self.crawler = crawler
        self.url = url
        self.retries = retries
        self.paused = False
        self.closing = False

    def _count(self, key: str, amount: int = 1) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"newscrawl/store/{key}", amount)

    def database_unavailable(
        self, error: BaseException, retry: int, delay: float, items: int
    ) -> None:
        """Pause fetching while a batch waits to be retried."""
        self._count("retries")
        if not self.paused:
            assert self.crawler.engine is not None
            self.crawler.engine.pause()
            self.paused = True
        logger.warning(
            "database %s is unavailable (%s): %d articles wait for it; retry %d of %d in %.1f s, "
            "the crawl is paused meanwhile",
            safe_url(self.url),
            describe_error(error, self.url),
            items,
            retry,
            self.retries,
            delay,
        )

    def database_back(self, retries: int) -> None:
        """The batch is stored after ``retries`` retries: fetch again."""
        self._resume()
        logger.warning(
            "database %s is back: a batch was stored after %d retries; the crawl goes on",
            safe_url(self.url),
            retries,
        )

    def database_gave_up(self, error: BaseException, retries: int, items: int) -> None:
        """Count the dropped batch (the next crawl fetches its articles again); close the crawl."""
        self._count("failed", items)
        self._resume()
        if self.closing:  # a later batch, tried once while the crawl closes
            logger.error(
                "database %s is still unavailable (%s): %d more articles not stored",
                safe_url(self.url),
                describe_error(error, self.url),
                items,
            )
            return
        logger.error(
            "database %s is still unavailable after %d retries (%s): %d articles not stored, the "
            "next crawl fetches them again; closing the crawl",
            safe_url(self.url),
            retries,
            describe_error(error, self.url),
            items,
        )
        self.closing = True
        assert self.crawler.engine is not None
        deferred_from_coro(self.crawler.engine.close_spider_async(reason=CLOSE_REASON))

    def _resume(self) -> None:
        if self.paused:
            assert self.crawler.engine is not None
            self.crawler.engine.unpause()
            self.paused = False

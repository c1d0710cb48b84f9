"""StoreOutage: the crawl pauses while the database is away, goes on when it is back, and closes
when it stays away; log lines name the database without its password."""

from __future__ import annotations

import asyncio
import logging

import pytest
from scrapy.utils.test import get_crawler
from sqlalchemy.exc import OperationalError

from newscrawl.outage import CLOSE_REASON, StoreOutage

URL = "postgresql+psycopg://crawler:s3cret-word@db.internal:5432/news"
AWAY = OperationalError("INSERT", {}, Exception("server closed the connection unexpectedly"))


class Engine:
    def __init__(self) -> None:
        self.paused = False
        self.closed: list[str] = []

    def pause(self) -> None:
        self.paused = True

    def unpause(self) -> None:
        self.paused = False

    async def close_spider_async(self, *, reason: str) -> None:
        self.closed.append(reason)


@pytest.fixture
def outage() -> StoreOutage:
    crawler = get_crawler()
    crawler.engine = Engine()
    crawler.stats.open_spider()
    return StoreOutage(crawler, URL, retries=3)


def test_the_crawl_pauses_while_the_database_is_away_and_goes_on_when_it_is_back(
    outage: StoreOutage, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    outage.database_unavailable(AWAY, 1, 1.0, items=5)
    outage.database_unavailable(AWAY, 2, 2.0, items=5)
    assert outage.crawler.engine.paused
    outage.database_back(2)
    assert not outage.crawler.engine.paused and outage.crawler.engine.closed == []
    assert outage.crawler.stats.get_value("newscrawl/store/retries") == 2
    assert "database postgresql+psycopg://crawler:***@db.internal:5432/news is unavailable" in (
        caplog.text
    )
    assert "server closed the connection unexpectedly" in caplog.text
    assert "retry 2 of 3 in 2.0 s" in caplog.text and "is back" in caplog.text
    assert "s3cret-word" not in caplog.text


def test_a_database_that_stays_away_closes_the_crawl_once(
    outage: StoreOutage, caplog: pytest.LogCaptureFixture
) -> None:
    async def stays_away() -> None:  # in an event loop, as under Scrapy's asyncio reactor
        outage.database_unavailable(AWAY, 1, 1.0, items=5)
        outage.database_gave_up(AWAY, 3, items=5)
        outage.database_gave_up(AWAY, 0, items=2)  # a later batch, tried once while closing
        await asyncio.sleep(0)  # the engine's close runs

    asyncio.run(stays_away())
    assert outage.crawler.engine.closed == [CLOSE_REASON]
    assert not outage.crawler.engine.paused
    assert outage.crawler.stats.get_value("newscrawl/store/failed") == 7
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 2
    assert "still unavailable after 3 retries" in errors[0] and "closing the crawl" in errors[0]
    assert "2 more articles not stored" in errors[1]
    assert "s3cret-word" not in caplog.text

"""GroupAndStorePipeline pauses fetching while ``STORE_MAX_WAITING`` articles wait for the store,
so that a store slower than the fetching does not let waiting pages pile up in memory."""

from __future__ import annotations

import asyncio

from scrapy.utils.test import get_crawler
from twisted.internet.task import Clock

from newscrawl.batching import BatchWriter, RetryPolicy
from newscrawl.item_pipelines import GroupAndStorePipeline
from newscrawl.items import ArticleItem
from newscrawl.outage import StoreOutage
from newscrawl.sources.base import Lead
from pipelines.store import NewArticle, StoreResult

URL = "sqlite:///unused.db"


class Engine:
    def __init__(self) -> None:
        self.paused = False
        self.pauses = 0

    def pause(self) -> None:
        self.paused = True
        self.pauses += 1

    def unpause(self) -> None:
        self.paused = False


def _stored(batch: list[NewArticle]) -> list[StoreResult]:
    return [StoreResult(number, number, created=False) for number, _ in enumerate(batch)]


def _pipeline(max_waiting: int, clock: Clock) -> tuple[GroupAndStorePipeline, Engine]:
    """The pipeline with a writer of batches of 10 that waits on ``clock`` (1 s) to write."""
    crawler = get_crawler(settings_dict={"STORE_MAX_WAITING": max_waiting})
    engine = Engine()
    crawler.engine = engine  # type: ignore[assignment]
    crawler.stats.open_spider()  # type: ignore[union-attr]
    pipeline = GroupAndStorePipeline(crawler)
    pipeline.outage = StoreOutage(crawler, URL, retries=0)
    pipeline.writer = BatchWriter(
        _stored,
        size=10,
        seconds=1.0,
        retry=RetryPolicy(0, 1.0),
        is_transient=lambda _: False,
        handler=pipeline.outage,
        clock=clock,
        in_thread=False,
    )
    return pipeline, engine


def _submit(pipeline: GroupAndStorePipeline, number: int) -> asyncio.Task[ArticleItem]:
    """The item's trip through the pipeline, in the running event loop (as under Scrapy's
    asyncio reactor)."""
    url = f"https://example.org/{number}"
    item = ArticleItem(
        url=url,
        lead=Lead(url, "example"),
        query="q",
        article=object(),  # type: ignore[arg-type]
        document=object(),  # type: ignore[arg-type]
    )
    return asyncio.ensure_future(pipeline.process_item(item))


async def _settle() -> None:
    for _ in range(3):
        await asyncio.sleep(0)


def test_fetching_pauses_while_the_store_has_a_backlog_and_resumes_once_it_is_written() -> None:
    async def backlog() -> None:
        clock = Clock()
        pipeline, engine = _pipeline(3, clock)
        done = [_submit(pipeline, number) for number in range(2)]
        await _settle()
        assert not engine.paused and pipeline.waiting == 2
        done += [_submit(pipeline, number) for number in range(2, 5)]
        await _settle()
        assert engine.paused and engine.pauses == 1 and pipeline.waiting == 5
        clock.advance(1.0)  # the batch is written
        await asyncio.gather(*done)
        assert pipeline.waiting == 0 and not engine.paused

    asyncio.run(backlog())


def test_fetching_paused_by_an_outage_stays_paused_when_the_backlog_is_written() -> None:
    async def backlog_in_outage() -> None:
        clock = Clock()
        pipeline, engine = _pipeline(2, clock)
        done = [_submit(pipeline, number) for number in range(2)]
        await _settle()
        assert engine.paused and pipeline.outage is not None
        pipeline.outage.paused = True  # as the outage handler marks a crawl it paused
        clock.advance(1.0)
        await asyncio.gather(*done)
        assert pipeline.waiting == 0 and engine.paused

    asyncio.run(backlog_in_outage())


def test_without_a_limit_fetching_never_pauses() -> None:
    async def unlimited() -> None:
        clock = Clock()
        pipeline, engine = _pipeline(0, clock)
        done = [_submit(pipeline, number) for number in range(8)]
        await _settle()
        assert pipeline.waiting == 8
        clock.advance(1.0)
        await asyncio.gather(*done)
        assert engine.pauses == 0

    asyncio.run(unlimited())

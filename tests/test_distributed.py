"""Distributed crawls: workers sharing a scrapy-redis queue and duplicate filter in Redis and one
PostgreSQL database store what a single-process crawl stores, each page fetched once."""

from __future__ import annotations

import re
import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
import redis
from scrapy.settings import Settings
from sqlalchemy import select
from sqlalchemy.orm import Session

from newscrawl.addons import DistributedCrawl, DistributedSetupError
from newscrawl.demo.site import DemoSite, Page, serve
from newscrawl.distributed import (
    RunKeys,
    default_run_name,
    flush_run,
    list_runs,
    main,
    query_key,
    run_name_for,
)
from newscrawl.sources import build_source, sources_toml
from newscrawl.spiders.topic import TopicSpider
from pipelines.database import open_database, temporary_database
from pipelines.models import CrawlRun
from pipelines.runs import AlreadyRunning, query_lock
from tests.crawling import ROOT, topic_crawl_command
from tests.test_crawl import run_crawl, stored_rows


@pytest.fixture
def prefix(redis_server: str) -> Iterator[str]:
    """A key prefix of this test alone (tests of others may share the Redis database); every
    key under it is deleted afterwards."""
    name = f"newscrawl-test-{uuid.uuid4().hex[:10]}"
    yield name
    server = redis.Redis.from_url(redis_server)
    doomed = list(server.scan_iter(match=f"{name}:*"))
    if doomed:
        server.delete(*doomed)
    server.close()


RUN = "test-run"


# --- units -------------------------------------------------------------------------------


def test_the_default_run_is_the_query_and_the_utc_hour() -> None:
    moment = datetime(2025, 4, 1, 11, 59, tzinfo=UTC) + timedelta(hours=3)
    assert default_run_name("  Kursk ", moment) == "kursk@2025-04-01T14"
    east = moment.astimezone(datetime.now().astimezone().tzinfo)
    assert default_run_name("Курск", east) == "курск@2025-04-01T14"
    spider = TopicSpider(query="Kursk")
    assert run_name_for(Settings({"DISTRIBUTED_RUN": "nightly"}), spider) == "nightly"
    assert run_name_for(Settings({}), spider, moment) == "kursk@2025-04-01T14"


def test_run_keys_are_quoted_so_any_run_name_is_safe() -> None:
    keys = RunKeys("курск: 50%*")
    assert keys.requests.startswith("newscrawl:run:") and keys.requests.endswith(":requests")
    quoted = keys.base.removeprefix("newscrawl:run:")
    assert ":" not in quoted and "*" not in quoted and " " not in quoted
    assert keys.worker("host:1:ab").startswith(keys.base + ":worker:")
    assert query_key("Kursk") == query_key(" kursk ")


def test_the_add_on_switches_to_redis_only_when_asked_and_only_with_postgresql() -> None:
    addon = DistributedCrawl()
    plain = Settings({"DATABASE_URL": "sqlite:///x.db"})
    addon.update_settings(plain)
    assert plain.get("SCHEDULER") != "newscrawl.distributed.RunScheduler"

    with pytest.raises(DistributedSetupError, match="PostgreSQL"):
        addon.update_settings(
            Settings({"DISTRIBUTED_REDIS_URL": "redis://h/1", "DATABASE_URL": "sqlite:///x.db"})
        )

    settings = Settings()
    settings.setmodule("newscrawl.settings", priority="project")
    settings.set("DISTRIBUTED_REDIS_URL", "redis://h:6379/2", priority="cmdline")
    settings.set("DATABASE_URL", "postgresql+psycopg://u:secret@h/db", priority="cmdline")
    addon.update_settings(settings)
    assert settings.get("SCHEDULER") == "newscrawl.distributed.RunScheduler"
    assert settings.get("DUPEFILTER_CLASS") == "scrapy_redis.dupefilter.RFPDupeFilter"
    assert settings.getbool("SCHEDULER_PERSIST")
    assert settings.get("REDIS_URL") == "redis://h:6379/2"
    assert not settings.getbool("INCREMENTAL_CONDITIONAL_LISTINGS")

    # what the command line says wins
    settings.set("INCREMENTAL_CONDITIONAL_LISTINGS", True, priority="cmdline")
    addon.update_settings(settings)
    assert settings.getbool("INCREMENTAL_CONDITIONAL_LISTINGS")


def test_requests_with_sources_and_leads_survive_the_redis_queue(
    redis_server: str, prefix: str
) -> None:
    from scrapy_redis.queue import PriorityQueue

    from newscrawl.sources import Lead

    spider = TopicSpider(query="Kursk")
    spider.crawler = SimpleNamespace(stats=SimpleNamespace(inc_value=lambda key: None))
    source = build_source({"name": "wire", "type": "feed", "url": "http://127.0.0.1:9/rss.xml"})
    lead = Lead(
        url="http://127.0.0.1:9/a.html",
        source="wire",
        title="Kursk",
        published=datetime(2025, 4, 1, 8, tzinfo=UTC),
        language="en",
    )
    spider.render_max = 1
    spider.render_settle_ms = 100
    sent = [
        spider._listing_request(source, source.url),
        spider._static_request(lead.url, lead),
        spider.rendered_request(lead.url, lead, reason="source"),
    ]
    server = redis.Redis.from_url(redis_server)
    queue = PriorityQueue(server, spider, RunKeys(RUN, prefix).requests)
    for request in sent:
        queue.push(request)
    received = [queue.pop() for _ in sent]
    server.close()
    assert len(queue) == 0
    by_kind = {(r.url, r.callback.__name__, bool(r.meta.get("playwright"))): r for r in received}
    listing = by_kind[(source.url, "parse_listing", False)]
    assert listing.callback == spider.parse_listing and listing.errback == spider.listing_failed
    assert repr(listing.cb_kwargs["source"]) == repr(source)
    assert listing.meta["handle_httpstatus_list"] == [304]
    static = by_kind[(lead.url, "parse_article", False)]
    assert static.cb_kwargs == {"lead": lead} and static.errback == spider.article_failed
    rendered = by_kind[(lead.url, "parse_article", True)]
    assert rendered.dont_filter and rendered.meta["playwright_page_methods"][0].args == (100,)


def test_list_and_flush_a_run(redis_server: str, prefix: str, capsys) -> None:
    server = redis.Redis.from_url(redis_server)
    for run in (RUN, "курск@2025-04-01T08"):
        keys = RunKeys(run, prefix)
        server.sadd(keys.dupefilter, "a", "b")
        server.zadd(keys.requests, {"r": 0})
        server.set(keys.worker("h:1:x"), "busy", ex=60)
        server.set(query_key(f"q-{run}", prefix), run, ex=60)
    infos = list_runs(redis_server, prefix)
    assert [i.run for i in infos] == sorted([RUN, "курск@2025-04-01T08"])
    assert {(i.queued, i.fingerprints, i.workers, i.ttl) for i in infos} == {(1, 2, 1, -1)}
    options = ["--redis", redis_server, "--prefix", prefix]
    assert main([*options, "list"]) == 0
    assert "курск@2025-04-01T08" in capsys.readouterr().out
    assert main([*options, "flush", RUN]) == 0
    assert "4 keys deleted" in capsys.readouterr().out
    assert [i.run for i in list_runs(redis_server, prefix)] == ["курск@2025-04-01T08"]
    assert server.get(query_key(f"q-{RUN}", prefix)) is None
    assert flush_run(redis_server, "курск@2025-04-01T08", prefix) == 4
    assert not list(server.scan_iter(match=f"{prefix}:*"))
    server.close()


def test_workers_of_a_distributed_crawl_share_the_query_lock_and_exclude_a_single_crawl(
    postgres_url: str,
) -> None:
    engine = open_database(postgres_url)
    try:
        with (
            query_lock(engine, "Kursk", shared=True),
            query_lock(engine, "Kursk", shared=True),
            pytest.raises(AlreadyRunning),
            query_lock(engine, "Kursk"),
        ):
            pass
        with (
            query_lock(engine, "Kursk"),
            pytest.raises(AlreadyRunning),
            query_lock(engine, "Kursk", shared=True),
        ):
            pass
        with query_lock(engine, "Kursk", shared=True):  # all released
            pass
    finally:
        engine.dispose()


# --- end to end ----------------------------------------------------------------------------


class GatedSite(DemoSite):
    """The demo site that answers nothing but robots.txt until ``ready()`` (all workers have
    started), so that no worker can finish the crawl before the others are there; and every
    other page takes ``delay`` seconds."""

    def __init__(self, ready: Callable[[], bool], delay: float) -> None:
        super().__init__()
        self.ready = ready
        self.delay = delay
        self.opened = threading.Event()
        self._lock = threading.Lock()

    def render(self, path_with_query: str, base_url: str) -> Page:
        if path_with_query != "/robots.txt":
            deadline = time.monotonic() + 120
            while not self.opened.is_set() and time.monotonic() < deadline:
                with self._lock:
                    if self.ready():
                        self.opened.set()
                        break
                time.sleep(0.1)
            time.sleep(self.delay)
        return super().render(path_with_query, base_url)


def dequeued(log: str) -> int:
    found = re.search(r"'scheduler/dequeued/redis': (\d+)", log)
    return int(found.group(1)) if found else 0


def partition(rows: dict[str, tuple[int, str]]) -> set[frozenset[str]]:
    clusters: dict[int, set[str]] = {}
    for url, (cluster_id, _) in rows.items():
        clusters.setdefault(cluster_id, set()).add(url)
    return {frozenset(urls) for urls in clusters.values()}


def start_worker(
    tmp_path: Path, db_url: str, sources_file: Path, settings: dict[str, str], number: int
) -> subprocess.Popen[str]:
    command = topic_crawl_command(db_url, sources_file, **settings)
    log = (tmp_path / f"worker-{number}.log").open("w", encoding="utf-8")
    return subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, text=True)


def test_two_workers_store_what_one_process_stores_and_fetch_each_page_once(
    tmp_path: Path, postgres_url: str, postgres_server: str, redis_server: str, prefix: str
) -> None:
    server = redis.Redis.from_url(redis_server)
    keys = RunKeys(RUN, prefix)

    def both_workers_started() -> bool:
        return len(list(server.scan_iter(match=keys.workers_pattern))) >= 2

    site = GatedSite(both_workers_started, delay=0.05)
    with serve(site) as running:
        base = running.base_url
        sources = site.sources(base)
        sources_file = tmp_path / "sources.toml"
        sources_file.write_text(sources_toml(sources), encoding="utf-8")
        distributed = {
            "DISTRIBUTED_REDIS_URL": redis_server,
            "DISTRIBUTED_RUN": RUN,
            "DISTRIBUTED_KEY_PREFIX": prefix,
        }
        workers = [
            start_worker(tmp_path, postgres_url, sources_file, distributed, n) for n in (1, 2)
        ]
        for worker in workers:
            worker.wait(timeout=300)
        logs = [(tmp_path / f"worker-{n}.log").read_text(encoding="utf-8") for n in (1, 2)]
        for worker, log in zip(workers, logs, strict=True):
            assert worker.returncode == 0, log[-3000:]
            assert "Error processing" not in log and "Spider error" not in log, log[-3000:]
            assert "'finish_reason': 'finished'" in log, log[-3000:]
            # both workers took requests from the shared queue
            assert dequeued(log) > 0, log[-3000:]
        fetched = Counter(p for p in running.requests if p != "/robots.txt")
        assert running.requests.count("/robots.txt") == 2
        twice = {path: n for path, n in fetched.items() if n > 1}
        assert not twice, f"fetched more than once: {twice}"

        together = stored_rows(postgres_url)
        engine = open_database(postgres_url)
        with Session(engine) as session:
            runs = session.scalars(select(CrawlRun)).all()
        engine.dispose()
        assert [r.status for r in runs] == ["finished", "finished"]
        assert sum(r.articles_new for r in runs) == len(together)

        # the run's keys expire; the workers' and the query's are gone
        assert 0 < server.ttl(keys.dupefilter) <= 24 * 3600
        assert not list(server.scan_iter(match=keys.workers_pattern))
        assert server.get(query_key("Kursk", prefix)) is None
        server.close()

        # the same crawl by one process, into a database of its own
        with temporary_database(postgres_server, "newscrawl_test") as single_url:
            alone = run_crawl(tmp_path, single_url, sources)
            assert alone.returncode == 0, alone.log[-3000:]
            single = stored_rows(single_url)

    assert together and set(together) == set(single)
    assert len(together) == len(set(together))
    assert partition(together) == partition(single)
    demo_articles = {base + a.path for a in site.articles}
    assert set(together) <= demo_articles


def test_a_worker_of_another_run_of_a_live_query_stops_at_once(
    tmp_path: Path, postgres_url: str, redis_server: str, prefix: str, demo_site
) -> None:
    server = redis.Redis.from_url(redis_server)
    live = "kursk@2025-04-01T08"
    server.set(query_key("Kursk", prefix), live, ex=60)
    settings = {
        "DISTRIBUTED_REDIS_URL": redis_server,
        "DISTRIBUTED_RUN": RUN,
        "DISTRIBUTED_KEY_PREFIX": prefix,
    }
    late = run_crawl(
        tmp_path, postgres_url, DemoSite().sources(demo_site.base_url), settings=settings
    )
    assert server.get(query_key("Kursk", prefix)) == live.encode()
    server.close()
    assert late.returncode == 0, late.log[-3000:]
    assert "'finish_reason': 'already_running'" in late.log, late.log[-3000:]
    assert f"run {live!r} of 'Kursk' is still crawling" in late.log
    assert stored_rows(postgres_url) == {}

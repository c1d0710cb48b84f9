"""Distributed crawls: several ``scrapy crawl topic`` workers, on one machine or many, share one
request queue and one duplicate filter in Redis (scrapy-redis) and store into one PostgreSQL
database. :class:`newscrawl.addons.DistributedCrawl` switches a crawl to it when
``DISTRIBUTED_REDIS_URL`` is set.

Workers meet on a **run**: ``DISTRIBUTED_RUN``, by default the query and the UTC hour
(``kursk@2025-04-01T08``), so hourly cron jobs on several machines join the same run. A run's
keys (``R`` is the run name, %-quoted; ``newscrawl`` is ``DISTRIBUTED_KEY_PREFIX``)::

    newscrawl:run:R:requests     the shared request queue (sorted set of pickled requests)
    newscrawl:run:R:dupefilter   fingerprints of every request the run scheduled
    newscrawl:run:R:worker:ID    one per live worker, "busy" or "idle"
    newscrawl:query:Q:run        the run that is crawling query Q now

The queue and the filter outlive the workers (a worker that finishes first must not wipe them
for the others, and a worker that starts late must not fetch again what the run fetched) and
expire ``DISTRIBUTED_KEY_TTL`` seconds after the run's last activity. A worker's key and the
query's key expire ``WORKER_TTL`` seconds after its last heartbeat, so a killed worker is
forgotten. A worker whose own work is done closes only when the queue is empty and no other
worker of the run is busy (another worker may still add requests). While one run of a query
is live, workers of another run of it close at once (reason ``already_running``), as a second
crawl of a query on one machine does.

``python -m newscrawl.distributed list`` shows the runs in Redis, ``… flush RUN`` deletes a
run's keys (to crawl again within the same hour, say).
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import sys
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, unquote

from redis import Redis
from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, DontCloseSpider
from scrapy.utils.misc import load_object
from scrapy_redis.scheduler import Scheduler
from twisted.internet.task import LoopingCall

logger = logging.getLogger(__name__)

PREFIX = "newscrawl"
HEARTBEAT_SECONDS = 1.0
DEFAULT_KEY_TTL = 24 * 3600
WORKER_TTL = 60  # seconds a worker's heartbeat keeps its key (and the query's) alive
REDIS_URL_ENV = "DISTRIBUTED_REDIS_URL"
_SAFE = "@-._~"  # no ":" in a quoted run name: it separates the parts of a key


def default_run_name(query: str, now: datetime | None = None) -> str:
    """The query (case-folded) and the UTC hour: ``kursk@2025-04-01T08``."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return f"{query.strip().casefold()}@{moment:%Y-%m-%dT%H}"


def run_name_for(settings: Any, spider: Spider, now: datetime | None = None) -> str:
    """``DISTRIBUTED_RUN`` when set, else :func:`default_run_name` of the spider's query."""
    explicit = (settings.get("DISTRIBUTED_RUN") or "").strip()
    if explicit:
        return explicit
    return default_run_name(getattr(spider, "query", None) or spider.name, now)


@dataclass(frozen=True)
class RunKeys:
    """The Redis keys of one run (``prefix``: ``DISTRIBUTED_KEY_PREFIX``)."""

    run: str
    prefix: str = PREFIX

    @property
    def base(self) -> str:
        return f"{self.prefix}:run:{quote(self.run, safe=_SAFE)}"

    @property
    def requests(self) -> str:
        return f"{self.base}:requests"

    @property
    def dupefilter(self) -> str:
        return f"{self.base}:dupefilter"

    def worker(self, worker_id: str) -> str:
        return f"{self.base}:worker:{worker_id}"

    @property
    def workers_pattern(self) -> str:
        return f"{_glob_escape(self.base)}:worker:*"

    @property
    def all_pattern(self) -> str:
        return f"{_glob_escape(self.base)}:*"


def query_key(query: str, prefix: str = PREFIX) -> str:
    """The key naming the run that is crawling ``query`` now."""
    return f"{prefix}:query:{quote(query.strip().casefold(), safe=_SAFE)}:run"


def _glob_escape(text: str) -> str:
    return "".join("\\" + c if c in "*?[]\\" else c for c in text)


def _text(value: bytes | str | None) -> str | None:
    return value.decode("utf-8") if isinstance(value, bytes) else value


class RunScheduler(Scheduler):
    """scrapy-redis' scheduler with per-run keys that expire, the workers of a run waiting for
    each other before they close, and one live run per query."""

    crawler: Crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunScheduler:
        scheduler = super().from_crawler(crawler)
        scheduler.crawler = crawler
        scheduler.key_ttl = crawler.settings.getint("DISTRIBUTED_KEY_TTL") or DEFAULT_KEY_TTL
        scheduler.prefetch = max(1, crawler.settings.getint("DISTRIBUTED_PREFETCH", 2))
        scheduler.worker_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        scheduler.keys = None
        scheduler.query_key = None
        scheduler.state = None
        scheduler._beat = LoopingCall(scheduler._heartbeat)
        crawler.signals.connect(scheduler._spider_idle, signal=signals.spider_idle)
        return scheduler

    def open(self, spider: Spider) -> None:
        self.spider = spider
        prefix = self.crawler.settings.get("DISTRIBUTED_KEY_PREFIX") or PREFIX
        self.keys = RunKeys(run_name_for(self.crawler.settings, spider), prefix)
        # scrapy-redis %-formats the queue key with the spider name
        self.queue = load_object(self.queue_cls)(
            server=self.server,
            spider=spider,
            key=self.keys.requests.replace("%", "%%"),
            serializer=self.serializer,
        )
        self.df = load_object(self.dupefilter_cls)(
            self.server,
            key=self.keys.dupefilter,
            debug=self.crawler.settings.getbool("DUPEFILTER_DEBUG"),
        )
        if self.flush_on_start:
            self.flush()
        query = getattr(spider, "query", None) or spider.name
        self.query_key = query_key(query, prefix)
        if not self.server.set(self.query_key, self.keys.run, nx=True, ex=WORKER_TTL):
            current = _text(self.server.get(self.query_key))
            if current not in (None, self.keys.run):
                logger.error(
                    "run %r of %r is still crawling; this worker (run %r) stops",
                    current,
                    query,
                    self.keys.run,
                )
                self.query_key = None
                raise CloseSpider("already_running")
        self._mark("busy")
        pending = len(self.queue)
        logger.info(
            "distributed run %r, worker %s: %d requests queued, %d fingerprints seen",
            self.keys.run,
            self.worker_id,
            pending,
            self.server.scard(self.keys.dupefilter),
        )
        if self.stats:
            self.stats.set_value("newscrawl/distributed/run", self.keys.run)
            self.stats.set_value("newscrawl/distributed/worker", self.worker_id)
        self._beat.start(HEARTBEAT_SECONDS, now=False)

    def close(self, reason: str) -> None:
        if self._beat.running:
            self._beat.stop()
        if self.keys is None:
            return
        pipe = self.server.pipeline(transaction=False)
        pipe.delete(self.keys.worker(self.worker_id))
        pipe.expire(self.keys.requests, self.key_ttl)
        pipe.expire(self.keys.dupefilter, self.key_ttl)
        pipe.execute()
        if (
            self.query_key
            and not self._other_workers()
            and _text(self.server.get(self.query_key)) == self.keys.run
        ):
            self.server.delete(self.query_key)
        if not self.persist:
            self.flush()

    # scrapy-redis' own two pass the spider to the stats, which Scrapy 2.19 deprecates

    def enqueue_request(self, request: Any) -> bool:
        if not request.dont_filter and self.df.request_seen(request):
            self.df.log(request, self.spider)
            return False
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis")
        self.queue.push(request)
        return True

    def next_request(self) -> Any:
        if self._backlogged():
            return None
        request = self.queue.pop(self.idle_before_close)
        if request is not None:
            if self.stats:
                self.stats.inc_value("scheduler/dequeued/redis")
            if self.state != "busy":
                self._mark("busy")
        return request

    # --- coordination ---------------------------------------------------------------------

    def _backlogged(self) -> bool:
        """True while ``DISTRIBUTED_PREFETCH`` or more of this worker's requests wait for a
        download slot (per-domain concurrency, delays, robots.txt): the others take requests
        from the queue meanwhile, rather than one worker holding all of them."""
        downloader = getattr(self.crawler.engine, "downloader", None)
        if downloader is None:
            return False
        transferring = sum(len(slot.transferring) for slot in downloader.slots.values())
        return len(downloader.active) - transferring >= self.prefetch

    def _mark(self, state: str) -> None:
        assert self.keys is not None
        self.state = state
        self.server.set(self.keys.worker(self.worker_id), state, ex=WORKER_TTL)

    def _other_workers(self) -> dict[str, str]:
        """The run's other live workers and their states."""
        assert self.keys is not None
        own = self.keys.worker(self.worker_id)
        found = {}
        for key in self.server.scan_iter(match=self.keys.workers_pattern, count=100):
            name = _text(key)
            if name != own:
                state = _text(self.server.get(key))
                if state is not None:
                    found[name] = state
        return found

    def _heartbeat(self) -> None:
        """Keep this worker's key, the query's and the run's alive; while idle, have the engine
        look again each second for requests other workers queued, or for the end of the run
        (the engine itself looks only every 5 s)."""
        assert self.keys is not None and self.query_key is not None
        engine = self.crawler.engine
        try:
            idle = engine is not None and engine.spider_is_idle()
        except (AttributeError, RuntimeError):  # the engine is still opening or closing
            idle = False
        try:
            self.state = "idle" if idle else "busy"
            pipe = self.server.pipeline(transaction=False)
            pipe.set(self.keys.worker(self.worker_id), self.state, ex=WORKER_TTL)
            pipe.set(self.query_key, self.keys.run, ex=WORKER_TTL)
            pipe.expire(self.keys.requests, self.key_ttl)
            pipe.expire(self.keys.dupefilter, self.key_ttl)
            pipe.execute()
            if idle:  # look again now: for queued requests, or whether the run is over
                slot = getattr(engine, "_slot", None)
                if slot is not None:
                    slot.nextcall.schedule()
        except Exception as error:  # a Redis hiccup must not stop the heartbeat
            logger.warning("distributed heartbeat failed: %s", error)

    def _spider_idle(self, spider: Spider) -> None:
        """Close only when the run's queue is empty and no other worker is busy."""
        if self.keys is None:
            return
        self._mark("idle")
        if len(self.queue):
            raise DontCloseSpider
        busy = [k for k, state in self._other_workers().items() if state == "busy"]
        if busy:
            logger.debug("waiting for %d busy workers of run %r", len(busy), self.keys.run)
            raise DontCloseSpider


# --- operations --------------------------------------------------------------------------


@dataclass(frozen=True)
class RunInfo:
    """A run's keys in Redis, for ``list``."""

    run: str
    queued: int
    fingerprints: int
    workers: int
    ttl: int  # seconds until the fingerprints expire (-1: never, -2: gone)


def connect(redis_url: str) -> Redis:
    return Redis.from_url(redis_url, socket_timeout=30, socket_connect_timeout=30)


def _runs(server: Redis, prefix: str) -> Iterator[str]:
    seen: set[str] = set()
    start = f"{prefix}:run:"
    for key in server.scan_iter(match=f"{_glob_escape(start)}*", count=500):
        name = _text(key) or ""
        run = unquote(name[len(start) :].split(":", 1)[0])
        if run not in seen:
            seen.add(run)
            yield run


def list_runs(redis_url: str, prefix: str = PREFIX) -> list[RunInfo]:
    """Every run with keys in Redis."""
    server = connect(redis_url)
    try:
        infos = []
        for run in sorted(_runs(server, prefix)):
            keys = RunKeys(run, prefix)
            workers = sum(1 for _ in server.scan_iter(match=keys.workers_pattern, count=100))
            infos.append(
                RunInfo(
                    run=run,
                    queued=server.zcard(keys.requests),
                    fingerprints=server.scard(keys.dupefilter),
                    workers=workers,
                    ttl=server.ttl(keys.dupefilter),
                )
            )
        return infos
    finally:
        server.close()


def flush_run(redis_url: str, run: str, prefix: str = PREFIX) -> int:
    """Delete every key of ``run`` (queue, fingerprints, workers, and the query's pointer to it);
    the number of keys deleted. Its next crawl then fetches every page again that is not stored."""
    server = connect(redis_url)
    try:
        keys = RunKeys(run, prefix)
        doomed = list(server.scan_iter(match=keys.all_pattern, count=500))
        for key in server.scan_iter(match=f"{_glob_escape(prefix)}:query:*:run", count=500):
            if _text(server.get(key)) == run:
                doomed.append(key)
        return server.delete(*doomed) if doomed else 0
    finally:
        server.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m newscrawl.distributed",
        description="Inspect and flush the Redis keys of distributed crawl runs.",
    )
    parser.add_argument(
        "--redis",
        default=os.environ.get(REDIS_URL_ENV),
        help=f"Redis URL (default: ${REDIS_URL_ENV})",
    )
    parser.add_argument(
        "--prefix", default=PREFIX, help=f"key prefix, DISTRIBUTED_KEY_PREFIX (default {PREFIX})"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="the runs in Redis: queued requests, fingerprints, workers")
    flush = commands.add_parser("flush", help="delete the keys of runs")
    flush.add_argument("runs", nargs="+", metavar="RUN")
    name = commands.add_parser("run-name", help="the default run name of a query, this hour")
    name.add_argument("query")
    args = parser.parse_args(argv)
    if args.command == "run-name":
        print(default_run_name(args.query))
        return 0
    if not args.redis:
        parser.error(f"no Redis URL: pass --redis or set {REDIS_URL_ENV}")
    if args.command == "list":
        print(f"{'run':40} {'queued':>8} {'seen':>8} {'workers':>7} {'expires in':>10}")
        for info in list_runs(args.redis, args.prefix):
            expires = f"{info.ttl}s" if info.ttl >= 0 else "-"
            print(
                f"{info.run:40} {info.queued:>8} {info.fingerprints:>8} "
                f"{info.workers:>7} {expires:>10}"
            )
        return 0
    for run in args.runs:
        print(f"{run}: {flush_run(args.redis, run, args.prefix)} keys deleted")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Pipeline speed on one core against bare trafilatura, and memory over a long crawl.

    python -m benchmarks.bench_pipeline [--quick] [--memory-pages N]

The Zyte pages (``eval_extraction``'s data, decompressed) are served on 127.0.0.1 by a child
process with an RSS feed listing them. This process, pinned to one core, crawls them with
``scrapy crawl topic``'s spider and settings (no politeness delays) through the real item
pipelines: extraction with metadata, fingerprints, grouping with the configured embedding
backend, storage into a fresh SQLite database. In the same process, taking turns with the crawls,
bare ``trafilatura.extract(with_metadata=True)`` and our ``extract_article`` alone run over the
same HTML, decoded as Scrapy decodes it, with the URLs the crawl sees. A crawl is timed from its
spider opening (database migrated, pipelines and embedding model loaded) to its last page leaving
the pipelines; a short crawl before the timed ones loads what a process loads once (numba's
compiled lookups, the model's pages), as a few pages warm up the extraction loops. Figures
are medians of the runs (CPU time of this process, and wall clock), each ratio against bare
trafilatura in the same run.

Memory: RSS of this process sampled while it crawls synthetic article pages (stories of three
rewrites), reported as growth per page after warm-up (least squares over the samples), with the
most articles seen waiting for the store and responses in Scrapy's scraper at once: pages
fetched faster than they are stored wait in memory (about 100 KB each), so that backlog must
stay bounded for the figure to be flat.
Quick mode (CI smoke): 20 Zyte pages, one run, 300 synthetic pages.

Twisted's reactor runs once per process: call ``table`` once.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.eval_extraction import DEFAULT_DATA, load_pages
from benchmarks.report import Table, one_core, ratio
from benchmarks.static_site import ServedFolder, SitePage, write_site
from pipelines.embed import embedder_label

QUERY = "Bench"
RUNS = 3
QUICK_PAGES = 20
MEMORY_PAGES = 10_000
QUICK_MEMORY_PAGES = 300
WARM_UP_SHARE = 0.2  # memory samples of the first fifth of a crawl are warm-up
SAMPLE_EVERY = 50  # pages between RSS samples
REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
_VOCABULARY = (
    "officials regional border village council residents drone power plant grain farmers bridge "
    "railway school hospital volunteers evacuation governor ministry report convoy supply water "
    "heating repairs damage mayor statement night morning week district road checkpoint market "
    "factory workers families shelter buses aid trucks emergency crews investigators court budget"
)
_WORDS = _VOCABULARY.split()


@dataclass
class CrawlFigures:
    """What one crawl did and what it cost."""

    pages: int = 0  # article pages through the pipelines (stored or dropped)
    cpu_seconds: float = 0.0
    wall_seconds: float = 0.0
    embedding_calls: int = 0
    embedder: str = "none"  # the backend, as ``embedder_label`` names it
    stats: dict[str, Any] = field(default_factory=dict)
    rss: list[tuple[int, int]] = field(default_factory=list)  # (pages, bytes)
    most_waiting: int = 0  # articles waiting for the store at once, at most (at the samples)
    most_in_scraper: int = 0  # responses in Scrapy's scraper at once, at most (ditto)


@dataclass(frozen=True)
class Rate:
    """Pages per CPU second and per wall-clock second of one timed run."""

    cpu: float
    wall: float


# --- the pages ---------------------------------------------------------------------------------


def zyte_pages(data: Path, limit: int | None) -> list[SitePage]:
    """The benchmark's pages, gunzipped, as ``<id>.html`` files."""
    from newscrawl.cli import read_html

    pages = load_pages(data)[:limit]
    return [SitePage(f"{page.id}.html", read_html(page.path).encode()) for page in pages]


def _sentence(rng: random.Random, story: int) -> str:
    words = rng.sample(_WORDS, 12)
    return f"{' '.join(words).capitalize()} {rng.randrange(10, 900)} in story {story}."


def synthetic_pages(count: int, seed: int = 7) -> list[SitePage]:
    """``count`` article pages: stories of three, the second and third rewrites of the first."""
    pages = []
    for number in range(count):
        story, copy = divmod(number, 3)
        rng = random.Random(seed * 100_003 + story)
        paragraphs = [" ".join(_sentence(rng, story) for _ in range(4)) for _ in range(5)]
        if copy:  # a rewrite: its own first paragraph, the last dropped
            own = random.Random(seed + number)
            paragraphs = [" ".join(_sentence(own, story) for _ in range(3)), *paragraphs[1:-1]]
        body = "".join(f"<p>{paragraph}</p>" for paragraph in paragraphs)
        html = (
            f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f"<title>Report {story}</title></head><body><nav><a href='/'>Home</a></nav>"
            f"<article><h1>Report {story}</h1>{body}</article><footer>Bench Daily</footer>"
            "</body></html>"
        )
        pages.append(SitePage(f"story-{story:05d}-{copy}.html", html.encode()))
    return pages


def decoded(root: Path, base_url: str, pages: Sequence[SitePage]) -> list[tuple[str, str]]:
    """(HTML, URL) of each page, decoded as Scrapy decodes a response and read by ``read_html``."""
    from newscrawl.cli import read_html

    return [(read_html(root / page.name), f"{base_url}/{page.name}") for page in pages]


# --- extraction alone --------------------------------------------------------------------------


def _timed(pages: Sequence[tuple[str, str]], extract: Callable[[str, str], object]) -> Rate:
    cpu, wall = time.process_time(), time.perf_counter()
    for html, url in pages:
        extract(html, url)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return Rate(len(pages) / cpu, len(pages) / wall)


def bare_trafilatura(html: str, url: str) -> object:
    import trafilatura

    return trafilatura.extract(html, url=url, with_metadata=True)


def ours_extraction() -> Callable[[str, str], object]:
    from newscrawl.config import extract_config, project_settings
    from pipelines.extract import NoArticle, extract_article

    config = extract_config(project_settings())

    def extract(html: str, url: str) -> object:
        try:
            return extract_article(html, url, config)
        except NoArticle:
            return None

    return extract


# --- a crawl -----------------------------------------------------------------------------------


def rss_bytes() -> int:
    """This process's resident set size now."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize()


class _Meter:
    """Times a crawl from its spider opening to its last page through the pipelines (not the
    idle wait before closing), counts its pages, samples RSS."""

    def __init__(self, crawler: Any, sample_every: int) -> None:
        from scrapy import signals

        self.crawler = crawler
        self.sample_every = sample_every
        self.figures = CrawlFigures()
        self._cpu = self._wall = 0.0
        crawler.signals.connect(self._opened, signals.spider_opened)
        crawler.signals.connect(self._page, signals.item_scraped)
        crawler.signals.connect(self._page, signals.item_dropped)
        crawler.signals.connect(self._closed, signals.spider_closed)

    def _opened(self) -> None:
        self._cpu, self._wall = time.process_time(), time.perf_counter()

    def _page(self) -> None:
        self.figures.pages += 1
        self.figures.cpu_seconds = time.process_time() - self._cpu
        self.figures.wall_seconds = time.perf_counter() - self._wall
        if self.sample_every and self.figures.pages % self.sample_every == 0:
            self.figures.rss.append((self.figures.pages, rss_bytes()))
            self._sample_backlog()

    def _sample_backlog(self) -> None:
        engine = self.crawler.engine
        slot = engine.scraper.slot
        if slot is not None:
            self.figures.most_in_scraper = max(self.figures.most_in_scraper, len(slot.active))
        for pipeline in engine.scraper.itemproc.middlewares:
            waiting = getattr(pipeline, "waiting", 0)
            self.figures.most_waiting = max(self.figures.most_waiting, waiting)

    def _closed(self) -> None:
        for pipeline in self.crawler.engine.scraper.itemproc.middlewares:
            index = getattr(getattr(pipeline, "store", None), "index", None)
            if index is not None:
                self.figures.embedding_calls += index.embedding_calls
                self.figures.embedder = embedder_label(index.embedder)
        self.figures.stats = dict(self.crawler.stats.get_stats())


def crawl(
    workdir: Path, feed_url: str, pages: int, sample_every: int = 0, **overrides: object
) -> Any:
    """Crawl the feed's pages into a fresh SQLite database, with the project's settings but for
    politeness delays and ``overrides``; a Deferred of ``CrawlFigures``."""
    from scrapy.crawler import CrawlerRunner

    from newscrawl.config import project_settings
    from newscrawl.sources import sources_toml
    from newscrawl.spiders.topic import TopicSpider
    from pipelines.database import open_database

    run = len(list(workdir.glob("crawl-*.db")))
    database = f"sqlite:///{workdir / f'crawl-{run}.db'}"
    open_database(database).dispose()  # migrated before the clock starts
    sources = workdir / "sources.toml"
    sources.write_text(sources_toml([{"name": "bench", "type": "feed", "url": feed_url}]))
    settings = project_settings()
    settings.setdict(
        {
            "DATABASE_URL": database,
            "SOURCES_FILE": str(sources),
            "TOPIC_MAX_PAGES": pages,
            "DOMAIN_MAX_PAGES": 0,
            "DOWNLOAD_DELAY": 0,
            "AUTOTHROTTLE_ENABLED": False,
            "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
            "RETRY_TIMES": 0,
            "LOGSTATS_INTERVAL": 0,
            "LOG_LEVEL": "WARNING",
            **overrides,
        },
        priority="cmdline",
    )
    runner = CrawlerRunner(settings)
    crawler = runner.create_crawler(TopicSpider)
    meter = _Meter(crawler, sample_every)
    deferred = runner.crawl(crawler, query=QUERY)
    deferred.addCallback(lambda _: meter.figures)
    return deferred


# --- the table ---------------------------------------------------------------------------------


def growth_per_page(samples: Sequence[tuple[int, int]], total: int) -> float:
    """Bytes of RSS per page over the samples after warm-up (least-squares slope)."""
    kept = [(pages, rss) for pages, rss in samples if pages > total * WARM_UP_SHARE]
    if len(kept) < 2:
        return 0.0
    return statistics.linear_regression([p for p, _ in kept], [r for _, r in kept]).slope


def _median(rates: Sequence[Rate]) -> Rate:
    return Rate(statistics.median(r.cpu for r in rates), statistics.median(r.wall for r in rates))


def _run_in_reactor(steps: Callable[[], Iterator[Any]]) -> None:
    """Run the generator ``steps`` (yielding Deferreds) in Twisted's asyncio reactor."""
    from scrapy.utils.reactor import install_reactor

    install_reactor(REACTOR)
    from twisted.internet import defer, reactor

    failures: list[Any] = []
    done = defer.inlineCallbacks(steps)()
    done.addErrback(failures.append)
    done.addBoth(lambda _: reactor.stop())  # type: ignore[attr-defined]
    reactor.run()  # type: ignore[attr-defined]
    if failures:
        failures[0].raiseException()


PIPELINE = "crawl → extract+metadata → fingerprint → group → store"
WITHOUT_EMBEDDINGS = "the same without embeddings (GROUPING_EMBEDDER=none)"
EXTRACTION = "extract_article alone"
BARE = "bare trafilatura"


def table(quick: bool, memory_pages: int | None = None) -> Table:
    """Pipeline and extraction pages/s against bare trafilatura; memory per page over a crawl of
    ``memory_pages`` synthetic pages (by default 10,000, or 300 when ``quick``)."""
    runs = 1 if quick else RUNS
    workdir = Path(tempfile.mkdtemp(prefix="newscrawl-bench-pipeline-"))
    zyte = zyte_pages(DEFAULT_DATA, QUICK_PAGES if quick else None)
    synthetic = synthetic_pages(memory_pages or (QUICK_MEMORY_PAGES if quick else MEMORY_PAGES))
    rates: dict[str, list[Rate]] = {BARE: [], PIPELINE: [], WITHOUT_EMBEDDINGS: [], EXTRACTION: []}
    crawls: dict[str, CrawlFigures] = {}
    try:
        with (
            ServedFolder(workdir / "zyte") as zyte_site,
            ServedFolder(workdir / "long") as long_site,
        ):
            zyte_feed = write_site(zyte_site.root, zyte_site.base_url, zyte, QUERY)
            long_feed = write_site(long_site.root, long_site.base_url, synthetic, QUERY)
            pages = decoded(zyte_site.root, zyte_site.base_url, zyte)
            extract = ours_extraction()

            def steps() -> Iterator[Any]:
                for html, url in pages[:QUICK_PAGES]:  # warm-up: lazy imports, dateparser's caches
                    bare_trafilatura(html, url)
                    extract(html, url)
                # … and a short crawl: numba's compiled lookups and the model loaded, once
                yield crawl(workdir, zyte_feed, QUICK_PAGES)
                for _ in range(runs):  # taking turns, so that the machine's load hits all alike
                    rates[BARE].append(_timed(pages, bare_trafilatura))
                    for path, overrides in (
                        (PIPELINE, {}),
                        (WITHOUT_EMBEDDINGS, {"GROUPING_EMBEDDER": "none"}),
                    ):
                        figures = yield crawl(workdir, zyte_feed, len(pages), **overrides)
                        crawls[path] = figures
                        rates[path].append(
                            Rate(
                                figures.pages / figures.cpu_seconds,
                                figures.pages / figures.wall_seconds,
                            )
                        )
                    rates[EXTRACTION].append(_timed(pages, extract))
                crawls["memory"] = yield crawl(workdir, long_feed, len(synthetic), SAMPLE_EVERY)

            with one_core():  # the servers, started before, keep the other cores
                core = min(os.sched_getaffinity(0))
                _run_in_reactor(steps)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    result = Table(
        f"Pipeline speed on one core (core {core}), {len(pages)} Zyte pages, median of {runs}",
        (
            "path",
            "pages/CPU-s",
            "bare pages/CPU-s",
            "ratio (CPU)",
            "paired ratio (CPU)",
            "pages/s wall",
            "bare pages/s wall",
            "ratio (wall)",
        ),
    )
    reference = _median(rates[BARE])
    for path in (PIPELINE, WITHOUT_EMBEDDINGS, EXTRACTION):
        mid = _median(rates[path])
        result.add(
            path,
            mid.cpu,
            reference.cpu,
            ratio(mid.cpu, reference.cpu),
            _paired_ratio(rates[path], rates[BARE]),
            mid.wall,
            reference.wall,
            ratio(mid.wall, reference.wall),
        )
    result.notes += [
        "reference: bare trafilatura.extract(with_metadata=True) over the same HTML, same run; "
        "paired ratio: the median over the rounds of each round's ratio to the bare run just "
        "before it (the machine's speed drifts between rounds)",
        "pages per CPU second, run by run: "
        + "; ".join(f"{path} {', '.join(f'{r.cpu:.1f}' for r in rates[path])}" for path in rates),
        *(_crawl_note(path, crawls[path]) for path in (PIPELINE, WITHOUT_EMBEDDINGS)),
        _memory_note(crawls["memory"]),
    ]
    return result


def _paired_ratio(rates: Sequence[Rate], bare: Sequence[Rate]) -> str:
    ratios = [ours.cpu / reference.cpu for ours, reference in zip(rates, bare, strict=True)]
    return f"{statistics.median(ratios):.2f}×"


def _crawl_note(path: str, figures: CrawlFigures) -> str:
    stats = figures.stats
    return (
        f"{path}: {figures.pages} pages through the pipelines, "
        f"{stats.get('newscrawl/stored/new', 0)} stored in "
        f"{stats.get('newscrawl/clusters/new', 0)} clusters, "
        f"{figures.pages - stats.get('item_scraped_count', 0)} dropped; "
        f"{figures.embedding_calls} embedding calls (embedder {figures.embedder})"
    )


def _memory_note(figures: CrawlFigures) -> str:
    first, last = figures.rss[0], figures.rss[-1]
    return (
        f"memory over a {figures.pages:,}-page crawl of synthetic pages "
        f"({figures.pages / figures.cpu_seconds:.1f} pages/CPU-s, "
        f"{figures.embedding_calls:,} embedding calls): RSS {first[1] / 2**20:.0f} MB at page "
        f"{first[0]:,}, {last[1] / 2**20:.0f} MB at page {last[0]:,}; growth after warm-up "
        f"(the first {WARM_UP_SHARE:.0%}): "
        f"{growth_per_page(figures.rss, figures.pages) / 1024:.2f} KiB per page. In flight at "
        f"most: {figures.most_waiting} articles waiting for the store (STORE_MAX_WAITING), "
        f"{figures.most_in_scraper} responses in Scrapy's scraper. What stays per page by "
        "design: the grouping index's ~1.5 KB per article (the index table), Scrapy's and the "
        "spider's seen URLs and request fingerprints; the rest is the allocators' fragmentation"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="CI smoke size: seconds")
    parser.add_argument("--memory-pages", type=int, help="pages of the memory crawl")
    args = parser.parse_args(argv)
    if not (DEFAULT_DATA / "ground-truth.json").is_file():
        print(f"no benchmark data at {DEFAULT_DATA}", file=sys.stderr)
        return 2
    print(table(args.quick, args.memory_pages).render())
    return 0


if __name__ == "__main__":
    sys.exit(main())

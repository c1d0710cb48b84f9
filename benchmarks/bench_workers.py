"""Crawl throughput with 1 and 2 distributed workers on the demo site, in pages per second.

    python -m benchmarks.bench_workers [--articles 150] [--repeat 3] [--latency 0]
        [--modes single,1,2] [--postgres URL] [--redis URL] [--verbose]

The demo site (``seeds/demo``) is copied to a temporary root and given ``--articles`` extra
synthetic English articles about Kursk (stories of three rewrites each, spread over the English
outlets), then served on 127.0.0.1 with ``--latency`` seconds added to every page. Each run
crawls it for "Kursk" into a fresh PostgreSQL database:

- ``single``: one ``scrapy crawl topic`` without Redis (the plain scheduler);
- ``1 worker`` / ``2 workers``: distributed mode (``DISTRIBUTED_REDIS_URL``), the workers
  started together on one run.

Pages are the HTTP responses the site served (listings and articles, robots.txt not counted);
the time is from the first worker's spider opening to the last one's closing (Scrapy's
``start_time`` and ``finish_time``: process start-up, model loading and exit are left out). The
median of ``--repeat`` runs is printed; the modes take turns (single, 1, 2, single, …), so that
a change in the machine's load hits them alike. The demo site is one host, so each worker
fetches at most ``CONCURRENT_REQUESTS_PER_DOMAIN`` (2) pages at once from it.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from newscrawl.demo.site import DEMO_ROOT, DemoSite, Page, load_outlets, serve
from newscrawl.distributed import flush_run
from newscrawl.sources import sources_toml
from pipelines.database import open_database, temporary_database
from pipelines.models import Article, Cluster

ROOT = Path(__file__).resolve().parents[1]
QUERY = "Kursk"
REWRITES = 3
VOCABULARY = (
    "officials regional border village council residents drone shelling power plant grain "
    "farmers bridge railway school hospital volunteers evacuation governor ministry report "
    "convoy supply water heating repairs damage mayor statement night morning week district "
    "road checkpoint market factory workers families shelter buses aid trucks emergency crews "
    "investigators prosecutors court contract budget roubles tonnes kilometres election vote"
)
WORDS = VOCABULARY.split()


# --- the site ------------------------------------------------------------------------------


def _sentence(rng: random.Random, story: int) -> str:
    words = rng.sample(WORDS, 12)
    words.insert(rng.randrange(3, 10), "Kursk")
    number = rng.randrange(2, 900)
    return f"{' '.join(words).capitalize()} {number} in story {story}."


def synthetic_root(articles: int, seed: int = 7) -> Path:
    """A copy of the demo content plus ``articles`` synthetic articles, in a temporary folder."""
    root = Path(tempfile.mkdtemp(prefix="newscrawl-bench-site-"))
    shutil.copytree(DEMO_ROOT, root, dirs_exist_ok=True)
    english = [o for o in load_outlets(root).values() if o.language == "en"]
    rng = random.Random(seed)
    start = datetime(2025, 6, 1, 6, tzinfo=UTC)
    for number in range(articles):
        story, copy = divmod(number, REWRITES)
        story_rng = random.Random(seed * 100_003 + story)
        count = story_rng.randint(4, 7)
        paragraphs = [" ".join(_sentence(story_rng, story) for _ in range(4)) for _ in range(count)]
        if copy:  # a rewrite: one paragraph changed, one dropped
            paragraphs[0] = " ".join(_sentence(rng, story) for _ in range(3))
            paragraphs.pop()
        outlet = english[(story + copy) % len(english)]
        published = start + timedelta(hours=story, minutes=17 * copy)
        body = "\n\n".join(paragraphs)
        (root / "articles" / outlet.slug / f"bench-{story:04d}-{copy}.txt").write_text(
            f"title: Kursk report {story}: {' '.join(story_rng.sample(WORDS, 4))}\n"
            f"published: {published.isoformat()}\n"
            f"author: Bench Desk\n"
            f"story: bench-{story}\n"
            f"summary: Kursk, story {story}.\n"
            f"---\n{body}\n",
            encoding="utf-8",
        )
    return root


class SlowSite(DemoSite):
    """The demo site with ``latency`` seconds added to every page but robots.txt."""

    def __init__(self, root: Path, latency: float) -> None:
        super().__init__(root=root)
        self.latency = latency

    def render(self, path_with_query: str, base_url: str) -> Page:
        if self.latency and path_with_query != "/robots.txt":
            time.sleep(self.latency)
        return super().render(path_with_query, base_url)


# --- one run -------------------------------------------------------------------------------


@dataclass
class Result:
    mode: str
    pages: int
    seconds: float
    articles: int
    clusters: int

    @property
    def rate(self) -> float:
        return self.pages / self.seconds if self.seconds > 0 else 0.0


_STAT_TIME = re.compile(r"'(start|finish)_time': datetime\.datetime\(([\d, ]+)")


def _times(log: str) -> dict[str, datetime]:
    found = {}
    for name, numbers in _STAT_TIME.findall(log):
        parts = [int(p) for p in numbers.replace(" ", "").strip(",").split(",")]
        found[name] = datetime(*parts, tzinfo=UTC)
    if set(found) != {"start", "finish"}:
        raise RuntimeError("no start/finish time in the crawl log:\n" + log[-3000:])
    return found


def crawl(
    site: SlowSite, workers: int, redis_url: str | None, postgres: str, workdir: Path
) -> Result:
    run = f"bench-{uuid.uuid4().hex[:8]}"
    with serve(site) as running, temporary_database(postgres, "newscrawl_bench") as db_url:
        open_database(db_url).dispose()  # migrated before the clock starts
        sources_file = workdir / "sources.toml"
        sources_file.write_text(sources_toml(site.sources(running.base_url)), encoding="utf-8")
        settings = {
            "DATABASE_URL": db_url,
            "SOURCES_FILE": str(sources_file),
            "DOWNLOAD_DELAY": "0",
            "AUTOTHROTTLE_ENABLED": "False",
            "RETRY_TIMES": "0",
            "LOGSTATS_INTERVAL": "0",
            "LOG_LEVEL": "INFO",
        }
        if redis_url:
            settings |= {"DISTRIBUTED_REDIS_URL": redis_url, "DISTRIBUTED_RUN": run}
        command = [sys.executable, "-m", "scrapy", "crawl", "topic", "-a", f"query={QUERY}"]
        for name, value in settings.items():
            command += ["-s", f"{name}={value}"]
        logs = [workdir / f"worker-{n}.log" for n in range(workers)]
        processes = [
            subprocess.Popen(command, cwd=ROOT, stdout=log.open("w"), stderr=subprocess.STDOUT)
            for log in logs
        ]
        try:
            for process in processes:
                process.wait(timeout=1800)
        finally:
            if redis_url:
                flush_run(redis_url, run)
        texts = [log.read_text(encoding="utf-8") for log in logs]
        for process, log in zip(processes, texts, strict=True):
            if process.returncode != 0 or "'finish_reason': 'finished'" not in log:
                raise RuntimeError("a crawl failed:\n" + log[-3000:])
        times = [_times(log) for log in texts]
        seconds = (max(t["finish"] for t in times) - min(t["start"] for t in times)).total_seconds()
        pages = sum(1 for path in running.requests if path != "/robots.txt")
        engine = open_database(db_url)
        with Session(engine) as session:
            articles = session.scalar(select(func.count()).select_from(Article)) or 0
            clusters = session.scalar(select(func.count()).select_from(Cluster)) or 0
        engine.dispose()
    mode = "single" if not redis_url else f"{workers} worker{'s' if workers > 1 else ''}"
    return Result(mode, pages, seconds, articles, clusters)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=150, help="synthetic articles added")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each mode (median)")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to each page")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("NEWSCRAWL_TEST_POSTGRES_URL")
        or "postgresql+psycopg://postgres@127.0.0.1:5432/test",
    )
    parser.add_argument(
        "--redis", default=os.environ.get("NEWSCRAWL_TEST_REDIS_URL") or "redis://127.0.0.1:6379/15"
    )
    parser.add_argument(
        "--modes", default="single,1,2", help="single (no Redis) and worker counts, comma-separated"
    )
    parser.add_argument("--verbose", action="store_true", help="print every run")
    args = parser.parse_args(argv)

    root = synthetic_root(args.articles)
    workdir = Path(tempfile.mkdtemp(prefix="newscrawl-bench-"))
    try:
        site = SlowSite(root, args.latency)
        print(
            f"demo site + {args.articles} synthetic articles ({len(site.articles)} in all), "
            f"latency {args.latency:g}s per page, {os.cpu_count()} CPUs, median of {args.repeat}"
        )
        modes = [
            (1, None) if mode == "single" else (int(mode), args.redis)
            for mode in args.modes.split(",")
        ]
        # the modes take turns, so that a change in the machine's load hits all of them alike
        runs: dict[str, list[Result]] = {}
        for _ in range(args.repeat):
            for workers, redis_url in modes:
                result = crawl(site, workers, redis_url, args.postgres, workdir)
                runs.setdefault(result.mode, []).append(result)
                if args.verbose:
                    print(f"  {result}  {result.rate:.1f} pages/s", file=sys.stderr, flush=True)
        header = ("mode", "pages", "seconds", "pages/s", "articles", "clusters")
        print("{:10} {:>6} {:>8} {:>8} {:>9} {:>9}".format(*header))
        for mode, results in runs.items():
            stored = sorted({(r.articles, r.clusters) for r in results})
            if len(stored) > 1:  # grouping may depend on the order articles arrive in
                print(f"note: runs of {mode} stored (articles, clusters) {stored}")
            middle = sorted(results, key=lambda r: r.rate)[len(results) // 2]
            rates = ", ".join(f"{r.rate:.1f}" for r in results)
            print(
                f"{mode:10} {middle.pages:>6} {middle.seconds:>8.1f} {middle.rate:>8.1f} "
                f"{middle.articles:>9} {middle.clusters:>9}   (runs: {rates})",
                flush=True,
            )
    finally:
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The pipeline benchmark's parts: its served site, its synthetic pages, its memory figure; and
its quick size run whole (CI smoke: figures printed, not judged)."""

from __future__ import annotations

import subprocess
import sys
import urllib.request
from pathlib import Path

from benchmarks.bench_pipeline import QUERY, growth_per_page, synthetic_pages
from benchmarks.static_site import ServedFolder, SitePage, write_site
from newscrawl.querymatch import QueryMatcher
from newscrawl.sources.feeds import parse_feed
from pipelines.extract import ExtractConfig, extract_article
from pipelines.fingerprint import FingerprintConfig, fingerprint


def test_growth_per_page_is_the_slope_after_warm_up() -> None:
    warm_up = [(pages, 500_000_000 + 90_000 * pages) for pages in range(50, 201, 50)]
    steady = [(pages, 400_000_000 + 2_048 * pages) for pages in range(250, 1001, 50)]
    assert growth_per_page(warm_up + steady, 1000) == 2_048


def test_growth_per_page_of_too_few_samples_is_zero() -> None:
    assert growth_per_page([(50, 1), (100, 2), (900, 5)], 1000) == 0.0  # one after warm-up


def test_synthetic_pages_are_articles_in_stories_of_three() -> None:
    pages = synthetic_pages(6)
    assert len({page.name for page in pages}) == 6
    texts = [extract_article(page.body.decode(), None, ExtractConfig()).text for page in pages]
    minhashes = [fingerprint(text, FingerprintConfig()).minhash for text in texts]
    assert minhashes[0].jaccard(minhashes[1]) > 0.4  # a rewrite of the same story
    assert minhashes[0].jaccard(minhashes[3]) < 0.1  # another story


def test_the_served_feed_lists_every_page_for_the_query(tmp_path: Path) -> None:
    pages = [SitePage(f"page-{n}.html", f"<p>page {n}</p>".encode()) for n in range(3)]
    with ServedFolder(tmp_path / "site") as site:
        feed_url = write_site(site.root, site.base_url, pages, QUERY)
        with urllib.request.urlopen(feed_url, timeout=10) as response:
            leads = [lead for _entry, lead in parse_feed(response.read(), "bench")]
        assert [lead.url for lead in leads] == [f"{site.base_url}/{p.name}" for p in pages]
        assert all(QueryMatcher(QUERY).matches(lead.title, lead.summary) for lead in leads)
        with urllib.request.urlopen(leads[1].url, timeout=10) as response:
            assert response.read() == pages[1].body
    assert site.process is not None and site.process.poll() is not None  # stopped


def test_quick_table_runs_every_path_and_the_memory_crawl(shared_data: Path) -> None:
    """Run as ``python -m benchmarks.bench_pipeline --quick`` (Twisted's reactor runs once per
    process)."""
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_pipeline", "--quick"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    rows = [line for line in done.stdout.splitlines() if line.startswith("| ")]
    assert [row.split("|")[1].strip() for row in rows[1:]] == [
        "crawl → extract+metadata → fingerprint → group → store",
        "the same without embeddings (GROUPING_EMBEDDER=none)",
        "extract_article alone",
    ]
    assert "20 pages through the pipelines, 20 stored" in done.stdout
    assert "memory over a 300-page crawl" in done.stdout

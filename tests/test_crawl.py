"""End to end: ``scrapy crawl topic`` against the demo site plus hostile fixtures, twice."""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from newscrawl.demo.site import DemoArticle, DemoSite, Page, RunningSite, serve
from newscrawl.querymatch import QueryMatcher
from pipelines.clusters import list_clusters, member_text
from pipelines.database import open_database
from pipelines.extract import ExtractConfig, extract_article
from pipelines.models import Article, CrawlRun
from tests.crawling import ROOT, topic_crawl_command, write_sources

KURSK_FAMILY = "kursk-dprk-interview"

BROKEN_MARKUP = (
    "<html><head><title>Kursk farmers count the cost of a wet spring</title>"
    "<body><div class=article><h1>Kursk farmers count the cost of a wet spring"
    "<p>Farmers in the Kursk region say weeks of rain have delayed the sowing of sugar beet and "
    "sunflowers, and some fields may stay empty this year. <b>Agronomists at the regional "
    "ministry <i>estimate that a fifth of the planned area has not been sown"
    "<p>The delay matters because sugar beet needs a long season, and the region's two sugar "
    "refineries depend on local growers for most of their supply. One farmer near Oboyan said "
    "his tractors had been stuck in the mud for a fortnight."
    "<p>Officials promised compensation for growers who lose their harvest but gave no figure. "
    "Weather forecasters expect drier weather from next week, which could let farmers catch up "
    "if the soil dries quickly enough.</div><div class=footer>Read also: <a href=/>Home</a>"
)
GARBAGE_SITEMAP = """<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url><loc>{base}/hostile/broken-markup.html</loc>
    <news:news><news:publication><news:name>Hostile</news:name>
      <news:language>en</news:language></news:publication>
      <news:publication_date>yesterday-ish, 25:99</news:publication_date>
      <news:title>Kursk farmers count the cost of a wet spring</news:title></news:news></url>
</urlset>
"""


def hostile_feed(base: str) -> str:
    items = [
        ("Kursk binary", "binary.bin.html"),
        ("Kursk empty", "empty.html"),
        ("Kursk report as PDF", "report.pdf"),
        ("Kursk gone", "missing.html"),
        ("Kursk menu only", "menu-only.html"),
    ]
    rendered = "".join(
        f"<item><title>{title}</title><link>{base}/hostile/{path}</link></item>"
        for title, path in items
    )
    channel = f"<channel><title>Hostile</title>{rendered}</channel>"
    return f'<?xml version="1.0"?><rss version="2.0">{channel}</rss>'


def add_hostile_pages(site: DemoSite, base: str) -> None:
    html = "text/html; charset=utf-8"
    site.extra_pages.update(
        {
            "/hostile/rss.xml": Page(200, "application/rss+xml", hostile_feed(base).encode()),
            "/hostile/not-a-feed.xml": Page(200, "application/rss+xml", b"<html>oops {not xml"),
            "/hostile/garbage-sitemap.xml": Page(
                200, "application/xml", GARBAGE_SITEMAP.format(base=base).encode()
            ),
            "/hostile/binary.bin.html": Page(200, "text/html", gzip.compress(b"\x00\x01" * 5000)),
            "/hostile/empty.html": Page(200, html, b""),
            "/hostile/report.pdf": Page(200, "application/pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"),
            "/hostile/menu-only.html": Page(
                200, html, b"<html><body><nav><a href=/>Kursk</a> <a href=/>Home</a></nav>"
            ),
            "/hostile/broken-markup.html": Page(200, html, BROKEN_MARKUP.encode()),
        }
    )


def hostile_sources(base: str) -> list[dict[str, str]]:
    return [
        {"name": "hostile-feed", "type": "feed", "url": f"{base}/hostile/rss.xml"},
        {"name": "not-a-feed", "type": "feed", "url": f"{base}/hostile/not-a-feed.xml"},
        {
            "name": "garbage-dates",
            "type": "news_sitemap",
            "url": f"{base}/hostile/garbage-sitemap.xml",
        },
        {"name": "unreachable", "type": "feed", "url": "http://127.0.0.1:1/feed.xml"},
    ]


@dataclass
class CrawlOutput:
    returncode: int
    log: str

    def stat(self, key: str) -> int:
        found = re.search(rf"'newscrawl/{re.escape(key)}': (\d+)", self.log)
        return int(found.group(1)) if found else 0


def run_crawl(
    tmp_path: Path,
    db_url: str,
    sources: list[dict[str, str]],
    *arguments: str,
    settings: dict[str, str] | None = None,
) -> CrawlOutput:
    sources_file = write_sources(tmp_path, sources)
    command = topic_crawl_command(db_url, sources_file, *arguments, **(settings or {}))
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    return CrawlOutput(done.returncode, done.stdout + done.stderr)


@pytest.fixture
def hostile_site() -> Iterator[tuple[DemoSite, RunningSite]]:
    """The demo site with hostile pages and listings added."""
    site = DemoSite()
    with serve(site) as running:
        add_hostile_pages(site, running.base_url)
        yield site, running


def stored_rows(db_url: str) -> dict[str, tuple[int, str]]:
    engine = open_database(db_url)
    with Session(engine) as session:
        rows = {a.url: (a.cluster_id, a.text_sha256) for a in session.scalars(select(Article))}
    engine.dispose()
    return rows


def story_of(site: DemoSite, base: str) -> dict[str, DemoArticle]:
    return {base + article.path: article for article in site.articles}


def test_crawl_groups_stores_once_skips_bad_input_and_recrawl_adds_nothing(
    tmp_path: Path, database_url: str, hostile_site: tuple[DemoSite, RunningSite]
) -> None:
    site, running = hostile_site
    base = running.base_url
    sources = site.sources(base) + hostile_sources(base)

    first = run_crawl(tmp_path, database_url, sources)
    assert first.returncode == 0, first.log[-3000:]
    # No item or callback failed (Scrapy's robots.txt middleware logs the unreachable host itself).
    assert "Error processing" not in first.log and "Spider error" not in first.log, first.log

    # Bad input: each logged and counted, none stored.
    assert first.stat("skipped/binary") == 1
    assert first.stat("skipped/empty") == 1
    assert first.stat("skipped/not_html") == 1
    assert first.stat("skipped/no_text") == 1
    assert first.stat("discovery/invalid_listing") == 1
    assert first.stat("discovery/unreachable") == 1
    assert first.stat("articles/fetch_failed") == 1
    assert "skipping listing" in first.log and "unreachable at http://127.0.0.1:1/" in first.log

    demo = story_of(site, base)
    matcher = QueryMatcher("Kursk")
    rows = stored_rows(database_url)
    hostile_urls = {u for u in rows if "/hostile/" in u}
    assert hostile_urls == {f"{base}/hostile/broken-markup.html"}
    stored_demo = {u: demo[u] for u in rows if u in demo}
    assert set(stored_demo) | hostile_urls == set(rows)
    assert all(matcher.matches(a.title, a.text) for a in stored_demo.values())
    unrelated = [a for a in demo.values() if not matcher.matches(a.title, a.text)]
    assert unrelated and not any(base + a.path in rows for a in unrelated)
    assert first.stat("stored/new") == len(rows)
    engine = open_database(database_url)
    with Session(engine) as session:
        [run] = session.scalars(select(CrawlRun)).all()
    engine.dispose()
    assert (run.query, run.status, run.articles_new) == ("Kursk", "finished", len(rows))
    assert run.finished_at is not None and run.pages_fetched > len(rows)

    # Grouping: the Kursk story's rewrites and its Russian original form one cluster, and every
    # cluster holds one story (the near-miss Kursk stories stay apart).
    engine = open_database(database_url)
    clusters = list_clusters(engine)
    by_url = {m.url: c for c in clusters for m in c.members}
    family = [base + a.path for a in demo.values() if a.story == KURSK_FAMILY]
    assert {demo[u].language for u in family} == {"en", "ru"} and len(family) >= 4
    kursk_cluster = by_url[family[0]]
    assert {by_url[u].id for u in family} == {kursk_cluster.id}
    # The Russian interview, published first, is the representative; the rest translate it.
    representative = kursk_cluster.members[0]
    assert representative.id == kursk_cluster.representative_id
    assert demo[representative.url].language == "ru"
    assert {m.match_kind for m in kursk_cluster.members[1:]} == {"translation"}
    for cluster in clusters:
        stories = {demo[m.url].story if m.url in demo else m.url for m in cluster.members}
        assert len(stories) == 1, f"cluster {cluster.id} mixes stories {stories}"
    rewrites_of_stories = {a.story for a in stored_demo.values()}
    assert len(clusters) >= len(rewrites_of_stories)

    # The windows-1251 page (charset only in <meta>) decoded right.
    cp1251 = [u for u, a in stored_demo.items() if a.outlet == "oblastnoy-kurier"]
    assert cp1251
    with Session(engine) as session:
        articles = list(session.scalars(select(Article)))
        texts = {a.url: member_text(engine, a.id) for a in articles}
        for article in articles:
            # Every member's text rebuilds exactly to what extraction produced from its page.
            page = site.render(urlsplit_path(article.url), base)
            html = page.body.decode(encoding_of(page, site, article.url))
            extracted = extract_article(html, article.url, ExtractConfig())
            assert texts[article.url] == extracted.text, article.url
    assert any("Курской" in texts[u] for u in cp1251)
    engine.dispose()

    # A second crawl: the first did not end cleanly (one article failed, one source was
    # unreachable), so every listing is read again in full; every article already stored is
    # recognised before it is fetched, and nothing changes.
    article_paths = {urlsplit_path(u) for u in rows}
    seen = len(running.requests)
    second = run_crawl(tmp_path, database_url, sources)
    assert second.returncode == 0, second.log[-3000:]
    assert second.stat("stored/new") == 0
    assert second.stat("discovery/not_modified") == 0
    assert second.stat("skipped/already_stored") == len(rows)
    assert not article_paths & set(running.requests[seen:])
    assert stored_rows(database_url) == rows


def test_unchanged_listings_cost_a_304_on_the_next_crawl(tmp_path: Path, demo_site) -> None:
    site = DemoSite()
    sources = site.sources(demo_site.base_url)
    db = f"sqlite:///{tmp_path / 'conditional.db'}"
    first = run_crawl(tmp_path, db, sources)
    assert first.returncode == 0 and first.stat("stored/new") > 0, first.log[-3000:]
    seen = len(demo_site.requests)
    second = run_crawl(tmp_path, db, sources)
    assert second.returncode == 0, second.log[-3000:]
    assert second.stat("discovery/not_modified") == len(sources)
    assert second.stat("stored/new") == 0 and second.stat("skipped/already_stored") == 0
    assert all("/20" not in path for path in demo_site.requests[seen:])  # no article page


def test_an_original_found_by_a_later_crawl_joins_and_leads_its_cluster(
    tmp_path: Path, database_url: str, demo_site
) -> None:
    site = DemoSite()
    base = demo_site.base_url
    demo = story_of(site, base)
    family = {base + a.path for a in demo.values() if a.story == KURSK_FAMILY}
    original = next(u for u in family if demo[u].language == "ru")

    # First crawl: feeds, sitemaps and Google News only; the Russian original is only on GDELT.
    first = run_crawl(
        tmp_path, database_url, site.sources(base), "sources=feed,news_sitemap,google_news"
    )
    assert first.returncode == 0, first.log[-3000:]
    engine = open_database(database_url)
    before = {m.url: c.id for c in list_clusters(engine) for m in c.members}
    assert original not in before
    [cluster_id] = {before[u] for u in family - {original}}

    second = run_crawl(tmp_path, database_url, site.sources(base))
    assert second.returncode == 0, second.log[-3000:]
    after = {c.id: c for c in list_clusters(engine)}
    cluster = after[cluster_id]
    assert {m.url for m in cluster.members} == family
    assert cluster.members[0].url == original and cluster.representative_id == cluster.members[0].id
    assert {m.match_kind for m in cluster.members[1:]} == {"translation"}
    assert any(m.changes.names_respelled for m in cluster.members[1:])
    # Nothing stored by the first crawl moved to another cluster.
    assert {
        u: c.id for c in after.values() for m in c.members for u in [m.url] if u in before
    } == before
    engine.dispose()


def urlsplit_path(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def encoding_of(page: Page, site: DemoSite, url: str) -> str:
    outlet = urlsplit_path(url).split("/")[1]
    return site.outlets[outlet].encoding if outlet in site.outlets else "utf-8"


def test_demo_command_prints_the_kursk_cluster(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    done = subprocess.run(
        [sys.executable, "-m", "newscrawl.cli", "demo", "--db", str(db)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert "articles stored: " in out and "storage ratio (this crawl): " in out
    block = next(b for b in out.split("\ncluster ") if "Pyongyang" in b or "Duty" in b)
    assert "Daily Pulse Wire" in block and "Metro Herald" in block
    assert "The Northern Ledger" in block

    listed = subprocess.run(
        [sys.executable, "-m", "newscrawl.cli", "clusters", "--db", str(db), "--format", "json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert listed.returncode == 0, listed.stderr
    clusters = json.loads(listed.stdout)
    assert clusters and all({"id", "members"} <= set(c) for c in clusters)
    member = clusters[0]["members"][0]
    assert {"url", "outlet", "title", "language", "published"} <= set(member)

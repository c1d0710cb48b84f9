"""JavaScript pages: rendered in Chromium (scrapy-playwright) when a source says so or when the
static page held no text, at most ``RENDER_MAX_PAGES`` times per crawl."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from newscrawl.demo.site import DemoSite, Page, serve
from pipelines.clusters import member_text
from pipelines.database import open_database
from pipelines.extract import ExtractConfig, NoArticle, extract_article, has_scripts
from pipelines.models import Article
from tests.conftest import service_unavailable
from tests.crawling import ROOT, topic_crawl_command, write_sources

CHROMIUM = os.environ.get("NEWSCRAWL_CHROMIUM") or "/usr/bin/chromium"

STORIES = {
    "a": [
        "Authorities in the Kursk region ordered the evacuation of three border villages on "
        "Monday after overnight shelling damaged a school and several homes, officials said.",
        "Buses left the village square shortly after dawn, carrying around four hundred residents "
        "to temporary shelters in the regional capital, where volunteers handed out blankets.",
    ],
    "b": [
        "Farmers in the Kursk region say weeks of rain have delayed the sowing of sugar beet and "
        "sunflowers, and some fields may stay empty this year, the regional ministry said.",
        "The delay matters because sugar beet needs a long season, and the region's two sugar "
        "refineries depend on local growers for most of their supply, one farmer explained.",
    ],
    "c": [
        "A new bridge over the Seym river near Kursk opened to traffic on Friday, two years "
        "after the old crossing was closed for repairs, the regional road agency announced.",
        "Drivers had faced a detour of more than forty kilometres while the work went on, and "
        "local businesses said the closure had cost them a large part of their trade.",
    ],
}


def script_page(title: str, paragraphs: list[str]) -> bytes:
    """A page whose article text exists only once its script has run (stored reversed)."""
    hidden = json.dumps([p[::-1] for p in paragraphs])
    html = f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>
</head><body><div id="app"><p>Loading…</p></div>
<script>
const parts = {hidden};
document.addEventListener("DOMContentLoaded", () => {{
  setTimeout(() => {{
    const body = parts.map(p => "<p>" + p.split("").reverse().join("") + "</p>").join("");
    document.getElementById("app").innerHTML =
      "<article><h1>{title}</h1>" + body + "</article>";
  }}, 50);
}});
</script></body></html>"""
    return html.encode()


def feed(base: str, items: list[tuple[str, str]]) -> bytes:
    entries = "".join(
        f"<item><title>{t}</title><link>{base}{path}</link></item>" for t, path in items
    )
    channel = f"<channel><title>JS</title>{entries}</channel>"
    return f'<?xml version="1.0"?><rss version="2.0">{channel}</rss>'.encode()


TITLES = {
    "a": "Kursk border villages evacuated",
    "b": "Kursk farmers count the cost of rain",
    "c": "Kursk bridge reopens",
}


def js_site() -> DemoSite:
    site = DemoSite()
    for key, paragraphs in STORIES.items():
        site.extra_pages[f"/js/{key}.html"] = Page(
            200, "text/html; charset=utf-8", script_page(TITLES[key], paragraphs)
        )
    return site


@pytest.fixture(scope="module")
def chromium() -> str:
    if not Path(CHROMIUM).is_file():
        service_unavailable(
            f"Chromium not found at {CHROMIUM}: apt-get install -y chromium (make install does)"
        )
    return CHROMIUM


def crawl(tmp_path: Path, db_url: str, sources: list[dict], **settings: str) -> tuple[int, str]:
    command = topic_crawl_command(db_url, write_sources(tmp_path, sources), **settings)
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    return done.returncode, done.stdout + done.stderr


def stat(log: str, key: str) -> int:
    found = re.search(rf"'newscrawl/{re.escape(key)}': (\d+)", log)
    return int(found.group(1)) if found else 0


def stored_texts(db_url: str) -> dict[str, str]:
    engine = open_database(db_url)
    with Session(engine) as session:
        ids = {a.url: a.id for a in session.scalars(select(Article))}
    texts = {url: member_text(engine, article_id) for url, article_id in ids.items()}
    engine.dispose()
    return texts


def test_script_pages_have_no_static_text() -> None:
    for key, paragraphs in STORIES.items():
        html = script_page(TITLES[key], paragraphs).decode()
        assert has_scripts(html)
        assert paragraphs[0] not in html
        with pytest.raises(NoArticle) as caught:
            extract_article(html, f"https://example.com/{key}", ExtractConfig())
        assert caught.value.reason == "no_text"


def test_has_scripts_ignores_data_blocks() -> None:
    assert not has_scripts('<html><script type="application/ld+json">{}</script></html>')
    assert not has_scripts("<html><body><p>static</p></body></html>")
    assert has_scripts('<html><script src="/app.js"></script></html>')
    assert has_scripts('<html><script type="module">go()</script></html>')


def test_crawl_renders_script_pages_within_the_limit(chromium: str, tmp_path: Path) -> None:
    site = js_site()
    with serve(site) as running:
        base = running.base_url
        site.extra_pages["/js/render-feed.xml"] = Page(
            200, "application/rss+xml", feed(base, [(TITLES["a"], "/js/a.html")])
        )
        site.extra_pages["/js/plain-feed.xml"] = Page(
            200,
            "application/rss+xml",
            feed(base, [(TITLES["b"], "/js/b.html"), (TITLES["c"], "/js/c.html")]),
        )
        sources = [
            {
                "name": "js-render",
                "type": "feed",
                "url": f"{base}/js/render-feed.xml",
                "render": True,
            },
            {"name": "js-plain", "type": "feed", "url": f"{base}/js/plain-feed.xml"},
        ]
        db_url = f"sqlite:///{tmp_path / 'render.db'}"
        returncode, log = crawl(tmp_path, db_url, sources, RENDER_MAX_PAGES="2")

    assert returncode == 0, log[-3000:]
    assert "Error processing" not in log and "Spider error" not in log, log[-5000:]
    assert stat(log, "render/requested/source") == 1, log[-3000:]
    assert stat(log, "render/requested/empty") == 1
    assert stat(log, "render/over_limit") == 1
    assert stat(log, "render/fetched") == 2
    assert stat(log, "render/failed") == 0
    assert stat(log, "skipped/no_text") == 1
    assert stat(log, "stored/new") == 2

    texts = stored_texts(db_url)
    url_a = f"{base}/js/a.html"
    assert url_a in texts
    for paragraph in STORIES["a"]:
        assert paragraph in texts[url_a]
    others = [u for u in texts if u != url_a]
    assert len(others) == 1
    key = others[0].rsplit("/", 1)[1].removesuffix(".html")
    assert all(p in texts[others[0]] for p in STORIES[key])


def test_a_browser_that_cannot_start_falls_back_to_static_fetches(tmp_path: Path) -> None:
    site = js_site()
    with serve(site) as running:
        base = running.base_url
        site.extra_pages["/js/render-feed.xml"] = Page(
            200, "application/rss+xml", feed(base, [(TITLES["a"], "/js/a.html")])
        )
        sources = [
            {
                "name": "js-render",
                "type": "feed",
                "url": f"{base}/js/render-feed.xml",
                "render": True,
            }
        ]
        launch = {"executable_path": str(tmp_path / "no-such-browser"), "args": ["--no-sandbox"]}
        db_url = f"sqlite:///{tmp_path / 'render.db'}"
        returncode, log = crawl(
            tmp_path, db_url, sources, PLAYWRIGHT_LAUNCH_OPTIONS=json.dumps(launch)
        )
    assert returncode == 0, log[-3000:]
    assert stat(log, "render/requested/source") == 1, log[-3000:]
    assert stat(log, "render/failed") == 1
    assert stat(log, "skipped/no_text") == 1  # fetched statically once, not rendered again
    assert stat(log, "stored/new") == 0

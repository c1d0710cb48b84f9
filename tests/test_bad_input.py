"""Bad input in a real crawl: each page logged and counted, none stored empty, the crawl goes on."""

from __future__ import annotations

import json
from pathlib import Path

from newscrawl.demo.site import DemoSite, Page, serve
from tests.test_render import crawl, feed, stat, stored_texts

RUSSIAN = (
    "<html><head><title>Курск: эвакуация</title></head><body><article><h1>Курск: эвакуация</h1>"
    "<p>Власти Курской области в понедельник объявили об эвакуации жителей трёх приграничных сёл "
    "после ночного обстрела, в результате которого пострадали школа и несколько домов.</p>"
    "<p>Автобусы с жителями отправились в областной центр рано утром, где волонтёры раздавали "
    "одеяла и горячую еду всем эвакуированным семьям, сообщили в администрации.</p>"
    "</article></body></html>"
)
FILLER = "<div class='teaser'><a href='/x'>Kursk news in brief</a></div>" * 600


def bad_pages() -> dict[str, Page]:
    html = "text/html; charset=utf-8"
    return {
        # charset only in the HTTP header, never in the page
        "/bad/koi8r.html": Page(200, "text/html; charset=koi8-r", RUSSIAN.encode("koi8-r")),
        # over EXTRACT_MAX_HTML_CHARS (set to 20 000 below)
        "/bad/too-large.html": Page(200, html, f"<html><body>{FILLER}</body></html>".encode()),
        # over DOWNLOAD_MAXSIZE (set to 100 000 below): the download is cancelled
        "/bad/too-big.html": Page(200, html, b"<html><body>" + b"<p>Kursk</p>" * 20_000),
        "/bad/photo.jpg": Page(200, "image/jpeg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" * 50),
        "/bad/data.html": Page(200, html, json.dumps({"kursk": list(range(200))}).encode()),
        "/bad/latin1-binary.html": Page(200, html, bytes(range(256)) * 20),
    }


def test_bad_pages_are_counted_and_never_stored(tmp_path: Path) -> None:
    site = DemoSite()
    site.extra_pages.update(bad_pages())
    with serve(site) as running:
        base = running.base_url
        items = [(f"Kursk {path}", path) for path in bad_pages()]
        site.extra_pages["/bad/feed.xml"] = Page(200, "application/rss+xml", feed(base, items))
        sources = [{"name": "bad", "type": "feed", "url": f"{base}/bad/feed.xml"}]
        db_url = f"sqlite:///{tmp_path / 'bad.db'}"
        returncode, log = crawl(
            tmp_path,
            db_url,
            sources,
            EXTRACT_MAX_HTML_CHARS="20000",
            DOWNLOAD_MAXSIZE="100000",
            DOWNLOAD_WARNSIZE="0",
        )

    assert returncode == 0, log[-3000:]
    assert "Error processing" not in log and "Spider error" not in log, log[-5000:]
    assert stat(log, "skipped/too_large") == 1, log[-3000:]
    assert stat(log, "articles/fetch_failed") == 1  # cancelled at DOWNLOAD_MAXSIZE
    assert stat(log, "skipped/not_html") == 1
    assert stat(log, "skipped/binary") == 1
    assert stat(log, "skipped/unparsable") == 1  # JSON served as text/html
    assert stat(log, "stored/new") == 1
    for path in ("too-large", "too-big", "photo.jpg", "data.html", "latin1-binary"):
        assert path in log  # each one logged
    texts = stored_texts(db_url)
    assert list(texts) == [f"{base}/bad/koi8r.html"]
    text = texts[f"{base}/bad/koi8r.html"]
    assert "Курской области" in text and "Автобусы" in text

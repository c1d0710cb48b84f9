"""A hostile web: robots.txt, crawl traps, slow and failing servers, private addresses.

One crawl of a trap site (the demo site plus ``/trap/`` routes) proves that the crawl finishes,
that each trap leaves a log line and a stats counter, that nothing is stored from the traps, that
robots.txt, the per-domain delay and Retry-After are honoured, and that pages behind a 5xx burst
or a 429 are retried and stored once. The private-address guard is tested on its own crawl.
"""

from __future__ import annotations

import gzip
import itertools
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from newscrawl.demo.site import DemoSite, Page, RunningSite, serve
from newscrawl.guards import is_public_address, resolve, retry_after_seconds
from tests.test_crawl import run_crawl, stored_rows

HTML = "text/html; charset=utf-8"
DOWNLOAD_TIMEOUT = 2
DOWNLOAD_DELAY = 0.25
SLOW_SECONDS = 5


def article_html(title: str, place: str) -> bytes:
    paragraphs = [
        f"Officials in the Kursk region said on Tuesday that {place} would reopen its market "
        "after weeks of repairs, and traders began unloading vegetables before dawn.",
        f"The head of the {place} district administration told reporters that the roof and the "
        "heating had been replaced and that the stalls now meet the fire inspectors' rules.",
        "Farmers from neighbouring villages said they had waited for the reopening since winter, "
        "because the nearest other market is more than forty kilometres away by a bad road.",
        "The regional government promised to pave that road by the autumn, although a similar "
        "promise made two years ago was never kept, several residents pointed out.",
    ]
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    page = (
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{title}</title></head>"
        f"<body><article><h1>{title}</h1>{body}</article></body></html>"
    )
    return page.encode()


class TrapSite(DemoSite):
    """The demo site plus stateful traps; every request is logged with its time."""

    def __init__(self) -> None:
        super().__init__()
        self.times: list[tuple[float, str]] = []
        self._lock = threading.Lock()
        self._hits: dict[str, int] = {}

    def _hit(self, path: str) -> int:
        with self._lock:
            self.times.append((time.monotonic(), path))
            self._hits[path] = self._hits.get(path, 0) + 1
            return self._hits[path]

    def render(self, path_with_query: str, base_url: str) -> Page:
        hits = self._hit(path_with_query)
        path = path_with_query.split("?", 1)[0]
        base = base_url.rstrip("/")
        if path == "/trap/loop-a.html":
            return Page(302, HTML, b"", (("Location", f"{base}/trap/loop-b.html"),))
        if path == "/trap/loop-b.html":
            return Page(302, HTML, b"", (("Location", "/trap/loop-a.html"),))
        if path.startswith("/trap/chain/"):  # an endless chain of new URLs
            step = int(path.rsplit("/", 1)[1].split(".")[0])
            return Page(301, HTML, b"", (("Location", f"/trap/chain/{step + 1}.html"),))
        if path == "/trap/slow.html":
            time.sleep(SLOW_SECONDS)
            return Page(200, HTML, article_html("Kursk slow", "Slowtown"))
        if path == "/trap/burst.html" and hits <= 2:
            return Page(503, "text/plain", b"busy")
        if path == "/trap/burst.html":
            return Page(200, HTML, article_html("Kursk market after a burst", "Oboyan"))
        if path == "/trap/limited.html" and hits == 1:
            return Page(429, "text/plain", b"slow down", (("Retry-After", "1"),))
        if path == "/trap/limited.html":
            return Page(200, HTML, article_html("Kursk market after a 429", "Lgov"))
        if path == "/trap/always-busy.html":
            return Page(503, "text/plain", b"busy", (("Retry-After", "3600"),))
        if path.startswith("/trap/calendar/"):
            return self._calendar(path, base)
        return super().render(path_with_query, base_url)

    def _calendar(self, path: str, base: str) -> Page:
        """A sitemap index per month linking the month before and after, without end."""
        year, month = map(int, path.rsplit("/", 1)[1].removesuffix(".xml").split("-"))
        index = year * 12 + month - 1
        links = "".join(
            f"<sitemap><loc>{base}/trap/calendar/{i // 12}-{i % 12 + 1:02d}.xml</loc></sitemap>"
            for i in (index - 1, index + 1)
        )
        body = (
            '<?xml version="1.0"?><sitemapindex '
            f'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{links}</sitemapindex>'
        )
        return Page(200, "application/xml", body.encode())


TRAP_LEADS = {
    "private": "/private/drafts.html",
    "loop": "/trap/loop-a.html",
    "chain": "/trap/chain/0.html",
    "slow": "/trap/slow.html",
    "burst": "/trap/burst.html",
    "limited": "/trap/limited.html",
    "always-busy": "/trap/always-busy.html",
    "bomb": "/trap/bomb.html",
    "wrong-type": "/trap/wrong-type.html",
    "zero-byte": "/trap/zero.html",
}


def trap_feed(base: str) -> bytes:
    items = "".join(
        f"<item><title>Kursk {name}</title><link>{base}{path}</link></item>"
        for name, path in TRAP_LEADS.items()
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel>{items}</channel></rss>'.encode()


@pytest.fixture
def trap_site() -> Iterator[tuple[TrapSite, RunningSite]]:
    site = TrapSite()
    with serve(site) as running:
        base = running.base_url
        bomb = gzip.compress(b" " * (64 * 1024 * 1024), 9)  # 64 MB of spaces in ~64 KB
        site.extra_pages.update(
            {
                "/trap/rss.xml": Page(200, "application/rss+xml", trap_feed(base)),
                "/trap/bomb.html": Page(200, HTML, bomb, (("Content-Encoding", "gzip"),)),
                "/trap/wrong-type.html": Page(200, "image/png", article_html("Kursk", "Rylsk")),
                "/trap/zero.html": Page(200, HTML, b""),
            }
        )
        yield site, running


def test_trap_site_crawl_finishes_counts_each_trap_and_stores_only_real_articles(
    tmp_path: Path, trap_site: tuple[TrapSite, RunningSite]
) -> None:
    site, running = trap_site
    base = running.base_url
    sources = [
        {"name": "traps", "type": "feed", "url": f"{base}/trap/rss.xml"},
        {"name": "calendar", "type": "news_sitemap", "url": f"{base}/trap/calendar/2025-05.xml"},
    ]
    db = f"sqlite:///{tmp_path / 'traps.db'}"
    started = time.monotonic()
    crawl = run_crawl(
        tmp_path,
        db,
        sources,
        settings={
            "RETRY_TIMES": "2",
            "DOWNLOAD_TIMEOUT": str(DOWNLOAD_TIMEOUT),
            "DOWNLOAD_DELAY": str(DOWNLOAD_DELAY),
            "DOWNLOAD_DELAY_JITTER": "0",
            "DOWNLOAD_MAXSIZE": str(8 * 1024 * 1024),
            "DOWNLOAD_WARNSIZE": "0",
            "DEPTH_LIMIT": "3",
            "REDIRECT_MAX_TIMES": "4",
            "GUARD_PRIVATE_ADDRESSES": "True",  # on, with the test site allowed explicitly
            "GUARD_ALLOWED_HOSTS": "127.0.0.1",
            "RENDER_EMPTY_PAGES": "False",
        },
    )
    elapsed = time.monotonic() - started
    log = crawl.log
    assert crawl.returncode == 0, log[-4000:]
    assert "Traceback" not in log and "Spider error" not in log, log[-4000:]
    assert "'finish_reason': 'finished'" in log

    # Only the two real articles behind a 5xx burst and a 429 are stored, each once.
    assert set(stored_rows(db)) == {f"{base}/trap/burst.html", f"{base}/trap/limited.html"}
    assert crawl.stat("stored/new") == 2
    requests = [path for _, path in site.times]
    assert requests.count("/trap/burst.html") == 3  # two 503s, then the page
    assert "'retry/reason_count/503 Service Unavailable': 2" in log

    # robots.txt: the disallowed lead is never requested.
    assert not [p for p in requests if p.startswith("/private/")]
    assert "'robotstxt/forbidden': 1" in log
    assert "URLs not fetched: robots.txt forbids them" in log

    # Retry-After: the second request for the page comes at least the asked second later.
    limited = [t for t, p in site.times if p == "/trap/limited.html"]
    assert len(limited) == 2 and limited[1] - limited[0] >= 0.95
    assert crawl.stat("guard/retry_after_waited") == 1
    assert "waiting 1.0s as Retry-After asks" in log
    # A Retry-After beyond RETRY_AFTER_MAX_DELAY gives the page up instead of stalling the crawl.
    assert crawl.stat("guard/retry_after_gave_up") == 1
    assert "giving up on " in log and "always-busy" in log
    assert requests.count("/trap/always-busy.html") == 1  # and not retried at once either
    assert elapsed < 60

    # Redirect loop: dropped at the first repeat; an endless chain: at REDIRECT_MAX_TIMES.
    assert requests.count("/trap/loop-a.html") == 1 and requests.count("/trap/loop-b.html") == 1
    assert crawl.stat("guard/redirect_loop") == 1
    assert "redirect loop (" in log
    chain = [p for p in requests if p.startswith("/trap/chain/")]
    assert len(chain) == 5  # the first request and REDIRECT_MAX_TIMES=4 redirects
    assert crawl.stat("guard/redirect_too_long") == 1

    # Infinite calendar: followed DEPTH_LIMIT=3 levels deep, no further.
    calendar = {p for p in requests if p.startswith("/trap/calendar/")}
    assert 1 < len(calendar) <= 1 + 2 + 2 + 2
    assert "'depth/request_ignored_count':" in log
    assert "links not followed: deeper than DEPTH_LIMIT" in log

    # A slow server: the request times out after DOWNLOAD_TIMEOUT, counted and logged.
    assert "cannot fetch " + f"{base}/trap/slow.html" in log
    assert "TimeoutError" in log
    # A gzip bomb: refused once its decompressed size passes DOWNLOAD_MAXSIZE.
    assert "/trap/bomb.html" in log and "exceeded DOWNLOAD_MAXSIZE" in log
    # The spider counts every article a middleware refused: robots.txt, loop, chain, bomb.
    assert crawl.stat("articles/refused") == 4
    # Wrong Content-Type and a zero-byte body: skipped and counted.
    assert crawl.stat("skipped/not_html") == 1
    assert crawl.stat("skipped/empty") == 1

    # Per-domain delay: no two requests to the host closer than DOWNLOAD_DELAY (some slack).
    starts = sorted(t for t, _ in site.times)
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert min(gaps) >= DOWNLOAD_DELAY * 0.8, sorted(gaps)[:5]


def test_private_address_guard_refuses_loopback_unless_allowed(tmp_path: Path) -> None:
    site = TrapSite()
    with serve(site) as running:
        site.extra_pages["/trap/rss.xml"] = Page(
            200, "application/rss+xml", trap_feed(running.base_url)
        )
        sources = [{"name": "traps", "type": "feed", "url": f"{running.base_url}/trap/rss.xml"}]
        crawl = run_crawl(
            tmp_path,
            f"sqlite:///{tmp_path / 'guard.db'}",
            sources,
            settings={"GUARD_PRIVATE_ADDRESSES": "True"},
        )
    assert crawl.returncode == 0, crawl.log[-3000:]
    assert site.times == []  # not even robots.txt was asked for
    assert crawl.stat("guard/private_address") >= 1
    assert "resolves to non-public address 127.0.0.1" in crawl.log
    assert "URLs refused: non-public addresses" in crawl.log


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # cloud metadata
        ("100.64.0.1", False),  # carrier-grade NAT
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("::1", False),
        ("fe80::1", False),
        ("fd00::1", False),
        ("::ffff:127.0.0.1", False),  # IPv4-mapped loopback
        ("::ffff:10.0.0.1", False),
        ("8.8.8.8", True),
        ("2001:4860:4860::8888", True),
        ("::ffff:8.8.8.8", True),
    ],
)
def test_is_public_address(address: str, public: bool) -> None:
    assert is_public_address(address) is public


def test_resolve_names_and_literals() -> None:
    assert resolve("127.0.0.1") == ["127.0.0.1"]
    assert resolve("[::1]") == ["::1"]
    assert "127.0.0.1" in resolve("localhost") or "::1" in resolve("localhost")


def test_retry_after_values() -> None:
    assert retry_after_seconds("120") == 120.0
    assert retry_after_seconds(" 0 ") == 0.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past
    now = time.time()
    soon = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(now + 30))
    assert 28 <= (retry_after_seconds(soon, now=now) or 0) <= 31
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds("-5") is None


@pytest.mark.parametrize(
    "message",
    [
        "Forbidden by robots.txt",
        "Ignored response <200 http://127.0.0.1/trap/bomb.html> because its body exceeded "
        "DOWNLOAD_MAXSIZE",
    ],
)
def test_article_refused_by_a_middleware_is_counted_by_the_spider(message: str) -> None:
    import scrapy
    from scrapy.exceptions import IgnoreRequest
    from scrapy.utils.test import get_crawler
    from twisted.python.failure import Failure

    from newscrawl.sources import Lead
    from newscrawl.spiders.topic import TopicSpider

    crawler = get_crawler(TopicSpider)
    spider = TopicSpider(query="Kursk")
    spider._set_crawler(crawler)
    url = "http://127.0.0.1/trap/page.html"
    failure = Failure(IgnoreRequest(message))
    failure.request = scrapy.Request(url, cb_kwargs={"lead": Lead(url, "traps")})
    list(spider.article_failed(failure) or [])
    assert crawler.stats.get_value("newscrawl/articles/refused") == 1

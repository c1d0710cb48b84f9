"""Downloader middlewares that keep a crawl safe on a hostile web, each with a log line and a
``newscrawl/guard/*`` stats counter when it acts:

- :class:`PrivateAddressGuard` (opt-in, ``GUARD_PRIVATE_ADDRESSES``): refuses URLs whose host
  resolves to a private, loopback, link-local, multicast or reserved address, for deployments
  that crawl user-supplied feeds; ``GUARD_ALLOWED_HOSTS`` lets named hosts (tests, an intranet
  feed) through. Redirect targets are checked again, since they are new requests.
- :class:`DomainPageCap`: at most ``DOMAIN_MAX_PAGES`` requests per host and crawl (a crawl trap
  that invents endless URLs on one site ends there).
- :class:`RedirectGuard`: a redirect back to a URL already on the request's redirect chain is a
  loop and is dropped at once; a chain longer than ``REDIRECT_MAX_TIMES`` is counted and logged
  (Scrapy drops it at debug level only).
- :class:`RetryAfterMiddleware`: a 429 or 503 answer with ``Retry-After`` holds back every request
  to that host for the time asked (up to ``RETRY_AFTER_MAX_DELAY`` seconds), then asks again, at
  most ``RETRY_AFTER_MAX_TIMES`` times. Scrapy's own RetryMiddleware retries at once and ignores
  the header.
- :class:`GuardReport`: at the end of a crawl, one warning line per kind of thing that was
  refused or dropped (robots.txt, depth limit, guards), so they are not only in the stats dump.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import time
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Response

logger = logging.getLogger(__name__)

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


def _count(crawler: Crawler, key: str) -> None:
    assert crawler.stats is not None
    crawler.stats.inc_value(f"newscrawl/guard/{key}")


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def is_public_address(address: str) -> bool:
    """True for an address on the public internet (not private, loopback, link-local, …)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def resolve(host: str) -> list[str]:
    """Every address ``host`` resolves to (an IP literal resolves to itself)."""
    try:
        return [str(ipaddress.ip_address(host.strip("[]")))]
    except ValueError:
        pass
    infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    return sorted({str(info[4][0]) for info in infos})


class PrivateAddressGuard:
    """Refuse requests to hosts that resolve to non-public addresses (opt-in)."""

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        if not settings.getbool("GUARD_PRIVATE_ADDRESSES"):
            raise NotConfigured
        self.crawler = crawler
        self.allowed = {h.lower() for h in settings.getlist("GUARD_ALLOWED_HOSTS")}
        self._verdicts: dict[str, str | None] = {}  # host -> why refused (None: allowed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PrivateAddressGuard:
        return cls(crawler)

    def _refusal(self, host: str) -> str | None:
        if host in self.allowed:
            return None
        if host not in self._verdicts:
            try:
                addresses = resolve(host)
            except (OSError, UnicodeError) as error:
                self._verdicts[host] = f"does not resolve ({error})"
            else:
                private = [a for a in addresses if not is_public_address(a)]
                self._verdicts[host] = (
                    f"resolves to non-public address {', '.join(private)}" if private else None
                )
        return self._verdicts[host]

    def process_request(self, request: Request) -> None:
        host = _host(request.url)
        if urlsplit(request.url).scheme not in ("http", "https"):
            return
        refusal = self._refusal(host)
        if refusal is not None:
            _count(self.crawler, "private_address")
            logger.warning("refusing %s: host %s %s", request.url, host, refusal)
            raise IgnoreRequest(f"refused: {host} {refusal}")


class DomainPageCap:
    """At most ``DOMAIN_MAX_PAGES`` requests per host in one crawl (0: no cap)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.cap = crawler.settings.getint("DOMAIN_MAX_PAGES")
        if self.cap <= 0:
            raise NotConfigured
        self._counts: dict[str, int] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DomainPageCap:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        host = _host(request.url)
        seen = self._counts.get(host, 0)
        if seen >= self.cap:
            _count(self.crawler, "domain_cap")
            if seen == self.cap:
                logger.warning(
                    "host %s reached DOMAIN_MAX_PAGES=%d: its further URLs are dropped",
                    host,
                    self.cap,
                )
                self._counts[host] = seen + 1
            raise IgnoreRequest(f"{host} reached DOMAIN_MAX_PAGES={self.cap}")
        self._counts[host] = seen + 1


class RedirectGuard:
    """Drop redirect loops at once; count and log chains longer than ``REDIRECT_MAX_TIMES``.

    Installed after Scrapy's RedirectMiddleware (a higher number), so it sees each redirect
    response first."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.max_times = crawler.settings.getint("REDIRECT_MAX_TIMES")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedirectGuard:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        if response.status not in REDIRECT_STATUSES or b"Location" not in response.headers:
            return response
        location = response.headers[b"Location"].decode("latin-1")
        target = urljoin(request.url, location)
        chain = [*request.meta.get("redirect_urls", []), request.url]
        if target in chain:
            _count(self.crawler, "redirect_loop")
            logger.warning(
                "dropping %s: redirect loop (%s)", chain[0], " -> ".join([*chain, target])
            )
            raise IgnoreRequest(f"redirect loop at {target}")
        if request.meta.get("redirect_times", 0) >= self.max_times:
            _count(self.crawler, "redirect_too_long")
            logger.warning(
                "dropping %s: more than REDIRECT_MAX_TIMES=%d redirects", chain[0], self.max_times
            )
            raise IgnoreRequest("max redirections reached")
        return response


def retry_after_seconds(value: str, now: float | None = None) -> float | None:
    """``Retry-After`` as seconds from now: delta-seconds or an HTTP date; None if unreadable."""
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment is None or moment.tzinfo is None:
        return None
    return max(0.0, moment.timestamp() - (time.time() if now is None else now))


class RetryAfterMiddleware:
    """Honour ``Retry-After`` on 429 and 503 answers, per host."""

    STATUSES = frozenset({429, 503})

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.max_delay = crawler.settings.getfloat("RETRY_AFTER_MAX_DELAY")
        self.max_times = crawler.settings.getint("RETRY_AFTER_MAX_TIMES")
        if self.max_times <= 0:
            raise NotConfigured
        self._not_before: dict[str, float] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterMiddleware:
        return cls(crawler)

    async def process_request(self, request: Request) -> None:
        wait = self._not_before.get(_host(request.url), 0.0) - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)

    def process_response(self, request: Request, response: Response) -> Request | Response:
        header = response.headers.get(b"Retry-After")
        if response.status not in self.STATUSES or header is None:
            return response
        delay = retry_after_seconds(header.decode("latin-1"))
        times = request.meta.get("retry_after_times", 0)
        host = _host(request.url)
        if delay is None or delay > self.max_delay or times >= self.max_times:
            _count(self.crawler, "retry_after_gave_up")
            logger.warning(
                "giving up on %s: %d with Retry-After %r (waited %d times, at most %d times "
                "and RETRY_AFTER_MAX_DELAY=%ss)",
                request.url,
                response.status,
                header.decode("latin-1"),
                times,
                self.max_times,
                self.max_delay,
            )
            request.meta["dont_retry"] = True  # asking again at once would ignore the server
            return response
        until = time.monotonic() + delay
        self._not_before[host] = max(self._not_before.get(host, 0.0), until)
        _count(self.crawler, "retry_after_waited")
        logger.info(
            "%s answered %d: waiting %.1fs as Retry-After asks before asking again",
            host,
            response.status,
            delay,
        )
        retry = request.replace(dont_filter=True)
        retry.meta["retry_after_times"] = times + 1
        return retry


class GuardReport:
    """Extension: one warning line per kind of refusal at the end of the crawl."""

    LINES = (
        ("robotstxt/forbidden", "URLs not fetched: robots.txt forbids them"),
        ("depth/request_ignored_count", "links not followed: deeper than DEPTH_LIMIT"),
        ("newscrawl/guard/private_address", "URLs refused: non-public addresses"),
        ("newscrawl/guard/domain_cap", "URLs dropped: their host reached DOMAIN_MAX_PAGES"),
        ("newscrawl/guard/redirect_loop", "URLs dropped: redirect loops"),
        ("newscrawl/guard/redirect_too_long", "URLs dropped: too many redirects"),
        ("newscrawl/guard/retry_after_gave_up", "URLs given up: Retry-After too long or too often"),
        ("retry/max_reached", "URLs given up after RETRY_TIMES retries"),
    )

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> GuardReport:
        extension = cls(crawler)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_closed(self, spider: Spider) -> None:
        assert self.crawler.stats is not None
        for key, meaning in self.LINES:
            value = self.crawler.stats.get_value(key)
            if value:
                logger.warning("%d %s (stats %s)", value, meaning, key)

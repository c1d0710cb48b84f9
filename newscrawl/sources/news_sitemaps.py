"""News sitemaps (``<news:news>``), read with the namespace that Scrapy's SitemapSpider drops."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

from lxml import etree
from scrapy.http import Response
from scrapy.utils.gz import gunzip

from newscrawl.sources.base import InvalidListing, Lead, ListingPage, Source

logger = logging.getLogger(__name__)

NS = {
    "sm": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "news": "http://www.google.com/schemas/sitemap-news/0.9",
}
_MAX_UNZIPPED = 50 * 1024 * 1024


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        recover=True, remove_comments=True, resolve_entities=False, no_network=True
    )


def parse_w3c_date(value: str | None) -> datetime | None:
    """A sitemap date (W3C datetime: a day, or a time with zone) as an aware datetime (UTC when
    no zone is given); ``None`` if it is not one."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        logger.debug("ignoring sitemap date %r", value)
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _text(node: etree._Element, path: str) -> str | None:
    found = node.findtext(path, namespaces=NS)
    return found.strip() if found and found.strip() else None


def parse_news_sitemap(body: bytes, source: str) -> Iterator[Lead | ListingPage]:
    """Leads from a news sitemap, or the child sitemaps of a sitemap index."""
    if body[:2] == b"\x1f\x8b":
        body = gunzip(body, max_size=_MAX_UNZIPPED)
    try:
        root = etree.fromstring(body, parser=_parser()) if body.strip() else None
    except etree.XMLSyntaxError as error:
        raise InvalidListing(f"not XML: {error}") from None
    if root is None:
        raise InvalidListing("not XML")
    tag = etree.QName(root).localname
    if tag == "sitemapindex":
        for loc in root.iterfind("sm:sitemap/sm:loc", NS):
            if loc.text and loc.text.strip():
                yield ListingPage(loc.text.strip())
        return
    if tag != "urlset":
        raise InvalidListing(f"not a sitemap: root element <{tag}>")
    for url in root.iterfind("sm:url", NS):
        loc = _text(url, "sm:loc")
        if not loc:
            continue
        news = url.find("news:news", NS)
        if news is None:
            yield Lead(url=loc, source=source, published=parse_w3c_date(_text(url, "sm:lastmod")))
            continue
        yield Lead(
            url=loc,
            source=source,
            title=_text(news, "news:title"),
            summary=_text(news, "news:keywords"),
            published=parse_w3c_date(_text(news, "news:publication_date")),
            language=_text(news, "news:publication/news:language"),
        )


class NewsSitemapSource(Source):
    """An outlet's news sitemap (or sitemap index); entries are filtered by the query."""

    type = "news_sitemap"

    def listing_urls(self, query: str, since: datetime | None) -> Iterable[str]:
        return [self.url]

    def parse(self, response: Response) -> Iterator[Lead | ListingPage]:
        yield from parse_news_sitemap(response.body, self.name)

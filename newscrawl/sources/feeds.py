"""RSS and Atom feeds of outlets, read with feedparser."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

import feedparser
from scrapy.http import Response

from newscrawl.sources.base import InvalidListing, Lead, ListingPage, Source, datetime_from_struct


def parse_feed(body: bytes, source: str) -> Iterator[tuple[Any, Lead]]:
    """Each feed entry with its lead; ``InvalidListing`` for a body that is no feed."""
    parsed = feedparser.parse(body)
    if parsed.bozo and not parsed.entries:
        raise InvalidListing(f"not a feed: {parsed.get('bozo_exception')}")
    if not parsed.version and not parsed.entries:
        raise InvalidListing("not a feed: no RSS or Atom element (an HTML page?)")
    language = parsed.feed.get("language")
    for entry in parsed.entries:
        link = entry.get("link")
        if not link:
            continue
        yield (
            entry,
            Lead(
                url=link,
                source=source,
                title=entry.get("title"),
                summary=entry.get("summary"),
                published=datetime_from_struct(
                    entry.get("published_parsed") or entry.get("updated_parsed")
                ),
                language=language,
            ),
        )


class FeedSource(Source):
    """An outlet's RSS or Atom feed; its entries are filtered by the query."""

    type = "feed"

    def listing_urls(self, query: str, since: datetime | None) -> Iterable[str]:
        return [self.url]

    def parse(self, response: Response) -> Iterator[Lead | ListingPage]:
        for _entry, lead in parse_feed(response.body, self.name):
            yield lead

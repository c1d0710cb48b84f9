"""Google News RSS search (``/rss/search?q=…``): coverage of the query across outlets."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from datetime import datetime
from urllib.parse import urlencode

from scrapy.http import Response

from newscrawl.sources.base import Lead, ListingPage, Source
from newscrawl.sources.feeds import parse_feed


class GoogleNewsSource(Source):
    """Search results as RSS; options ``hl``, ``gl`` and ``ceid`` choose the edition."""

    type = "google_news"
    searches = True

    def listing_urls(self, query: str, since: datetime | None) -> Iterable[str]:
        params = {
            "q": query,
            "hl": self.options.get("hl", "en-US"),
            "gl": self.options.get("gl", "US"),
            "ceid": self.options.get("ceid", "US:en"),
        }
        return [f"{self.url}?{urlencode(params)}"]

    def parse(self, response: Response) -> Iterator[Lead | ListingPage]:
        for entry, lead in parse_feed(response.body, self.name):
            outlet = (entry.get("source") or {}).get("title")
            title = lead.title
            if outlet and title and title.endswith(f" - {outlet}"):
                title = title.removesuffix(f" - {outlet}")
            yield dataclasses.replace(lead, title=title)

"""The GDELT DOC 2.0 API (``mode=artlist&format=json``): coverage in many languages."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from urllib.parse import urlencode

from scrapy.http import Response

from newscrawl.sources.base import InvalidListing, Lead, ListingPage, Source

_SEENDATE = "%Y%m%dT%H%M%SZ"


def parse_seendate(value: str | None) -> datetime | None:
    """GDELT's ``seendate`` (``20250428T081500Z``) as a UTC datetime."""
    if not value:
        return None
    try:
        return datetime.strptime(value, _SEENDATE).replace(tzinfo=UTC)
    except ValueError:
        return None


class GdeltSource(Source):
    """Article lists for the query; option ``maxrecords`` (at most 250)."""

    type = "gdelt"
    searches = True

    def listing_urls(self, query: str, since: datetime | None) -> Iterable[str]:
        params = {
            "query": query,
            "mode": "artlist",
            "format": "json",
            "maxrecords": str(min(int(self.options.get("maxrecords", 250)), 250)),
            "sort": "datedesc",
        }
        if since is not None:
            params["startdatetime"] = since.astimezone(UTC).strftime("%Y%m%d%H%M%S")
        return [f"{self.url}?{urlencode(params)}"]

    def parse(self, response: Response) -> Iterator[Lead | ListingPage]:
        try:
            payload = json.loads(response.body)
        except ValueError as error:
            snippet = response.body[:120].decode("utf-8", "replace").strip()
            raise InvalidListing(f"GDELT answered with no JSON: {snippet!r}") from error
        if not isinstance(payload, dict):
            raise InvalidListing("GDELT answered with JSON that is not an object")
        for record in payload.get("articles") or []:
            if not isinstance(record, dict) or not record.get("url"):
                continue
            yield Lead(
                url=record["url"],
                source=self.name,
                title=record.get("title"),
                published=parse_seendate(record.get("seendate")),
            )

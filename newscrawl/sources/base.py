"""What every discovery source shares: the lead it yields and the contract it keeps."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from time import struct_time
from typing import Any, ClassVar

from scrapy.http import Response


@dataclass(frozen=True)
class Lead:
    """An article URL found by discovery, with what the listing said about it."""

    url: str
    source: str
    title: str | None = None
    summary: str | None = None
    published: datetime | None = None
    language: str | None = None


@dataclass(frozen=True)
class ListingPage:
    """Another listing to fetch for the same source (a child of a sitemap index, say)."""

    url: str


class InvalidListing(Exception):
    """A listing response that cannot be read (not XML, not JSON, an error page)."""


class Source(ABC):
    """A place that lists articles: a feed, a news sitemap, a search API.

    ``searches`` is True for sources that apply the query themselves (search engines); the
    spider filters the leads of the others by the query.
    """

    type: ClassVar[str]
    searches: ClassVar[bool] = False

    def __init__(self, name: str, url: str, options: Mapping[str, Any] | None = None) -> None:
        self.name = name
        self.url = url
        self.options = dict(options or {})

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} {self.url}>"

    @abstractmethod
    def listing_urls(self, query: str, since: datetime | None) -> Iterable[str]:
        """The first listing URLs to fetch for ``query``."""

    @abstractmethod
    def parse(self, response: Response) -> Iterator[Lead | ListingPage]:
        """Leads and further listings from one response; ``InvalidListing`` if unreadable."""


def datetime_from_struct(value: struct_time | None) -> datetime | None:
    """A UTC datetime from feedparser's parsed (UTC) time tuple."""
    if value is None:
        return None
    try:
        return datetime(*value[:6], tzinfo=UTC)
    except (TypeError, ValueError):
        return None

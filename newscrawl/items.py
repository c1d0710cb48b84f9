"""The items that pass through the item pipelines: a fetched page, then an extracted article."""

from __future__ import annotations

from dataclasses import dataclass, field

from newscrawl.sources import Lead
from pipelines.extract import ExtractedArticle
from pipelines.group import Document


@dataclass
class PageItem:
    """An article page as fetched, with the lead that pointed to it."""

    url: str
    html: str = field(repr=False)
    lead: Lead = field(repr=False)
    query: str
    rendered: bool = False  # fetched through a browser (scrapy-playwright)


@dataclass
class ArticleItem:
    """An extracted article; the fingerprint pipeline adds what grouping needs of it."""

    url: str
    lead: Lead
    query: str
    article: ExtractedArticle
    rendered: bool = False
    document: Document | None = None

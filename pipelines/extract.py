"""HTML → main text and metadata (trafilatura); a page without an article is refused, with why."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, time
from urllib.parse import urlsplit

import py3langid
import trafilatura

logger = logging.getLogger(__name__)

_DATE_PARAMS = {
    "extensive_search": True,
    "original_date": True,
    "outputformat": "%Y-%m-%dT%H:%M:%S%z",
}
_EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
_BINARY_SAMPLE = 4096
_LANGID_SAMPLE = 3000


@dataclass(frozen=True)
class ExtractConfig:
    """Limits on what counts as an article page."""

    min_text_chars: int = 250
    max_html_chars: int = 5_000_000


@dataclass(frozen=True)
class ExtractedArticle:
    """The main text of a page and what is known about it."""

    text: str
    title: str | None
    author: str | None
    published: datetime | None
    language: str | None
    outlet: str | None
    canonical_url: str | None


class NoArticle(Exception):
    """A page that holds no article worth storing; ``reason`` is a short stats key."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def looks_binary(html: str) -> bool:
    """True for bodies that are not text (NUL bytes or many control characters near the start)."""
    sample = html[:_BINARY_SAMPLE]
    if "\x00" in sample:
        return True
    controls = sum(1 for ch in sample if ch < " " and ch not in "\t\n\r\f")
    return controls > len(sample) // 20


def parse_date(value: str | None) -> datetime | None:
    """A plausible publication date from an ISO string: not before 1990, not in the future."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    aware = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    if not _EARLIEST <= aware <= datetime.now(UTC):
        return None
    return parsed


def choose_published(page: datetime | None, lead: datetime | None) -> datetime | None:
    """The page's own date when it has a time of day; else the listing's date, if any.

    A page date without a time is often a guess (from the URL's ``/2025/05/``, say), while feeds
    and sitemaps give the moment of publication. The result is time-zone aware (UTC if unsaid).
    """
    day_only = page is not None and page.tzinfo is None and page.time() == time(0)
    chosen = lead if page is None or (day_only and lead is not None) else page
    if chosen is None or chosen.tzinfo:
        return chosen
    return chosen.replace(tzinfo=UTC)


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of the text's language (py3langid)."""
    code, _score = py3langid.classify(text[:_LANGID_SAMPLE])
    return code or None


def extract_article(
    html: str,
    url: str | None,
    config: ExtractConfig,
    lead_published: datetime | None = None,
) -> ExtractedArticle:
    """Extract the article of one page, or raise ``NoArticle`` saying why there is none."""
    if not html.strip():
        raise NoArticle("empty", "the page has no content")
    if len(html) > config.max_html_chars:
        raise NoArticle("too_large", f"{len(html)} characters > {config.max_html_chars}")
    if looks_binary(html):
        raise NoArticle("binary", "the body is not text")
    document = trafilatura.bare_extraction(
        html,
        url=url,
        with_metadata=True,
        include_comments=False,
        date_extraction_params=_DATE_PARAMS,
    )
    text = (document.text or "").strip() if document else ""
    if len(text) < config.min_text_chars:
        raise NoArticle("no_text", f"{len(text)} characters of main text < {config.min_text_chars}")
    return ExtractedArticle(
        text=text,
        title=document.title or None,
        author=document.author or None,
        published=choose_published(parse_date(document.date), lead_published),
        language=detect_language(text),
        outlet=document.sitename or document.hostname or (urlsplit(url).hostname if url else None),
        canonical_url=document.url or None,
    )

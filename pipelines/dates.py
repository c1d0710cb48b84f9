"""Publication and modification dates: read from several sources, trusted in a fixed order.

Sources, most trusted first: htmldate's extensive search of the page (``htmldate``), the page's
JSON-LD ``datePublished``/``dateModified`` (``json_ld``), its ``article:published_time``/
``article:modified_time`` meta properties (``meta``), and the date the feed or news sitemap gave
(``listing``, publication only). The first source with a time of day wins; a date without one
(often a guess from the URL's ``/2025/05/``) yields to any later source that has a time, and is
kept only when none has. Dates before 1990 or in the future are rejected, never stored.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime, time
from email.utils import parsedate_to_datetime

import htmldate
from lxml.html import HtmlElement

logger = logging.getLogger(__name__)

EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
DATE_FORMAT = "%Y-%m-%dT%H:%M:%S%z"
SOURCES = ("htmldate", "json_ld", "meta", "listing")


def htmldate_params(original: bool) -> dict[str, object]:
    """htmldate's options: time and zone kept, 1990 to now; for the publication date, its
    extensive search (free text too). The last-modified date reads the markup only: searching
    the free text for the latest date costs more than the whole text extraction on some pages
    (dateparser) and mostly finds dates of other things."""
    return {
        "extensive_search": original,
        "original_date": original,
        "outputformat": DATE_FORMAT,
        "min_date": EARLIEST.replace(tzinfo=None),
        "max_date": datetime.now(UTC).replace(tzinfo=None),
    }


def parse_date(value: str | datetime | None) -> datetime | None:
    """A plausible date from an ISO (or RFC 2822) string: not before 1990, not in the future.

    A value without a zone stays naive (the caller decides what that means).
    """
    if not value:
        return None
    if isinstance(value, datetime):
        parsed: datetime | None = value
    else:
        text = value.strip()
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            try:
                parsed = parsedate_to_datetime(text)
            except (TypeError, ValueError, IndexError):
                return None
    assert parsed is not None
    if not EARLIEST <= as_aware(parsed) <= datetime.now(UTC):
        return None
    return parsed


def as_aware(value: datetime) -> datetime:
    """``value`` with UTC assumed when it has no zone."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def day_only(value: datetime) -> bool:
    """True for a date without a time of day (naive midnight)."""
    return value.tzinfo is None and value.time() == time(0)


def choose_date(
    candidates: Sequence[tuple[str, datetime | None]],
) -> tuple[datetime | None, str | None]:
    """The first candidate with a time of day, else the first day-only one; with its source.

    Candidates come most trusted first; the result is time-zone aware (UTC if unsaid).
    """
    present = [(source, value) for source, value in candidates if value is not None]
    timed = [(source, value) for source, value in present if not day_only(value)]
    chosen = timed[0] if timed else (present[0] if present else None)
    if chosen is None:
        return None, None
    return as_aware(chosen[1]), chosen[0]


def from_htmldate(value: str | None) -> datetime | None:
    """An htmldate answer, checked for plausibility; a bare January 1st is dropped too.

    Where it finds no usable date htmldate can fall back to a year seen somewhere in the page,
    answered as ``YYYY-01-01`` (even the year of a rejected future date): that is no date.
    """
    parsed = parse_date(value)
    if parsed is not None and day_only(parsed) and (parsed.month, parsed.day) == (1, 1):
        return None
    return parsed


def find_htmldate(tree: HtmlElement, url: str | None, original: bool) -> datetime | None:
    """htmldate's answer for the page (its copy of the tree), checked for plausibility."""
    try:
        found = htmldate.find_date(tree, url=url, **htmldate_params(original))  # type: ignore[arg-type]
    except Exception as error:  # a date is optional; never lose the article
        logger.debug("htmldate failed on %s: %s", url, error)
        return None
    return from_htmldate(found)

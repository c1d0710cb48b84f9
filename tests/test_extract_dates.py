"""Dates: fixture pages with a known date in each source, the order of trust, and rejection."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import htmldate
import pytest
import trafilatura.metadata

from pipelines.dates import choose_date, from_htmldate, parse_date
from pipelines.extract import ExtractConfig, extract_article
from pipelines.structured import page_facts

CONFIG = ExtractConfig()
URL = "https://ledger.example/world/kursk-evacuation"
PARAGRAPHS = [
    "Authorities in the Kursk region ordered the evacuation of three border villages on Monday "
    "after overnight shelling damaged a school and several homes, the regional governor said.",
    "Buses left the village square shortly after dawn, carrying around four hundred residents to "
    "temporary shelters in the regional capital, where volunteers handed out blankets and meals.",
    "Engineers were working to restore electricity by the evening, although the governor warned "
    "that repairs to the damaged substation could take several more days.",
]
MSK = timezone(timedelta(hours=3))
PUBLISHED = datetime(2025, 4, 28, 8, 15, tzinfo=MSK)
MODIFIED = datetime(2025, 4, 29, 10, 30, tzinfo=MSK)
LEAD = datetime(2025, 4, 28, 6, 0, tzinfo=UTC)


def page(head: str = "", byline: str = "") -> str:
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    return (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>Border villages evacuated</title>{head}</head><body><main><article>"
        f"<h1>Border villages evacuated</h1>{byline}{body}</article></main></body></html>"
    )


def json_ld(published: str, modified: str | None = None) -> str:
    article = {"@type": "NewsArticle", "headline": "Border villages evacuated"}
    article["datePublished"] = published
    if modified:
        article["dateModified"] = modified
    graph = {"@context": "https://schema.org", "@graph": [{"@type": "WebSite"}, article]}
    return f'<script type="application/ld+json">{json.dumps(graph)}</script>'


def meta(published: str, modified: str | None = None) -> str:
    tags = f'<meta property="article:published_time" content="{published}">'
    if modified:
        tags += f'<meta property="article:modified_time" content="{modified}">'
    return tags


JSON_LD_PAGE = page(json_ld(PUBLISHED.isoformat(), MODIFIED.isoformat()))
META_PAGE = page(meta(PUBLISHED.isoformat(), MODIFIED.isoformat()))
TEXT_DATE_PAGE = page(byline="<p class='byline'>By Anna Petrova, published 28 April 2025</p>")
UNDATED_PAGE = page()


@pytest.fixture
def without_htmldate(monkeypatch: pytest.MonkeyPatch) -> None:
    """htmldate finding nothing, so that the less trusted sources are reached."""
    monkeypatch.setattr(trafilatura.metadata, "find_date", lambda *a, **k: None)
    monkeypatch.setattr(htmldate, "find_date", lambda *a, **k: None)


def extract(html: str, lead: datetime | None = None):
    return extract_article(html, URL, CONFIG, lead_published=lead)


# --- each source on its own -------------------------------------------------------------------


@pytest.mark.parametrize("html", [JSON_LD_PAGE, META_PAGE], ids=["json-ld", "meta"])
def test_htmldate_reads_structured_dates_with_time_and_zone(html: str) -> None:
    article = extract(html, lead=LEAD)
    assert article.published == PUBLISHED
    assert article.published.utcoffset() == timedelta(hours=3)
    assert article.date_source == "htmldate"
    assert article.modified == MODIFIED
    assert article.modified_source == "htmldate"


def test_htmldate_extensive_search_finds_a_date_in_the_text() -> None:
    article = extract(TEXT_DATE_PAGE)
    assert article.published == datetime(2025, 4, 28, tzinfo=UTC)
    assert article.date_source == "htmldate"


def test_a_day_only_htmldate_date_yields_to_a_listing_time() -> None:
    article = extract(TEXT_DATE_PAGE, lead=LEAD)
    assert article.published == LEAD
    assert article.date_source == "listing"


@pytest.mark.usefixtures("without_htmldate")
def test_json_ld_when_htmldate_finds_nothing() -> None:
    article = extract(JSON_LD_PAGE, lead=LEAD)
    assert (article.published, article.date_source) == (PUBLISHED, "json_ld")
    assert (article.modified, article.modified_source) == (MODIFIED, "json_ld")


@pytest.mark.usefixtures("without_htmldate")
def test_meta_when_htmldate_and_json_ld_find_nothing() -> None:
    article = extract(META_PAGE, lead=LEAD)
    assert (article.published, article.date_source) == (PUBLISHED, "meta")
    assert (article.modified, article.modified_source) == (MODIFIED, "meta")


@pytest.mark.usefixtures("without_htmldate")
def test_json_ld_is_trusted_over_meta() -> None:
    other = datetime(2025, 4, 27, 23, 0, tzinfo=UTC)
    html = page(json_ld(PUBLISHED.isoformat()) + meta(other.isoformat()))
    article = extract(html)
    assert (article.published, article.date_source) == (PUBLISHED, "json_ld")


def test_listing_date_when_the_page_has_none() -> None:
    article = extract(UNDATED_PAGE, lead=LEAD)
    assert (article.published, article.date_source) == (LEAD, "listing")
    assert article.modified is None and article.modified_source is None


def test_no_date_anywhere() -> None:
    article = extract(UNDATED_PAGE)
    assert article.published is None and article.date_source is None


# --- rejection --------------------------------------------------------------------------------

FUTURE = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0)


@pytest.mark.parametrize(
    "bad", ["1985-04-28T08:15:00+03:00", FUTURE.isoformat()], ids=["before-1990", "future"]
)
@pytest.mark.parametrize("source", ["json_ld", "meta"])
def test_implausible_page_dates_are_rejected(source: str, bad: str) -> None:
    head = json_ld(bad) if source == "json_ld" else meta(bad)
    article = extract(page(head), lead=LEAD)
    assert article.published == LEAD and article.date_source == "listing"
    assert extract(page(head)).published is None


@pytest.mark.parametrize("lead", [datetime(1989, 12, 31, tzinfo=UTC), FUTURE])
def test_implausible_listing_dates_are_rejected(lead: datetime) -> None:
    article = extract(UNDATED_PAGE, lead=lead)
    assert article.published is None


def test_a_modified_date_not_after_publication_is_dropped() -> None:
    earlier = (PUBLISHED - timedelta(days=1)).isoformat()
    article = extract(page(meta(PUBLISHED.isoformat(), earlier)))
    assert article.published == PUBLISHED
    assert article.modified is None and article.modified_source is None


def test_a_page_without_modification_has_no_modified_date() -> None:
    article = extract(page(meta(PUBLISHED.isoformat())))
    assert article.published == PUBLISHED
    assert article.modified is None


# --- the pieces -------------------------------------------------------------------------------


def test_choose_date_prefers_the_first_source_with_a_time() -> None:
    day = datetime(2025, 4, 28)
    timed = datetime(2025, 4, 28, 9, 0, tzinfo=UTC)
    assert choose_date([("a", day), ("b", None), ("c", timed)]) == (timed, "c")
    assert choose_date([("a", timed), ("c", datetime(2025, 1, 1, 1, tzinfo=UTC))]) == (timed, "a")
    assert choose_date([("a", None), ("b", day)]) == (day.replace(tzinfo=UTC), "b")
    assert choose_date([("a", None)]) == (None, None)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-04-28T05:15:00Z", datetime(2025, 4, 28, 5, 15, tzinfo=UTC)),
        ("Mon, 28 Apr 2025 08:15:00 +0300", PUBLISHED),
        (" 2025-04-28T08:15:00+03:00 ", PUBLISHED),
        (PUBLISHED, PUBLISHED),
    ],
)
def test_parse_date_formats(value: str | datetime, expected: datetime) -> None:
    assert parse_date(value) == expected


def test_page_facts_reads_json_ld_graphs_and_meta() -> None:
    facts = page_facts(trafilatura.load_html(JSON_LD_PAGE))
    assert facts.json_ld_published == PUBLISHED.isoformat()
    assert facts.json_ld_modified == MODIFIED.isoformat()
    assert facts.language == "en"
    facts = page_facts(trafilatura.load_html(META_PAGE))
    assert facts.meta_published == PUBLISHED.isoformat()
    assert facts.meta_modified == MODIFIED.isoformat()
    assert facts.json_ld_published is None


def test_broken_json_ld_is_ignored() -> None:
    html = page('<script type="application/ld+json">{"datePublished": "2025-04-28T08:15</script>')
    assert page_facts(trafilatura.load_html(html)).json_ld_published is None
    assert extract(html).text


def test_a_year_guess_is_no_date() -> None:
    assert from_htmldate("2025-01-01T00:00:00") is None
    assert from_htmldate("2025-01-01T00:05:00") == datetime(2025, 1, 1, 0, 5)
    assert from_htmldate("2025-01-01T00:00:00+0000") == datetime(2025, 1, 1, tzinfo=UTC)
    assert from_htmldate("2025-04-28T00:00:00") == datetime(2025, 4, 28)

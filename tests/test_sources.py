"""Discovery sources: feeds, news sitemaps, GDELT, Google News and the sources file."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from scrapy.http import HtmlResponse, Response, TextResponse, XmlResponse

from newscrawl.sources import (
    SOURCE_TYPES,
    InvalidListing,
    Lead,
    ListingPage,
    Source,
    SourcesError,
    build_source,
    load_sources,
    select_sources,
)
from newscrawl.sources.feeds import FeedSource
from newscrawl.sources.gdelt import GdeltSource, parse_seendate
from newscrawl.sources.google_news import GoogleNewsSource
from newscrawl.sources.news_sitemaps import NewsSitemapSource, parse_w3c_date

SEEDS = Path(__file__).resolve().parent.parent / "seeds" / "sources.toml"

# --- fixtures: listing bodies -----------------------------------------------------------------

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0">
<channel>
  <title>Northern Ledger: World</title>
  <link>https://ledger.example/world</link>
  <description>World news</description>
  <language>en-gb</language>
  <item>
    <title>Border villages evacuated after Kursk shelling</title>
    <link>https://ledger.example/world/kursk-evacuation</link>
    <description>Three villages in the Kursk region were emptied on Monday.</description>
    <pubDate>Mon, 28 Apr 2025 08:15:00 +0300</pubDate>
    <guid>https://ledger.example/world/kursk-evacuation</guid>
  </item>
  <item>
    <title>An item without a link is skipped</title>
    <description>Nothing to fetch.</description>
  </item>
  <item>
    <title>Oil prices slide</title>
    <link>https://ledger.example/markets/oil</link>
    <pubDate>sometime last week</pubDate>
  </item>
</channel>
</rss>
"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="uk">
  <title>Південний вісник</title>
  <id>urn:uuid:feed</id>
  <updated>2025-04-28T09:00:00+03:00</updated>
  <entry>
    <title>Евакуація у Курській області</title>
    <link rel="alternate" href="https://visnyk.example/news/kursk"/>
    <id>urn:uuid:entry-1</id>
    <published>2025-04-28T08:15:00+03:00</published>
    <updated>2025-04-28T09:30:00+03:00</updated>
    <summary>Три прикордонні села евакуйовано.</summary>
  </entry>
  <entry>
    <title>Only updated</title>
    <link rel="alternate" href="https://visnyk.example/news/updated"/>
    <id>urn:uuid:entry-2</id>
    <updated>2025-04-27T22:00:00Z</updated>
  </entry>
</feed>
""".encode()

NEWS_SITEMAP = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url>
    <loc>https://ledger.example/world/kursk-evacuation</loc>
    <news:news>
      <news:publication>
        <news:name>Northern Ledger</news:name>
        <news:language>en</news:language>
      </news:publication>
      <news:publication_date>2025-04-28T08:15:00+03:00</news:publication_date>
      <news:title>Border villages evacuated after Kursk shelling</news:title>
      <news:keywords>Kursk, evacuation, Russia</news:keywords>
    </news:news>
  </url>
  <url>
    <loc>
      https://ledger.example/world/zulu
    </loc>
    <news:news>
      <news:publication><news:name>Northern Ledger</news:name>
        <news:language>ru</news:language></news:publication>
      <news:publication_date>2025-04-27T23:00:00Z</news:publication_date>
      <news:title>  </news:title>
    </news:news>
  </url>
  <url>
    <loc>https://ledger.example/about</loc>
    <lastmod>2025-04-20T10:00:00+00:00</lastmod>
  </url>
  <url>
    <news:news><news:title>No loc, skipped</news:title></news:news>
  </url>
</urlset>
"""

GARBAGE_DATES_SITEMAP = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url>
    <loc>https://ledger.example/a</loc>
    <news:news>
      <news:publication_date>last Tuesday</news:publication_date>
      <news:title>Kursk A</news:title>
    </news:news>
  </url>
  <url>
    <loc>https://ledger.example/b</loc>
    <news:news>
      <news:publication_date>2025-02-31T08:00:00Z</news:publication_date>
      <news:title>Kursk B</news:title>
    </news:news>
  </url>
  <url>
    <loc>https://ledger.example/c</loc>
    <lastmod>n/a</lastmod>
  </url>
</urlset>
"""

SITEMAP_INDEX = b"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>https://ledger.example/sitemaps/news-1.xml</loc></sitemap>
  <sitemap><loc> https://ledger.example/sitemaps/news-2.xml.gz </loc>
    <lastmod>2025-04-28</lastmod></sitemap>
  <sitemap><loc></loc></sitemap>
</sitemapindex>
"""

HTML_PAGE = b"""<!DOCTYPE html>
<html><head><title>Page not found</title></head>
<body><h1>404</h1><p>Sorry, we could not find that page.</p></body></html>
"""

GOOGLE_NEWS_RSS = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/">
<channel>
  <title>"Kursk" - Google News</title>
  <link>https://news.google.com/search?q=Kursk</link>
  <language>en-US</language>
  <description>Google News</description>
  <item>
    <title>Border villages evacuated after Kursk shelling - Northern Ledger</title>
    <link>https://news.google.com/rss/articles/CBMiAAA?oc=5</link>
    <guid isPermaLink="false">CBMiAAA</guid>
    <pubDate>Mon, 28 Apr 2025 05:15:00 GMT</pubDate>
    <description>&lt;a href="https://news.google.com/rss/articles/CBMiAAA"&gt;Border
      villages&lt;/a&gt;</description>
    <source url="https://ledger.example">Northern Ledger</source>
  </item>
  <item>
    <title>Kursk - Ledger - a dash inside - Southern Herald</title>
    <link>https://news.google.com/rss/articles/CBMiBBB?oc=5</link>
    <pubDate>Mon, 28 Apr 2025 06:00:00 GMT</pubDate>
    <source url="https://herald.example">Southern Herald</source>
  </item>
  <item>
    <title>Kursk governor speaks - Some Blog</title>
    <link>https://news.google.com/rss/articles/CBMiCCC?oc=5</link>
    <pubDate>Mon, 28 Apr 2025 07:00:00 GMT</pubDate>
    <source url="https://other.example">Another Outlet</source>
  </item>
  <item>
    <title>No source element - Outlet</title>
    <link>https://news.google.com/rss/articles/CBMiDDD?oc=5</link>
  </item>
</channel>
</rss>
"""

GDELT_JSON = {
    "articles": [
        {
            "url": "https://ledger.example/world/kursk-evacuation",
            "url_mobile": "",
            "title": "Border villages evacuated after Kursk shelling",
            "seendate": "20250428T081500Z",
            "socialimage": "",
            "domain": "ledger.example",
            "language": "English",
            "sourcecountry": "United Kingdom",
        },
        {"url": "https://visnyk.example/news/kursk", "title": "Курська область", "seendate": "bad"},
        {"title": "no url, skipped", "seendate": "20250428T081500Z"},
        "not a record",
        {"url": "", "title": "empty url, skipped"},
    ]
}


# --- helpers ----------------------------------------------------------------------------------


def xml_response(url: str, body: bytes) -> XmlResponse:
    return XmlResponse(url=url, body=body, encoding="utf-8")


def text_response(url: str, body: bytes) -> TextResponse:
    return TextResponse(url=url, body=body, encoding="utf-8")


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


# --- feeds ------------------------------------------------------------------------------------


@pytest.fixture
def feed() -> FeedSource:
    return FeedSource("ledger", "https://ledger.example/world/rss.xml")


def test_feed_listing_url_is_the_feed_itself(feed: FeedSource) -> None:
    since = datetime(2025, 4, 1, tzinfo=UTC)
    assert list(feed.listing_urls("Kursk", since)) == ["https://ledger.example/world/rss.xml"]
    assert feed.searches is False


def test_rss_feed_items_become_leads(feed: FeedSource) -> None:
    leads = list(feed.parse(xml_response(feed.url, RSS)))
    assert [lead.url for lead in leads] == [
        "https://ledger.example/world/kursk-evacuation",
        "https://ledger.example/markets/oil",
    ]
    first = leads[0]
    assert first == Lead(
        url="https://ledger.example/world/kursk-evacuation",
        source="ledger",
        title="Border villages evacuated after Kursk shelling",
        summary="Three villages in the Kursk region were emptied on Monday.",
        published=datetime(2025, 4, 28, 5, 15, tzinfo=UTC),
        language="en-gb",
    )
    assert first.published is not None and first.published.utcoffset() == timedelta(0)
    # an unreadable date is dropped, the lead is kept
    assert leads[1].title == "Oil prices slide"
    assert leads[1].published is None
    assert leads[1].language == "en-gb"


def test_atom_feed_entries_become_leads(feed: FeedSource) -> None:
    leads = list(feed.parse(xml_response(feed.url, ATOM)))
    assert len(leads) == 2
    first, second = leads
    assert first.url == "https://visnyk.example/news/kursk"
    assert first.title == "Евакуація у Курській області"
    assert first.summary == "Три прикордонні села евакуйовано."
    assert first.language == "uk"
    # <published> wins over <updated>, converted to UTC
    assert first.published == datetime(2025, 4, 28, 5, 15, tzinfo=UTC)
    assert first.published.tzinfo is UTC
    # without <published>, <updated> is used
    assert second.published == datetime(2025, 4, 27, 22, 0, tzinfo=UTC)


def test_empty_but_valid_feed_yields_nothing(feed: FeedSource) -> None:
    body = b'<rss version="2.0"><channel><title>Quiet</title></channel></rss>'
    assert list(feed.parse(xml_response(feed.url, body))) == []


@pytest.mark.parametrize(
    "body",
    [
        b'{"error": "rate limited"}',
        b"Service Unavailable",
        b"<rss>broken",
    ],
)
def test_body_that_is_no_feed_raises_invalid_listing(feed: FeedSource, body: bytes) -> None:
    with pytest.raises(InvalidListing, match="not a feed"):
        list(feed.parse(text_response(feed.url, body)))


def test_html_page_instead_of_feed_raises_invalid_listing(feed: FeedSource) -> None:
    with pytest.raises(InvalidListing):
        list(feed.parse(HtmlResponse(url=feed.url, body=HTML_PAGE, encoding="utf-8")))


# --- news sitemaps ----------------------------------------------------------------------------


@pytest.fixture
def sitemap() -> NewsSitemapSource:
    return NewsSitemapSource("ledger-news", "https://ledger.example/sitemaps/news.xml")


def test_news_sitemap_listing_url_is_the_sitemap(sitemap: NewsSitemapSource) -> None:
    assert list(sitemap.listing_urls("Kursk", None)) == [sitemap.url]


def test_news_sitemap_entries_become_leads(sitemap: NewsSitemapSource) -> None:
    leads = list(sitemap.parse(xml_response(sitemap.url, NEWS_SITEMAP)))
    assert all(isinstance(lead, Lead) for lead in leads)
    assert [lead.url for lead in leads] == [
        "https://ledger.example/world/kursk-evacuation",
        "https://ledger.example/world/zulu",  # white space around <loc> stripped
        "https://ledger.example/about",
    ]
    news, blank_title, plain = leads
    assert news.source == "ledger-news"
    assert news.title == "Border villages evacuated after Kursk shelling"
    assert news.summary == "Kursk, evacuation, Russia"  # keywords
    assert news.language == "en"
    assert news.published == datetime(2025, 4, 28, 8, 15, tzinfo=timezone(timedelta(hours=3)))
    assert news.published.utcoffset() == timedelta(hours=3)

    assert blank_title.title is None
    assert blank_title.language == "ru"
    assert blank_title.published == datetime(2025, 4, 27, 23, 0, tzinfo=UTC)

    # a plain sitemap entry gives only its <lastmod>
    assert plain.title is None and plain.summary is None and plain.language is None
    assert plain.published == datetime(2025, 4, 20, 10, 0, tzinfo=UTC)


def test_sitemap_with_garbage_dates_still_yields_leads(sitemap: NewsSitemapSource) -> None:
    leads = list(sitemap.parse(xml_response(sitemap.url, GARBAGE_DATES_SITEMAP)))
    assert [(lead.url, lead.title, lead.published) for lead in leads] == [
        ("https://ledger.example/a", "Kursk A", None),
        ("https://ledger.example/b", "Kursk B", None),
        ("https://ledger.example/c", None, None),
    ]


def test_gzipped_sitemap_is_unpacked(sitemap: NewsSitemapSource) -> None:
    body = gzip.compress(NEWS_SITEMAP)
    assert body[:2] == b"\x1f\x8b"
    response = Response(url="https://ledger.example/sitemaps/news.xml.gz", body=body)
    leads = list(sitemap.parse(response))
    assert [lead.url for lead in leads] == [
        lead.url for lead in sitemap.parse(xml_response(sitemap.url, NEWS_SITEMAP))
    ]
    assert leads[0].title == "Border villages evacuated after Kursk shelling"


def test_sitemap_index_yields_listing_pages(sitemap: NewsSitemapSource) -> None:
    found = list(sitemap.parse(xml_response(sitemap.url, SITEMAP_INDEX)))
    assert found == [
        ListingPage("https://ledger.example/sitemaps/news-1.xml"),
        ListingPage("https://ledger.example/sitemaps/news-2.xml.gz"),
    ]


def test_html_page_instead_of_sitemap_raises(sitemap: NewsSitemapSource) -> None:
    response = HtmlResponse(url=sitemap.url, body=HTML_PAGE, encoding="utf-8")
    with pytest.raises(InvalidListing, match="root element <html>"):
        list(sitemap.parse(response))


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"   \n",
        b"Service Unavailable",
        b'{"error": "not found"}',
        gzip.compress(b"plain text, gzipped"),
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    ],
)
def test_body_that_is_no_xml_raises(sitemap: NewsSitemapSource, body: bytes) -> None:
    with pytest.raises(InvalidListing, match="not XML"):
        list(sitemap.parse(Response(url=sitemap.url, body=body)))


def test_body_starting_with_nul_raises_invalid_listing(sitemap: NewsSitemapSource) -> None:
    with pytest.raises(InvalidListing):
        list(sitemap.parse(Response(url=sitemap.url, body=b"\x00\x00binary junk")))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-04-28T08:15:00Z", datetime(2025, 4, 28, 8, 15, tzinfo=UTC)),
        ("2025-04-28T08:15+02:00", datetime(2025, 4, 28, 6, 15, tzinfo=UTC)),
        (" 2025-04-28T08:15:00.5+00:00 ", datetime(2025, 4, 28, 8, 15, 0, 500000, tzinfo=UTC)),
        ("yesterday", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_w3c_date(value: str | None, expected: datetime | None) -> None:
    assert parse_w3c_date(value) == expected


def test_day_only_sitemap_date_is_time_zone_aware(sitemap: NewsSitemapSource) -> None:
    body = NEWS_SITEMAP.replace(b"2025-04-28T08:15:00+03:00", b"2025-04-28")
    lead = next(iter(sitemap.parse(xml_response(sitemap.url, body))))
    assert isinstance(lead, Lead)
    assert lead.published is not None
    assert lead.published.tzinfo is not None


# --- GDELT ------------------------------------------------------------------------------------


@pytest.fixture
def gdelt() -> GdeltSource:
    return GdeltSource("gdelt", "https://api.gdeltproject.org/api/v2/doc/doc")


def test_gdelt_listing_url_carries_the_query(gdelt: GdeltSource) -> None:
    (url,) = gdelt.listing_urls("Kursk evacuation", None)
    assert url.startswith("https://api.gdeltproject.org/api/v2/doc/doc?")
    assert "query=Kursk+evacuation" in url
    assert query_of(url) == {
        "query": ["Kursk evacuation"],
        "mode": ["artlist"],
        "format": ["json"],
        "maxrecords": ["250"],
        "sort": ["datedesc"],
    }
    assert gdelt.searches is True


def test_gdelt_since_becomes_startdatetime_in_utc(gdelt: GdeltSource) -> None:
    since = datetime(2025, 4, 28, 11, 30, 5, tzinfo=timezone(timedelta(hours=3)))
    (url,) = gdelt.listing_urls("Kursk", since)
    assert query_of(url)["startdatetime"] == ["20250428083005"]


@pytest.mark.parametrize(("option", "sent"), [(1000, "250"), ("75", "75"), (250, "250")])
def test_gdelt_maxrecords_is_capped_at_250(option: int | str, sent: str) -> None:
    source = GdeltSource("g", "https://api.example/doc", {"maxrecords": option})
    (url,) = source.listing_urls("Kursk", None)
    assert query_of(url)["maxrecords"] == [sent]


def test_gdelt_records_become_leads(gdelt: GdeltSource) -> None:
    body = json.dumps(GDELT_JSON, ensure_ascii=False).encode()
    leads = list(gdelt.parse(text_response("https://api.gdeltproject.org/x", body)))
    assert leads == [
        Lead(
            url="https://ledger.example/world/kursk-evacuation",
            source="gdelt",
            title="Border villages evacuated after Kursk shelling",
            published=datetime(2025, 4, 28, 8, 15, tzinfo=UTC),
        ),
        Lead(
            url="https://visnyk.example/news/kursk",
            source="gdelt",
            title="Курська область",
            published=None,
        ),
    ]


@pytest.mark.parametrize("body", [b"{}", b'{"articles": null}', b'{"articles": []}'])
def test_gdelt_without_articles_yields_nothing(gdelt: GdeltSource, body: bytes) -> None:
    assert list(gdelt.parse(text_response(gdelt.url, body))) == []


def test_gdelt_plain_text_error_raises_with_the_message(gdelt: GdeltSource) -> None:
    body = b"The specified phrase is too short.\n"
    with pytest.raises(InvalidListing, match="The specified phrase is too short"):
        list(gdelt.parse(text_response(gdelt.url, body)))


@pytest.mark.parametrize("body", [b"[1, 2]", b'"text"', b"42"])
def test_gdelt_json_that_is_not_an_object_raises(gdelt: GdeltSource, body: bytes) -> None:
    with pytest.raises(InvalidListing, match="not an object"):
        list(gdelt.parse(text_response(gdelt.url, body)))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("20250428T081500Z", datetime(2025, 4, 28, 8, 15, tzinfo=UTC)),
        ("20251231T235959Z", datetime(2025, 12, 31, 23, 59, 59, tzinfo=UTC)),
        ("2025-04-28T08:15:00Z", None),
        ("20250231T000000Z", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_seendate(value: str | None, expected: datetime | None) -> None:
    assert parse_seendate(value) == expected


# --- Google News ------------------------------------------------------------------------------


@pytest.fixture
def google() -> GoogleNewsSource:
    return GoogleNewsSource("google-news", "https://news.google.com/rss/search")


def test_google_news_default_edition(google: GoogleNewsSource) -> None:
    (url,) = google.listing_urls("Kursk", None)
    assert url == "https://news.google.com/rss/search?q=Kursk&hl=en-US&gl=US&ceid=US%3Aen"
    assert google.searches is True


def test_google_news_edition_options_and_encoded_query() -> None:
    source = GoogleNewsSource(
        "google-news-ru",
        "https://news.google.com/rss/search",
        {"hl": "ru", "gl": "RU", "ceid": "RU:ru"},
    )
    (url,) = source.listing_urls('"Kursk region" & evacuation', None)
    query = urlsplit(url).query
    assert " " not in query and '"' not in query
    assert "&evacuation" not in query  # the ampersand of the query is encoded
    assert query_of(url) == {
        "q": ['"Kursk region" & evacuation'],
        "hl": ["ru"],
        "gl": ["RU"],
        "ceid": ["RU:ru"],
    }


def test_google_news_cyrillic_query_is_percent_encoded_utf8(google: GoogleNewsSource) -> None:
    (url,) = google.listing_urls("Курск", None)
    assert url.isascii()
    assert "q=%D0%9A%D1%83%D1%80%D1%81%D0%BA&" in url
    assert query_of(url)["q"] == ["Курск"]


def test_google_news_strips_the_outlet_suffix(google: GoogleNewsSource) -> None:
    leads = list(google.parse(xml_response(google.url, GOOGLE_NEWS_RSS)))
    assert [lead.title for lead in leads] == [
        "Border villages evacuated after Kursk shelling",
        "Kursk - Ledger - a dash inside",  # only the outlet's own suffix goes
        "Kursk governor speaks - Some Blog",  # suffix is not the <source> outlet: kept
        "No source element - Outlet",  # no <source>: kept
    ]
    first = leads[0]
    assert first.url == "https://news.google.com/rss/articles/CBMiAAA?oc=5"
    assert first.source == "google-news"
    assert first.published == datetime(2025, 4, 28, 5, 15, tzinfo=UTC)
    assert first.language == "en-US"


@pytest.mark.parametrize("body", [b"Too many requests", b"<rss><channel><title>cut off"])
def test_google_news_error_body_raises(google: GoogleNewsSource, body: bytes) -> None:
    with pytest.raises(InvalidListing, match="not a feed"):
        list(google.parse(text_response(google.url, body)))


# --- the sources file -------------------------------------------------------------------------

SOURCES_TOML = """
[[source]]
name = "gdelt"
type = "gdelt"
url = "https://api.gdeltproject.org/api/v2/doc/doc"
maxrecords = 100

[[source]]
name = "google-news-ru"
type = "google_news"
url = "https://news.google.com/rss/search"
hl = "ru"
gl = "RU"
ceid = "RU:ru"

[[source]]
name = "ledger"
type = "feed"
url = "http://ledger.example/rss.xml"

[[source]]
name = "herald"
type = "feed"
url = "https://herald.example/rss.xml"

[[source]]
name = "ledger-news"
type = "news_sitemap"
url = "https://ledger.example/sitemaps/news.xml"
"""


@pytest.fixture
def sources_file(tmp_path: Path) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(SOURCES_TOML, encoding="utf-8")
    return path


def test_load_sources_builds_each_type(sources_file: Path) -> None:
    sources = load_sources(sources_file)
    assert [(type(s), s.name, s.url) for s in sources] == [
        (GdeltSource, "gdelt", "https://api.gdeltproject.org/api/v2/doc/doc"),
        (GoogleNewsSource, "google-news-ru", "https://news.google.com/rss/search"),
        (FeedSource, "ledger", "http://ledger.example/rss.xml"),
        (FeedSource, "herald", "https://herald.example/rss.xml"),
        (NewsSitemapSource, "ledger-news", "https://ledger.example/sitemaps/news.xml"),
    ]
    # everything except name, type and url is an option
    assert sources[0].options == {"maxrecords": 100}
    assert sources[1].options == {"hl": "ru", "gl": "RU", "ceid": "RU:ru"}
    assert sources[2].options == {}
    (url,) = sources[0].listing_urls("Kursk", None)
    assert query_of(url)["maxrecords"] == ["100"]


def test_the_shipped_sources_file_loads() -> None:
    sources = load_sources(SEEDS)
    assert sources
    assert {s.type for s in sources} <= set(SOURCE_TYPES)
    assert len({s.name for s in sources}) == len(sources)
    assert all(s.url.startswith(("http://", "https://")) for s in sources)


def test_file_without_sources_gives_none(tmp_path: Path) -> None:
    path = tmp_path / "empty.toml"
    path.write_text("# nothing yet\n", encoding="utf-8")
    assert load_sources(path) == []


def test_missing_sources_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(SourcesError, match="not found") as caught:
        load_sources(missing)
    assert str(missing) in str(caught.value)


def test_invalid_toml(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[[source]]\nname = "gdelt\n', encoding="utf-8")
    with pytest.raises(SourcesError, match="not valid TOML") as caught:
        load_sources(path)
    assert str(path) in str(caught.value)


def test_duplicate_names(tmp_path: Path) -> None:
    path = tmp_path / "dup.toml"
    path.write_text(
        SOURCES_TOML + '\n[[source]]\nname = "ledger"\ntype = "gdelt"\nurl = "https://g.example"\n',
        encoding="utf-8",
    )
    with pytest.raises(SourcesError, match=r"repeats source names: ledger$"):
        load_sources(path)


def test_unknown_type_lists_the_known_ones() -> None:
    with pytest.raises(SourcesError) as caught:
        build_source({"name": "x", "type": "twitter", "url": "https://x.example"})
    message = str(caught.value)
    assert "'twitter'" in message
    assert "feed, gdelt, google_news, news_sitemap" in message


@pytest.mark.parametrize("key", ["name", "type", "url"])
def test_missing_key(key: str) -> None:
    entry = {"name": "ledger", "type": "feed", "url": "https://ledger.example/rss.xml"}
    del entry[key]
    with pytest.raises(SourcesError, match=f"lacks '{key}'"):
        build_source(entry)


@pytest.mark.parametrize(
    "url", ["ftp://ledger.example/rss.xml", "ledger.example/rss.xml", "file:///tmp/rss.xml", ""]
)
def test_non_http_url(url: str) -> None:
    with pytest.raises(SourcesError, match="no http\\(s\\) URL"):
        build_source({"name": "ledger", "type": "feed", "url": url})


def test_unknown_type_in_file(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text('[[source]]\nname = "a"\ntype = "rss"\nurl = "https://a.example"\n')
    with pytest.raises(SourcesError, match="unknown type 'rss'"):
        load_sources(path)


@pytest.fixture
def loaded(sources_file: Path) -> list[Source]:
    return load_sources(sources_file)


def test_select_nothing_means_all(loaded: list[Source]) -> None:
    assert select_sources(loaded, []) == loaded
    assert select_sources(loaded, [" ", ""]) == loaded


def test_select_by_name(loaded: list[Source]) -> None:
    assert [s.name for s in select_sources(loaded, ["herald", "gdelt"])] == ["gdelt", "herald"]


def test_select_by_type(loaded: list[Source]) -> None:
    assert [s.name for s in select_sources(loaded, ["feed"])] == ["ledger", "herald"]
    chosen = select_sources(loaded, iter(["news_sitemap", " google-news-ru "]))
    assert [s.name for s in chosen] == ["google-news-ru", "ledger-news"]


def test_select_name_and_type_overlap_keeps_each_source_once(loaded: list[Source]) -> None:
    assert [s.name for s in select_sources(loaded, ["gdelt", "feed", "ledger"])] == [
        "gdelt",
        "ledger",
        "herald",
    ]


def test_unknown_selection_lists_what_is_available(loaded: list[Source]) -> None:
    with pytest.raises(SourcesError) as caught:
        select_sources(loaded, ["gdelt", "bing", "twitter"])
    message = str(caught.value)
    assert message.startswith("unknown sources bing, twitter; available: ")
    available = message.split("available: ")[1].split(", ")
    names = ["gdelt", "google-news-ru", "ledger", "herald", "ledger-news"]
    types = ["google_news", "feed", "news_sitemap"]
    assert available == sorted([*names, *types])

"""The offline demo news site: content, routes, feeds, sitemaps and fake search APIs."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit
from xml.etree import ElementTree

import feedparser
import pytest

from newscrawl.demo.site import DemoArticle, DemoSite, Page, RunningSite, serve
from newscrawl.querymatch import QueryMatcher

KURSK_STORY = "kursk-dprk-interview"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
ISO_WITH_ZONE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$")


@dataclass(frozen=True)
class Fetched:
    """One HTTP response as the tests see it."""

    status: int
    content_type: str
    body: bytes


@pytest.fixture(scope="module")
def site() -> DemoSite:
    """The demo site with one hostile page added through ``extra_pages``."""
    extra = {
        "/northern-ledger/rss.xml": Page(200, "application/rss+xml", b"<rss>broken"),
        "/hostile/empty.html": Page(200, "text/html", b"", (("X-Demo", "1"),)),
    }
    return DemoSite(extra_pages=extra)


@pytest.fixture(scope="module")
def plain_site() -> DemoSite:
    """The demo site as shipped."""
    return DemoSite()


@pytest.fixture(scope="module")
def running(plain_site: DemoSite) -> Iterator[RunningSite]:
    """The shipped site served on a free local port."""
    with serve(plain_site) as running_site:
        yield running_site


def fetch(url: str, method: str = "GET") -> Fetched:
    """GET (or HEAD) ``url``; HTTP errors are returned, not raised."""
    request = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return Fetched(response.status, response.headers["Content-Type"], response.read())
    except urllib.error.HTTPError as error:
        return Fetched(error.code, error.headers["Content-Type"], error.read())


def path_of(url: str) -> str:
    """The path part of ``url``."""
    return urlsplit(url).path


def outlet_paths(site: DemoSite, slug: str) -> set[str]:
    """URL paths of the outlet's articles."""
    return {a.path for a in site.articles if a.outlet == slug}


def kursk_family(site: DemoSite) -> list[DemoArticle]:
    """The articles labelled as the Kursk interview story."""
    return [a for a in site.articles if a.story == KURSK_STORY]


# --- content -------------------------------------------------------------------------------


def test_site_has_enough_outlets_articles_and_templates(plain_site: DemoSite) -> None:
    assert 6 <= len(plain_site.outlets) <= 8
    assert 20 <= len(plain_site.articles) <= 24
    assert len({o.template for o in plain_site.outlets.values()}) >= 4


def test_every_article_body_is_news_length(plain_site: DemoSite) -> None:
    lengths = {a.path: a.word_count for a in plain_site.articles}
    assert all(150 <= n <= 450 for n in lengths.values()), lengths


def test_kursk_family_has_one_russian_and_three_english_members(plain_site: DemoSite) -> None:
    family = kursk_family(plain_site)
    languages = sorted(a.language for a in family)
    assert languages.count("ru") == 1
    assert languages.count("en") >= 3
    russian = next(a for a in family if a.language == "ru")
    assert russian.search == ("gdelt",)
    assert "Ким Ен Ун" in russian.text
    assert russian.published == min(a.published for a in family)


def test_kursk_family_spells_the_researcher_differently(plain_site: DemoSite) -> None:
    english = " ".join(
        a.summary + " " + a.text for a in kursk_family(plain_site) if a.language == "en"
    )
    for spelling in ("Kim Chen Un", "Kim Yen Un", "Kim Yeon-un", "Kim Yong Un", "Kim Yeon Un"):
        assert spelling in english


def _shingles(text: str) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", text.casefold())
    return {tuple(words[i : i + 3]) for i in range(len(words) - 2)}


def _jaccard(a: str, b: str) -> float:
    first, second = _shingles(a), _shingles(b)
    return len(first & second) / len(first | second)


def test_english_kursk_members_are_near_duplicates_but_edited(plain_site: DemoSite) -> None:
    english = [a for a in kursk_family(plain_site) if a.language == "en"]
    for article in english:
        scores = [_jaccard(article.text, other.text) for other in english if other is not article]
        assert max(scores) >= 0.5, (article.path, scores)
        assert max(scores) < 0.9, (article.path, scores)


def test_different_stories_share_little_wording(plain_site: DemoSite) -> None:
    articles = plain_site.articles
    for i, first in enumerate(articles):
        for second in articles[i + 1 :]:
            if first.story != second.story:
                assert _jaccard(first.text, second.text) < 0.1, (first.path, second.path)


def test_unrelated_stories_do_not_mention_kursk(plain_site: DemoSite) -> None:
    matcher = QueryMatcher("Kursk")
    unrelated = [a for a in plain_site.articles if not matcher.matches(a.title, a.summary, a.text)]
    assert 4 <= len(unrelated) <= 6
    assert all("kursk" not in a.story for a in unrelated)


# --- pages ---------------------------------------------------------------------------------


def test_article_page_has_metadata_and_body(running: RunningSite, plain_site: DemoSite) -> None:
    article = next(a for a in kursk_family(plain_site) if a.outlet == "northern-ledger")
    page = fetch(running.base_url + article.path)
    assert page.status == 200
    assert page.content_type == "text/html; charset=utf-8"
    text = page.body.decode("utf-8")
    assert f'<link rel="canonical" href="{running.base_url}{article.path}">' in text
    assert f'content="{article.published.isoformat()}"' in text
    assert "Kim Yong Un" in text
    assert "Skip to content" in text


def test_windows_1251_page_names_its_charset_only_in_meta(
    running: RunningSite, plain_site: DemoSite
) -> None:
    article = next(
        a
        for a in plain_site.articles
        if a.outlet == "oblastnoy-kurier" and a.story.startswith("kursk")
    )
    page = fetch(running.base_url + article.path)
    assert page.content_type == "text/html"
    assert b'<meta charset="windows-1251">' in page.body
    with pytest.raises(UnicodeDecodeError):
        page.body.decode("utf-8")
    assert "Курской" in page.body.decode("windows-1251")


def test_pages_put_dates_in_different_places(running: RunningSite, plain_site: DemoSite) -> None:
    def first_page(slug: str) -> str:
        article = next(a for a in plain_site.articles if a.outlet == slug)
        return fetch(running.base_url + article.path).body.decode(plain_site.outlets[slug].encoding)

    assert 'property="article:published_time"' in first_page("northern-ledger")
    assert "<time " in first_page("metro-herald")
    jsonld = first_page("globe-bulletin")
    assert '"@type": "NewsArticle"' in jsonld
    assert "article:published_time" not in jsonld
    farm = first_page("daily-pulse-wire")
    assert "Posted on" in farm
    assert 'rel="canonical"' not in farm


def test_related_links_point_to_other_articles_of_the_outlet(
    running: RunningSite, plain_site: DemoSite
) -> None:
    article = next(a for a in plain_site.articles if a.outlet == "northern-ledger")
    text = fetch(running.base_url + article.path).body.decode("utf-8")
    related = re.search(r'<ul class="related-list">(.*?)</ul>', text, re.S)
    assert related is not None
    links = {path_of(u) for u in re.findall(r'href="([^"]+)"', related.group(1))}
    assert len(links) == 3
    assert links <= outlet_paths(plain_site, "northern-ledger") - {article.path}


def test_outlet_index_lists_its_articles(running: RunningSite, plain_site: DemoSite) -> None:
    text = fetch(running.base_url + "/metro-herald/").body.decode("utf-8")
    links = {path_of(u) for u in re.findall(r'href="([^"]+\.html)"', text)}
    assert outlet_paths(plain_site, "metro-herald") <= links


def test_head_sends_headers_without_body(running: RunningSite, plain_site: DemoSite) -> None:
    page = fetch(running.base_url + plain_site.articles[0].path, method="HEAD")
    assert page.status == 200
    assert page.body == b""


def test_unknown_paths_are_404(running: RunningSite) -> None:
    for path in (
        "/nowhere.html",
        "/northern-ledger/2025/04/missing.html",
        "/metro-herald/atom.xml",
    ):
        assert fetch(running.base_url + path).status == 404


def test_robots_txt_disallows_private_and_lists_sitemaps(
    running: RunningSite, plain_site: DemoSite
) -> None:
    text = fetch(running.base_url + "/robots.txt").body.decode("utf-8")
    assert "User-agent: *" in text
    assert "Disallow: /private/" in text
    sitemaps = re.findall(r"^Sitemap: (\S+)$", text, re.M)
    expected = {s for s, o in plain_site.outlets.items() if o.news_sitemap}
    assert {path_of(u).split("/")[1] for u in sitemaps} == expected


# --- feeds and sitemaps --------------------------------------------------------------------


@pytest.mark.parametrize(
    "slug", ["northern-ledger", "metro-herald", "oblastnoy-kurier", "daily-pulse-wire"]
)
def test_feed_lists_all_articles_of_its_outlet(
    running: RunningSite, plain_site: DemoSite, slug: str
) -> None:
    outlet = plain_site.outlets[slug]
    page = fetch(f"{running.base_url}/{slug}/{outlet.feed}.xml")
    assert page.status == 200
    feed = feedparser.parse(page.body)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version.startswith(outlet.feed)
    assert {path_of(e.link) for e in feed.entries} == outlet_paths(plain_site, slug)
    assert all(e.get("published_parsed") and e.get("summary") for e in feed.entries)


def test_windows_1251_feed_decodes_as_russian(running: RunningSite) -> None:
    feed = feedparser.parse(fetch(running.base_url + "/oblastnoy-kurier/rss.xml").body)
    assert feed.encoding.lower() in {"windows-1251", "cp1251"}
    assert any("Курской" in e.title for e in feed.entries)


def test_outlets_without_feed_have_none(running: RunningSite, plain_site: DemoSite) -> None:
    for slug, outlet in plain_site.outlets.items():
        if outlet.feed == "none":
            assert fetch(f"{running.base_url}/{slug}/rss.xml").status == 404
            assert fetch(f"{running.base_url}/{slug}/atom.xml").status == 404


def test_news_sitemap_has_news_entries_with_dates(
    running: RunningSite, plain_site: DemoSite
) -> None:
    page = fetch(running.base_url + "/globe-bulletin/news-sitemap.xml")
    assert page.status == 200
    root = ElementTree.fromstring(page.body)
    assert root.tag == f"{{{SITEMAP_NS}}}urlset"
    urls = root.findall(f"{{{SITEMAP_NS}}}url")
    locs = {path_of(u.findtext(f"{{{SITEMAP_NS}}}loc") or "") for u in urls}
    assert locs == outlet_paths(plain_site, "globe-bulletin")
    for url in urls:
        news = url.find(f"{{{NEWS_NS}}}news")
        assert news is not None
        assert news.findtext(f"{{{NEWS_NS}}}publication/{{{NEWS_NS}}}name") == "Globe Bulletin"
        assert news.findtext(f"{{{NEWS_NS}}}publication/{{{NEWS_NS}}}language") == "en"
        assert ISO_WITH_ZONE.match(news.findtext(f"{{{NEWS_NS}}}publication_date") or "")
        assert news.findtext(f"{{{NEWS_NS}}}title")


def test_sources_cover_feeds_sitemaps_and_search(
    running: RunningSite, plain_site: DemoSite
) -> None:
    sources = plain_site.sources(running.base_url)
    types = {s["type"] for s in sources}
    assert types == {"feed", "news_sitemap", "gdelt", "google_news"}
    assert {
        "name": "northern-ledger-rss",
        "type": "feed",
        "url": running.base_url + "/northern-ledger/rss.xml",
    } in sources
    for source in sources:
        if source["type"] in {"feed", "news_sitemap"}:
            assert fetch(source["url"]).status == 200, source


# --- fake search engines -------------------------------------------------------------------


def gdelt(running: RunningSite, **params: str) -> Fetched:
    """Query the fake GDELT DOC API."""
    defaults = {"query": "Kursk", "mode": "artlist", "format": "json", "maxrecords": "250"}
    return fetch(f"{running.base_url}/gdelt/api/v2/doc/doc?{urlencode(defaults | params)}")


def test_gdelt_returns_the_russian_original_and_no_unrelated_story(
    running: RunningSite, plain_site: DemoSite
) -> None:
    page = gdelt(running)
    assert page.status == 200
    records = json.loads(page.body)["articles"]
    by_path = {a.path: a for a in plain_site.articles}
    found = [by_path[path_of(r["url"])] for r in records]
    original = next(a for a in kursk_family(plain_site) if a.language == "ru")
    assert original in found
    assert all("gdelt" in a.search for a in found)
    assert {"moscow-weather-warmup", "storm-east-coast"}.isdisjoint(a.story for a in found)
    record = next(r for r in records if path_of(r["url"]) == original.path)
    assert record["language"] == "Russian"
    assert record["domain"] == "127.0.0.1"
    assert re.fullmatch(r"\d{8}T\d{6}Z", record["seendate"])
    assert set(record) == {
        "url",
        "url_mobile",
        "title",
        "seendate",
        "socialimage",
        "domain",
        "language",
        "sourcecountry",
    }


def test_gdelt_filters_by_start_date(running: RunningSite) -> None:
    records = json.loads(gdelt(running, startdatetime="20250501000000").body)["articles"]
    assert records
    assert all(r["seendate"] >= "20250501" for r in records)
    assert all("koreeved" not in r["url"] for r in records)


def test_gdelt_rejects_unknown_mode_and_format(running: RunningSite) -> None:
    for params in ({"mode": "timelinevol"}, {"format": "html"}, {"startdatetime": "yesterday"}):
        page = gdelt(running, **params)
        assert page.status == 400
        assert page.content_type.startswith("text/plain")


def test_google_news_filters_by_query(running: RunningSite, plain_site: DemoSite) -> None:
    url = f"{running.base_url}/gnews/rss/search?" + urlencode(
        {"q": "Kursk", "hl": "en-US", "gl": "US", "ceid": "US:en"}
    )
    feed = feedparser.parse(fetch(url).body)
    assert not feed.bozo
    by_path = {a.path: a for a in plain_site.articles}
    found = [by_path[path_of(e.link)] for e in feed.entries]
    assert found
    matcher = QueryMatcher("Kursk")
    assert all("gnews" in a.search and matcher.matches(a.title, a.text) for a in found)
    assert sum(a.story == KURSK_STORY for a in found) >= 2
    entry = feed.entries[0]
    outlet = plain_site.outlets[by_path[path_of(entry.link)].outlet]
    assert entry.title.endswith(f" - {outlet.name}")
    assert entry.source.title == outlet.name
    football = feedparser.parse(fetch(f"{running.base_url}/gnews/rss/search?q=cup+final").body)
    assert [by_path[path_of(e.link)].story for e in football.entries] == ["cup-final-riverside"]


# --- extra pages and the server ------------------------------------------------------------


def test_extra_pages_override_and_add_routes(site: DemoSite) -> None:
    with serve(site) as running_site:
        overridden = fetch(running_site.base_url + "/northern-ledger/rss.xml")
        added = fetch(running_site.base_url + "/hostile/empty.html")
    assert overridden.body == b"<rss>broken"
    assert overridden.content_type == "application/rss+xml"
    assert added.status == 200
    assert added.body == b""


def test_render_without_a_server(plain_site: DemoSite) -> None:
    page = plain_site.render("/robots.txt", "http://example.test/")
    assert page.status == 200
    assert b"Sitemap: http://example.test/northern-ledger/news-sitemap.xml" in page.body
    assert plain_site.render("/nowhere", "http://example.test").status == 404


def test_close_frees_the_server(plain_site: DemoSite) -> None:
    running_site = serve(plain_site)
    assert fetch(running_site.base_url + "/robots.txt").status == 200
    running_site.close()
    with pytest.raises(urllib.error.URLError):
        fetch(running_site.base_url + "/robots.txt")


def test_server_writes_nothing_to_stderr(
    running: RunningSite, capfd: pytest.CaptureFixture[str]
) -> None:
    fetch(running.base_url + "/robots.txt")
    fetch(running.base_url + "/missing")
    assert capfd.readouterr().err == ""


def test_outlet_without_trailing_slash_redirects(
    running: RunningSite, plain_site: DemoSite
) -> None:
    page = fetch(running.base_url + "/metro-herald")  # urllib follows the 301
    assert page.status == 200
    assert b"<h1>Metro Herald</h1>" in page.body
    direct = plain_site.render("/metro-herald", running.base_url)
    assert direct.status == 301
    assert ("Location", running.base_url + "/metro-herald/") in direct.headers

"""Serve the offline demo news site from ``seeds/demo/``.

The site holds a few fictional outlets (``outlets.toml``), their articles (plain-text files under
``articles/<outlet>/``) rendered through HTML templates (``templates/<name>.html``), each outlet's
RSS or Atom feed and Google-style news sitemap, plus fake versions of the GDELT DOC 2.0 API and of
Google News' RSS search. Everything is rendered on request from immutable data, so one
:class:`DemoSite` can answer many threads at once.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import threading
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from string import Template
from types import TracebackType
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape, quoteattr

from newscrawl.querymatch import QueryMatcher

DEMO_ROOT: Path = Path(__file__).resolve().parents[2] / "seeds" / "demo"

FEED_KINDS = ("rss", "atom", "none")
SEARCH_ENGINES = ("gdelt", "gnews")
LANGUAGE_NAMES = {
    "en": "English",
    "ru": "Russian",
    "uk": "Ukrainian",
    "de": "German",
    "fr": "French",
}
RU_MONTHS = (
    "января", "февраля", "марта", "апреля", "мая", "июня",
    "июля", "августа", "сентября", "октября", "ноября", "декабря",
)  # fmt: skip
EN_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
GDELT_SEEN_DELAY = timedelta(minutes=15)  # GDELT sees an article a little after it is published
GDELT_DEFAULT_RECORDS = 75
GDELT_MAX_RECORDS = 250
_OPERATOR = re.compile(r"\b\w+:\S*")  # search operators such as when:7d or sourcelang:english
_ORDERED_ITEM = re.compile(r"^\d+[.)]\s+")


@dataclass(frozen=True)
class Page:
    """One HTTP response: status, full Content-Type value, body and extra headers."""

    status: int
    content_type: str
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Outlet:
    """One fictional outlet, as described in ``outlets.toml``."""

    slug: str
    name: str
    language: str
    template: str
    encoding: str = "utf-8"
    charset_in_header: bool = True
    feed: str = "rss"
    news_sitemap: bool = True

    def content_type(self, mime: str) -> str:
        """The Content-Type header for ``mime`` in this outlet's encoding (or without charset)."""
        return f"{mime}; charset={self.encoding}" if self.charset_in_header else mime

    def encode(self, text: str) -> bytes:
        """``text`` in this outlet's encoding; characters it cannot hold become references."""
        return text.encode(self.encoding, errors="xmlcharrefreplace")


@dataclass(frozen=True)
class DemoArticle:
    """One parsed article file.

    ``paragraphs`` are the body's blocks as written: a plain paragraph, a ``## `` subheading,
    or a list whose lines start with ``- `` or ``1. ``; :attr:`text` strips that markup.
    """

    outlet: str
    slug: str
    title: str
    published: datetime
    author: str
    story: str
    search: tuple[str, ...]
    summary: str
    paragraphs: tuple[str, ...]
    path: str
    language: str = "en"

    @property
    def text(self) -> str:
        """The body as plain text, blocks separated by blank lines, list markers removed."""
        return "\n\n".join(block_text(block) for block in self.paragraphs)

    @property
    def word_count(self) -> int:
        """Number of whitespace-separated words in :attr:`text`."""
        return len(self.text.split())


# --- parsing -------------------------------------------------------------------------------


def block_text(block: str) -> str:
    """Plain text of one body block: list markers and heading marks removed."""
    lines = [_strip_marker(line) for line in block.splitlines()]
    return "\n".join(lines)


def _strip_marker(line: str) -> str:
    if line.startswith("## "):
        return line[3:]
    if line.startswith("- "):
        return line[2:]
    return _ORDERED_ITEM.sub("", line)


def load_outlets(root: Path) -> dict[str, Outlet]:
    """Read ``outlets.toml`` into outlets by slug, checking the enumerated fields."""
    data = tomllib.loads((root / "outlets.toml").read_text(encoding="utf-8"))
    outlets: dict[str, Outlet] = {}
    for entry in data.get("outlet", []):
        outlet = Outlet(**entry)
        if outlet.feed not in FEED_KINDS:
            raise ValueError(f"outlet {outlet.slug}: feed must be one of {FEED_KINDS}")
        "".encode(outlet.encoding)  # raises LookupError for an unknown codec
        outlets[outlet.slug] = outlet
    return outlets


def parse_article(text: str, outlet: Outlet, slug: str) -> DemoArticle:
    """Parse one article file: ``key: value`` headers, a ``---`` line, then the body."""
    head, separator, body = text.partition("\n---\n")
    if not separator:
        raise ValueError(f"{outlet.slug}/{slug}: no '---' line between headers and body")
    fields = _parse_headers(head)
    published = datetime.fromisoformat(fields["published"])
    if published.tzinfo is None:
        raise ValueError(f"{outlet.slug}/{slug}: 'published' needs a UTC offset")
    search = tuple(s.strip() for s in fields.get("search", "").split(",") if s.strip())
    unknown = set(search) - set(SEARCH_ENGINES)
    if unknown:
        raise ValueError(f"{outlet.slug}/{slug}: unknown search engines {sorted(unknown)}")
    blocks = tuple(b.strip() for b in re.split(r"\n\s*\n", body.strip()) if b.strip())
    return DemoArticle(
        outlet=outlet.slug,
        slug=slug,
        title=fields["title"],
        published=published,
        author=fields.get("author", ""),
        story=fields["story"],
        search=search,
        summary=fields.get("summary", ""),
        paragraphs=blocks,
        path=f"/{outlet.slug}/{published:%Y}/{published:%m}/{slug}.html",
        language=outlet.language,
    )


def _parse_headers(head: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in head.strip().splitlines():
        key, colon, value = line.partition(":")
        if not colon:
            raise ValueError(f"header line without ':': {line!r}")
        fields[key.strip().lower()] = value.strip()
    for required in ("title", "published", "story"):
        if required not in fields:
            raise ValueError(f"missing header {required!r}")
    return fields


def load_articles(root: Path, outlets: Mapping[str, Outlet]) -> list[DemoArticle]:
    """Every article of every outlet, newest first."""
    articles = []
    for slug, outlet in outlets.items():
        for file in sorted((root / "articles" / slug).glob("*.txt")):
            articles.append(parse_article(file.read_text(encoding="utf-8"), outlet, file.stem))
    articles.sort(key=lambda a: (a.published, a.path), reverse=True)
    return articles


# --- HTML ----------------------------------------------------------------------------------


def body_html(blocks: Iterable[str]) -> str:
    """The article body as HTML: paragraphs, ``<h2>`` subheadings, ``<ul>`` and ``<ol>`` lists."""
    return "\n".join(_block_html(block) for block in blocks)


def _block_html(block: str) -> str:
    lines = block.splitlines()
    if all(line.startswith("- ") for line in lines):
        return _list_html("ul", [line[2:] for line in lines])
    if all(_ORDERED_ITEM.match(line) for line in lines):
        return _list_html("ol", [_ORDERED_ITEM.sub("", line) for line in lines])
    if len(lines) == 1 and block.startswith("## "):
        return f"<h2>{html.escape(block[3:])}</h2>"
    return f"<p>{html.escape(' '.join(lines))}</p>"


def _list_html(tag: str, items: list[str]) -> str:
    rows = "".join(f"\n  <li>{html.escape(item)}</li>" for item in items)
    return f"<{tag}>{rows}\n</{tag}>"


def human_date(moment: datetime, language: str) -> str:
    """A byline date as a reader of ``language`` would see it, in the article's own zone."""
    if language == "ru":
        return f"{moment.day} {RU_MONTHS[moment.month - 1]} {moment.year}, {moment:%H:%M}"
    month = EN_MONTHS[moment.month - 1]
    return f"{month} {moment.day}, {moment.year}, {moment:%H:%M} {_utc_label(moment)}"


def _utc_label(moment: datetime) -> str:
    offset = moment.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{rest:02d}"


def jsonld_block(article: DemoArticle, outlet: Outlet, url: str) -> str:
    """A schema.org NewsArticle ``<script>`` block for the article."""
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": article.title,
        "description": article.summary,
        "datePublished": article.published.isoformat(),
        "dateModified": article.published.isoformat(),
        "inLanguage": outlet.language,
        "author": {"@type": "Person", "name": article.author},
        "publisher": {"@type": "Organization", "name": outlet.name},
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
    }
    text = json.dumps(data, ensure_ascii=False, indent=2).replace("</", "<\\/")
    return f'<script type="application/ld+json">\n{text}\n</script>'


def related_html(others: Iterable[DemoArticle], base_url: str) -> str:
    """A ``<ul>`` of links to other articles."""
    rows = "".join(
        f'\n  <li><a href="{html.escape(base_url + a.path)}">{html.escape(a.title)}</a></li>'
        for a in others
    )
    return f'<ul class="related-list">{rows}\n</ul>'


def html_page(title: str, body: str, charset: str = "utf-8", lang: str = "en") -> str:
    """A small plain HTML page (indexes, errors)."""
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="{charset}">\n'
        f"<title>{html.escape(title)}</title>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


# --- feeds, sitemaps, search ---------------------------------------------------------------


def xml_declaration(encoding: str) -> str:
    """The ``<?xml …?>`` line for a document in ``encoding``."""
    return f'<?xml version="1.0" encoding="{encoding}"?>\n'


def rss_item(article: DemoArticle, url: str, extra: str = "", title: str | None = None) -> str:
    """One RSS 2.0 ``<item>``."""
    return (
        "  <item>\n"
        f"    <title>{escape(title if title is not None else article.title)}</title>\n"
        f"    <link>{escape(url)}</link>\n"
        f"    <description>{escape(article.summary)}</description>\n"
        f"    <pubDate>{format_datetime(article.published)}</pubDate>\n"
        f'    <guid isPermaLink="true">{escape(url)}</guid>\n'
        f"{extra}"
        "  </item>\n"
    )


def rss_document(
    title: str, link: str, description: str, language: str, items: str, encoding: str
) -> str:
    """An RSS 2.0 document around already-rendered items."""
    return (
        xml_declaration(encoding)
        + '<rss version="2.0">\n<channel>\n'
        + f"  <title>{escape(title)}</title>\n  <link>{escape(link)}</link>\n"
        + f"  <description>{escape(description)}</description>\n"
        + f"  <language>{escape(language)}</language>\n"
        + items
        + "</channel>\n</rss>\n"
    )


def atom_document(outlet: Outlet, articles: list[DemoArticle], base_url: str) -> str:
    """The outlet's Atom feed."""
    home = f"{base_url}/{outlet.slug}/"
    updated = max((a.published for a in articles), default=datetime(2025, 1, 1, tzinfo=UTC))
    entries = "".join(_atom_entry(a, base_url) for a in articles)
    return (
        xml_declaration(outlet.encoding)
        + f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{outlet.language}">\n'
        + f"  <title>{escape(outlet.name)}</title>\n  <id>{escape(home)}</id>\n"
        + f'  <link rel="alternate" href={quoteattr(home)}/>\n'
        + f'  <link rel="self" href={quoteattr(home + "atom.xml")}/>\n'
        + f"  <updated>{updated.isoformat()}</updated>\n"
        + entries
        + "</feed>\n"
    )


def _atom_entry(article: DemoArticle, base_url: str) -> str:
    url = base_url + article.path
    return (
        "  <entry>\n"
        f"    <title>{escape(article.title)}</title>\n"
        f'    <link rel="alternate" href={quoteattr(url)}/>\n'
        f"    <id>{escape(url)}</id>\n"
        f"    <published>{article.published.isoformat()}</published>\n"
        f"    <updated>{article.published.isoformat()}</updated>\n"
        f"    <author><name>{escape(article.author)}</name></author>\n"
        f"    <summary>{escape(article.summary)}</summary>\n"
        "  </entry>\n"
    )


def news_sitemap(outlet: Outlet, articles: list[DemoArticle], base_url: str) -> str:
    """The outlet's Google news sitemap, listing every article."""
    urls = "".join(
        "  <url>\n"
        f"    <loc>{escape(base_url + a.path)}</loc>\n"
        "    <news:news>\n"
        "      <news:publication>\n"
        f"        <news:name>{escape(outlet.name)}</news:name>\n"
        f"        <news:language>{escape(outlet.language)}</news:language>\n"
        "      </news:publication>\n"
        f"      <news:publication_date>{a.published.isoformat()}</news:publication_date>\n"
        f"      <news:title>{escape(a.title)}</news:title>\n"
        "    </news:news>\n"
        "  </url>\n"
        for a in articles
    )
    return (
        xml_declaration("UTF-8")
        + '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
        + ' xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">\n'
        + urls
        + "</urlset>\n"
    )


def search_matcher(query: str) -> QueryMatcher | None:
    """A matcher for a search-engine query with its operators (``when:7d``…) dropped."""
    terms = _OPERATOR.sub(" ", query)
    try:
        return QueryMatcher(terms)
    except ValueError:
        return None


def gdelt_timestamp(value: str) -> datetime:
    """Parse GDELT's ``YYYYMMDDHHMMSS`` (UTC)."""
    return datetime.strptime(value, "%Y%m%d%H%M%S").replace(tzinfo=UTC)


def gdelt_record(article: DemoArticle, base_url: str, host: str) -> dict[str, str]:
    """One ``artlist`` record as the GDELT DOC 2.0 API returns it."""
    seen = article.published.astimezone(UTC) + GDELT_SEEN_DELAY
    return {
        "url": base_url + article.path,
        "url_mobile": "",
        "title": article.title,
        "seendate": f"{seen:%Y%m%dT%H%M%SZ}",
        "socialimage": "",
        "domain": host,
        "language": LANGUAGE_NAMES.get(article.language, article.language),
        "sourcecountry": "",
    }


def text_page(status: int, message: str) -> Page:
    """A plain-text response."""
    return Page(status, "text/plain; charset=utf-8", message.encode("utf-8"))


def not_found(path: str) -> Page:
    """The site's 404 page."""
    body = f"<h1>Page not found</h1>\n<p>Nothing lives at {html.escape(path)}.</p>"
    return Page(404, "text/html; charset=utf-8", html_page("Not found", body).encode("utf-8"))


# --- the site ------------------------------------------------------------------------------


class DemoSite:
    """The demo site's content and its routes; :meth:`render` answers one request."""

    def __init__(
        self, root: Path = DEMO_ROOT, extra_pages: Mapping[str, Page] | None = None
    ) -> None:
        self.root = root
        self.outlets: dict[str, Outlet] = load_outlets(root)
        self.articles: list[DemoArticle] = load_articles(root, self.outlets)
        self.templates: dict[str, Template] = {
            name: Template((root / "templates" / f"{name}.html").read_text(encoding="utf-8"))
            for name in {o.template for o in self.outlets.values()}
        }
        self.extra_pages: dict[str, Page] = dict(extra_pages or {})
        self._by_path = {a.path: a for a in self.articles}

    # public API

    def outlet_articles(self, slug: str) -> list[DemoArticle]:
        """The outlet's articles, newest first."""
        return [a for a in self.articles if a.outlet == slug]

    def sources(self, base_url: str) -> list[dict[str, str]]:
        """Every discovery source of the site: feeds, news sitemaps, GDELT and Google News."""
        base = base_url.rstrip("/")
        found: list[dict[str, str]] = []
        for slug, outlet in self.outlets.items():
            if outlet.feed != "none":
                url = f"{base}/{slug}/{outlet.feed}.xml"
                found.append({"name": f"{slug}-{outlet.feed}", "type": "feed", "url": url})
            if outlet.news_sitemap:
                url = f"{base}/{slug}/news-sitemap.xml"
                found.append({"name": f"{slug}-sitemap", "type": "news_sitemap", "url": url})
        found.append({"name": "gdelt", "type": "gdelt", "url": f"{base}/gdelt/api/v2/doc/doc"})
        found.append(
            {"name": "google-news", "type": "google_news", "url": f"{base}/gnews/rss/search"}
        )
        return found

    def render(self, path_with_query: str, base_url: str) -> Page:
        """The response for one GET of ``path_with_query``; a 404 page when nothing lives there."""
        base = base_url.rstrip("/")
        parts = urlsplit(path_with_query)
        path = parts.path or "/"
        extra = self.extra_pages.get(path_with_query) or self.extra_pages.get(path)
        if extra is not None:
            return extra
        query = parse_qs(parts.query)
        if path == "/":
            return self._home(base)
        if path == "/robots.txt":
            return self._robots(base)
        if path == "/gdelt/api/v2/doc/doc":
            return self._gdelt(query, base)
        if path == "/gnews/rss/search":
            return self._google_news(query, base)
        if path.startswith("/private/"):
            return self._private()
        if path in self._by_path:
            return self._article(self._by_path[path], base)
        return self._outlet_route(path, base)

    # routes

    def _outlet_route(self, path: str, base: str) -> Page:
        slug, _, rest = path.strip("/").partition("/")
        outlet = self.outlets.get(slug)
        if outlet is None:
            return not_found(path)
        if not path.startswith(f"/{slug}/"):
            return Page(301, "text/plain; charset=utf-8", b"", (("Location", f"{base}/{slug}/"),))
        if rest == "":
            return self._outlet_index(outlet, base)
        if rest == f"{outlet.feed}.xml" and outlet.feed == "rss":
            return self._rss(outlet, base)
        if rest == f"{outlet.feed}.xml" and outlet.feed == "atom":
            return self._atom(outlet, base)
        if rest == "news-sitemap.xml" and outlet.news_sitemap:
            return self._news_sitemap(outlet, base)
        return not_found(path)

    def _home(self, base: str) -> Page:
        rows = "".join(
            f'\n<li><a href="{base}/{slug}/">{html.escape(o.name)}</a></li>'
            for slug, o in self.outlets.items()
        )
        body = f"<h1>Demo news outlets</h1>\n<ul>{rows}\n</ul>"
        return Page(
            200, "text/html; charset=utf-8", html_page("Demo news outlets", body).encode("utf-8")
        )

    def _robots(self, base: str) -> Page:
        lines = ["User-agent: *", "Disallow: /private/", ""]
        lines += [
            f"Sitemap: {base}/{s}/news-sitemap.xml"
            for s, o in self.outlets.items()
            if o.news_sitemap
        ]
        return text_page(200, "\n".join(lines) + "\n")

    def _private(self) -> Page:
        body = "<h1>Internal drafts</h1>\n<p>Robots are asked not to fetch this page.</p>"
        return Page(200, "text/html; charset=utf-8", html_page("Drafts", body).encode("utf-8"))

    def _outlet_index(self, outlet: Outlet, base: str) -> Page:
        rows = "".join(
            f'\n<li><a href="{html.escape(base + a.path)}">{html.escape(a.title)}</a></li>'
            for a in self.outlet_articles(outlet.slug)
        )
        body = (
            f"<h1>{html.escape(outlet.name)}</h1>\n<ul>{rows}\n</ul>\n"
            f'<footer><a href="{base}/private/drafts.html">Staff</a></footer>'
        )
        page = html_page(outlet.name, body, charset=outlet.encoding, lang=outlet.language)
        return Page(200, outlet.content_type("text/html"), outlet.encode(page))

    def _article(self, article: DemoArticle, base: str) -> Page:
        outlet = self.outlets[article.outlet]
        url = base + article.path
        fields = {
            "charset": outlet.encoding,
            "lang": outlet.language,
            "title": html.escape(article.title),
            "outlet_name": html.escape(outlet.name),
            "author": html.escape(article.author),
            "published_iso": article.published.isoformat(),
            "published_human": human_date(article.published, outlet.language),
            "canonical_url": html.escape(url),
            "summary": html.escape(article.summary),
            "body_html": body_html(article.paragraphs),
            "related_html": related_html(self._related(article), base),
            "jsonld": jsonld_block(article, outlet, url),
        }
        page = self.templates[outlet.template].substitute(fields)
        return Page(200, outlet.content_type("text/html"), outlet.encode(page))

    def _related(self, article: DemoArticle, count: int = 3) -> list[DemoArticle]:
        siblings = self.outlet_articles(article.outlet)
        start = siblings.index(article)
        ordered = siblings[start + 1 :] + siblings[:start]
        return ordered[:count]

    def _rss(self, outlet: Outlet, base: str) -> Page:
        items = "".join(rss_item(a, base + a.path) for a in self.outlet_articles(outlet.slug))
        home = f"{base}/{outlet.slug}/"
        description = f"Latest news from {outlet.name}"
        text = rss_document(outlet.name, home, description, outlet.language, items, outlet.encoding)
        return Page(200, outlet.content_type("application/rss+xml"), outlet.encode(text))

    def _atom(self, outlet: Outlet, base: str) -> Page:
        text = atom_document(outlet, self.outlet_articles(outlet.slug), base)
        return Page(200, outlet.content_type("application/atom+xml"), outlet.encode(text))

    def _news_sitemap(self, outlet: Outlet, base: str) -> Page:
        text = news_sitemap(outlet, self.outlet_articles(outlet.slug), base)
        return Page(200, "application/xml; charset=utf-8", text.encode("utf-8"))

    def _gdelt(self, query: Mapping[str, list[str]], base: str) -> Page:
        mode = _param(query, "mode", "artlist").lower()
        fmt = _param(query, "format", "html").lower()
        if mode != "artlist":
            return text_page(400, f"Invalid mode: {mode}. This server supports mode=artlist only.")
        if fmt != "json":
            return text_page(400, f"Invalid format: {fmt}. This server supports format=json only.")
        matcher = search_matcher(_param(query, "query", ""))
        if matcher is None:
            return text_page(400, "The specified phrase is too short.")
        try:
            limit = min(
                int(_param(query, "maxrecords", str(GDELT_DEFAULT_RECORDS))), GDELT_MAX_RECORDS
            )
            start = _optional_timestamp(_param(query, "startdatetime", ""))
            end = _optional_timestamp(_param(query, "enddatetime", ""))
        except ValueError:
            return text_page(400, "Invalid maxrecords, startdatetime or enddatetime.")
        host = urlsplit(base).hostname or ""
        records = [
            gdelt_record(a, base, host)
            for a in self.articles
            if "gdelt" in a.search
            and (start is None or a.published >= start)
            and (end is None or a.published <= end)
            and matcher.matches(a.title, a.text)
        ]
        body = json.dumps({"articles": records[:limit]}, ensure_ascii=False, indent=1)
        return Page(200, "application/json; charset=utf-8", body.encode("utf-8"))

    def _google_news(self, query: Mapping[str, list[str]], base: str) -> Page:
        raw_query = _param(query, "q", "")
        matcher = search_matcher(raw_query)
        if matcher is None:
            return text_page(400, "Missing or empty search query (q=).")
        items = "".join(
            self._google_news_item(a, base)
            for a in self.articles
            if "gnews" in a.search and matcher.matches(a.title, a.text)
        )
        text = rss_document(
            f'"{raw_query}" - Google News',
            "https://news.google.com/",
            "Google News",
            "en-US",
            items,
            "UTF-8",
        )
        return Page(200, "application/xml; charset=utf-8", text.encode("utf-8"))

    def _google_news_item(self, article: DemoArticle, base: str) -> str:
        outlet = self.outlets[article.outlet]
        home = f"{base}/{outlet.slug}/"
        source = f"    <source url={quoteattr(home)}>{escape(outlet.name)}</source>\n"
        return rss_item(
            article, base + article.path, extra=source, title=f"{article.title} - {outlet.name}"
        )


def _param(query: Mapping[str, list[str]], name: str, default: str) -> str:
    values = query.get(name)
    return values[0].strip() if values else default


def _optional_timestamp(value: str) -> datetime | None:
    return gdelt_timestamp(value) if value else None


# --- the server ----------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    """A threading HTTP server that keeps quiet about clients hanging up."""

    daemon_threads = True
    site: DemoSite
    base_url: str
    requests: list[str]  # every path asked for, in order (tests read it)

    def handle_error(self, request: object, client_address: object) -> None:
        """Drop errors silently: a demo server must not write to stderr."""


class _Handler(BaseHTTPRequestHandler):
    """Answer GET and HEAD from the server's :class:`DemoSite`."""

    server: _Server
    server_version = "NewscrawlDemo/1.0"

    def do_GET(self) -> None:
        """Send the page with its body."""
        self._respond(with_body=True)

    def do_HEAD(self) -> None:
        """Send the page's headers only."""
        self._respond(with_body=False)

    def _respond(self, with_body: bool) -> None:
        try:
            page = self.server.site.render(self.path, self.server.base_url)
        except Exception as error:
            page = text_page(500, f"Internal error: {type(error).__name__}")
        etag = f'"{hashlib.sha1(page.body).hexdigest()[:16]}"' if page.status == 200 else None
        self.server.requests.append(self.path)
        if etag and self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        self.send_response(page.status)
        self.send_header("Content-Type", page.content_type)
        self.send_header("Content-Length", str(len(page.body)))
        if etag:
            self.send_header("ETag", etag)
        for name, value in page.headers:
            self.send_header(name, value)
        self.end_headers()
        if with_body:
            self.wfile.write(page.body)

    def log_message(self, format: str, *args: object) -> None:
        """Log nothing."""


class RunningSite:
    """A demo site served on a background thread; a context manager that closes it."""

    def __init__(self, server: _Server, thread: threading.Thread) -> None:
        self._server = server
        self._thread = thread
        host, port = server.server_address[:2]
        self.base_url: str = f"http://{host}:{port}"

    @property
    def requests(self) -> list[str]:
        """The paths requested so far, in order (conditional requests answered 304 included)."""
        return list(self._server.requests)

    def close(self) -> None:
        """Stop serving and free the port."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> RunningSite:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def serve(site: DemoSite, host: str = "127.0.0.1", port: int = 0) -> RunningSite:
    """Serve ``site`` on ``host:port`` (0 picks a free port) from a background thread."""
    server = _Server((host, port), _Handler)
    bound_host, bound_port = server.server_address[:2]
    server.site = site
    server.base_url = f"http://{bound_host}:{bound_port}"
    server.requests = []
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    return RunningSite(server, thread)

"""``newscrawl serve``: browse the clusters in a web browser (standard library only).

Pages: ``/`` the clusters (filters: query, language, outlet, minimum size; a search box),
``/clusters/ID`` one cluster (its spread chart, the representative's text, every member and what
it changed), ``/articles/ID`` one member's full text, ``/search?q=…`` full-text search, one result
per cluster. ``/api/clusters`` and ``/api/clusters/ID`` answer the same as JSON, and
``/clusters/ID/timeline.svg`` is the chart. Bind to 127.0.0.1 (the default) unless the network
should see the database.
"""

from __future__ import annotations

import html
import json
import logging
import re
from collections.abc import Sequence
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from newscrawl.api import NewsDatabase, SearchResult
from pipelines.changes import Changes
from pipelines.clusters import ClusterView, format_hours, format_span, format_time
from pipelines.models import Article
from pipelines.search import SearchSyntaxError, highlight_pattern, parse_query

logger = logging.getLogger(__name__)

STYLE = """
body { font-family: system-ui, sans-serif; margin: 0 auto; padding: 1em 2em; max-width: 1200px;
       color: #222; line-height: 1.45; }
header a { text-decoration: none; color: inherit; }
table { border-collapse: collapse; width: 100%; margin: .8em 0; }
th, td { border-bottom: 1px solid #ddd; padding: .35em .5em; text-align: left;
         vertical-align: top; }
th { background: #f4f4f4; }
td.num, td.when { text-align: right; white-space: nowrap; }
td.when { text-align: left; }
input[type=number] { width: 4em; }
form { margin: .6em 0; display: flex; gap: .5em; flex-wrap: wrap; align-items: center; }
input { padding: .3em; }
.text { white-space: pre-wrap; background: #fafafa; border: 1px solid #ddd; padding: 1em;
        max-height: 32em; overflow: auto; }
.muted { color: #666; font-size: .92em; }
.changes { margin: .2em 0 0 0; padding-left: 1.2em; font-size: .92em; }
.added { color: #176f2c; }
.rep { font-weight: bold; }
svg { max-width: 100%; height: auto; }
mark { background: #fff2a8; }
"""


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value))


def page(title: str, body: str) -> bytes:
    return (
        f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)} · newscrawl</title><style>{STYLE}</style></head>
<body><header><a href="/"><strong>newscrawl</strong></a> · clustered coverage</header>
<main>{body}</main></body></html>
"""
    ).encode()


def search_form(value: str = "") -> str:
    return (
        '<form action="/search" method="get" role="search">'
        f'<input type="search" name="q" value="{_e(value)}" size="40" '
        'placeholder="search every article (words, &quot;phrases&quot;)" aria-label="search">'
        "<button>Search</button></form>"
    )


def clusters_table(clusters: Sequence[ClusterView]) -> str:
    rows = "".join(
        f'<tr data-cluster="{c.id}"><td class="num"><a href="/clusters/{c.id}">{c.id}</a></td>'
        f'<td><a href="/clusters/{c.id}">{_e(c.title or "(untitled)")}</a></td>'
        f'<td class="num">{c.size}</td><td>{_e(", ".join(c.languages))}</td>'
        f'<td>{_e(", ".join(c.outlets))}</td><td class="when">{format_time(c.first_seen)}</td>'
        f'<td class="when">{format_time(c.last_seen)}</td></tr>'
        for c in clusters
    )
    return (
        '<table id="clusters"><thead><tr><th>id</th><th>title (of the representative)</th>'
        "<th>articles</th><th>languages</th><th>outlets</th><th>first seen (UTC)</th>"
        f"<th>last seen</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def changes_list(changes: Changes) -> str:
    items = []
    if changes.numbers_added or changes.numbers_missing:
        numbers = [f"+{n}" for n in changes.numbers_added]
        numbers += [f"−{n}" for n in changes.numbers_missing]
        items.append(f"<li>numbers: {_e(' '.join(numbers))}</li>")
    items += [f"<li>name: {_e(a)} → {_e(b)}</li>" for a, b in changes.names_respelled]
    items += [f'<li class="added">added: “{_e(s)}”</li>' for s in changes.sentences_added]
    return f'<ul class="changes">{"".join(items)}</ul>' if items else ""


def cluster_page(db: NewsDatabase, cluster_id: int) -> tuple[str, str] | None:
    detail = db.cluster(cluster_id)
    if detail is None:
        return None
    cluster = detail.cluster
    representative = cluster.representative
    origin = representative.published if representative else None
    rows = []
    for member in cluster.members:
        is_rep = member.id == cluster.representative_id
        after = member.hours_after(origin)
        rows.append(
            f'<tr class="member{" rep" if is_rep else ""}" data-article="{member.id}">'
            f"<td>{_e(member.outlet or '?')}</td>"
            f'<td class="when">{format_time(member.published)}</td>'
            f'<td class="num">{"—" if is_rep else format_hours(after)}</td>'
            f"<td>{_e(member.language or '?')}</td><td>{_e(member.match_kind)}</td>"
            f'<td class="num">{member.similarity:.2f}</td>'
            f'<td><a href="/articles/{member.id}">{_e(member.title or "(untitled)")}</a>'
            f'<div class="muted"><a href="{_e(member.url)}">{_e(member.url)}</a></div>'
            f"{changes_list(member.changes)}</td></tr>"
        )
    chart = (
        f'<p><img src="/clusters/{cluster.id}/timeline.svg" alt="timeline of cluster '
        f'{cluster.id}" width="1100"></p>'
    )
    body = f"""
<h1>Cluster {cluster.id}: {_e(cluster.title or "(untitled)")}</h1>
<p class="muted">{cluster.size} articles · {len(cluster.outlets)} outlets ·
{_e(", ".join(cluster.languages))} · {format_span(cluster.first_seen, cluster.last_seen)} UTC ·
<a href="/api/clusters/{cluster.id}">JSON</a></p>
<h2>Members</h2>
<table id="members"><thead><tr><th>outlet</th><th>published (UTC)</th><th>after</th>
<th>language</th><th>how it matched</th><th>similarity</th>
<th>title, and what changed against the representative</th></tr></thead>
<tbody>{"".join(rows)}</tbody></table>
<h2>How it spread</h2>
{chart}
<h2>Text of the representative</h2>
<p class="muted">{_e(representative.outlet if representative else "?")} ·
{_e(representative.language if representative else "?")}</p>
<div class="text" id="representative-text">{_e(detail.text)}</div>
"""
    return f"Cluster {cluster.id}", body


def article_page(db: NewsDatabase, article_id: int) -> tuple[str, str] | None:
    with db.engine.connect() as connection:
        cluster_id = connection.scalar(select(Article.cluster_id).where(Article.id == article_id))
    if cluster_id is None:
        return None
    detail = db.cluster(cluster_id)
    assert detail is not None
    member = next(m for m in detail.cluster.members if m.id == article_id)
    body = f"""
<h1>{_e(member.title or "(untitled)")}</h1>
<p class="muted">{_e(member.outlet or "?")} · {_e(member.language or "?")} ·
{format_time(member.published)} UTC · {_e(member.match_kind)} · member of
<a href="/clusters/{cluster_id}">cluster {cluster_id}</a> ·
<a href="{_e(member.url)}">original page</a></p>
{changes_list(member.changes)}
<div class="text">{_e(db.text(article_id))}</div>
"""
    return member.title or f"Article {article_id}", body


def _highlight(snippet: str, query: str) -> str:
    pattern = re.compile(highlight_pattern(parse_query(query)), re.IGNORECASE)
    parts = []
    last = 0
    for match in pattern.finditer(snippet):
        parts += [_e(snippet[last : match.start()]), f"<mark>{_e(match.group())}</mark>"]
        last = match.end()
    return "".join(parts) + _e(snippet[last:])


def search_page(db: NewsDatabase, query: str) -> tuple[str, str]:
    results: list[SearchResult] = []
    error = ""
    if query.strip():
        try:
            results = db.search(query, limit=50)
        except SearchSyntaxError as problem:
            error = f"<p>{_e(problem)}</p>"
    rows = "".join(
        f'<tr data-cluster="{r.cluster.id}"><td class="num">'
        f'<a href="/clusters/{r.cluster.id}">{r.cluster.id}</a></td>'
        f'<td><a href="/clusters/{r.cluster.id}">{_e(r.cluster.title or "(untitled)")}</a>'
        f'<div class="muted">{_highlight(r.snippet, query)}</div></td>'
        f'<td class="num">{len(r.matches)} of {r.cluster.size}</td>'
        f"<td>{_e(', '.join(r.cluster.languages))}</td></tr>"
        for r in results
    )
    body = (
        f"<h1>Search</h1>{search_form(query)}{error}"
        f"<p>{len(results)} cluster(s) match.</p>"
        '<table id="results"><thead><tr><th>cluster</th><th>title, and the best passage</th>'
        f"<th>matching</th><th>languages</th></tr></thead><tbody>{rows}</tbody></table>"
    )
    return f"Search: {query}", body


def index_page(db: NewsDatabase, params: dict[str, str]) -> tuple[str, str]:
    try:
        min_size = max(1, int(params.get("min_size") or 1))
    except ValueError:
        min_size = 1
    clusters = db.clusters(
        params.get("query") or None,
        min_size=min_size,
        languages=params.get("language") or None,
        outlets=params.get("outlet") or None,
        sort="date" if params.get("sort") == "date" else "size",
    )
    form = (
        '<form method="get" action="/">'
        f'<label>query <input name="query" value="{_e(params.get("query", ""))}" size="10">'
        "</label>"
        f'<label>language <input name="language" value="{_e(params.get("language", ""))}" '
        'size="6"></label>'
        f'<label>outlet <input name="outlet" value="{_e(params.get("outlet", ""))}" size="14">'
        "</label>"
        f'<label>min. articles <input name="min_size" type="number" min="1" value="{min_size}" '
        'size="3"></label>'
        '<label>sort <select name="sort"><option value="size">size</option>'
        f'<option value="date"{" selected" if params.get("sort") == "date" else ""}>date'
        "</option></select></label><button>Filter</button></form>"
    )
    body = f"<h1>Clusters</h1>{search_form()}{form}<p>{len(clusters)} cluster(s).</p>"
    return "Clusters", body + clusters_table(clusters)


class Handler(BaseHTTPRequestHandler):
    """Routes GET requests to the pages above; ``server.db`` is the database."""

    server: AnalystServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        logger.info("%s %s", self.address_string(), format % args)

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def _html(self, title_body: tuple[str, str] | None) -> None:
        if title_body is None:
            self._send(HTTPStatus.NOT_FOUND, page("Not found", "<h1>Not found</h1>"), HTML)
        else:
            self._send(HTTPStatus.OK, page(*title_body), HTML)

    def _json(self, data: Any) -> None:
        body = json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8")
        self._send(HTTPStatus.OK, body, "application/json; charset=utf-8")

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        params = {k: v[-1] for k, v in parse_qs(url.query).items()}
        db = self.server.db
        path = url.path.rstrip("/") or "/"
        try:
            if path == "/":
                self._html(index_page(db, params))
            elif path == "/search":
                self._html(search_page(db, params.get("q", "")))
            elif match := re.fullmatch(r"/clusters/(\d+)", path):
                self._html(cluster_page(db, int(match.group(1))))
            elif match := re.fullmatch(r"/clusters/(\d+)/timeline\.svg", path):
                self._timeline(int(match.group(1)))
            elif match := re.fullmatch(r"/articles/(\d+)", path):
                self._html(article_page(db, int(match.group(1))))
            elif path == "/api/clusters":
                self._json([c.as_json() for c in db.clusters(params.get("query") or None)])
            elif match := re.fullmatch(r"/api/clusters/(\d+)", path):
                detail = db.cluster(int(match.group(1)))
                self._json(detail.as_json()) if detail else self._html(None)
            else:
                self._html(None)
        except Exception:
            logger.exception("serving %s failed", self.path)
            self._send(
                HTTPStatus.INTERNAL_SERVER_ERROR,
                page("Error", "<h1>Something went wrong</h1><p>See the server's log.</p>"),
                HTML,
            )

    def _timeline(self, cluster_id: int) -> None:
        from pipelines.timeline import TimelineUnavailable, render_bytes

        detail = self.server.db.cluster(cluster_id)
        if detail is None:
            self._html(None)
            return
        try:
            svg = render_bytes(detail.cluster, "svg")
        except TimelineUnavailable as error:
            self._send(HTTPStatus.NOT_IMPLEMENTED, str(error).encode(), "text/plain")
            return
        self._send(HTTPStatus.OK, svg, "image/svg+xml")


HTML = "text/html; charset=utf-8"


class AnalystServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], db: NewsDatabase) -> None:
        self.db = db
        super().__init__(address, Handler)


def make_server(db: NewsDatabase, host: str = "127.0.0.1", port: int = 8765) -> AnalystServer:
    """A server for ``db`` on ``host:port`` (port 0: any free port), not yet serving."""
    return AnalystServer((host, port), db)

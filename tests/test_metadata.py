"""Page metadata: the fields newscrawl stores come out as ``trafilatura.extract_metadata``'s."""

from __future__ import annotations

import pytest
import trafilatura

from pipelines.dates import htmldate_params
from pipelines.metadata import page_metadata

FIELDS = ("title", "author", "url", "hostname", "sitename", "date", "filedate")
BODY = "<p>" + "Evacuation buses left the border villages before dawn on Monday. " * 8 + "</p>"
PAGES = {
    "meta tags": f"""<html lang="en"><head><title>Villages evacuated | Northern Ledger</title>
<meta property="og:title" content="Villages evacuated">
<meta property="og:site_name" content="Northern Ledger">
<meta name="author" content="Anna Petrova">
<meta property="article:published_time" content="2025-04-28T08:15:00+03:00">
<link rel="canonical" href="https://ledger.example/world/evacuation"></head>
<body><article><h1>Villages evacuated</h1>{BODY}</article></body></html>""",
    "byline and title only": f"""<html><head><title>Storm warning - coastwatch.example</title>
</head><body><article><h1>Storm warning</h1><p class="byline">By <span class="author">
Maria Ivanova</span></p><time datetime="2025-03-02T10:00:00Z">2 March</time>{BODY}</article>
</body></html>""",
    "JSON-LD": f"""<html><head><title>Bridge reopens</title>
<script type="application/ld+json">{{"@type": "NewsArticle", "headline": "Bridge reopens",
"author": {{"@type": "Person", "name": "Oleg Sidorov"}}, "datePublished": "2025-05-01T07:30:00Z",
"publisher": {{"@type": "Organization", "name": "river daily"}}}}</script>
<link rel="canonical" href="/local/bridge"><meta property="og:url"
content="https://river.example/local/bridge"></head><body>{BODY}</body></html>""",
    "nothing declared": f"<html><body><div>{BODY}</div></body></html>",
}


@pytest.mark.parametrize("name", sorted(PAGES))
def test_page_metadata_matches_trafilatura(name: str) -> None:
    html, url = PAGES[name], "https://www.fallback.example/2025/05/01/story"
    params = htmldate_params(original=True)
    expected = trafilatura.extract_metadata(trafilatura.load_html(html), url, params)
    found = page_metadata(trafilatura.load_html(html), url, params)
    assert {f: getattr(found, f) for f in FIELDS} == {f: getattr(expected, f) for f in FIELDS}
    assert found.url and found.hostname  # at least the crawl's URL


def test_page_metadata_skips_categories_tags_and_license() -> None:
    html = """<html><head><title>Budget approved</title></head><body><article>
<div class="post-meta"><a href="/category/politics/">Politics</a></div>
<div class="tags"><a href="/tag/budget/">budget</a></div>
<a rel="license" href="https://creativecommons.org/licenses/by/4.0/">CC BY</a></article></body>
</html>"""
    params = htmldate_params(original=True)
    full = trafilatura.extract_metadata(trafilatura.load_html(html), None, params)
    ours = page_metadata(trafilatura.load_html(html), None, params)
    assert full.categories and full.tags and full.license  # what trafilatura would search for
    assert not ours.categories and not ours.tags and ours.license is None
    assert ours.title == full.title == "Budget approved"

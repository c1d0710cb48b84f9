"""The byline author comes out as ``trafilatura.metadata.extract_author``'s."""

from __future__ import annotations

import pytest
import trafilatura
from lxml import etree
from trafilatura.metadata import extract_author as trafilatura_author

from pipelines.byline import extract_author

BODY = "<p>" + "Evacuation buses left the border villages before dawn on Monday. " * 4 + "</p>"
PAGES = {
    "rel author link": '<a rel="author" href="/anna">Anna Petrova</a>',
    "byline with a date inside": (
        '<p class="byline">By <span>Maria Ivanova</span><time datetime="2025-03-02">2 March'
        "</time>, Kyiv</p>"
    ),
    "date joined to a name": '<div class="author">Oleg<time>May 1</time>Sidorov</div>',
    "author in a sidebar": '<aside><div class="sidebar"><span class="author">Ivan Horn</span>'
    '</div></aside><div class="writer">Lena Brook</div>',
    "comments first": '<div id="comments"><span class="author-name">A Reader</span></div>'
    '<span itemprop="author">Nadia Kolar</span>',
    "figure credit": '<figure><figcaption class="author">Photo Desk</figcaption></figure>'
    '<div data-component="Byline">Piotr Zielinski</div>',
    "nested removals": '<div class="Author">By <span class="quote">a <time>now</time> b</span> '
    '<figure>x</figure>Jan <span class="print">Print</span>Novak</div>',
    "author element": "<author>Tomas Rieger</author>",
    "rel me child": "<span><rel>me</rel>Eva Lind</span>",
    "too long then short": f'<div class="author">{"x" * 130}</div><p class="byline">Ana Ruiz</p>',
    "too short": '<span class="author">Al</span><div id="postAuthor">Kai Berg</div>',
    "an email": '<span class="author">someone@example.org</span>',
    "uppercase byline class": '<h4 class="ArticleByline">Sam Ortega and Lee Chan</h4>',
    "no byline": '<div class="story">Nothing here</div>',
}


@pytest.mark.parametrize("name", sorted(PAGES))
def test_author_matches_trafilatura(name: str) -> None:
    html = f"<html><body><article>{PAGES[name]}{BODY}</article></body></html>"
    expected = trafilatura_author(trafilatura.load_html(html))
    tree = trafilatura.load_html(html)
    before = etree.tostring(tree)
    assert extract_author(tree) == expected
    assert etree.tostring(tree) == before  # the page itself is left as it was


def test_finds_bylines() -> None:
    html = f'<html><body><p class="byline">By Maria Ivanova</p>{BODY}</body></html>'
    assert extract_author(trafilatura.load_html(html)) == "Maria Ivanova"

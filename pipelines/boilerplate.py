"""Boilerplate that trafilatura lets through, and article bodies it cuts short.

Three generic repairs, each measured on the extraction benchmark (``benchmarks/``):

- ``drop_link_lists``: lists whose every item is nothing but a link ("related articles",
  "latest", topic menus) are removed from the page before extraction.
- ``join_split_body``: many CMSs split one article body into several containers of the same
  class around ad slots; trafilatura keeps the first. Paragraphs of sibling containers with the
  same tag and class, in the same ``<article>``, outside comments, are joined in page order.
- ``clean_lines``: after extraction, a first line that repeats the title, and teaser lines
  ("Read also: …", "Related: …", "DON'T MISS", "Читайте также", "Leia também", …) with the link
  lines under them, are dropped.
"""

from __future__ import annotations

import re
from collections import Counter

from lxml.html import HtmlElement

_WORDS = re.compile(r"\w+")
_MIN_PARAGRAPH_WORDS_CHARS = 30  # shorter paragraphs are too ambiguous to match or join
_MIN_JOINED_PARAGRAPHS = 2
_MIN_JOINED_CHARS = 200
_TEASER_LINE_CHARS = 160
_EXCLUDED_ANCESTORS = frozenset({"footer", "aside", "nav"})

# Phrases that announce links to other articles, in the languages newscrawl meets most.
_TEASER_PHRASES = (
    r"read\ (more|also|next)|related(\ (articles?|stories|content|reading|coverage|posts?|news"
    r"|links))?|see\ (more|also)|more\ on\ this(\ story|\ topic)?|also\ on\ \S+|don'?t\ miss"
    r"|recommended(\ for\ you|\ stories|\ articles)?|most\ (read|popular|viewed|shared)"
    r"|latest(\ news|\ stories|\ articles)?|trending(\ now)?|top\ stories"
    r"|you\ (may|might)\ also\ like"
    r"|читайте\ (также|ещ[её]|нас)|смотрите\ также|по\ теме|читайте\ також|дивіться\ також"
    r"|leia\ (também|mais)|veja\ também|saiba\ mais|lesen\ sie\ (auch|mehr)|mehr\ zum\ thema"
    r"|auch\ interessant|leggi\ anche|vedi\ anche|baca\ juga|lihat\ juga|(à\ )?lire\ aussi"
    r"|voir\ aussi|lee\ también|ver\ también|관련\ ?기사|関連記事"
)
# A line that is only such a phrase (a heading over a list of links), or other page furniture.
_HEADING = re.compile(
    rf"^\W*({_TEASER_PHRASES}|advertisement|skip\ to(\ main)?\ content"
    rf"|like\ this\ (story|article)\?.*|share\ (this|on)\b.{{0,30}})\W*$",
    re.IGNORECASE | re.VERBOSE,
)
# A line that starts with such a phrase and goes on with a linked headline.
_PREFIX = re.compile(
    rf"^\W*(({_TEASER_PHRASES})\s*[:|»›>–—-]|also\ on\ [\w-]+(\.[\w-]+)+)\s*\S",
    re.IGNORECASE | re.VERBOSE,
)
_SENTENCE_END = re.compile(r"[.!?…:;\"”»')]\s*$")


def normalized(text: str) -> str:
    """Lower-cased words joined by single spaces: text compared regardless of markup."""
    return " ".join(_WORDS.findall(text.casefold()))


def drop_link_lists(tree: HtmlElement) -> int:
    """Remove ``<ul>``/``<ol>`` lists of two or more items that are only links; returns how many."""
    removed = 0
    for listing in list(tree.iter("ul", "ol")):
        items = [child for child in listing if child.tag == "li"]
        parent = listing.getparent()
        if len(items) < 2 or parent is None:
            continue
        if all(_only_links(item) for item in items):
            parent.remove(listing)
            removed += 1
    return removed


def _only_links(item: HtmlElement) -> bool:
    links = [a for a in item.iter("a")]
    if not links:
        return False
    text = "".join(item.text_content().split())
    linked = "".join("".join(a.text_content() for a in links).split())
    return bool(text) and text == linked


def _excluded(element: HtmlElement) -> bool:
    for node in (element, *element.iterancestors()):
        if node.tag in _EXCLUDED_ANCESTORS:
            return True
        marks = f"{node.get('class') or ''} {node.get('id') or ''}".lower()
        if "comment" in marks:
            return True
    return False


def _article_of(element: HtmlElement) -> HtmlElement | None:
    return next(element.iterancestors("article"), None)


def join_split_body(tree: HtmlElement, text: str) -> tuple[str, int]:
    """``text`` with the paragraphs of the body's sibling containers joined in page order.

    The body container is the parent of most extracted paragraphs. Its siblings are elements of
    the same tag and ``class`` (a class is required) in the same ``<article>`` (or none), not in
    comments, footers, asides or navigation, holding at least two paragraphs and 200 characters
    that the text lacks. Returns the text and the number of paragraphs joined.
    """
    extracted = normalized(text)
    if not extracted:
        return text, 0
    parents: Counter[HtmlElement] = Counter()
    for paragraph in tree.iter("p"):
        content = paragraph.text_content()
        if len(content) < _MIN_PARAGRAPH_WORDS_CHARS:
            continue
        words = normalized(content)
        if len(words) >= _MIN_PARAGRAPH_WORDS_CHARS and words in extracted:
            parent = paragraph.getparent()
            if parent is not None:
                parents[parent] += 1
    if not parents:
        return text, 0
    body = parents.most_common(1)[0][0]
    body_class = body.get("class")
    if not body_class or not body_class.strip():
        return text, 0
    article = _article_of(body)
    inside = set(body.iter())
    around = set(body.iterancestors())
    siblings: list[tuple[HtmlElement, bool]] = []  # each with whether it comes before the body
    before_body = True
    for element in tree.iter(body.tag):  # in page order, the body among them
        if element is body:
            before_body = False
        elif (
            element.get("class") == body_class
            and element not in inside
            and element not in around
            and _article_of(element) is article
            and not _excluded(element)
        ):
            siblings.append((element, before_body))
    before: list[str] = []
    after: list[str] = []
    for sibling, comes_before in siblings:
        paragraphs = []
        for paragraph in sibling.iter("p"):
            line = " ".join(paragraph.text_content().split())
            words = normalized(line)
            if len(words) >= _MIN_PARAGRAPH_WORDS_CHARS and words not in extracted:
                paragraphs.append(line)
        if len(paragraphs) < _MIN_JOINED_PARAGRAPHS or sum(map(len, paragraphs)) < (
            _MIN_JOINED_CHARS
        ):
            continue
        (before if comes_before else after).extend(paragraphs)
    if not before and not after:
        return text, 0
    return "\n".join([*before, text, *after]), len(before) + len(after)


def clean_lines(text: str, title: str | None = None) -> str:
    """Drop a leading repeat of the title and teaser lines with the link lines under them."""
    lines = text.split("\n")
    if title and normalized(title):
        wanted = normalized(title)
        while lines and normalized(lines[0]) == wanted:
            lines.pop(0)
    kept: list[str] = []
    after: str | None = None  # "heading" or "prefix" while skipping the links under a teaser
    for line in lines:
        stripped = line.strip()
        if _HEADING.match(stripped):
            after = "heading"
            continue
        if _PREFIX.match(stripped):
            after = "prefix"
            continue
        if after and stripped.startswith("- "):
            continue
        if (
            after == "heading"
            and stripped
            and len(stripped) < _TEASER_LINE_CHARS
            and not _SENTENCE_END.search(stripped)
        ):
            continue
        after = None
        kept.append(line)
    return "\n".join(kept).strip()

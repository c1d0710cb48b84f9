"""What a page says about itself: JSON-LD objects and ``<meta>`` properties."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from lxml.html import HtmlElement

logger = logging.getLogger(__name__)

ARTICLE_TYPES = frozenset(
    {
        "article",
        "newsarticle",
        "reportagenewsarticle",
        "analysisnewsarticle",
        "opinionnewsarticle",
        "backgroundnewsarticle",
        "reviewnewsarticle",
        "liveblogposting",
        "blogposting",
        "socialmediaposting",
        "scholarlyarticle",
        "techarticle",
        "webpage",
    }
)
_LANGUAGE = re.compile(r"^([a-z]{2,3})(?:[-_][a-z0-9]+)*$", re.IGNORECASE)


@dataclass(frozen=True)
class PageFacts:
    """Dates, language and body text that the page declares, as written there."""

    json_ld_published: str | None = None
    json_ld_modified: str | None = None
    meta_published: str | None = None
    meta_modified: str | None = None
    article_body: str | None = None
    language: str | None = None


def _json_ld_objects(tree: HtmlElement) -> Iterator[dict[str, Any]]:
    """Every JSON object in the page's ``application/ld+json`` scripts, ``@graph``s unpacked."""
    for script in tree.iterfind(".//script"):
        kind = (script.get("type") or "").strip().lower()
        if kind != "application/ld+json" or not script.text:
            continue
        try:
            data = json.loads(script.text, strict=False)
        except ValueError:
            logger.debug("unreadable JSON-LD skipped")
            continue
        stack: list[Any] = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(reversed(item))
            elif isinstance(item, dict):
                yield item
                if isinstance(item.get("@graph"), list):
                    stack.extend(reversed(item["@graph"]))
                if isinstance(item.get("mainEntity"), dict | list):
                    stack.append(item["mainEntity"])


def _types(item: dict[str, Any]) -> set[str]:
    value = item.get("@type")
    values = value if isinstance(value, list) else [value]
    return {v.lower() for v in values if isinstance(v, str)}


def _string(value: Any) -> str | None:
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str) and v.strip()), None)
    if isinstance(value, dict):
        value = value.get("@value")
    return value.strip() if isinstance(value, str) and value.strip() else None


def _meta(tree: HtmlElement, *names: str) -> str | None:
    wanted = {name.lower() for name in names}
    for meta in tree.iterfind(".//meta"):
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").lower()
        if key in wanted:
            content = (meta.get("content") or "").strip()
            if content:
                return content
    return None


def language_code(value: str | None) -> str | None:
    """The primary subtag of a language tag (``en-GB`` → ``en``), or None if it is not one."""
    if not value:
        return None
    found = _LANGUAGE.match(value.strip())
    return found.group(1).lower() if found else None


def page_facts(tree: HtmlElement) -> PageFacts:
    """Read JSON-LD (article-typed objects first) and the ``article:*`` meta properties."""
    published = modified = body = json_language = None
    objects = sorted(_json_ld_objects(tree), key=lambda o: not (_types(o) & ARTICLE_TYPES))
    for item in objects:
        published = published or _string(item.get("datePublished"))
        modified = modified or _string(item.get("dateModified"))
        text = _string(item.get("articleBody"))
        if text and (body is None or len(text) > len(body)):
            body = text
        json_language = json_language or language_code(_string(item.get("inLanguage")))
    html = tree if tree.tag == "html" else tree.getroottree().getroot()
    language = (
        language_code(html.get("lang") or html.get("{http://www.w3.org/XML/1998/namespace}lang"))
        or _http_equiv_language(tree)
        or json_language
        or language_code(_meta(tree, "og:locale"))
    )
    return PageFacts(
        json_ld_published=published,
        json_ld_modified=modified,
        meta_published=_meta(tree, "article:published_time", "og:published_time"),
        meta_modified=_meta(tree, "article:modified_time", "og:updated_time"),
        article_body=body,
        language=language,
    )


def _http_equiv_language(tree: HtmlElement) -> str | None:
    for meta in tree.iterfind(".//meta"):
        if (meta.get("http-equiv") or "").lower() == "content-language":
            return language_code((meta.get("content") or "").split(",")[0])
    return None

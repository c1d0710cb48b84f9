"""HTML → main text and metadata; a page without an article is refused, with why.

The text comes from trafilatura with options chosen by measurement (``benchmarks/``): its
precision mode (its fast pass, then its fallback extractors only if that finds little), without
comments, links-only lists pruned first, an article body that the CMS split around ad slots
joined again, a repeated title and teaser lines ("Read also: …") dropped.
When that text is very short or empty, second strategies run (trafilatura in a more inclusive
mode, the JSON-LD ``articleBody`` the page publishes) and the longest text wins; ``strategy``
records which one produced it. Dates are read as ``pipelines.dates`` describes.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Literal
from urllib.parse import urlsplit

import py3langid
import trafilatura
from lxml.html import HtmlElement
from py3langid.langid import MODEL_FILE, LanguageIdentifier
from trafilatura.settings import Document

from pipelines.boilerplate import clean_lines, drop_link_lists, join_split_body
from pipelines.dates import (
    as_aware,
    choose_date,
    find_htmldate,
    from_htmldate,
    htmldate_params,
    parse_date,
)
from pipelines.htmltree import load_html
from pipelines.metadata import page_metadata
from pipelines.structured import PageFacts, page_facts

__all__ = [
    "ExtractConfig",
    "ExtractedArticle",
    "NoArticle",
    "choose_published",
    "detect_language",
    "extract_article",
    "has_scripts",
    "looks_binary",
    "parse_date",
]

logger = logging.getLogger(__name__)

Favor = Literal["precision", "balanced", "recall"]
FAVORS: tuple[str, ...] = ("precision", "balanced", "recall")
_BINARY_SAMPLE = 4096
_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f]")  # below a space, but tab, CR, LF and FF
# characters of text py3langid reads: on the 181 Zyte pages it names the same languages as from
# 3000 (NTREX dev: 1254 of 1260 texts; six Serbian ones swap Bosnian/Croatian), in 55% of the time
_LANGID_SAMPLE = 1000
_OVERRULE_DECLARED_LANGUAGE = 0.95  # detection this sure beats a page's declared language


@dataclass(frozen=True)
class ExtractConfig:
    """What counts as an article page, and how its text is extracted (settings ``EXTRACT_*``)."""

    min_text_chars: int = 250
    max_html_chars: int = 5_000_000
    favor: str = "precision"  # trafilatura's mode for the first strategy
    fallback_favor: str = "balanced"  # its mode for the second strategy ("" for none)
    fallback_below_chars: int = 500  # a first text shorter than this tries the others
    json_ld_fallback: bool = True  # the JSON-LD articleBody is one of the others
    include_comments: bool = False
    include_tables: bool = True
    fast: bool = False  # trafilatura without its own fallback extractors, always
    # trafilatura runs without them first; a shorter text runs again with them (0: always with)
    fast_pass_min_chars: int = 500
    drop_link_lists: bool = True
    join_split_body: bool = True
    clean_lines: bool = True

    def __post_init__(self) -> None:
        for name in ("favor", "fallback_favor"):
            value = getattr(self, name)
            if value not in FAVORS and not (name == "fallback_favor" and value == ""):
                raise ValueError(f"{name} must be one of {', '.join(FAVORS)}, not {value!r}")


@dataclass(frozen=True)
class ExtractedArticle:
    """The main text of a page and what is known about it."""

    text: str
    title: str | None
    author: str | None
    published: datetime | None
    language: str | None
    outlet: str | None
    canonical_url: str | None
    strategy: str = "trafilatura_precision"  # which strategy produced the text
    date_source: str | None = None  # htmldate | json_ld | meta | listing
    modified: datetime | None = None  # last modified, when later than published
    modified_source: str | None = None  # htmldate | json_ld | meta
    language_source: str | None = None  # page (declared) | detected (from the text)
    authors: tuple[str, ...] = ()


class NoArticle(Exception):
    """A page that holds no article worth storing; ``reason`` is a short stats key."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def looks_binary(html: str) -> bool:
    """True for bodies that are not text (NUL bytes or many control characters near the start)."""
    sample = html[:_BINARY_SAMPLE]
    if "\x00" in sample:
        return True
    return len(_CONTROL.findall(sample)) > len(sample) // 20


_SCRIPT = re.compile(
    r"<script\b(?![^>]*\btype\s*=\s*[\"']?(?:application/(?:ld\+)?json|text/template))[^>]*>",
    re.IGNORECASE,
)


def has_scripts(html: str) -> bool:
    """True when the page runs scripts (JSON data blocks aside): only then can a browser render
    more text than its static HTML holds."""
    return _SCRIPT.search(html) is not None


def choose_published(page: datetime | None, lead: datetime | None) -> datetime | None:
    """The page's own date when it has a time of day; else the listing's date, if any.

    A page date without a time is often a guess (from the URL's ``/2025/05/``, say), while feeds
    and sitemaps give the moment of publication. The result is time-zone aware (UTC if unsaid).
    """
    return choose_date([("page", page), ("listing", lead)])[0]


@cache
def _language_identifier() -> LanguageIdentifier:
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of the text's language (py3langid)."""
    code, _score = py3langid.classify(text[:_LANGID_SAMPLE])
    return code or None


def choose_language(text: str, declared: str | None) -> tuple[str | None, str | None]:
    """The page's declared language, unless the text is surely in another; with its source."""
    code, probability = _language_identifier().classify(text[:_LANGID_SAMPLE])
    if declared and (code == declared or probability < _OVERRULE_DECLARED_LANGUAGE):
        return declared, "page"
    return (code or None), ("detected" if code else None)


# --- text strategies ---------------------------------------------------------------------------


def _trafilatura_text(tree: HtmlElement, url: str | None, favor: str, config: ExtractConfig) -> str:
    """trafilatura's text in mode ``favor``: its fast pass, and only when that finds too little
    a pass with its fallback extractors (readability, jusText: some 40% of its time)."""
    if config.fast or config.fast_pass_min_chars <= 0:
        return _trafilatura_pass(tree, url, favor, config, fast=config.fast)
    text = _trafilatura_pass(tree, url, favor, config, fast=True)
    if len(text) >= config.fast_pass_min_chars:
        return text
    return _trafilatura_pass(tree, url, favor, config, fast=False)


def _trafilatura_pass(
    tree: HtmlElement, url: str | None, favor: str, config: ExtractConfig, fast: bool
) -> str:
    try:
        document = trafilatura.bare_extraction(
            tree,
            url=url,
            favor_precision=favor == "precision",
            favor_recall=favor == "recall",
            include_comments=config.include_comments,
            include_tables=config.include_tables,
            fast=fast,
        )
    except Exception as error:  # one failed strategy must not lose the page
        logger.debug("trafilatura (%s) failed on %s: %s", favor, url, error)
        return ""
    text = getattr(document, "text", None) if document is not None else None
    return (text or "").strip()


def _text_by(
    strategy: str,
    tree: HtmlElement,
    url: str | None,
    facts: PageFacts,
    title: str | None,
    config: ExtractConfig,
) -> tuple[str, str]:
    """The cleaned text of one strategy and its recorded name."""
    if strategy == "json_ld":
        text, name = (facts.article_body or "").strip(), "json_ld"
    else:
        text, name = _trafilatura_text(tree, url, strategy, config), f"trafilatura_{strategy}"
        if config.join_split_body and text:
            text, joined = join_split_body(tree, text)
            if joined:
                name += "+joined"
    if config.clean_lines:
        text = clean_lines(text, title)
    return text, name


def _main_text(
    tree: HtmlElement, url: str | None, facts: PageFacts, title: str | None, config: ExtractConfig
) -> tuple[str, str]:
    text, strategy = _text_by(config.favor, tree, url, facts, title, config)
    if len(text) >= config.fallback_below_chars:
        return text, strategy
    others: list[str] = []  # on a tie the publisher's own articleBody wins
    if config.json_ld_fallback and facts.article_body:
        others.append("json_ld")
    if config.fallback_favor and config.fallback_favor != config.favor:
        others.append(config.fallback_favor)
    for other in others:
        candidate, name = _text_by(other, tree, url, facts, title, config)
        if len(candidate) > len(text):
            text, strategy = candidate, name
    return text, strategy


# --- the entry point ---------------------------------------------------------------------------


def _authors(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    return tuple(a.strip() for a in value.replace(";", ",").split(",") if a.strip())


def extract_article(
    html: str,
    url: str | None,
    config: ExtractConfig,
    lead_published: datetime | None = None,
) -> ExtractedArticle:
    """Extract the article of one page, or raise ``NoArticle`` saying why there is none."""
    if not html.strip():
        raise NoArticle("empty", "the page has no content")
    if len(html) > config.max_html_chars:
        raise NoArticle("too_large", f"{len(html)} characters > {config.max_html_chars}")
    if looks_binary(html):
        raise NoArticle("binary", "the body is not text")
    try:
        tree = load_html(html)
    except Exception as error:  # lxml's refusals vary with the input
        raise NoArticle("unparsable", f"not parsable as HTML: {error}") from None
    if tree is None:
        raise NoArticle("unparsable", "not parsable as HTML")

    try:
        metadata = page_metadata(tree, url, htmldate_params(original=True))
    except Exception as error:  # metadata is optional; the text is not
        logger.debug("metadata extraction failed on %s: %s", url, error)
        metadata = Document()
    facts = page_facts(tree)
    page_published = from_htmldate(metadata.date)
    published, date_source = choose_date(
        [
            ("htmldate", page_published),
            ("json_ld", parse_date(facts.json_ld_published)),
            ("meta", parse_date(facts.meta_published)),
            ("listing", parse_date(lead_published)),
        ]
    )
    modified, modified_source = choose_date(
        [
            ("htmldate", find_htmldate(tree, metadata.url or url, original=False)),
            ("json_ld", parse_date(facts.json_ld_modified)),
            ("meta", parse_date(facts.meta_modified)),
        ]
    )
    if modified is not None and (published is None or modified <= as_aware(published)):
        modified, modified_source = None, None

    if config.drop_link_lists:
        drop_link_lists(tree)
    text, strategy = _main_text(tree, url, facts, metadata.title, config)
    if len(text) < config.min_text_chars:
        raise NoArticle("no_text", f"{len(text)} characters of main text < {config.min_text_chars}")
    language, language_source = choose_language(text, facts.language)
    return ExtractedArticle(
        text=text,
        title=metadata.title or None,
        author=metadata.author or None,
        published=published,
        language=language,
        outlet=metadata.sitename or metadata.hostname or (urlsplit(url).hostname if url else None),
        canonical_url=metadata.url or None,
        strategy=strategy,
        date_source=date_source,
        modified=modified,
        modified_source=modified_source,
        language_source=language_source,
        authors=_authors(metadata.author),
    )

"""A page's title, author, URL, site name and publication date, as trafilatura reads them.

``trafilatura.extract_metadata`` without the fields newscrawl never stores (categories, tags,
license): those searches scan every link of the page and cost about a third of its time. Each
field kept is found by the same trafilatura functions, in the same order (the byline author by
``pipelines.byline``'s equivalent of trafilatura's search), so it comes out the same
(``tests/test_metadata.py``; on the 181 Zyte benchmark pages every field is identical).
"""

from __future__ import annotations

import logging
from typing import Any

import htmldate
from courlan import extract_domain
from lxml.html import HtmlElement
from trafilatura.metadata import (
    META_URL,
    examine_meta,
    extract_meta_json,
    extract_sitename,
    extract_title,
    extract_url,
)
from trafilatura.settings import Document

from pipelines.byline import extract_author

logger = logging.getLogger(__name__)


def page_metadata(tree: HtmlElement, url: str | None, date_params: dict[str, Any]) -> Document:
    """Title, author, URL, hostname, site name and date (htmldate with ``date_params``)."""
    metadata = examine_meta(tree)
    if metadata.author and " " not in metadata.author:
        metadata.author = None
    try:
        metadata = extract_meta_json(tree, metadata)
    except Exception as error:  # trafilatura's JSON-LD reader has bugs of its own
        logger.debug("JSON-LD metadata unreadable: %s", error)
    metadata.title = metadata.title or extract_title(tree)
    metadata.author = metadata.author or extract_author(tree)
    metadata.url = metadata.url or extract_url(tree, url)
    if metadata.url:
        metadata.hostname = extract_domain(metadata.url, fast=True)
    metadata.date = htmldate.find_date(tree, **{**date_params, "url": metadata.url})
    metadata.sitename = metadata.sitename or extract_sitename(tree)
    if metadata.sitename:
        sitename = metadata.sitename.lstrip("@")  # a Twitter handle
        if sitename and "." not in sitename and not sitename[0].isupper():
            sitename = sitename.title()
        metadata.sitename = sitename
    elif metadata.url and (found := META_URL.match(metadata.url)):
        metadata.sitename = found[1]
    metadata.filedate = date_params.get("max_date")
    metadata.clean_and_trim()
    return metadata

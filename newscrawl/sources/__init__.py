"""Discovery sources, one module each, and the sources file that lists them."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from newscrawl.sources.base import InvalidListing, Lead, ListingPage, Source
from newscrawl.sources.feeds import FeedSource
from newscrawl.sources.gdelt import GdeltSource
from newscrawl.sources.google_news import GoogleNewsSource
from newscrawl.sources.news_sitemaps import NewsSitemapSource

SOURCE_TYPES: dict[str, type[Source]] = {
    cls.type: cls for cls in (FeedSource, NewsSitemapSource, GdeltSource, GoogleNewsSource)
}

__all__ = [
    "SOURCE_TYPES",
    "InvalidListing",
    "Lead",
    "ListingPage",
    "Source",
    "SourcesError",
    "build_source",
    "load_sources",
    "select_sources",
    "sources_toml",
]


class SourcesError(ValueError):
    """The sources file or the sources asked for are wrong; the message says how."""


def build_source(entry: dict[str, Any]) -> Source:
    """A source from one ``[[source]]`` table: ``name``, ``type``, ``url`` and its options."""
    options = dict(entry)
    try:
        name, kind, url = options.pop("name"), options.pop("type"), options.pop("url")
    except KeyError as missing:
        raise SourcesError(f"source {entry!r} lacks {missing.args[0]!r}") from None
    if kind not in SOURCE_TYPES:
        known = ", ".join(sorted(SOURCE_TYPES))
        raise SourcesError(f"source {name!r} has unknown type {kind!r} (known: {known})")
    if not str(url).startswith(("http://", "https://")):
        raise SourcesError(f"source {name!r} has no http(s) URL: {url!r}")
    if not isinstance(options.get("render", False), bool):
        raise SourcesError(f"source {name!r}: render must be true or false")
    return SOURCE_TYPES[kind](str(name), str(url), options)


def load_sources(path: Path) -> list[Source]:
    """Every source listed in a TOML sources file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SourcesError(f"sources file not found: {path}") from None
    except tomllib.TOMLDecodeError as error:
        raise SourcesError(f"sources file {path} is not valid TOML: {error}") from None
    sources = [build_source(entry) for entry in data.get("source", [])]
    names = [source.name for source in sources]
    duplicated = sorted({name for name in names if names.count(name) > 1})
    if duplicated:
        raise SourcesError(f"sources file {path} repeats source names: {', '.join(duplicated)}")
    return sources


def select_sources(sources: list[Source], wanted: Iterable[str]) -> list[Source]:
    """The sources named in ``wanted``, each by its name or its type."""
    wanted = [w.strip() for w in wanted if w.strip()]
    if not wanted:
        return sources
    known = {s.name for s in sources} | {s.type for s in sources}
    unknown = [w for w in wanted if w not in known]
    if unknown:
        raise SourcesError(
            f"unknown sources {', '.join(unknown)}; available: {', '.join(sorted(known))}"
        )
    return [s for s in sources if s.name in wanted or s.type in wanted]


def sources_toml(entries: list[dict[str, str]]) -> str:
    """A sources file listing ``entries`` (as ``load_sources`` reads them)."""
    blocks = [
        "[[source]]\n" + "".join(f"{key} = {json.dumps(value)}\n" for key, value in entry.items())
        for entry in entries
    ]
    return "\n".join(blocks)

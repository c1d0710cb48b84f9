"""The ``newscrawl`` command: run the demo, read clusters, extract files, group texts.

The analysts' commands (clusters, show, search, export, timeline, index, serve) are in
``newscrawl/analysts.py``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import sys
import tempfile
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from scrapy.crawler import CrawlerProcess
from w3lib.encoding import html_to_unicode

from newscrawl.analysts import add_commands as add_analyst_commands
from newscrawl.arguments import ArgumentError, positive_int
from newscrawl.config import extract_config, grouping_config, project_settings
from newscrawl.schedule import add_parser as add_schedule_command
from newscrawl.sources import sources_toml
from pipelines.changes import Changes
from pipelines.clusters import ClusterView, list_clusters
from pipelines.database import DatabaseError, open_database
from pipelines.embed import load_embedder
from pipelines.extract import ExtractConfig, NoArticle, detect_language, extract_article
from pipelines.group import Document, GroupingIndex, group_in_order, make_document

logger = logging.getLogger("newscrawl")


def database_url(db: str | None) -> str:
    """``--db`` as a URL: a path means a SQLite file; nothing means the configured database."""
    if not db:
        return str(project_settings().get("DATABASE_URL"))
    if "://" in db:
        return db
    return f"sqlite:///{Path(db).expanduser().resolve()}"


# --- clusters ----------------------------------------------------------------------------------


def format_clusters(clusters: list[ClusterView]) -> str:
    """A terminal listing: one block per cluster, the representative marked with ``*``."""
    lines: list[str] = []
    for cluster in clusters:
        languages = ", ".join(cluster.languages) or "?"
        lines.append(
            f"cluster {cluster.id} · {len(cluster.members)} article(s) · {languages} · "
            f"{cluster.title or '(untitled)'}"
        )
        for member in cluster.members:
            mark = "*" if member.id == cluster.representative_id else " "
            when = member.published.strftime("%Y-%m-%d %H:%M") if member.published else "?"
            lines.append(
                f"  {mark} {when:16}  {member.language or '?':3} {member.match_kind:15}"
                f" {member.similarity:4.2f}  {(member.outlet or '?')[:24]:24}  {member.title or ''}"
            )
            lines.append(f"      {member.url}")
            if member.changes:
                lines.append(f"      changed: {describe_changes(member.changes)}")
    return "\n".join(lines) if lines else "no clusters stored"


def describe_changes(changes: Changes) -> str:
    """One line: numbers added and missing, names spelled otherwise, sentences added."""
    parts = []
    if changes.numbers_added or changes.numbers_missing:
        numbers = [f"+{n}" for n in changes.numbers_added] + [
            f"-{n}" for n in changes.numbers_missing
        ]
        parts.append("numbers " + " ".join(numbers))
    if changes.names_respelled:
        parts.append("names " + ", ".join(f"{a} → {b}" for a, b in changes.names_respelled))
    if changes.sentences_added:
        parts.append(f"{len(changes.sentences_added)} sentence(s) added")
    return " · ".join(parts)


# --- extract -----------------------------------------------------------------------------------


def html_files(paths: Sequence[str]) -> Iterator[Path]:
    """The ``.html``/``.htm``/``.html.gz`` files named, directories searched recursively."""
    for name in paths:
        path = Path(name)
        if path.is_dir():
            yield from sorted(
                p for p in path.rglob("*") if p.is_file() and p.name.endswith(HTML_SUFFIXES)
            )
        elif path.is_file():
            yield path
        else:
            raise FileNotFoundError(f"no such file or directory: {name}")


HTML_SUFFIXES = (".html", ".htm", ".html.gz", ".htm.gz")


def read_html(path: Path) -> str:
    """A saved page as text, gunzipped if needed, decoded the way Scrapy decodes responses."""
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    _encoding, text = html_to_unicode(None, data)
    return text


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def extract_record(path: Path, config: ExtractConfig, url: str | None = None) -> dict[str, Any]:
    """One saved page → its JSON record: the article, or ``error`` and ``detail`` saying why not.

    ``benchmarks/eval_extraction.py`` measures exactly this.
    """
    record: dict[str, Any] = {"file": str(path)}
    try:
        article = extract_article(read_html(path), url, config)
    except NoArticle as error:
        logger.warning("%s: no article (%s)", path, error.detail)
        record.update(error=error.reason, detail=error.detail)
    except (OSError, EOFError) as error:
        logger.warning("%s: cannot read (%s)", path, error)
        record.update(error="unreadable", detail=str(error))
    else:
        record.update(
            title=article.title,
            text=article.text,
            date=_iso(article.published),
            date_source=article.date_source,
            modified=_iso(article.modified),
            modified_source=article.modified_source,
            language=article.language,
            language_source=article.language_source,
            author=article.author,
            outlet=article.outlet,
            canonical_url=article.canonical_url,
            strategy=article.strategy,
        )
    return record


def cmd_extract(args: argparse.Namespace, out: TextIO) -> int:
    config = extract_config(project_settings())
    try:
        files = list(html_files(args.paths))
    except FileNotFoundError as error:
        print(f"newscrawl extract: {error}", file=sys.stderr)
        return 2
    for path in files:
        out.write(json.dumps(extract_record(path, config), ensure_ascii=False) + "\n")
    return 0


# --- group -------------------------------------------------------------------------------------


def group_records(path: Path) -> Iterator[tuple[str, Document]]:
    """``{"id", "text", "title"?, "lang"?}`` lines as grouping documents; bad lines are logged."""
    config = grouping_config(project_settings())
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                doc_id, text = record["id"], record["text"]
                if not isinstance(text, str) or not text.strip():
                    raise TypeError("text is not a non-empty string")
            except (ValueError, KeyError, TypeError) as error:
                logger.warning("%s:%d: skipped, not an {id, text} object (%s)", path, number, error)
                continue
            language = record.get("lang") or detect_language(text)
            yield doc_id, make_document(text, record.get("title"), language, config)


def cmd_group(args: argparse.Namespace, out: TextIO) -> int:
    """Group JSONL texts with the crawl's own grouping code."""
    settings = project_settings()
    threads = args.embed_threads or settings.getint("GROUPING_EMBED_THREADS")
    embedder = load_embedder(settings.get("GROUPING_EMBEDDER"), threads)
    index = GroupingIndex(grouping_config(settings), embedder)
    for doc_id, cluster, match in group_in_order(group_records(Path(args.input)), index):
        record = {"id": doc_id, "cluster": cluster, "kind": match.kind if match else "original"}
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return 0


# --- demo --------------------------------------------------------------------------------------


def run_topic_crawl(query: str, settings_overrides: dict[str, Any]) -> dict[str, Any]:
    """Run ``scrapy crawl topic`` in this process; returns the crawl's stats."""
    settings = project_settings()
    settings.setdict(settings_overrides, priority="cmdline")
    process = CrawlerProcess(settings)
    crawler = process.create_crawler("topic")
    process.crawl(crawler, query=query)
    process.start()
    return crawler.stats.get_stats() if crawler.stats else {}


def cmd_demo(args: argparse.Namespace, out: TextIO) -> int:
    from newscrawl.demo.site import DemoSite, serve

    url = database_url(args.db)
    open_database(url).dispose()
    site = DemoSite()
    with serve(site) as running, tempfile.TemporaryDirectory() as tmp:
        sources_file = Path(tmp) / "sources.toml"
        sources_file.write_text(sources_toml(site.sources(running.base_url)), encoding="utf-8")
        out.write(f"demo site serving {len(site.articles)} articles at {running.base_url}\n")
        out.flush()
        stats = run_topic_crawl(args.query, demo_settings(url, sources_file))
    out.write(crawl_summary(stats) + "\n\n")
    engine = open_database(url)
    out.write(format_clusters(list_clusters(engine, query=args.query)) + "\n")
    engine.dispose()
    return 0


def demo_settings(url: str, sources_file: Path) -> dict[str, Any]:
    """Settings for crawling the local demo site: no delays, quiet logs."""
    return {
        "DATABASE_URL": url,
        "SOURCES_FILE": str(sources_file),
        "DOWNLOAD_DELAY": 0,
        "AUTOTHROTTLE_ENABLED": False,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
        "LOG_LEVEL": "WARNING",
        "LOG_INSTALL_ROOT_HANDLER": False,
    }


def crawl_summary(stats: dict[str, Any]) -> str:
    """The figures of a crawl worth a line each."""
    keys = [
        ("pages fetched", "downloader/response_count"),
        ("articles requested", "newscrawl/articles/requested"),
        ("articles extracted", "newscrawl/articles/extracted"),
        ("articles stored", "newscrawl/stored/new"),
        ("already stored", "newscrawl/stored/unchanged"),
        ("new clusters", "newscrawl/clusters/new"),
        ("storage ratio (this crawl)", "newscrawl/storage_ratio/crawl"),
        ("storage ratio (database)", "newscrawl/storage_ratio/database"),
    ]
    lines = [f"{label}: {stats.get(key, 0)}" for label, key in keys]
    skipped = {k.removeprefix("newscrawl/"): v for k, v in stats.items() if "skipped/" in k}
    if skipped:
        lines.append("skipped: " + ", ".join(f"{k} {v}" for k, v in sorted(skipped.items())))
    return "\n".join(lines)


# --- entry point -------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newscrawl", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="crawl the offline demo site and show its clusters")
    demo.add_argument("--db", default="newscrawl-demo.db", help="SQLite path or database URL")
    demo.add_argument("--query", default="Kursk")
    demo.set_defaults(run=cmd_demo)

    # clusters, show, search, export, timeline, index, serve: the analysts' commands
    add_analyst_commands(commands)

    extract = commands.add_parser("extract", help="extract saved HTML files to JSON lines")
    extract.add_argument("paths", nargs="+", metavar="FILE_OR_DIR")
    extract.add_argument("--format", choices=("jsonl",), default="jsonl")
    extract.set_defaults(run=cmd_extract)

    group = commands.add_parser("group", help="group JSONL texts into clusters")
    group.add_argument("input", metavar="INPUT.jsonl")
    group.add_argument(
        "--embed-threads",
        type=positive_int,
        metavar="N",
        help="threads of the embedding model (default GROUPING_EMBED_THREADS, 1); a batch job "
        "alone on the machine can give it every core",
    )
    group.set_defaults(run=cmd_group)

    add_schedule_command(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    handler = logging.StreamHandler()
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logging.getLogger().addHandler(handler)
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args, sys.stdout))
    except DatabaseError as error:
        print(f"newscrawl: {error}", file=sys.stderr)
        return 1
    except (FileNotFoundError, ArgumentError) as error:
        print(f"newscrawl: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

"""The analysts' commands: ``clusters``, ``show``, ``search``, ``export``, ``timeline``, ``index``
and ``serve`` (docs/analysts.md). Each reads the database named by ``--db`` or ``DATABASE_URL``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from rich.console import Console, Group
from rich.markup import escape
from rich.panel import Panel
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from newscrawl.api import NewsDatabase, SearchResult
from newscrawl.arguments import ArgumentError, parse_since
from pipelines.changes import Changes
from pipelines.clusters import (
    ClusterDetail,
    ClusterView,
    MemberView,
    format_hours,
    format_span,
    format_time,
    member_texts,
    plural,
)
from pipelines.database import open_database
from pipelines.export import (
    FORMATS as EXPORT_FORMATS,
)
from pipelines.export import (
    ExportUnavailable,
    columns_for,
    member_record,
    write_csv,
    write_jsonl,
    write_parquet,
)
from pipelines.search import SearchSyntaxError, highlight_pattern, parse_query
from pipelines.timeline import FORMATS as TIMELINE_FORMATS
from pipelines.timeline import TimelineUnavailable

OUTPUT_FORMATS = ("table", "json", "csv")
CLUSTER_CSV_COLUMNS = (
    "id",
    "size",
    "first_seen",
    "last_seen",
    "languages",
    "outlets",
    "queries",
    "representative_id",
    "title",
)


class CommandError(Exception):
    """A command cannot do what was asked; the message says why (exit status 1)."""


# --- shared plumbing ---------------------------------------------------------------------------


def open_from_args(args: argparse.Namespace) -> NewsDatabase:
    from newscrawl.cli import database_url  # the command's own module; imported late (a cycle)

    return NewsDatabase(open_database(database_url(args.db)))


def console(out: TextIO) -> Console:
    """A console on ``out``: the terminal's width there, else ``COLUMNS`` or 120 columns."""
    terminal = out.isatty() if hasattr(out, "isatty") else False
    width = None if terminal or os.environ.get("COLUMNS") else 120
    return Console(file=out, width=width, highlight=False, soft_wrap=False)


@contextmanager
def progress_bar(description: str) -> Iterator[Callable[[int, int], None]]:
    """A progress callback ``(done, total)`` drawn on standard error when it is a terminal."""
    err = Console(stderr=True)
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )
    task = bar.add_task(description, total=None)

    def update(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total)

    with bar:
        yield update


def _date_range(args: argparse.Namespace) -> tuple[datetime | None, datetime | None]:
    try:
        since = parse_since(args.since)
        until = parse_since(args.until)
    except ArgumentError as error:
        raise CommandError(str(error).replace("since=", "date ")) from None
    if until and args.until and "T" not in args.until and len(args.until.strip()) == 10:
        until += timedelta(days=1)  # a day given as --until counts whole
    return since, until


def _filters(args: argparse.Namespace) -> dict[str, Any]:
    since, until = _date_range(args)
    return {
        "query": args.query,
        "min_size": args.min_size,
        "since": since,
        "until": until,
        "languages": args.language,
        "outlets": args.outlet,
        "sort": args.sort,
        "limit": args.limit,
    }


def _write_json(data: Any, out: TextIO) -> None:
    json.dump(data, out, ensure_ascii=False, indent=2)
    out.write("\n")


# --- clusters ----------------------------------------------------------------------------------


def clusters_table(clusters: Sequence[ClusterView]) -> Table:
    table = Table(title=f"{plural(len(clusters), 'cluster')}", title_justify="left")
    table.add_column("id", justify="right", style="bold")
    table.add_column("articles", justify="right")
    table.add_column("published (UTC)", no_wrap=True)
    table.add_column("lang", no_wrap=True)
    table.add_column("outlets", max_width=28)
    table.add_column("title (of the representative)", ratio=1)
    for cluster in clusters:
        table.add_row(
            str(cluster.id),
            str(cluster.size),
            format_span(cluster.first_seen, cluster.last_seen),
            ", ".join(cluster.languages) or "?",
            escape(", ".join(cluster.outlets) or "?"),
            escape(cluster.title or "(untitled)"),
        )
    return table


def cluster_csv_row(cluster: ClusterView) -> dict[str, Any]:
    return {
        "id": cluster.id,
        "size": cluster.size,
        "first_seen": cluster.first_seen,
        "last_seen": cluster.last_seen,
        "languages": cluster.languages,
        "outlets": cluster.outlets,
        "queries": cluster.queries,
        "representative_id": cluster.representative_id,
        "title": cluster.title,
    }


def cmd_clusters(args: argparse.Namespace, out: TextIO) -> int:
    with open_from_args(args) as db:
        clusters = db.clusters(**_filters(args))
    if args.format == "json":
        _write_json([c.as_json() for c in clusters], out)
    elif args.format == "csv":
        write_csv([cluster_csv_row(c) for c in clusters], out, CLUSTER_CSV_COLUMNS)
    elif not clusters:
        out.write("no clusters stored\n" if not _any_filter(args) else "no cluster matches\n")
    else:
        console(out).print(clusters_table(clusters))
    return 0


def _any_filter(args: argparse.Namespace) -> bool:
    return any((args.query, args.since, args.until, args.language, args.outlet, args.min_size > 1))


# --- show --------------------------------------------------------------------------------------


def change_lines(changes: Changes) -> list[Text]:
    """What a member changed: numbers added and missing, names respelled, sentences added."""
    lines = []
    if changes.numbers_added or changes.numbers_missing:
        numbers = [f"+{n}" for n in changes.numbers_added]
        numbers += [f"-{n}" for n in changes.numbers_missing]
        lines.append(Text.assemble(("numbers  ", "bold"), " ".join(numbers)))
    for old, new in changes.names_respelled:
        lines.append(Text.assemble(("name     ", "bold"), old, " → ", (new, "cyan")))
    for sentence in changes.sentences_added:
        lines.append(Text.assemble(("added    ", "bold"), ("“" + sentence + "”", "green")))
    return lines


def members_table(cluster: ClusterView) -> Table:
    representative = cluster.representative
    origin = representative.published if representative else None
    table = Table(title="members, the representative first", title_justify="left")
    table.add_column("article", justify="right")
    table.add_column("outlet", max_width=24)
    table.add_column("published (UTC)", no_wrap=True)
    table.add_column("after", justify="right", no_wrap=True)
    table.add_column("lang")
    table.add_column("how it matched", no_wrap=True)
    table.add_column("sim.", justify="right")
    table.add_column("title", ratio=1)
    for member in cluster.members:
        is_rep = member.id == cluster.representative_id
        table.add_row(
            f"{'*' if is_rep else ''}{member.id}",
            escape(member.outlet or "?"),
            format_time(member.published),
            "—" if is_rep else format_hours(member.hours_after(origin)),
            member.language or "?",
            member.match_kind,
            f"{member.similarity:.2f}",
            escape(member.title or ""),
        )
    return table


def render_show(detail: ClusterDetail, member_texts: dict[int, str] | None, out: TextIO) -> None:
    cluster = detail.cluster
    representative = cluster.representative
    view = console(out)
    view.print(
        Text.assemble(
            (f"Cluster {cluster.id}", "bold"),
            f" · {plural(cluster.size, 'article')} · {plural(len(cluster.outlets), 'outlet')}"
            f" · {', '.join(cluster.languages) or '?'} · "
            f"{format_span(cluster.first_seen, cluster.last_seen)} UTC",
        )
    )
    if representative:
        view.print(
            Text.assemble(
                ("Representative ", "bold"),
                f"#{representative.id} · {representative.outlet or '?'} · "
                f"{representative.language or '?'} · {format_time(representative.published)} UTC",
            )
        )
        view.print(Text(representative.title or "(untitled)", style="bold"))
        view.print(Text(representative.url, style="dim"))
    view.print(Panel(Text(detail.text), title="text of the representative", title_align="left"))
    view.print(members_table(cluster))
    origin = representative.published if representative else None
    for member in cluster.members:
        if member.id == cluster.representative_id:
            continue
        lines = change_lines(member.changes) or [Text("no changed numbers, names or sentences")]
        header = Text.assemble(
            (f"#{member.id} {member.outlet or '?'}", "bold"),
            f" · {member.language or '?'} · {member.match_kind} · "
            f"{format_hours(member.hours_after(origin))} · similarity {member.similarity:.2f}",
        )
        body: list[Text | Panel] = [Text(member.url, style="dim"), *lines]
        if member_texts is not None:
            body.append(Panel(Text(member_texts.get(member.id, "")), title="text"))
        view.print(Panel(Group(header, *body), title="against the representative"))


def _member_json(member: MemberView, origin: datetime | None) -> dict[str, Any]:
    return {**member.as_json(), "hours_after_representative": member.hours_after(origin)}


def cmd_show(args: argparse.Namespace, out: TextIO) -> int:
    with open_from_args(args) as db:
        detail = db.cluster(args.cluster)
        if detail is None:
            raise CommandError(f"no cluster {args.cluster}")
        texts = None
        if args.texts:
            with db.engine.connect() as connection:
                texts = member_texts(connection, [m.id for m in detail.cluster.members])
    cluster = detail.cluster
    origin = cluster.representative.published if cluster.representative else None
    if args.format == "json":
        data = detail.as_json()
        data["members"] = [_member_json(m, origin) for m in cluster.members]
        if texts is not None:
            for member in data["members"]:
                member["text"] = texts[member["id"]]
        _write_json(data, out)
    elif args.format == "csv":
        rows = [member_record(cluster, m) for m in cluster.members]
        if texts is not None:
            for row in rows:
                row["text"] = texts[row["article_id"]]
        write_csv(rows, out, list(columns_for("members", texts is not None)))
    else:
        render_show(detail, texts, out)
    return 0


# --- search ------------------------------------------------------------------------------------


def search_table(results: Sequence[SearchResult], text: str) -> Table:
    table = Table(
        title=f"{plural(len(results), 'cluster')} matching {text!r}, best first",
        title_justify="left",
    )
    table.add_column("cluster", justify="right", style="bold")
    table.add_column("matching", justify="right")
    table.add_column("lang")
    table.add_column("title, and where the best match says it", ratio=1)
    pattern = highlight_pattern(parse_query(text))
    for result in results:
        cluster = result.cluster
        best = result.matches[0] if result.matches else None
        passage = Text(result.snippet, style="dim")
        passage.highlight_regex(re.compile(pattern, re.IGNORECASE), style="bold yellow")
        source = f"{best.outlet or '?'} ({best.language or '?'}): " if best else ""
        table.add_row(
            str(cluster.id),
            f"{len(result.matches)} of {cluster.size}",
            ", ".join(cluster.languages) or "?",
            Group(Text(cluster.title or "(untitled)", style="bold"), Text(source) + passage),
        )
    return table


def cmd_search(args: argparse.Namespace, out: TextIO) -> int:
    with open_from_args(args) as db, progress_bar("indexing new articles") as progress:
        try:
            results = db.search(
                args.text,
                limit=args.limit,
                query=args.query,
                languages=args.language,
                progress=progress,
            )
        except SearchSyntaxError as error:
            raise CommandError(str(error)) from None
    if args.format == "json":
        _write_json([r.as_json() for r in results], out)
    elif args.format == "csv":
        rows = [
            {
                **cluster_csv_row(r.cluster),
                "score": round(r.score, 6),
                "matching_ids": [str(m.id) for m in r.matches],
                "snippet": r.snippet,
            }
            for r in results
        ]
        columns = [*CLUSTER_CSV_COLUMNS, "score", "matching_ids", "snippet"]
        write_csv(rows, out, columns)
    elif not results:
        out.write(f"no cluster matches {args.text!r}\n")
    else:
        console(out).print(search_table(results, args.text))
    return 0


def cmd_index(args: argparse.Namespace, out: TextIO) -> int:
    from pipelines.search import indexed_count, rebuild_search_index

    with open_from_args(args) as db, progress_bar("indexing articles") as progress:
        if args.rebuild:
            added = rebuild_search_index(db.engine, progress)
        else:
            added = db.refresh_search(progress)
        total = indexed_count(db.engine)
    out.write(f"search index: {added} article(s) indexed now, {total} in all\n")
    return 0


# --- export ------------------------------------------------------------------------------------


def cmd_export(args: argparse.Namespace, out: TextIO) -> int:
    if args.format == "parquet" and args.output in (None, "-"):
        raise CommandError("Parquet is written to a file: give --output FILE.parquet")
    with_text = not args.no_text
    columns = columns_for(args.table, with_text)
    with open_from_args(args) as db, progress_bar("rebuilding texts") as progress:
        rows = db.records(args.table, with_text=with_text, progress=progress, **_filters(args))
        try:
            count = _write_export(rows, args, columns, out)
        except ExportUnavailable as error:
            raise CommandError(str(error)) from None
    target = args.output if args.output not in (None, "-") else "standard output"
    unit = "member" if args.table == "members" else "cluster"
    print(f"newscrawl export: {count} row(s), one per {unit}, to {target}", file=sys.stderr)
    return 0


def _write_export(rows, args: argparse.Namespace, columns: dict[str, str], out: TextIO) -> int:
    if args.format == "parquet":
        return write_parquet(rows, Path(args.output), columns)
    if args.output in (None, "-"):
        return write_jsonl(rows, out) if args.format == "jsonl" else write_csv(rows, out, columns)
    path = Path(args.output)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as file:
        if args.format == "jsonl":
            return write_jsonl(rows, file)
        return write_csv(rows, file, columns)


# --- timeline ----------------------------------------------------------------------------------


def cmd_timeline(args: argparse.Namespace, out: TextIO) -> int:
    output = Path(args.output)
    if output.suffix.lower() not in TIMELINE_FORMATS:
        raise CommandError(f"--output must end in {', '.join(TIMELINE_FORMATS)}: {output}")
    with open_from_args(args) as db:
        detail = db.cluster(args.cluster)
        if detail is None:
            raise CommandError(f"no cluster {args.cluster}")
        try:
            db.timeline(args.cluster, output)
        except TimelineUnavailable as error:
            raise CommandError(str(error)) from None
    cluster = detail.cluster
    out.write(
        f"wrote {output}: cluster {cluster.id}, {plural(cluster.size, 'article')} from "
        f"{plural(len(cluster.outlets), 'outlet')} in {', '.join(cluster.languages) or '?'}, "
        f"{format_span(cluster.first_seen, cluster.last_seen)} UTC\n"
    )
    return 0


# --- serve -------------------------------------------------------------------------------------


def cmd_serve(args: argparse.Namespace, out: TextIO) -> int:
    from newscrawl.serve import make_server

    db = open_from_args(args)
    server = make_server(db, args.host, args.port)
    host, port = server.server_address[:2]
    out.write(
        f"serving {db.engine.url.render_as_string()} at http://{host}:{port}/ (Ctrl-C stops)\n"
    )
    out.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        db.close()
    return 0


# --- the parsers -------------------------------------------------------------------------------


def _database_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", help="SQLite path or database URL (default: DATABASE_URL)")


def _format_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=OUTPUT_FORMATS, default="table")


def _filter_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--query", help="only clusters found by crawls of this query")
    parser.add_argument("--since", help="a member published at or after (2025-04-28, 7d, 24h)")
    parser.add_argument("--until", help="a member published before (a date counts whole)")
    parser.add_argument("--language", help="a member in one of these languages (en,ru)")
    parser.add_argument("--outlet", help="a member from an outlet whose name contains this")
    parser.add_argument("--min-size", type=int, default=1, help="only clusters this large")
    parser.add_argument(
        "--sort",
        choices=("size", "date"),
        default="size",
        help="size: largest first; date: most recently first seen first",
    )
    parser.add_argument("--limit", type=int, help="at most this many clusters")


def _guarded(command: Callable[[argparse.Namespace, TextIO], int]):
    """The command, with a ``CommandError`` reported on standard error as exit status 1."""

    def run(args: argparse.Namespace, out: TextIO) -> int:
        try:
            return command(args, out)
        except CommandError as error:
            print(f"newscrawl {args.command}: {error}", file=sys.stderr)
            return 1
        except BrokenPipeError:  # the reader stopped early (| head): stop quietly
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 1

    return run


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Add the analysts' subcommands to the ``newscrawl`` parser."""
    clusters = commands.add_parser("clusters", help="list the stored clusters")
    _database_option(clusters)
    _filter_options(clusters)
    _format_option(clusters)
    clusters.set_defaults(run=_guarded(cmd_clusters))

    show = commands.add_parser("show", help="a cluster: its text once, every member's changes")
    show.add_argument("cluster", type=int, metavar="CLUSTER")
    _database_option(show)
    _format_option(show)
    show.add_argument("--texts", action="store_true", help="also every member's full text")
    show.set_defaults(run=_guarded(cmd_show))

    search = commands.add_parser("search", help="full-text search; one result per cluster")
    search.add_argument("text", metavar="TEXT", help='words (prefixes) and "quoted phrases"')
    _database_option(search)
    search.add_argument("--query", help="only clusters found by crawls of this query")
    search.add_argument("--language", help="only clusters with a member in these languages")
    search.add_argument("--limit", type=int, default=20, help="at most this many clusters")
    _format_option(search)
    search.set_defaults(run=_guarded(cmd_search))

    export = commands.add_parser("export", help="clusters and members for notebooks")
    _database_option(export)
    export.add_argument("--format", choices=EXPORT_FORMATS, default="jsonl")
    export.add_argument("--output", help="the file to write (default: standard output)")
    export.add_argument(
        "--table",
        choices=("members", "clusters"),
        default="members",
        help="a row per member (default) or per cluster",
    )
    export.add_argument("--no-text", action="store_true", help="leave the texts out")
    _filter_options(export)
    export.set_defaults(run=_guarded(cmd_export))

    timeline = commands.add_parser("timeline", help="chart how a cluster spread over time")
    timeline.add_argument("cluster", type=int, metavar="CLUSTER")
    _database_option(timeline)
    timeline.add_argument("--output", required=True, help="FILE.png, FILE.svg or FILE.html")
    timeline.set_defaults(run=_guarded(cmd_timeline))

    index = commands.add_parser("index", help="bring the full-text search index up to date")
    _database_option(index)
    index.add_argument("--rebuild", action="store_true", help="forget the index and rebuild it")
    index.set_defaults(run=_guarded(cmd_index))

    serve = commands.add_parser("serve", help="browse the clusters in a web browser")
    _database_option(serve)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    serve.set_defaults(run=_guarded(cmd_serve))

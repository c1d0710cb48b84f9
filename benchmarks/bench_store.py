"""Articles stored per second: one transaction per article versus batched transactions.

    python -m benchmarks.bench_store [--quick] [--postgres URL]

Synthetic English articles (stories of three rewrites) go through ``ArticleStore`` without an
embedder, so what is measured is grouping by MinHash and storage: ``add`` per article, then
``add_batch`` with ``STORE_BATCH_SIZE`` articles per transaction. Each run stores into a fresh
database: a SQLite file (WAL, as the crawler opens it) and, when it answers, a PostgreSQL
database created for the run and dropped after it (the server from ``--postgres`` or
``NEWSCRAWL_TEST_POSTGRES_URL``). The median of the runs is printed.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.exc import OperationalError

from benchmarks.report import Table, median_of, ratio, timed
from newscrawl.settings import STORE_BATCH_SIZE
from pipelines.database import describe_error, open_database, safe_url, temporary_database
from pipelines.extract import ExtractedArticle
from pipelines.group import GroupingConfig, make_document
from pipelines.store import ArticleStore, NewArticle

CONFIG = GroupingConfig()
VOCABULARY = (
    "officials regional border village council residents drone shelling power plant grain "
    "farmers bridge railway school hospital volunteers evacuation governor ministry report "
    "convoy supply water heating repairs damage mayor statement night morning week district "
    "road checkpoint market factory workers families shelter buses aid trucks emergency crews"
)
WORDS = VOCABULARY.split()
START = datetime(2025, 6, 1, 6, tzinfo=UTC)
Database = Callable[[], AbstractContextManager[str]]  # a fresh database's URL while it lasts


def synthetic_articles(count: int, seed: int = 7) -> list[NewArticle]:
    """``count`` articles: stories told three times, the retellings with a sentence added (the
    cheap kind of delta: the benchmark measures storage, not the diff of unrelated words)."""
    articles = []
    for number in range(count):
        story, copy = divmod(number, 3)
        story_rng = random.Random(seed * 100_003 + story)
        paragraphs = [
            " ".join(
                f"{' '.join(story_rng.sample(WORDS, 12)).capitalize()} {story_rng.randrange(900)}."
                for _ in range(4)
            )
            for _ in range(5)
        ]
        if copy:
            paragraphs.append(f"Updated by outlet {copy}: {' '.join(story_rng.sample(WORDS, 9))}.")
        body = "\n\n".join(paragraphs)
        title = f"Report {story}"
        extracted = ExtractedArticle(
            text=body,
            title=title,
            author=None,
            published=START + timedelta(hours=story, minutes=copy),
            language="en",
            outlet=f"Outlet {copy}",
            canonical_url=None,
        )
        document = make_document(body, title, "en", CONFIG)
        articles.append(NewArticle(f"https://o{copy}.example/{story}", extracted, document))
    return articles


@contextmanager
def sqlite_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="newscrawl-bench-store-") as folder:
        yield f"sqlite:///{Path(folder) / 'bench.db'}"


def rate(database: Database, articles: list[NewArticle], batched: bool) -> float:
    """Articles per second stored into a fresh database, per article or in batches."""
    with database() as url:
        engine = open_database(url)
        store = ArticleStore(engine, CONFIG)
        store.load_index()
        if batched:
            chunks = [
                articles[i : i + STORE_BATCH_SIZE]
                for i in range(0, len(articles), STORE_BATCH_SIZE)
            ]
            seconds = timed(lambda: [store.add_batch(chunk) for chunk in chunks])
        else:
            seconds = timed(lambda: [store.add(article) for article in articles])
        engine.dispose()
    return len(articles) / seconds


def measure(database: Database, articles: list[NewArticle], runs: int) -> tuple[float, float]:
    """Median articles/s stored with one transaction per article, and in batches."""
    single = median_of(runs, lambda: rate(database, articles, batched=False))
    batched = median_of(runs, lambda: rate(database, articles, batched=True))
    return single, batched


def table(quick: bool, postgres: str | None = None) -> Table:
    """The benchmark: SQLite and PostgreSQL, per-article transactions versus batches."""
    count, runs = (24, 1) if quick else (600, 3)
    articles = synthetic_articles(count)
    result = Table(
        "Storing articles: one transaction each vs batches",
        ["database", "articles", "per article (art/s)", "batched (art/s)", "batched / per article"],
    )
    single, batched = measure(sqlite_database, articles, runs)
    result.add("SQLite file (WAL)", count, single, batched, ratio(batched, single))
    server = postgres or os.environ.get("NEWSCRAWL_TEST_POSTGRES_URL")
    if not server:
        result.add("PostgreSQL", count, "not measured: no server given", "", "n/a")
    else:
        try:
            single, batched = measure(
                lambda: temporary_database(server, "newscrawl_bench"), articles, runs
            )
        except OperationalError as error:
            reason = f"unreachable: {describe_error(error, server)}"
            result.add(f"PostgreSQL {safe_url(server)}", count, reason, "", "n/a")
        else:
            result.add("PostgreSQL", count, single, batched, ratio(batched, single))
    result.notes += [
        f"median of {runs} runs, each into a fresh database" if runs > 1 else "one run (quick)",
        f"batched: {STORE_BATCH_SIZE} articles per transaction (STORE_BATCH_SIZE)",
        "no embedder: MinHash grouping, delta encoding and the database are what is measured",
    ]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="the CI smoke size (seconds)")
    parser.add_argument("--postgres", help="PostgreSQL server URL (a database is made per run)")
    arguments = parser.parse_args()
    print(table(arguments.quick, arguments.postgres).render())


if __name__ == "__main__":
    main()

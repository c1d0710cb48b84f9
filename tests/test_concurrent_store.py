"""Several processes storing into one PostgreSQL database at once: one story, one cluster."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipelines.database import open_database
from pipelines.extract import ExtractedArticle
from pipelines.group import GroupingConfig, make_document
from pipelines.models import Article, Cluster
from pipelines.store import ArticleStore, NewArticle

CONFIG = GroupingConfig()
STORY = (
    "Authorities in the Kursk region ordered the evacuation of three border villages on Monday "
    "after overnight shelling damaged a school and several homes. Buses left the village square "
    "shortly after dawn carrying around four hundred residents to temporary shelters in the "
    "regional capital. Volunteers handed out blankets, bottled water and hot meals to families "
    "who had spent the night in cellars."
)
WORKERS = 2
REWRITES_EACH = 4


def rewrite(worker: int, number: int) -> str:
    return f"Report {worker}-{number}: " + STORY.replace("Monday", f"Monday ({worker}.{number})")


def new_rewrite(worker: int, number: int) -> NewArticle:
    text = rewrite(worker, number)
    published = datetime(2025, 5, 10, tzinfo=UTC) + timedelta(minutes=number)
    article = ExtractedArticle(
        text, f"t{worker}{number}", None, published, "en", f"Outlet {worker}", None
    )
    document = make_document(text, None, "en", CONFIG)
    return NewArticle(f"https://o{worker}.example/{number}", article, document)


@pytest.mark.parametrize("batched", [False, True], ids=["one by one", "in batches"])
def test_two_writers_seeing_rewrites_at_once_make_one_cluster(
    postgres_url: str, batched: bool
) -> None:
    open_database(postgres_url).dispose()  # migrate once, before the race
    start = threading.Barrier(WORKERS)
    errors: list[BaseException] = []

    def worker(number: int) -> None:
        engine = open_database(postgres_url)
        store = ArticleStore(engine, CONFIG)
        store.load_index()
        try:
            start.wait()
            articles = [new_rewrite(number, n) for n in range(REWRITES_EACH)]
            if batched:
                store.add_batch(articles[:2])
                store.add_batch(articles[2:])
            else:
                for article in articles:
                    store.add(article)
        except BaseException as error:  # reported by the main thread
            errors.append(error)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors

    engine = open_database(postgres_url)
    with Session(engine) as session:
        articles = session.scalar(select(func.count(Article.id)))
        clusters = session.scalars(select(Cluster)).all()
    engine.dispose()
    assert articles == WORKERS * REWRITES_EACH
    assert len(clusters) == 1

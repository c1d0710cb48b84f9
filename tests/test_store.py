"""Storage: once per cluster, exact rebuilds, earliest representative, upsert by URL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from pipelines.clusters import list_clusters, member_text
from pipelines.database import DatabaseError, current_revision, head_revision, open_database
from pipelines.extract import ExtractedArticle
from pipelines.group import GroupingConfig, MatchKind, make_document
from pipelines.models import Article, Cluster
from pipelines.store import ArticleStore, NewArticle
from pipelines.textdelta import Storage

CONFIG = GroupingConfig()
T0 = datetime(2025, 4, 28, 9, 0, tzinfo=UTC)

ORIGINAL = (
    "North Korean troops were sent to the Kursk region under the comprehensive strategic "
    "partnership treaty and not out of self-interest, a researcher at the Centre for Korean "
    "Studies told the newspaper. The army had not fought since 1953 and gained experience of "
    "modern warfare. He would not estimate how many soldiers took part. Reports range from "
    "11,000 to 50,000 soldiers. Kim Jong Un praised the troops for liberating the region, and "
    "Vladimir Putin thanked North Korea for its support."
)
REWRITE = (
    "Fresh Take: "
    + ORIGINAL.replace("a researcher", "Kim Yen Un, a researcher")
    + " Time will tell which figure is right."
)
OTHER = (
    "A drone struck an auxiliary building at the Kursk nuclear power plant overnight and set its "
    "roof on fire, the operator said. Radiation levels in Kurchatov remained normal, nobody was "
    "injured and the fire was out within forty minutes. Two power units kept working at reduced "
    "output while engineers inspected the site."
)


def new_article(url: str, text: str, published: datetime | None, title: str = "t") -> NewArticle:
    article = ExtractedArticle(
        text=text,
        title=title,
        author=None,
        published=published,
        language="en",
        outlet="Outlet",
        canonical_url=None,
    )
    return NewArticle(url, article, make_document(text, title, "en", CONFIG), "test", "Kursk")


@pytest.fixture
def store(database_url: str) -> ArticleStore:
    engine = open_database(database_url)
    yield ArticleStore(engine, CONFIG)
    engine.dispose()


def counts(store: ArticleStore) -> tuple[int, int]:
    with Session(store.engine) as session:
        articles = session.scalar(select(func.count(Article.id)))
        clusters = session.scalar(select(func.count(Cluster.id)))
    return articles, clusters


def test_migration_reaches_head_and_is_idempotent(database_url: str) -> None:
    engine = open_database(database_url)
    assert current_revision(engine) == head_revision()
    engine.dispose()
    engine = open_database(database_url)  # a second open changes nothing
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_rewrite_joins_cluster_and_stores_only_a_delta(store: ArticleStore) -> None:
    first = store.add(new_article("https://a.example/1", ORIGINAL, T0))
    second = store.add(new_article("https://b.example/2", REWRITE, T0 + timedelta(hours=2)))
    other = store.add(new_article("https://c.example/3", OTHER, T0))

    assert first.new_cluster and first.match_kind is MatchKind.ORIGINAL
    assert second.cluster_id == first.cluster_id
    assert second.match_kind is MatchKind.NEAR_DUPLICATE
    assert 0.3 <= second.similarity < 1.0
    assert other.new_cluster and other.cluster_id != first.cluster_id

    with Session(store.engine) as session:
        rewrite = session.get_one(Article, second.article_id)
        assert rewrite.text_storage == Storage.DELTA
        assert len(rewrite.text_payload) < len(REWRITE.encode()) / 3
        assert rewrite.matched_id == first.article_id
        cluster = session.get_one(Cluster, first.cluster_id)
        assert cluster.text == ORIGINAL and cluster.representative_id == first.article_id
    assert member_text(store.engine, second.article_id) == REWRITE
    assert member_text(store.engine, first.article_id) == ORIGINAL
    totals = store.text_totals()
    assert totals.extracted == len((ORIGINAL + REWRITE + OTHER).encode())
    assert totals.stored < len((ORIGINAL + OTHER).encode()) + len(REWRITE.encode()) / 3


def test_exact_copy_costs_no_text_bytes(store: ArticleStore) -> None:
    first = store.add(new_article("https://a.example/1", ORIGINAL, T0))
    before = store.text_totals()
    copy = store.add(new_article("https://mirror.example/1", ORIGINAL, T0 + timedelta(days=1)))
    assert copy.cluster_id == first.cluster_id and copy.match_kind is MatchKind.EXACT
    assert copy.similarity == 1.0
    after = store.text_totals()
    assert after.stored == before.stored
    assert after.extracted == 2 * before.extracted
    assert member_text(store.engine, copy.article_id) == ORIGINAL


def test_same_url_again_changes_nothing(store: ArticleStore) -> None:
    first = store.add(new_article("https://a.example/1", ORIGINAL, T0))
    again = store.add(new_article("https://a.example/1", REWRITE, T0))
    assert not again.created and again.article_id == first.article_id
    assert counts(store) == (1, 1)
    assert member_text(store.engine, first.article_id) == ORIGINAL


def test_earlier_member_becomes_representative_and_all_texts_rebuild(
    store: ArticleStore,
) -> None:
    late = store.add(new_article("https://late.example/1", REWRITE, T0 + timedelta(hours=5)))
    copy = store.add(new_article("https://copy.example/1", REWRITE, T0 + timedelta(hours=6)))
    early = store.add(new_article("https://early.example/1", ORIGINAL, T0))

    assert early.cluster_id == late.cluster_id == copy.cluster_id
    assert early.match_kind is MatchKind.ORIGINAL
    with Session(store.engine) as session:
        cluster = session.get_one(Cluster, early.cluster_id)
        assert cluster.representative_id == early.article_id
        assert cluster.text == ORIGINAL
        demoted = session.get_one(Article, late.article_id)
        assert demoted.match_kind == MatchKind.NEAR_DUPLICATE
        assert demoted.text_storage == Storage.DELTA
        assert demoted.similarity < 1.0
    expected = {late.article_id: REWRITE, copy.article_id: REWRITE, early.article_id: ORIGINAL}
    for article_id, text in expected.items():
        assert member_text(store.engine, article_id) == text
    [view] = list_clusters(store.engine)
    assert view.members[0].id == early.article_id


def test_index_reloaded_from_database_groups_a_later_crawl(database_url: str) -> None:
    engine = open_database(database_url)
    first_crawl = ArticleStore(engine, CONFIG)
    original = first_crawl.add(new_article("https://a.example/1", ORIGINAL, T0))

    second_crawl = ArticleStore(engine, CONFIG)  # a new process: empty index until loaded
    assert second_crawl.load_index() == 1
    rewrite = second_crawl.add(new_article("https://b.example/2", REWRITE, T0 + timedelta(1)))
    assert rewrite.cluster_id == original.cluster_id
    assert not rewrite.new_cluster
    engine.dispose()


def test_unreachable_database_is_a_clear_error() -> None:
    with pytest.raises(DatabaseError, match=r"cannot open database .*:\*\*\*@127\.0\.0\.1:1/"):
        open_database("postgresql+psycopg://someone:secret@127.0.0.1:1/newscrawl")


def test_not_a_database_url_is_a_clear_error() -> None:
    with pytest.raises(DatabaseError, match="not a database URL"):
        open_database("no-such-scheme")


def test_where_the_text_and_dates_came_from_is_stored(store: ArticleStore) -> None:
    article = ExtractedArticle(
        text=ORIGINAL,
        title="t",
        author="A. Writer",
        published=T0,
        language="en",
        outlet="Outlet",
        canonical_url=None,
        strategy="json_ld",
        date_source="meta",
        modified=T0 + timedelta(hours=2),
        modified_source="json_ld",
        language_source="detected",
        authors=("A. Writer", "B. Editor"),
    )
    document = make_document(ORIGINAL, "t", "en", CONFIG)
    result = store.add(NewArticle("https://a.example/p", article, document, rendered=True))
    with Session(store.engine) as session:
        row = session.get_one(Article, result.article_id)
        assert (row.extraction_strategy, row.date_source, row.modified_source) == (
            "json_ld",
            "meta",
            "json_ld",
        )
        assert row.modified == T0 + timedelta(hours=2) and row.language_source == "detected"
        assert row.authors == '["A. Writer", "B. Editor"]' and row.rendered is True


def test_a_batch_groups_against_its_own_earlier_articles(store: ArticleStore) -> None:
    results = store.add_batch(
        [
            new_article("https://a.example/1", ORIGINAL, T0),
            new_article("https://b.example/2", REWRITE, T0 + timedelta(hours=2)),
            new_article("https://c.example/3", OTHER, T0),
            new_article("https://a.example/1", REWRITE, T0),  # the same URL again
        ]
    )
    original, rewrite, other, again = results
    assert original.new_cluster and other.new_cluster
    assert rewrite.cluster_id == original.cluster_id
    assert rewrite.match_kind is MatchKind.NEAR_DUPLICATE
    assert not again.created and again.article_id == original.article_id
    assert counts(store) == (3, 2)
    assert len(store.index) == 3
    assert member_text(store.engine, rewrite.article_id) == REWRITE


def test_a_failed_batch_leaves_the_index_as_committed(store: ArticleStore) -> None:
    first = store.add(new_article("https://a.example/1", ORIGINAL, T0))
    batch = [
        new_article("https://b.example/2", OTHER, T0),
        new_article("https://c.example/3", REWRITE, T0 + timedelta(hours=1)),
    ]

    def refuse(_connection) -> None:
        raise OperationalError("COMMIT", {}, Exception("the database went away"))

    event.listen(store.engine, "commit", refuse)
    with pytest.raises(OperationalError):
        store.add_batch(batch)
    event.remove(store.engine, "commit", refuse)
    assert counts(store) == (1, 1)

    other, rewrite = store.add_batch(batch)  # the index forgot the failed batch's articles
    assert len(store.index) == 3
    assert other.new_cluster and rewrite.cluster_id == first.cluster_id
    assert counts(store) == (3, 2)
    assert member_text(store.engine, rewrite.article_id) == REWRITE


@pytest.mark.parametrize("text", [REWRITE, OTHER], ids=["joining a cluster", "a new story"])
def test_a_url_stored_concurrently_costs_only_its_own_article(
    store: ArticleStore, monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    elsewhere = ArticleStore(store.engine, CONFIG)  # another process
    theirs = elsewhere.add(new_article("https://a.example/1", ORIGINAL, T0))
    looked_up: list[str] = []
    lookup = ArticleStore._stored_row

    def stale_first_lookup(session: Session, url: str):
        """The other process commits between this one's lookup and its insert."""
        looked_up.append(url)
        return None if looked_up.count(url) == 1 else lookup(session, url)

    monkeypatch.setattr(ArticleStore, "_stored_row", staticmethod(stale_first_lookup))
    mine, other = store.add_batch(
        [
            new_article("https://a.example/1", text, T0),
            new_article("https://c.example/3", OTHER, T0),
        ]
    )
    assert not mine.created and mine.article_id == theirs.article_id
    assert other.created and other.new_cluster
    assert counts(store) == (2, 2)
    assert set(store.index.cluster_ids()) == {theirs.cluster_id, other.cluster_id}
    assert member_text(store.engine, theirs.article_id) == ORIGINAL

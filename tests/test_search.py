"""The analysts' SQL views and full-text search, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from alembic import command
from pipelines.clusters import list_clusters, member_text
from pipelines.database import _alembic_config, open_database
from pipelines.extract import ExtractedArticle
from pipelines.group import GroupingConfig, make_document
from pipelines.search import (
    Term,
    fts5_expression,
    group_hits,
    highlight_pattern,
    indexed_count,
    parse_query,
    rebuild_search_index,
    refresh_search_index,
    search_articles,
    snippet,
    tsquery_expression,
)
from pipelines.store import ArticleStore, NewArticle

CONFIG = GroupingConfig()
T0 = datetime(2025, 4, 28, 5, 0, tzinfo=UTC)

TROOPS = (
    "North Korean troops were sent to the Kursk region under the comprehensive strategic "
    "partnership treaty and not out of self-interest, researcher Kim Yen Un told the newspaper. "
    "The army had not fought since 1953 and gained experience of modern warfare. Reports range "
    "from 11,000 to 50,000 soldiers."
)
TROOPS_REWRITE = (
    "Fresh Take: "
    + TROOPS.replace("researcher Kim Yen Un", "researcher Kim Yeon-un")
    + " Time will tell which figure is right."
)
EVACUATION_RU = (
    "Губернатор объявил эвакуацию жителей трех приграничных сел Курской области. Эвакуация "
    "затронет около 600 человек, для них подготовлены пункты временного размещения в Курске. "
    "Автобусы начнут вывозить людей в субботу утром, сообщили в администрации."
)
PLANT = (
    "A drone struck an auxiliary building at the Kursk nuclear power plant overnight and set its "
    "roof on fire, the operator said. Radiation levels in Kurchatov remained normal, nobody was "
    "injured and the fire was out within forty minutes."
)


def article(url: str, body: str, when: datetime, outlet: str, lang: str = "en") -> NewArticle:
    title = body.split(".")[0][:60]
    extracted = ExtractedArticle(body, title, None, when, lang, outlet, None)
    return NewArticle(url, extracted, make_document(body, title, lang, CONFIG), "feed", "Kursk")


@pytest.fixture
def stored(database_url: str):
    engine = open_database(database_url)
    store = ArticleStore(engine, CONFIG)
    ids = {
        "troops": store.add(article("https://a.example/1", TROOPS, T0, "Ledger")),
        "rewrite": store.add(
            article(
                "https://b.example/1", TROOPS_REWRITE, T0 + timedelta(hours=4, minutes=30), "Pulse"
            )
        ),
        "evacuation": store.add(
            article("https://c.example/1", EVACUATION_RU, T0 + timedelta(days=12), "Курьер", "ru")
        ),
    }
    yield engine, store, ids
    engine.dispose()


def test_views_summarise_clusters_and_list_members(stored) -> None:
    engine, _store, ids = stored
    troops = ids["troops"].cluster_id
    assert ids["rewrite"].cluster_id == troops != ids["evacuation"].cluster_id
    with engine.connect() as connection:
        summary = connection.execute(
            text("SELECT * FROM cluster_summary WHERE cluster_id = :c"), {"c": troops}
        ).one()
        members = connection.execute(
            text(
                "SELECT article_id, is_representative, outlet, hours_after_representative,"
                " match_kind FROM cluster_members WHERE cluster_id = :c ORDER BY published"
            ),
            {"c": troops},
        ).all()
        evacuation = connection.execute(
            text(
                "SELECT outlets, languages, member_count FROM cluster_summary WHERE cluster_id = :c"
            ),
            {"c": ids["evacuation"].cluster_id},
        ).one()
    assert summary.member_count == 2 and summary.outlet_count == 2 and summary.language_count == 1
    assert summary.outlets == "Ledger, Pulse" and summary.languages == "en"
    assert summary.query == "Kursk" and summary.representative_outlet == "Ledger"
    assert summary.title.startswith("North Korean troops")
    assert str(summary.first_seen).startswith("2025-04-28 05:00")
    assert str(summary.last_seen).startswith("2025-04-28 09:30")
    assert [tuple(m) for m in members] == [
        (ids["troops"].article_id, 1, "Ledger", 0.0, "original"),
        (ids["rewrite"].article_id, 0, "Pulse", 4.5, "near_duplicate"),
    ]
    assert tuple(evacuation) == ("Курьер", "ru", 1)


def test_views_come_back_after_migrating_down_and_up(database_url: str) -> None:
    """env.py drops the views before migrations and creates them after, from 0004 on."""
    engine = open_database(database_url)
    config = _alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0003")
    with engine.connect() as connection:
        with pytest.raises(Exception, match="cluster_summary"):
            connection.execute(text("SELECT count(*) FROM cluster_summary"))
        connection.rollback()
    engine.dispose()

    engine = open_database(database_url)  # migrates to head again
    store = ArticleStore(engine, CONFIG)
    store.add(article("https://a.example/1", TROOPS, T0, "Ledger"))
    with engine.connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM cluster_summary")) == 1
        assert connection.scalar(text("SELECT count(*) FROM cluster_members")) == 1
    assert refresh_search_index(engine) == 1
    engine.dispose()


def test_search_covers_every_member_incrementally_and_answers_by_cluster(stored) -> None:
    engine, store, ids = stored
    assert refresh_search_index(engine) == 3
    assert refresh_search_index(engine) == 0  # nothing new: nothing done
    assert indexed_count(engine) == 3

    # Only the rewrite (a member stored as a delta) says "Yeon": its own text is indexed.
    [hit] = group_hits(search_articles(engine, "Yeon"))
    assert hit.article_ids == (ids["rewrite"].article_id,)
    # Both members match, and the cluster comes back once.
    [hit] = group_hits(search_articles(engine, "troops 1953"))
    assert hit.cluster_id == ids["troops"].cluster_id
    assert set(hit.article_ids) == {ids["troops"].article_id, ids["rewrite"].article_id}
    # Prefixes, phrases, and transliteration both ways.
    assert {h.cluster_id for h in group_hits(search_articles(engine, "Курск"))} == {
        ids["troops"].cluster_id,
        ids["evacuation"].cluster_id,
    }
    [hit] = group_hits(search_articles(engine, "evakuats"))
    assert hit.cluster_id == ids["evacuation"].cluster_id
    assert group_hits(search_articles(engine, '"strategic partnership"'))
    assert not group_hits(search_articles(engine, '"partnership strategic"'))
    assert not group_hits(search_articles(engine, "ar"))  # short words match whole words only

    # An article stored later is indexed by the next refresh, and only it.
    later = store.add(article("https://d.example/1", PLANT, T0 + timedelta(days=5), "Wire"))
    assert not search_articles(engine, "Kurchatov")
    assert refresh_search_index(engine) == 1
    [hit] = search_articles(engine, "Kurchatov")
    assert hit.article_id == later.article_id

    assert rebuild_search_index(engine) == 4
    assert len(search_articles(engine, "Kursk")) == 4


def test_an_earlier_original_keeps_every_member_findable(stored) -> None:
    """A representative change re-encodes the members' deltas; their texts, and so the index,
    stay what they were."""
    engine, store, ids = stored
    refresh_search_index(engine)
    earlier = TROOPS.replace("researcher Kim Yen Un", "Kim Chen Un")
    first = store.add(article("https://e.example/1", earlier, T0 - timedelta(hours=3), "Vestnik"))
    assert first.cluster_id == ids["troops"].cluster_id
    [cluster] = list_clusters(engine, ids=[first.cluster_id])
    assert cluster.representative_id == first.article_id
    assert refresh_search_index(engine) == 1
    [hit] = group_hits(search_articles(engine, "Yeon"))
    assert hit.article_ids == (ids["rewrite"].article_id,)
    assert member_text(engine, ids["rewrite"].article_id) == TROOPS_REWRITE


def test_query_parsing_and_both_dialects_expressions() -> None:
    terms = parse_query('Курск "nuclear plant" Kim-Jong un')
    assert terms == [
        Term(("курск",), False),
        Term(("nuclear", "plant"), True),
        Term(("kim",), False),
        Term(("jong",), False),
        Term(("un",), False),
    ]
    assert fts5_expression(terms) == (
        '("kursk"* OR "курск"*) AND ("nuclear plant") AND ("kim"*) AND ("jong"*) AND ("un")'
    )
    assert tsquery_expression(terms) == (
        "('kursk':* | 'курск':*) & (('nuclear' <-> 'plant')) & ('kim':*) & ('jong':*) & (('un'))"
    )
    assert tsquery_expression(parse_query("O'Brien")) == "(('o')) & ('brien':*)"
    with pytest.raises(ValueError, match="nothing to search"):
        parse_query(' "" ... ')


def test_snippet_shows_where_most_terms_meet_and_highlight_finds_them() -> None:
    body = "Kim Jong Un praised the army. " * 10 + "Researcher Kim Yen Un spoke. " + "Filler. " * 40
    terms = parse_query("Kim Yen")
    passage = snippet(body, terms)
    assert "Kim Yen Un" in passage and passage.startswith("… ") and passage.endswith(" …")
    assert len(passage) < 260
    assert snippet("Эвакуация затронет около 600 человек.", parse_query("evakuatsiya"))
    import re

    pattern = re.compile(highlight_pattern(parse_query("kim un")), re.IGNORECASE)
    assert [m.group() for m in pattern.finditer("Kimberly under Un, KIM")] == [
        "Kimberly",
        "Un",
        "KIM",
    ]

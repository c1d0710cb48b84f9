"""The grouping benchmark's quick size runs (CI smoke: figures are printed, not judged)."""

from __future__ import annotations

from benchmarks.bench_grouping import NTREX, same_language_articles, table
from newscrawl.config import grouping_config, project_settings
from pipelines.group import GroupingIndex, group_in_order, make_document


def test_a_third_of_the_synthetic_articles_rewrite_an_earlier_story() -> None:
    articles = same_language_articles(300)
    config = grouping_config(project_settings())
    docs = [make_document(text, title, "en", config) for title, text in articles]
    clusters = {c for _, c, _ in group_in_order(enumerate(docs), GroupingIndex(config))}
    assert 170 <= len(clusters) <= 230  # about 200 stories, each rewrite found


def test_quick_table_has_both_paths() -> None:
    result = table(quick=True)
    paths = [row[0] for row in result.rows]
    assert paths[0] == "same-language"
    assert paths[1:] == (["cross-language (NTREX)"] if NTREX.is_file() else [])
    for row in result.rows:
        assert row[3] > 0 and row[7] >= 0  # grouping articles/s, embeddings per article
    assert "Grouping, one core" in result.render()

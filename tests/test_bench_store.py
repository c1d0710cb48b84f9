"""The storage benchmark's quick size runs (CI smoke: figures are printed, not judged)."""

from __future__ import annotations

import pytest

from benchmarks.bench_store import synthetic_articles, table


def test_synthetic_articles_are_stories_told_three_times() -> None:
    articles = synthetic_articles(6)
    assert len({a.url for a in articles}) == 6
    assert len({a.article.title for a in articles}) == 2
    assert articles[1].article.text.startswith(articles[0].article.text)


def test_quick_table_measures_both_databases(postgres_server: str) -> None:
    result = table(quick=True, postgres=postgres_server)
    assert [row[0] for row in result.rows] == ["SQLite file (WAL)", "PostgreSQL"]
    for _, count, single, batched, ratio in result.rows:
        assert count == 24
        assert isinstance(single, float) and single > 0
        assert isinstance(batched, float) and batched > 0
        assert ratio.endswith("×")
    assert "| PostgreSQL" in result.render()


def test_the_benchmarks_entry_point_prints_the_tables_it_is_asked_for(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from benchmarks.__main__ import main

    assert main(["--quick", "--only", "store"]) == 0
    printed = capsys.readouterr().out
    assert "### Storing articles" in printed and "Grouping" not in printed

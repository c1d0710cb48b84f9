"""The index benchmark's quick size runs (CI smoke), and its synthetic articles are as described."""

from __future__ import annotations

import numpy as np

from benchmarks.bench_index import KINDS, near_duplicates, synthetic, table


def test_synthetic_articles_have_near_duplicate_families() -> None:
    corpus = synthetic(5000, seed=1)
    copies = np.flatnonzero(corpus.parents >= 0)
    assert 800 <= len(copies) <= 1200  # a fifth
    assert (corpus.parents[copies] < copies).all()  # a copy follows its parent
    agreement = (corpus.signatures[copies] == corpus.signatures[corpus.parents[copies]]).mean(1)
    assert agreement.min() > 0.05 and agreement.max() == 1.0  # spread, exact copies included
    queries = near_duplicates(corpus, 200, seed=2)
    assert (corpus.parents[queries.parents] < 0).all()


def test_quick_table_compares_each_index_with_datasketch() -> None:
    result = table(quick=True)
    assert [row[1] for row in result.rows] == list(KINDS)
    figures = {row[1]: row for row in result.rows}
    assert figures["band index"][5] == figures["datasketch"][5]  # the same candidates: same recall
    assert figures["grouping index"][4] < figures["datasketch"][4] / 4  # bytes per article

"""The compact LSH index finds exactly the candidates datasketch's MinHashLSH finds."""

from __future__ import annotations

import gc

import numpy as np
import pytest
from datasketch import LeanMinHash, MinHashLSH

from pipelines.band_index import BandIndex, band_keys, band_layout
from pipelines.columns import Column, SortedMultimap

NUM_PERM = 128


def signatures(seed: int, count: int, families: int) -> np.ndarray:
    """Random uint32 signatures, the first ``families`` followed by near-duplicates of them."""
    rng = np.random.default_rng(seed)
    matrix = rng.integers(0, 2**32, size=(count, NUM_PERM), dtype=np.uint32)
    for copy in range(families, count):
        parent = matrix[rng.integers(0, families)]
        kept = rng.random(NUM_PERM) < rng.uniform(0.2, 0.95)  # Jaccard spread over the range
        matrix[copy, kept] = parent[kept]
    return matrix


@pytest.mark.parametrize(
    ("threshold", "key_dtype"),
    [(0.1, np.uint32), (0.1, np.uint16), (0.3, np.uint32), (0.5, np.uint32), (0.8, np.uint16)],
)
def test_candidates_equal_datasketch(threshold: float, key_dtype: type) -> None:
    matrix = signatures(seed=int(threshold * 10), count=6000, families=300)
    ours = BandIndex(threshold, NUM_PERM, key_dtype)
    theirs = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
    assert (ours.bands, ours.width) == (theirs.b, theirs.r)
    for row, values in enumerate(matrix[:5000]):
        ours.add(row, values)
        stored = LeanMinHash(seed=1, hashvalues=values, scheme="affine32")
        theirs.insert(row, stored, check_duplication=False)
    assert len(ours) == 5000
    nonempty = 0
    for values in matrix:  # stored rows and unseen near-duplicates of them
        expected = sorted(theirs.query(LeanMinHash(seed=1, hashvalues=values, scheme="affine32")))
        found = ours.query(values, lambda rows, columns: matrix[rows[:, None], columns])
        assert found.tolist() == expected
        nonempty += bool(expected)
    assert nonempty > 1000


def test_key_collisions_are_dropped_by_the_band_check() -> None:
    """32-bit band keys collide; a row whose key matches but whose band values differ is no
    candidate, as in datasketch."""
    bands, width = band_layout(0.3, NUM_PERM)
    rng = np.random.default_rng(11)
    trials = rng.integers(0, 2**32, size=(300_000, NUM_PERM), dtype=np.uint32)
    trials[:, width:] = np.arange(width, NUM_PERM, dtype=np.uint32)  # only band 0 varies
    keys = band_keys(trials[:, :width], 1, width)[:, 0]
    order = np.argsort(keys, kind="stable")
    clash = np.flatnonzero(keys[order][1:] == keys[order][:-1])[0]
    first, second = order[clash], order[clash + 1]
    stored, query = trials[first].copy(), trials[second].copy()
    query[width:] = stored[width:] + 1  # no other band in common
    assert (stored[:width] != query[:width]).any()
    assert band_keys(stored, bands, width)[0] == band_keys(query, bands, width)[0]

    index = BandIndex(0.3, NUM_PERM)
    index.add(0, stored)
    lsh = MinHashLSH(threshold=0.3, num_perm=NUM_PERM)
    lsh.insert(0, LeanMinHash(seed=1, hashvalues=stored, scheme="affine32"))
    assert lsh.query(LeanMinHash(seed=1, hashvalues=query, scheme="affine32")) == []
    assert index.query(query, lambda rows, columns: stored[columns]).tolist() == []
    assert index.query(stored, lambda rows, columns: stored[columns]).tolist() == [0]


def test_band_keys_of_a_matrix_are_the_keys_of_each_row() -> None:
    matrix = signatures(seed=3, count=20, families=20)
    bands, width = band_layout(0.3, NUM_PERM)
    keys = band_keys(matrix, bands, width)
    assert keys.shape == (20, bands) and keys.dtype == np.uint32
    assert all((keys[i] == band_keys(matrix[i], bands, width)).all() for i in range(20))


def test_multimap_returns_every_value_in_insertion_order() -> None:
    rng = np.random.default_rng(5)
    keys = rng.integers(0, 500, size=30_000, dtype=np.uint64)
    multimap = SortedMultimap(np.uint64)
    for start in range(0, len(keys), 777):  # many flushes and merges
        chunk = keys[start : start + 777]
        multimap.add(chunk, np.arange(start, start + len(chunk)))
    assert len(multimap) == len(keys)
    asked = np.array([0, 7, 499, 500, 7], dtype=np.uint64)
    positions, values = multimap.lookup(asked)
    for i, key in enumerate(asked):
        expected = np.flatnonzero(keys == key).tolist()
        assert values[positions == i].tolist() == expected
        assert multimap.get(int(key)).tolist() == expected


def test_column_grows_and_keeps_rows() -> None:
    column = Column(np.uint32, (3,))
    for i in range(100):
        assert column.append([i, i + 1, i + 2]) == i
    assert len(column) == 100 and column.values.shape == (100, 3)
    assert column.values[57].tolist() == [57, 58, 59]


def test_the_index_adds_no_objects_for_the_collector() -> None:
    matrix = signatures(seed=9, count=20_000, families=100)
    index = BandIndex(0.3, NUM_PERM)
    for row in range(1000):
        index.add(row, matrix[row])
    gc.collect()
    before = len(gc.get_objects())
    for row in range(1000, 20_000):
        index.add(row, matrix[row])
    gc.collect()
    assert len(gc.get_objects()) - before < 50


def test_multimap_ranges_return_exactly_the_pairs_in_them() -> None:
    """Range lookups over closed runs and the open last run, uint16 values, and a range that ends
    at the largest key."""
    rng = np.random.default_rng(6)
    keys = rng.integers(0, 2**32, size=20_000, dtype=np.uint64).astype(np.uint32)
    keys[:50] = np.arange(2**32 - 50, 2**32, dtype=np.uint64)  # the top of the key range
    keys[50:60] = keys[7]  # one key many times
    values = np.arange(len(keys), dtype=np.uint16)
    multimap = SortedMultimap(np.uint32, np.uint16)
    multimap.add(keys[:19_990], values[:19_990])
    multimap.add(keys[19_990:], values[19_990:])  # the last ten stay in the open run
    span = 2**20
    starts = np.array([2**32 - span, keys[7], 0, keys[-1] - 3, 123], dtype=np.uint32)
    lasts = starts + np.uint32(span - 1)
    positions, found_keys, found_values = multimap.lookup_ranges(starts, lasts)
    assert found_values.dtype == np.uint16 and found_keys.dtype == np.uint32
    for i, (start, last) in enumerate(zip(starts.tolist(), lasts.tolist(), strict=True)):
        inside = np.flatnonzero((keys >= start) & (keys <= last))
        mine = positions == i
        pairs = sorted(zip(found_keys[mine].tolist(), found_values[mine].tolist(), strict=True))
        assert pairs == sorted(zip(keys[inside].tolist(), values[inside].tolist(), strict=True))
    assert (positions == 0).sum() >= 50


def test_multimap_get_tells_apart_uint64_keys_a_float_would_not() -> None:
    """``get`` with a Python int key on uint64 keys compares exactly (and does not convert the
    runs to float64, which would merge keys that differ past 53 bits)."""
    base = 2**60
    keys = np.array([base, base + 1, 2**64 - 1, 5] * 300, dtype=np.uint64)
    multimap = SortedMultimap(np.uint64)
    multimap.add(keys, np.arange(len(keys)))
    for key in (base, base + 1, 2**64 - 1, 5):
        assert multimap.get(key).tolist() == np.flatnonzero(keys == key).tolist()


def test_sixteen_bit_keys_find_their_own_band_only() -> None:
    """With 16-bit keys a query meets only its own band's entries: a row holding one of the
    query's keys in another band is never even confirmed, one holding it in the same band with
    other values is confirmed and dropped, and rows sharing a band are found, the last band
    under the largest key included."""
    bands, width = band_layout(0.1, NUM_PERM)
    rng = np.random.default_rng(12)

    def random_signatures() -> tuple[np.ndarray, np.ndarray]:
        matrix = rng.integers(0, 2**32, size=(20_000, NUM_PERM), dtype=np.uint32)
        return matrix, band_keys(matrix, bands, width, np.uint16)

    trials, keys = random_signatures()
    while not (keys[:, -1] == 2**16 - 1).any():
        trials, keys = random_signatures()
    query = trials[np.flatnonzero(keys[:, -1] == 2**16 - 1)[0]]
    wanted = band_keys(query, bands, width, np.uint16)
    trials, keys = random_signatures()
    same_band = (keys == wanted).any(axis=1)
    other_band = (keys[:, :, None] == wanted).any(axis=(1, 2)) & ~same_band
    stored = np.stack(
        [query, query, trials[np.flatnonzero(same_band)[0]], trials[np.flatnonzero(other_band)[0]]]
    )
    stored[0, :-width] += 1  # shares the last band only
    stored[1, width:] += 1  # shares the first band only
    index = BandIndex(0.1, NUM_PERM, np.uint16)
    for row, values in enumerate(stored):
        index.add(row + 2**20, values)
    confirmed: set[int] = set()

    def values(rows: np.ndarray, columns: np.ndarray) -> np.ndarray:
        confirmed.update(rows.tolist())
        return stored[rows[:, None] - 2**20, columns]

    assert index.query(query, values).tolist() == [2**20, 2**20 + 1]
    assert confirmed == {2**20, 2**20 + 1, 2**20 + 2}

"""Compact in-memory storage for the grouping index: growing typed columns and a sorted multimap.

Nothing here holds a Python object per entry, so the garbage collector never walks the index and
memory per entry is the bytes of its fields.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from pipelines.sorted_runs import add_pairs, find_ranges

_OPEN_RUN = 256  # pairs in the last run before it is closed
_FANOUT = 4  # a run is merged into the one before it unless that one is this many times larger
_MAX_RUNS = 64  # more than the runs of 2^64 pairs


class Column:
    """A growing array of fixed-shape rows; capacity doubles, and untouched capacity costs no
    resident memory (``np.empty`` of a large size is mapped lazily)."""

    def __init__(self, dtype: DTypeLike, shape: tuple[int, ...] = ()) -> None:
        self._data = np.empty((16, *shape), dtype=dtype)
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def append(self, value: ArrayLike) -> int:
        """Add one row; returns its position."""
        self._reserve(self._size + 1)
        self._data[self._size] = value
        self._size += 1
        return self._size - 1

    def grow(self, count: int) -> np.ndarray:
        """Add ``count`` rows, unset; returns a view of all the rows, for the caller to set them."""
        self._reserve(self._size + count)
        self._size += count
        return self.values

    def extend(self, values: ArrayLike) -> None:
        """Add several rows."""
        values = np.asarray(values, dtype=self._data.dtype)
        needed = self._size + len(values)
        self._reserve(needed)
        self._data[self._size : needed] = values
        self._size = needed

    def _reserve(self, needed: int) -> None:
        if needed > len(self._data):
            grown = np.empty((max(needed, 2 * self._size), *self._data.shape[1:]), self._data.dtype)
            grown[: self._size] = self._data[: self._size]
            self._data = grown

    @property
    def values(self) -> np.ndarray:
        """A view of the rows stored so far."""
        return self._data[: self._size]


class SortedMultimap:
    """Integer keys to unsigned integer values (uint32 unless told), many values per key, LSM-style.

    The pairs lie in two columns (keys, values) as sorted runs one after another, the oldest and
    largest first. New pairs are merged into the last run, kept small (``_OPEN_RUN`` pairs); a
    full last run is closed and merged into the one before it while that one is at most
    ``_FANOUT`` times larger, so there are O(log n) runs and each pair is copied O(log n) times.
    Adding and looking up are compiled (``pipelines.sorted_runs``): a lookup is a binary search
    per run and key. Pairs come back in insertion order for each key.
    """

    def __init__(self, dtype: DTypeLike, value_dtype: DTypeLike = np.uint32) -> None:
        self._dtype, self._value_dtype = np.dtype(dtype), np.dtype(value_dtype)
        self._keys = Column(self._dtype)
        self._values = Column(self._value_dtype)
        # run i holds the pairs bounds[i]:bounds[i + 1] of the columns, the last run is open
        self._bounds = np.zeros(_MAX_RUNS + 1, dtype=np.int64)
        self._runs = np.ones(1, dtype=np.int64)

    def __len__(self) -> int:
        return len(self._keys)

    def add(self, keys: ArrayLike, values: ArrayLike) -> None:
        """Add ``keys[i] → values[i]`` (a single value is paired with every key)."""
        keys = np.asarray(keys, dtype=self._dtype).ravel()
        values = np.asarray(values, dtype=self._value_dtype)
        if not values.ndim:
            values = np.full(len(keys), values)
        add_pairs(
            self._keys.grow(len(keys)),
            self._values.grow(len(keys)),
            self._bounds,
            self._runs,
            keys,
            values,
            _OPEN_RUN,
            _FANOUT,
        )

    def lookup(self, keys: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """Every stored pair whose key is among ``keys``: the position in ``keys`` it matched and
        its value (a key's values in insertion order)."""
        positions, _, values = self.lookup_ranges(keys, keys)
        return positions, values

    def lookup_ranges(
        self, firsts: ArrayLike, lasts: ArrayLike
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every stored pair whose key is in one of the ranges ``firsts[i] ≤ key ≤ lasts[i]``: the
        position in ``firsts`` it matched, its key and its value (a range's pairs in no
        particular order)."""
        firsts = np.asarray(firsts, dtype=self._dtype).ravel()
        lasts = np.asarray(lasts, dtype=self._dtype).ravel()
        return find_ranges(
            self._keys.values, self._values.values, self._bounds, self._runs[0], firsts, lasts
        )

    def get(self, key: int) -> np.ndarray:
        """The values stored under one key, in insertion order."""
        return self.lookup(np.array([key], dtype=self._dtype))[1]

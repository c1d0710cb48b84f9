"""Compact in-memory storage for the grouping index: growing typed columns and a sorted multimap.

Nothing here holds a Python object per entry, so the garbage collector never walks the index and
memory per entry is the bytes of its fields.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

_BUFFER = 256  # entries appended before they are sorted into a run
_NOTHING = np.zeros(0, dtype=np.intp)
_FANOUT = 4  # a run is merged into the one before it unless that one is this many times larger


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

    New pairs go to a small append buffer; a full buffer is sorted into a run, and runs of
    similar size are merged, so there are O(log n) sorted runs and each pair is copied O(log n)
    times. The runs lie one after another in two columns (keys, values), the oldest and largest
    first, so that ``lookup`` is one pair of ``np.searchsorted`` per run and a single gather,
    plus a comparison with the buffer. Pairs come back in insertion order for each key.
    """

    def __init__(self, dtype: DTypeLike, value_dtype: DTypeLike = np.uint32) -> None:
        self._dtype, self._value_dtype = np.dtype(dtype), np.dtype(value_dtype)
        self._run_keys = Column(self._dtype)
        self._run_values = Column(self._value_dtype)
        self._bounds = [0]  # run i holds the pairs bounds[i]:bounds[i + 1] of the columns
        self._keys = np.empty(_BUFFER, dtype=self._dtype)
        self._values = np.empty(_BUFFER, dtype=self._value_dtype)
        self._buffered = 0
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def add(self, keys: ArrayLike, values: ArrayLike) -> None:
        """Add ``keys[i] → values[i]`` (a single value is paired with every key)."""
        keys = np.asarray(keys, dtype=self._dtype).ravel()
        values = np.asarray(values, dtype=self._value_dtype)
        start = 0
        while start < len(keys):
            take = min(len(keys) - start, _BUFFER - self._buffered)
            end = self._buffered + take
            self._keys[self._buffered : end] = keys[start : start + take]
            self._values[self._buffered : end] = (
                values if not values.ndim else values[start : start + take]
            )
            self._buffered, start = end, start + take
            if self._buffered == _BUFFER:
                self._flush()
        self._size += len(keys)

    def lookup(self, keys: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """Every stored pair whose key is among ``keys``: the position in ``keys`` it matched and
        its value."""
        positions, pairs, order = self._pairs(keys, 1)
        return positions, self._gather(pairs, order, self._run_values, self._values)

    def lookup_ranges(
        self, starts: ArrayLike, span: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every stored pair whose key is in one of the ranges ``starts[i] ≤ key < starts[i] +
        span`` (``span`` within the key type's range): the position in ``starts`` it matched, its
        key and its value (a range's pairs in no particular order)."""
        positions, pairs, order = self._pairs(starts, span)
        keys = self._gather(pairs, order, self._run_keys, self._keys)
        return positions, keys, self._gather(pairs, order, self._run_values, self._values)

    def _pairs(
        self, starts: ArrayLike, span: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """The pairs in the ranges of ``lookup_ranges``: the position in ``starts`` each matched,
        and where each lies — in the runs, or past them in the buffer sorted by the order
        returned (``None`` when the buffer is empty)."""
        starts = np.asarray(starts, dtype=self._dtype).ravel()
        with np.errstate(over="ignore"):
            ends = starts + self._dtype.type(span)
        bounds = np.concatenate((starts, ends))
        rank = np.argsort(bounds)  # searched in ascending order, a search narrows the next one
        ascending = bounds[rank]
        found = [self._run_keys.values[start:end].searchsorted(ascending) + start
                 for start, end in zip(self._bounds, self._bounds[1:], strict=False)]  # fmt: skip
        run_ends, order = self._bounds[1:], None
        if self._buffered:  # the buffer, sorted for the occasion, after the runs
            order = np.argsort(self._keys[: self._buffered], kind="stable")
            found.append(self._keys[order].searchsorted(ascending) + self._bounds[-1])
            run_ends = [*run_ends, self._bounds[-1] + self._buffered]
        if not found:
            return _NOTHING, _NOTHING, order
        places = np.empty((len(found), len(bounds)), dtype=np.intp)
        places[:, rank] = found
        low, high = places.reshape(len(found), 2, len(starts)).transpose(1, 0, 2)
        wrapped = ends < starts  # a range up to the largest key: its end wrapped round
        if wrapped.any():
            high[:, wrapped] = np.array(run_ends)[:, None]
        counts = (high - low).ravel()
        positions = np.repeat(np.arange(len(counts)) % max(len(starts), 1), counts)
        pairs = np.repeat(low.ravel() - (np.cumsum(counts) - counts), counts)
        pairs += np.arange(len(pairs))
        return positions, pairs, order

    def _gather(
        self, pairs: np.ndarray, order: np.ndarray | None, runs: Column, buffer: np.ndarray
    ) -> np.ndarray:
        """The keys or values (``runs`` and ``buffer`` of one of them) of the pairs ``_pairs``
        found."""
        if order is None:
            return runs.values[pairs]
        gathered = np.empty(len(pairs), dtype=buffer.dtype)
        stored = pairs < self._bounds[-1]
        gathered[stored] = runs.values[pairs[stored]]
        gathered[~stored] = buffer[order[pairs[~stored] - self._bounds[-1]]]
        return gathered

    def get(self, key: int) -> np.ndarray:
        """The values stored under one key, in insertion order."""
        key = self._dtype.type(key)  # numpy compares a uint64 run with a Python int as float64
        found = [np.zeros(0, dtype=self._value_dtype)]
        run_keys, run_values = self._run_keys.values, self._run_values.values
        for start, end in zip(self._bounds, self._bounds[1:], strict=False):
            run = run_keys[start:end]
            low = run.searchsorted(key, side="left")
            high = run.searchsorted(key, side="right")
            if high > low:
                found.append(run_values[start + low : start + high])
        if self._buffered:
            found.append(self._values[: self._buffered][self._keys[: self._buffered] == key])
        return np.concatenate(found)

    def _flush(self) -> None:
        order = np.argsort(self._keys, kind="stable")
        self._run_keys.extend(self._keys[order])
        self._run_values.extend(self._values[order])
        self._bounds.append(len(self._run_keys))
        self._buffered = 0
        bounds = self._bounds
        while len(bounds) > 2 and bounds[-2] - bounds[-3] <= _FANOUT * (bounds[-1] - bounds[-2]):
            start, middle, end = bounds[-3], bounds[-2], bounds[-1]
            keys, values = self._run_keys.values, self._run_values.values
            keys[start:end], values[start:end] = _merge(
                (keys[start:middle], values[start:middle]), (keys[middle:end], values[middle:end])
            )
            del bounds[-2]


def _merge(
    older: tuple[np.ndarray, np.ndarray], newer: tuple[np.ndarray, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """Two sorted runs as one, the older run's pairs first among equal keys."""
    old_keys, old_values = older
    new_keys, new_values = newer
    slots = np.searchsorted(old_keys, new_keys, side="right") + np.arange(len(new_keys))
    keep = np.ones(len(old_keys) + len(new_keys), dtype=bool)
    keep[slots] = False
    keys = np.empty(len(keep), dtype=old_keys.dtype)
    values = np.empty(len(keep), dtype=old_values.dtype)
    keys[slots], values[slots] = new_keys, new_values
    keys[keep], values[keep] = old_keys, old_values
    return keys, values

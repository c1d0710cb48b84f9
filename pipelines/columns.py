"""Compact in-memory storage for the grouping index: growing typed columns and a sorted multimap.

Nothing here holds a Python object per entry, so the garbage collector never walks the index and
memory per entry is the bytes of its fields.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

_BUFFER = 4096  # entries appended before they are sorted into a run
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
        if self._size == len(self._data):
            grown = np.empty((2 * self._size, *self._data.shape[1:]), dtype=self._data.dtype)
            grown[: self._size] = self._data
            self._data = grown
        self._data[self._size] = value
        self._size += 1
        return self._size - 1

    @property
    def values(self) -> np.ndarray:
        """A view of the rows stored so far."""
        return self._data[: self._size]


class SortedMultimap:
    """Integer keys to uint32 values, many values per key, LSM-style.

    New pairs go to a small append buffer; a full buffer is sorted into a run, and runs of
    similar size are merged, so there are O(log n) sorted runs and each pair is copied O(log n)
    times. ``lookup`` is one ``np.searchsorted`` per run plus a scan of the buffer. Pairs come
    back in insertion order for each key.
    """

    def __init__(self, dtype: DTypeLike) -> None:
        self._dtype = np.dtype(dtype)
        self._runs: list[tuple[np.ndarray, np.ndarray]] = []
        self._keys = np.empty(_BUFFER, dtype=self._dtype)
        self._values = np.empty(_BUFFER, dtype=np.uint32)
        self._buffered = 0
        self._size = 0

    def __len__(self) -> int:
        return self._size

    @property
    def nbytes(self) -> int:
        """Bytes held by the runs and the buffer."""
        runs = sum(keys.nbytes + values.nbytes for keys, values in self._runs)
        return runs + self._keys.nbytes + self._values.nbytes

    def add(self, keys: ArrayLike, values: ArrayLike) -> None:
        """Add ``keys[i] → values[i]`` (a single value is paired with every key)."""
        keys = np.asarray(keys, dtype=self._dtype).ravel()
        values = np.broadcast_to(np.asarray(values, dtype=np.uint32), keys.shape)
        start = 0
        while start < len(keys):
            take = min(len(keys) - start, _BUFFER - self._buffered)
            end = self._buffered + take
            self._keys[self._buffered : end] = keys[start : start + take]
            self._values[self._buffered : end] = values[start : start + take]
            self._buffered, start = end, start + take
            if self._buffered == _BUFFER:
                self._flush()
        self._size += len(keys)

    def lookup(self, keys: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """Every stored pair whose key is among ``keys``: the position in ``keys`` it matched and
        its value."""
        keys = np.asarray(keys, dtype=self._dtype).ravel()
        positions: list[np.ndarray] = []
        values: list[np.ndarray] = []
        for run_keys, run_values in self._runs:
            low = np.searchsorted(run_keys, keys, side="left")
            counts = np.searchsorted(run_keys, keys, side="right") - low
            total = int(counts.sum())
            if total:
                starts = np.repeat(low - (np.cumsum(counts) - counts), counts)
                positions.append(np.repeat(np.arange(len(keys)), counts))
                values.append(run_values[starts + np.arange(total)])
        if self._buffered:
            found, slot = np.nonzero(keys[:, None] == self._keys[None, : self._buffered])
            order = np.lexsort((slot, found))
            positions.append(found[order])
            values.append(self._values[slot[order]])
        if not positions:
            return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.uint32)
        return np.concatenate(positions), np.concatenate(values)

    def _flush(self) -> None:
        order = np.argsort(self._keys, kind="stable")
        self._runs.append((self._keys[order], self._values[order]))
        self._buffered = 0
        while len(self._runs) > 1 and len(self._runs[-2][0]) <= _FANOUT * len(self._runs[-1][0]):
            newer = self._runs.pop()
            self._runs[-1] = _merge(self._runs[-1], newer)


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
    values = np.empty(len(keep), dtype=np.uint32)
    keys[slots], values[slots] = new_keys, new_values
    keys[keep], values[keep] = old_keys, old_values
    return keys, values

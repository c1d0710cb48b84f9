"""Each indexed article's signature keys, as the sorted slots ``KeyTable`` gave them, one row's
after another in two typed columns, with the compiled counts grouping asks of them."""

from __future__ import annotations

import numpy as np
from numba import njit

from pipelines.columns import Column


class RowKeys:
    """Row ``i``'s key slots are ``slots[ends[i - 1] : ends[i]]``, ascending."""

    def __init__(self) -> None:
        self._ends = Column(np.int64)
        self._slots = Column(np.uint32)

    def append(self, slots: np.ndarray) -> None:
        """Store the next row's key slots (distinct)."""
        self._slots.extend(np.sort(slots))
        self._ends.append(len(self._slots))

    @property
    def ends(self) -> np.ndarray:
        """Where each row's slots end in ``slots``."""
        return self._ends.values

    @property
    def slots(self) -> np.ndarray:
        """Every row's slots, one row's after another."""
        return self._slots.values

    def lengths(self, rows: np.ndarray) -> np.ndarray:
        """How many keys each row has."""
        return _lengths(self.ends, np.asarray(rows, dtype=np.intp))

    def shared(self, rows: np.ndarray, known: np.ndarray) -> np.ndarray:
        """How many of each row's keys are among ``known`` (sorted, distinct slots)."""
        rows = np.asarray(rows, dtype=np.intp)
        return _shared(self.ends, self.slots, rows, np.asarray(known, dtype=np.int64))


@njit(cache=True, nogil=True)
def row_start(ends: np.ndarray, row: int) -> int:
    """Where row ``row``'s slots start (``ends``: ``RowKeys.ends``)."""
    return ends[row - 1] if row > 0 else 0


@njit(cache=True, nogil=True)
def _lengths(ends: np.ndarray, rows: np.ndarray) -> np.ndarray:
    lengths = np.empty(len(rows), dtype=np.int64)
    for i in range(len(rows)):
        lengths[i] = ends[rows[i]] - row_start(ends, rows[i])
    return lengths


@njit(cache=True, nogil=True)
def _shared(ends: np.ndarray, slots: np.ndarray, rows: np.ndarray, known: np.ndarray) -> np.ndarray:
    shared = np.zeros(len(rows), dtype=np.int64)
    for i in range(len(rows)):
        row = rows[i]
        place, end, other = row_start(ends, row), ends[row], 0
        while place < end and other < len(known):  # both ascending: one merge pass
            slot = np.int64(slots[place])
            if slot < known[other]:
                place += 1
            elif slot > known[other]:
                other += 1
            else:
                shared[i] += 1
                place += 1
                other += 1
    return shared

"""Compiled searches and merges of ``SortedMultimap``'s sorted runs: one call per lookup or add
instead of dozens of small numpy operations (each costs about a microsecond of overhead, more
than the work).

Compiled by numba on first use and cached on disk beside this file (or in the user's cache
directory when it is read-only).
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def _first_after(keys: np.ndarray, low: int, high: int, key: np.generic, equal: bool) -> int:
    """The first position in ``keys[low:high]`` (sorted) holding a key above ``key`` — or equal
    to it, when ``equal`` — or ``high``."""
    while low < high:
        middle = (low + high) >> 1
        if keys[middle] < key or (not equal and keys[middle] == key):
            low = middle + 1
        else:
            high = middle
    return low


@njit(cache=True, nogil=True)
def _first_above_near(keys: np.ndarray, low: int, high: int, key: np.generic) -> int:
    """The first position in ``keys[low:high]`` holding a key above ``key``, or ``high``,
    galloping from ``low``: a range is short, so its end is near its start."""
    if low >= high or keys[low] > key:
        return low
    bound = 1
    while low + bound < high and keys[low + bound] <= key:
        bound *= 2
    return _first_after(keys, low + bound // 2 + 1, min(low + bound, high), key, False)


@njit(cache=True, nogil=True)
def find_ranges(
    keys: np.ndarray,
    values: np.ndarray,
    bounds: np.ndarray,
    runs: int,
    firsts: np.ndarray,
    lasts: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every pair whose key lies in one of the ranges ``firsts[i] ≤ key ≤ lasts[i]``: the range's
    position ``i``, the key and the value.

    ``keys[bounds[r]:bounds[r + 1]]`` is sorted run ``r < runs`` (with ``values``). The pairs come
    run by run, and within a run by range, then in the run's order.
    """
    ranges = len(firsts)
    lows = np.empty((runs, ranges), dtype=np.int64)
    highs = np.empty((runs, ranges), dtype=np.int64)
    total = 0
    for r in range(runs):
        start, end = bounds[r], bounds[r + 1]
        for i in range(ranges):
            low = _first_after(keys, start, end, firsts[i], True)
            high = _first_above_near(keys, low, end, lasts[i])
            lows[r, i], highs[r, i] = low, high
            total += high - low
    positions = np.empty(total, dtype=np.intp)
    found_keys = np.empty(total, dtype=keys.dtype)
    found_values = np.empty(total, dtype=values.dtype)
    out = 0
    for r in range(runs):
        for i in range(ranges):
            for place in range(lows[r, i], highs[r, i]):
                positions[out], found_keys[out], found_values[out] = i, keys[place], values[place]
                out += 1
    return positions, found_keys, found_values


@njit(cache=True, nogil=True)
def _merge_in(
    keys: np.ndarray,
    values: np.ndarray,
    run_start: int,
    new_keys: np.ndarray,
    new_values: np.ndarray,
) -> None:
    """Merge the pairs ``new_keys → new_values`` into the sorted run that starts at ``run_start``
    and ends the columns ``keys``, ``values``, whose last ``len(new_keys)`` rows are free; a new
    pair goes after the pairs already there under its key."""
    order = np.argsort(new_keys, kind="mergesort")
    old = len(keys) - len(new_keys) - 1  # the run's last pair
    write = len(keys) - 1
    for j in range(len(new_keys) - 1, -1, -1):
        new_key = new_keys[order[j]]
        while old >= run_start and keys[old] > new_key:
            keys[write], values[write] = keys[old], values[old]
            old -= 1
            write -= 1
        keys[write], values[write] = new_key, new_values[order[j]]
        write -= 1


@njit(cache=True, nogil=True)
def _merge_runs(keys: np.ndarray, values: np.ndarray, start: int, middle: int, end: int) -> None:
    """Merge the sorted runs ``start:middle`` and ``middle:end`` of the columns in place, the
    first run's pairs first among equal keys."""
    older_keys, older_values = keys[start:middle].copy(), values[start:middle].copy()
    i, j, write = 0, middle, start
    while i < len(older_keys) and j < end:
        if keys[j] < older_keys[i]:
            keys[write], values[write] = keys[j], values[j]
            j += 1
        else:
            keys[write], values[write] = older_keys[i], older_values[i]
            i += 1
        write += 1
    while i < len(older_keys):
        keys[write], values[write] = older_keys[i], older_values[i]
        i += 1
        write += 1


@njit(cache=True, nogil=True)
def add_pairs(
    keys: np.ndarray,
    values: np.ndarray,
    bounds: np.ndarray,
    runs: np.ndarray,
    new_keys: np.ndarray,
    new_values: np.ndarray,
    open_size: int,
    fanout: int,
) -> None:
    """Add the pairs ``new_keys → new_values`` to the runs (``bounds``, ``runs[0]`` of them) of the
    columns ``keys``, ``values``, whose last ``len(new_keys)`` rows are free.

    The pairs are merged into the last run, which is closed when it holds ``open_size`` pairs:
    then runs are merged while the one before the last is at most ``fanout`` times larger.
    """
    placed = 0
    while placed < len(new_keys):
        last = runs[0] - 1
        take = min(len(new_keys) - placed, open_size - (bounds[last + 1] - bounds[last]))
        end = bounds[last + 1] + take
        _merge_in(
            keys[:end],
            values[:end],
            bounds[last],
            new_keys[placed : placed + take],
            new_values[placed : placed + take],
        )
        bounds[last + 1] = end
        placed += take
        if end - bounds[last] < open_size:
            continue
        while last > 0 and bounds[last] - bounds[last - 1] <= fanout * (end - bounds[last]):
            _merge_runs(keys, values, bounds[last - 1], bounds[last], end)
            bounds[last] = end
            last -= 1
        bounds[last + 2] = end  # a new, empty, open run
        runs[0] = last + 2

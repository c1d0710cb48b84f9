"""A compact MinHash LSH index: datasketch's banding, 8 bytes per band per article.

For a threshold and a number of permutations the bands (``b`` bands of ``r`` hash values) are the
ones datasketch's ``MinHashLSH`` picks, so the candidates are the same: the stored articles that
share all ``r`` values of at least one band with the query. Each band of an article is kept as a
32-bit key (a hash of the band's values and the band's number) next to the article's row number
in one ``SortedMultimap``. A key match is only a hint — 32 bits collide — so the candidates are
confirmed by comparing the band's values themselves, which the caller keeps anyway (the
signatures its exact Jaccard check needs).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from datasketch import MinHashLSH

from pipelines.columns import SortedMultimap

_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)
_MIX = np.uint64(0xBF58476D1CE4E5B9)


def band_layout(threshold: float, num_perm: int) -> tuple[int, int]:
    """``(bands, rows per band)`` as datasketch's ``MinHashLSH`` chooses them."""
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    return lsh.b, lsh.r


def band_keys(hashvalues: np.ndarray, bands: int, width: int) -> np.ndarray:
    """32-bit keys of each band of one signature (shape ``(bands,)``) or of a matrix of them
    (``(n, bands)``)."""
    values = np.asarray(hashvalues, dtype=np.uint64)[..., : bands * width]
    values = values.reshape(*values.shape[:-1], bands, width)
    key = np.broadcast_to(np.arange(1, bands + 1, dtype=np.uint64), values.shape[:-1])
    with np.errstate(over="ignore"):
        for column in range(width):
            key = (key ^ values[..., column]) * _MULTIPLIER
            key = (key ^ (key >> np.uint64(31))) * _MIX
    return (key >> np.uint64(32)).astype(np.uint32)


class BandIndex:
    """Rows (small integers) by the bands of their MinHash signatures."""

    def __init__(self, threshold: float, num_perm: int) -> None:
        self.bands, self.width = band_layout(threshold, num_perm)
        self._entries = SortedMultimap(np.uint32)

    def __len__(self) -> int:
        return len(self._entries) // self.bands

    def add(self, row: int, hashvalues: np.ndarray) -> None:
        """Index ``row`` under the bands of its signature."""
        self._entries.add(band_keys(hashvalues, self.bands, self.width), row)

    def query(
        self, hashvalues: np.ndarray, signatures: Callable[[np.ndarray], np.ndarray]
    ) -> np.ndarray:
        """The rows sharing at least one whole band with ``hashvalues``, ascending.

        ``signatures(rows)`` returns the stored signatures of ``rows`` (one per line), against
        which key matches are confirmed.
        """
        bands, rows = self._entries.lookup(band_keys(hashvalues, self.bands, self.width))
        if not len(rows):
            return rows
        stored = signatures(rows)
        columns = bands[:, None] * self.width + np.arange(self.width)
        query = np.asarray(hashvalues)[columns]
        same = (np.take_along_axis(stored, columns, axis=1) == query).all(axis=1)
        return np.unique(rows[same])

"""A compact MinHash LSH index: datasketch's banding, 6 or 8 bytes per band per article.

For a threshold and a number of permutations the bands (``b`` bands of ``r`` hash values) are the
ones datasketch's ``MinHashLSH`` picks, so the candidates are the same: the stored articles that
share all ``r`` values of at least one band with the query. Each band of an article is kept as a
32- or 16-bit key (a hash of the band's values and the band's number) next to the article's row
number, with the band's number in its top bits, in one ``SortedMultimap``. A key match is only a
hint — such keys collide — so a match from another band is dropped at once, and the rest are
confirmed by comparing the band's values themselves, which the caller keeps anyway (the
signatures its exact Jaccard check needs).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from datasketch import MinHashLSH
from numpy.typing import DTypeLike

from pipelines.columns import SortedMultimap

StoredValues = Callable[[np.ndarray, np.ndarray], np.ndarray]
# odd 64-bit multipliers for a band's values (a band has at most num_perm of them) and the
# MurmurHash3 64-bit finalizer's constants
_MULTIPLIERS = np.random.default_rng(0x6E657773).integers(0, 2**63, 1024, dtype=np.uint64) * 2 + 1
_FMIX = (np.uint64(33), np.uint64(0xFF51AFD7ED558CCD), np.uint64(0xC4CEB9FE1A85EC53))
_ROW_BITS = 26  # a stored value: the row in the low bits, the band's number above them
_ROW_MASK = np.uint32(2**_ROW_BITS - 1)


def band_layout(threshold: float, num_perm: int) -> tuple[int, int]:
    """``(bands, rows per band)`` as datasketch's ``MinHashLSH`` chooses them."""
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    return lsh.b, lsh.r


def band_keys(
    hashvalues: np.ndarray, bands: int, width: int, dtype: DTypeLike = np.uint32
) -> np.ndarray:
    """Keys (the top bits of a 64-bit hash, as many as ``dtype`` holds) of each band of one
    signature (shape ``(bands,)``) or of a matrix of them (``(n, bands)``): a multiply-add of the
    band's values and its number, then avalanched."""
    values = np.asarray(hashvalues, dtype=np.uint64)[..., : bands * width]
    values = values.reshape(*values.shape[:-1], bands, width)
    shift, first, second = _FMIX
    with np.errstate(over="ignore"):
        key = values @ _MULTIPLIERS[:width] + np.arange(bands, dtype=np.uint64) * _MULTIPLIERS[-1]
        key ^= key >> shift
        key *= first
        key ^= key >> shift
        key *= second
        key ^= key >> shift
    return (key >> np.uint64(64 - 8 * np.dtype(dtype).itemsize)).astype(dtype)


class BandIndex:
    """Rows (small integers) by the bands of their MinHash signatures.

    ``key_dtype`` sets the bytes of a band's key: fewer bytes, less memory, and more key matches
    for ``query`` to confirm (about ``bands × rows / 2^bits`` per query). Rows are below 2^26,
    and there are at most 64 bands.
    """

    def __init__(self, threshold: float, num_perm: int, key_dtype: DTypeLike = np.uint32) -> None:
        self.bands, self.width = band_layout(threshold, num_perm)
        if self.bands > 2 ** (32 - _ROW_BITS):
            raise ValueError(f"{self.bands} bands: at most {2 ** (32 - _ROW_BITS)}")
        self._key_dtype = np.dtype(key_dtype)
        self._entries = SortedMultimap(self._key_dtype)
        self._band_tags = np.arange(self.bands, dtype=np.uint32) << np.uint32(_ROW_BITS)
        self._last: tuple[np.ndarray, np.ndarray] | None = None  # a signature and its keys

    def __len__(self) -> int:
        return len(self._entries) // self.bands

    def add(self, row: int, hashvalues: np.ndarray) -> None:
        """Index ``row`` under the bands of its signature."""
        if not 0 <= row <= _ROW_MASK:
            raise ValueError(f"row {row} is out of range")
        self._entries.add(self._keys(hashvalues), self._band_tags | np.uint32(row))

    def query(self, hashvalues: np.ndarray, stored: StoredValues) -> np.ndarray:
        """The rows sharing at least one whole band with ``hashvalues``, ascending.

        ``stored(rows, columns)`` returns, for each row, its signature's values in the
        permutations of that line of ``columns``: key matches are confirmed against them.
        """
        bands, values = self._entries.lookup(self._keys(hashvalues))
        same_band = (values >> np.uint32(_ROW_BITS)) == bands
        bands, rows = bands[same_band], (values[same_band] & _ROW_MASK).astype(np.intp)
        if not len(rows):
            return rows
        columns = bands[:, None] * self.width + np.arange(self.width)
        same = (stored(rows, columns) == np.asarray(hashvalues)[columns]).all(axis=1)
        return np.unique(rows[same])

    def _keys(self, hashvalues: np.ndarray) -> np.ndarray:
        """The band keys of a signature; those of the last one asked are kept, as a query is
        often followed by adding the same signature."""
        if self._last is None or not np.array_equal(self._last[0], hashvalues):
            keys = band_keys(hashvalues, self.bands, self.width, self._key_dtype)
            self._last = (np.array(hashvalues, copy=True), keys)
        return self._last[1]

"""A compact MinHash LSH index: datasketch's banding, 6 or 8 bytes per band per article.

For a threshold and a number of permutations the bands (``b`` bands of ``r`` hash values) are the
ones datasketch's ``MinHashLSH`` picks, so the candidates are the same: the stored articles that
share all ``r`` values of at least one band with the query. Each band of an article is one entry
of 48 or 64 bits in a ``SortedMultimap``: a 16- or 32-bit key (a hash of the band's values and
the band's number), the band's number in 6 bits and the article's row in 26, split into the
multimap's uint32 key (the top 32 bits) and its value (the rest). With 16-bit keys the band's
number is thus part of the key searched, and a query finds only its own band's entries; with
32-bit keys another band's entries under the same key are dropped after the search. A key match
is only a hint — such keys collide — so the matches are confirmed by comparing the band's values
themselves, which the caller keeps anyway (the signatures its exact Jaccard check needs).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from datasketch import MinHashLSH
from numba import njit
from numpy.typing import DTypeLike

from pipelines.columns import SortedMultimap

StoredValues = Callable[[np.ndarray, np.ndarray], np.ndarray]
# odd 64-bit multipliers for a band's values (a band has at most num_perm of them) and the
# MurmurHash3 64-bit finalizer's constants
_MULTIPLIERS = np.random.default_rng(0x6E657773).integers(0, 2**63, 1024, dtype=np.uint64) * 2 + 1
_FMIX = (np.uint64(33), np.uint64(0xFF51AFD7ED558CCD), np.uint64(0xC4CEB9FE1A85EC53))
_ROW_BITS = 26  # an entry: the row in the low bits, the band's number above them, the key above
_ROW_MASK = np.uint64(2**_ROW_BITS - 1)
_BAND_MASK = np.uint64(2 ** (32 - _ROW_BITS) - 1)
_KEY_SHIFT = np.uint64(32)  # the key's place in an entry


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
    values = np.asarray(hashvalues)
    matrix = np.ascontiguousarray(values.reshape(-1, values.shape[-1]))
    hashes = _band_hashes(matrix, bands, width)
    keys = (hashes >> np.uint64(64 - 8 * np.dtype(dtype).itemsize)).astype(dtype)
    return keys.reshape(*values.shape[:-1], bands)


@njit(cache=True, nogil=True)
def _band_hash(values: np.ndarray, band: int, width: int) -> np.uint64:
    """The 64-bit hash of band ``band`` of the signature ``values``."""
    key = np.uint64(band) * _MULTIPLIERS[-1]
    for i in range(width):
        key += np.uint64(values[band * width + i]) * _MULTIPLIERS[i]
    shift, first, second = _FMIX
    key ^= key >> shift
    key *= first
    key ^= key >> shift
    key *= second
    key ^= key >> shift
    return key


@njit(cache=True, nogil=True)
def _band_hashes(matrix: np.ndarray, bands: int, width: int) -> np.ndarray:
    """``_band_hash`` of every band of every row of ``matrix``."""
    hashes = np.empty((matrix.shape[0], bands), dtype=np.uint64)
    for row in range(matrix.shape[0]):
        for band in range(bands):
            hashes[row, band] = _band_hash(matrix[row], band, width)
    return hashes


@njit(cache=True, nogil=True)
def _band_prefixes(hashvalues: np.ndarray, bands: int, width: int, key_bits: int) -> np.ndarray:
    """The entries of a signature's bands without the row: the band's key (the hash's top
    ``key_bits``) above 32 bits and its number above ``_ROW_BITS``."""
    prefixes = np.empty(bands, dtype=np.uint64)
    for band in range(bands):
        key = _band_hash(hashvalues, band, width) >> np.uint64(64 - key_bits)
        prefixes[band] = key << _KEY_SHIFT | np.uint64(band) << np.uint64(_ROW_BITS)
    return prefixes


@njit(cache=True, nogil=True)
def _same_band_rows(
    bands: np.ndarray, keys: np.ndarray, values: np.ndarray, value_bits: int
) -> tuple[np.ndarray, np.ndarray]:
    """The entries (multimap ``keys`` above ``value_bits``, ``values`` below) found for each
    query band in ``bands`` that belong to that band: their bands and rows."""
    kept_bands = np.empty(len(bands), dtype=np.intp)
    rows = np.empty(len(bands), dtype=np.intp)
    kept = 0
    for i in range(len(bands)):
        entry = np.uint64(keys[i]) << np.uint64(value_bits) | np.uint64(values[i])
        if (entry >> np.uint64(_ROW_BITS)) & _BAND_MASK == bands[i]:
            kept_bands[kept], rows[kept] = bands[i], entry & _ROW_MASK
            kept += 1
    return kept_bands[:kept], rows[:kept]


class BandIndex:
    """Rows (small integers) by the bands of their MinHash signatures.

    ``key_dtype`` (uint16 or uint32) sets the bytes of a band's key: fewer bytes, less memory,
    and more key matches for ``query`` to confirm (about ``bands × rows per band / 2^bits`` per
    query). Rows are below 2^26, and there are at most 64 bands.
    """

    def __init__(self, threshold: float, num_perm: int, key_dtype: DTypeLike = np.uint32) -> None:
        self.bands, self.width = band_layout(threshold, num_perm)
        if self.bands > 2 ** (32 - _ROW_BITS):
            raise ValueError(f"{self.bands} bands: at most {2 ** (32 - _ROW_BITS)}")
        self._key_dtype = np.dtype(key_dtype)
        if self._key_dtype not in (np.dtype(np.uint16), np.dtype(np.uint32)):
            raise ValueError(f"{self._key_dtype} keys: uint16 or uint32")
        # an entry's top 32 bits are the multimap's key, the rest (as many as a key has) its value
        self._key_bits = 8 * self._key_dtype.itemsize
        self._entries = SortedMultimap(np.uint32, self._key_dtype)

    def __len__(self) -> int:
        return len(self._entries) // self.bands

    def add(self, row: int, hashvalues: np.ndarray) -> None:
        """Index ``row`` under the bands of its signature."""
        if not 0 <= row <= _ROW_MASK:
            raise ValueError(f"row {row} is out of range")
        entries = self._prefixes(hashvalues) | np.uint64(row)
        self._entries.add(entries >> self._key_bits, entries)  # the value: the low bits

    def query(self, hashvalues: np.ndarray, stored: StoredValues) -> np.ndarray:
        """The rows sharing at least one whole band with ``hashvalues``, ascending.

        ``stored(rows, columns)`` returns, for each row, its signature's values in the
        permutations of that line of ``columns``: key matches are confirmed against them.
        """
        firsts = (self._prefixes(hashvalues) >> self._key_bits).astype(np.uint32)
        # 16-bit keys: the entries of one key and band; 32-bit: of one key
        span = np.uint32((1 << max(_ROW_BITS - self._key_bits, 0)) - 1)
        found = self._entries.lookup_ranges(firsts, firsts | span)
        bands, rows = _same_band_rows(*found, self._key_bits)
        if not len(rows):
            return rows
        columns = bands[:, None] * self.width + np.arange(self.width)
        same = (stored(rows, columns) == np.asarray(hashvalues)[columns]).all(axis=1)
        return np.unique(rows[same])

    def _prefixes(self, hashvalues: np.ndarray) -> np.ndarray:
        """The entries of a signature's bands without the row (its key and band number, uint64)."""
        values = np.ascontiguousarray(hashvalues)
        return _band_prefixes(values, self.bands, self.width, self._key_bits)

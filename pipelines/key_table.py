"""Signature keys interned to slot numbers, with how many articles hold each.

A key is known by the first 8 bytes of its SHA-1 (two different keys share them once in 2^64);
the low 32 bits of that are datasketch's ``sha1_hash32`` of the key, so a stored article's
signature MinHash can be rebuilt from its slots alone, equal to the one datasketch computes from
the key strings.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection

import numpy as np
from datasketch import MinHash
from numba import njit

from pipelines.columns import Column, SortedMultimap
from pipelines.fingerprint import FingerprintConfig
from pipelines.row_keys import RowKeys, row_start

_LOW_32 = np.uint64(0xFFFFFFFF)


def key_digests(keys: Collection[str]) -> np.ndarray:
    """The 64-bit digest of each key, in the order given."""
    return np.array(
        [int.from_bytes(hashlib.sha1(key.encode()).digest()[:8], "little") for key in keys],
        dtype=np.uint64,
    )


@njit(cache=True, nogil=True)
def _premix(digest: np.uint64) -> np.uint64:
    """datasketch's ``affine32`` input: ``sha1_hash32`` (the digest's low 32 bits) through the
    MurmurHash3 finalizer (in uint64, masked to 32 bits)."""
    h = np.uint64(digest) & _LOW_32
    h ^= h >> np.uint64(16)
    h = (h * np.uint64(0x85EBCA6B)) & _LOW_32
    h ^= h >> np.uint64(13)
    h = (h * np.uint64(0xC2B2AE35)) & _LOW_32
    h ^= h >> np.uint64(16)
    return h


@njit(cache=True, nogil=True)
def _premixed(digests: np.ndarray) -> np.ndarray:
    premixed = np.empty(len(digests), dtype=np.uint32)
    for i in range(len(digests)):
        premixed[i] = _premix(digests[i])
    return premixed


@njit(cache=True, nogil=True)
def _permuted(premixed: np.uint64, a: np.uint64, b: np.uint64) -> np.uint64:
    """One ``affine32`` permutation of a premixed hash: ``a·h + b`` modulo 2^32."""
    return (premixed * a + b) & _LOW_32


@njit(cache=True, nogil=True)
def _minhash(digests: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    values = np.full(len(a), 0xFFFFFFFF, dtype=np.uint32)
    for i in range(len(digests)):
        premixed = _premix(digests[i])
        for p in range(len(a)):
            value = _permuted(premixed, np.uint64(a[p]), np.uint64(b[p]))
            if value < values[p]:
                values[p] = value
    return values


@njit(cache=True, nogil=True)
def _minhash_columns(
    ends: np.ndarray,
    slots: np.ndarray,
    rows: np.ndarray,
    columns: np.ndarray,
    premixed: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
) -> np.ndarray:
    values = np.full(columns.shape, 0xFFFFFFFF, dtype=np.uint32)
    for i in range(len(rows)):
        row = rows[i]
        for place in range(row_start(ends, row), ends[row]):
            hashed = np.uint64(premixed[slots[place]])
            for c in range(columns.shape[1]):
                p = columns[i, c]
                value = _permuted(hashed, np.uint64(a[p]), np.uint64(b[p]))
                if value < values[i, c]:
                    values[i, c] = value
    return values


@njit(cache=True, nogil=True)
def _new_slots(
    digests: np.ndarray, slots: np.ndarray, first_slot: int
) -> tuple[np.ndarray, np.ndarray]:
    """``slots`` with each never-counted key (``-1``) given a new slot from ``first_slot`` on, in
    ascending order of its digest (one slot per distinct digest); and those distinct digests."""
    slots = slots.copy()
    unseen = np.flatnonzero(slots < 0)
    order = unseen[np.argsort(digests[unseen], kind="mergesort")]
    distinct = np.empty(len(order), dtype=np.uint64)
    count = 0
    for place in order:
        if count == 0 or digests[place] != distinct[count - 1]:
            distinct[count] = digests[place]
            count += 1
        slots[place] = first_slot + count - 1
    return slots, distinct[:count]


@njit(cache=True, nogil=True)
def _increment(counts: np.ndarray, slots: np.ndarray) -> None:
    for slot in slots:
        counts[slot] += 1


class KeyTable:
    """Every signature key seen: its slot, its premixed hash and how many articles hold it."""

    def __init__(self, config: FingerprintConfig) -> None:
        self._slots = SortedMultimap(np.uint64)
        self._premixed = Column(np.uint32)
        self._counts = Column(np.uint32)
        # the signature MinHash's permutations (its seed is apart from the words')
        signature = MinHash(num_perm=config.num_perm, seed=config.seed + 1, scheme="affine32")
        a, b = signature.permutations
        self._a, self._b = a.astype(np.uint32), b.astype(np.uint32)

    def slots(self, digests: np.ndarray) -> np.ndarray:
        """Each key's slot (int64), ``-1`` for a key never counted; keys by their digests."""
        slots = np.full(len(digests), -1, dtype=np.int64)
        if len(digests):
            positions, found = self._slots.lookup(digests)
            slots[positions] = found
        return slots

    def counts(self, slots: np.ndarray) -> np.ndarray:
        """How many counted articles hold each key (of ``slots``; ``-1``: none)."""
        counts = np.zeros(len(slots), dtype=np.int64)
        known = slots >= 0
        counts[known] = self._counts.values[slots[known]]
        return counts

    def count(self, digests: np.ndarray, slots: np.ndarray) -> np.ndarray:
        """Count one more article holding each key (its ``slots``, as ``slots`` returned them);
        returns the slots, new keys' included."""
        slots, unseen = _new_slots(digests, slots, len(self._counts))
        if len(unseen):
            self._premixed.extend(_premixed(unseen))
            self._counts.extend(np.zeros(len(unseen), dtype=np.uint32))
            self._slots.add(unseen, np.arange(len(self._counts) - len(unseen), len(self._counts)))
        _increment(self._counts.values, slots)
        return slots

    def minhash(self, digests: np.ndarray) -> np.ndarray:
        """The signature MinHash of keys (not none), as datasketch's ``affine32`` MinHash computes
        it from the key strings."""
        return _minhash(digests, self._a, self._b)

    def minhash_columns(self, keys: RowKeys, rows: np.ndarray, columns: np.ndarray) -> np.ndarray:
        """Some hash values of stored signatures: those in the permutations ``columns[i]`` of the
        signature of ``rows[i]`` (each row with one key or more)."""
        rows = np.asarray(rows, dtype=np.intp)
        return _minhash_columns(
            keys.ends, keys.slots, rows, columns, self._premixed.values, self._a, self._b
        )

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

from pipelines.columns import Column, SortedMultimap
from pipelines.fingerprint import FingerprintConfig

_LOW_32 = np.uint64(0xFFFFFFFF)


def key_digests(keys: Collection[str]) -> np.ndarray:
    """The 64-bit digest of each key, in the order given."""
    return np.array(
        [int.from_bytes(hashlib.sha1(key.encode()).digest()[:8], "little") for key in keys],
        dtype=np.uint64,
    )


def _premixed(digests: np.ndarray) -> np.ndarray:
    """datasketch's ``affine32`` input: ``sha1_hash32`` (the digest's low 32 bits) through the
    MurmurHash3 finalizer."""
    h = (digests & _LOW_32).astype(np.uint32)
    with np.errstate(over="ignore"):
        h ^= h >> np.uint32(16)
        h *= np.uint32(0x85EBCA6B)
        h ^= h >> np.uint32(13)
        h *= np.uint32(0xC2B2AE35)
        h ^= h >> np.uint32(16)
    return h


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
        slots = slots.copy()
        new = np.flatnonzero(slots < 0)
        if len(new):
            unique, first = np.unique(digests[new], return_inverse=True)
            added = np.arange(len(self._counts), len(self._counts) + len(unique))
            self._premixed.extend(_premixed(unique))
            self._counts.extend(np.zeros(len(unique), dtype=np.uint32))
            self._slots.add(unique, added)
            slots[new] = added[first]
        np.add.at(self._counts.values, slots, 1)
        return slots

    def minhash(self, digests: np.ndarray) -> np.ndarray:
        """The signature MinHash of keys (not none), as datasketch's ``affine32`` MinHash computes
        it from the key strings."""
        with np.errstate(over="ignore"):
            return (_premixed(digests)[:, None] * self._a + self._b).min(axis=0)

    def minhash_columns(
        self, slots: np.ndarray, lengths: np.ndarray, columns: np.ndarray
    ) -> np.ndarray:
        """Some hash values of stored signatures: ``slots`` holds the key slots of each signature
        one after another (``lengths`` of them each, at least one), and ``columns[i]`` the
        permutations wanted of signature ``i``."""
        per_key = np.repeat(columns, lengths, axis=0)
        with np.errstate(over="ignore"):
            values = self._premixed.values[slots][:, None] * self._a[per_key] + self._b[per_key]
        starts = np.cumsum(lengths) - lengths
        return np.minimum.reduceat(values, starts, axis=0)

"""Text → normalised word shingles → MinHash signature.

The signature is datasketch's ``MinHash`` (scheme ``affine32``), computed here for all shingles
at once: their SHA-1 hashes joined into one array, datasketch's MurmurHash3 pre-mix and
permutations applied by numpy. The values are those datasketch's ``update_batch`` gives
(``tests/test_fingerprint.py``), so stored signatures stay comparable.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass
from functools import cache

import numpy as np
from datasketch import LeanMinHash, MinHash

_WORD = re.compile(r"\w+")
_SCHEME = "affine32"  # datasketch's 32-bit permutations: signatures are stored as uint32
_MAX_HASH = np.uint32(0xFFFFFFFF)  # the value of an empty MinHash


@dataclass(frozen=True)
class FingerprintConfig:
    """How texts are turned into signatures; every signature in one index must share it."""

    shingle_size: int = 3
    num_perm: int = 128
    seed: int = 1


@dataclass(frozen=True)
class Fingerprint:
    """What grouping needs to know about one text."""

    text_sha256: str
    minhash: LeanMinHash


def normalize(text: str) -> str:
    """Unicode NFKC, case folding, punctuation dropped, white space collapsed."""
    return " ".join(_WORD.findall(unicodedata.normalize("NFKC", text).casefold()))


def _shingles(normalized: bytes, size: int) -> set[bytes]:
    words = normalized.split(b" ") if normalized else []
    if len(words) <= size:
        return {normalized} if words else set()
    return set(map(b" ".join, zip(*(words[i:] for i in range(size)), strict=False)))


def word_shingles(text: str, size: int) -> set[bytes]:
    """The set of ``size``-word shingles of the normalised text (the whole text if shorter)."""
    return _shingles(normalize(text).encode(), size)


def text_sha256(text: str) -> str:
    """SHA-256 of the normalised text: equal for copies differing only in case or punctuation."""
    return hashlib.sha256(normalize(text).encode()).hexdigest()


@cache
def _permutations(num_perm: int, seed: int) -> np.ndarray:
    """datasketch's permutations for ``num_perm`` and ``seed``, drawn once (not per text)."""
    return MinHash(num_perm=num_perm, seed=seed, scheme=_SCHEME).permutations


def _fmix32(values: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer, which datasketch applies to each input hash."""
    values = values ^ (values >> np.uint32(16))
    values = values * np.uint32(0x85EBCA6B)
    values = values ^ (values >> np.uint32(13))
    values = values * np.uint32(0xC2B2AE35)
    return values ^ (values >> np.uint32(16))


def minhash_values(shingles: Collection[bytes], num_perm: int, seed: int) -> np.ndarray:
    """The MinHash of ``shingles`` (datasketch's SHA-1 hash of each, its ``affine32``
    permutations), all shingles at once: ``num_perm`` uint32 values."""
    if not shingles:
        return np.full(num_perm, _MAX_HASH, dtype=np.uint32)
    sha1 = hashlib.sha1
    digests = b"".join([sha1(shingle).digest()[:4] for shingle in shingles])
    hashes = _fmix32(np.frombuffer(digests, dtype="<u4").astype(np.uint32)).reshape(-1, 1)
    a, b = _permutations(num_perm, seed)
    return (hashes * a + b).min(axis=0)


def fingerprint(text: str, config: FingerprintConfig) -> Fingerprint:
    """Fingerprint ``text``: its normalised hash and the MinHash of its word shingles."""
    normalized = normalize(text).encode()
    shingles = _shingles(normalized, config.shingle_size)
    values = minhash_values(shingles, config.num_perm, config.seed)
    minhash = LeanMinHash(seed=config.seed, hashvalues=values, scheme=_SCHEME)
    return Fingerprint(hashlib.sha256(normalized).hexdigest(), minhash)


def signature_to_bytes(minhash: LeanMinHash) -> bytes:
    """The signature's hash values as bytes, for storage."""
    return minhash.hashvalues.tobytes()


def signature_from_bytes(data: bytes, config: FingerprintConfig) -> LeanMinHash:
    """Rebuild a stored signature; a signature of another size raises ``ValueError``."""
    values = np.frombuffer(data, dtype=np.uint32)
    if len(values) != config.num_perm:
        raise ValueError(
            f"stored signature has {len(values)} permutations, settings ask for {config.num_perm}"
        )
    return LeanMinHash(seed=config.seed, hashvalues=values, scheme=_SCHEME)

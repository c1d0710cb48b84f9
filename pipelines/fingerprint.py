"""Text → normalised word shingles → MinHash signature."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from functools import cache

import numpy as np
from datasketch import LeanMinHash, MinHash

_WORD = re.compile(r"\w+")
_SCHEME = "affine32"  # datasketch's 32-bit permutations: signatures are stored as uint32


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


def word_shingles(text: str, size: int) -> set[bytes]:
    """The set of ``size``-word shingles of the normalised text (the whole text if shorter)."""
    words = normalize(text).split()
    if len(words) <= size:
        return {" ".join(words).encode()} if words else set()
    return {" ".join(words[i : i + size]).encode() for i in range(len(words) - size + 1)}


def text_sha256(text: str) -> str:
    """SHA-256 of the normalised text: equal for copies differing only in case or punctuation."""
    return hashlib.sha256(normalize(text).encode()).hexdigest()


@cache
def _permutations(num_perm: int, seed: int) -> np.ndarray:
    """datasketch's permutations for ``num_perm`` and ``seed``, drawn once (not per text)."""
    return MinHash(num_perm=num_perm, seed=seed, scheme=_SCHEME).permutations


def fingerprint(text: str, config: FingerprintConfig) -> Fingerprint:
    """Fingerprint ``text``: its normalised hash and the MinHash of its word shingles."""
    minhash = MinHash(
        num_perm=config.num_perm,
        seed=config.seed,
        scheme=_SCHEME,
        permutations=_permutations(config.num_perm, config.seed),
    )
    minhash.update_batch(list(word_shingles(text, config.shingle_size)))
    return Fingerprint(text_sha256(text), LeanMinHash(minhash))


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

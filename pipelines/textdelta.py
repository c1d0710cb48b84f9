"""A member's text stored as what it adds to its cluster's representative text.

An exact copy costs nothing; a rewrite is stored as a compressed diff-match-patch delta when that
is smaller than the compressed text itself, otherwise as that compressed text. Every encoding is
verified to rebuild the text exactly before it is returned.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from enum import StrEnum

from diff_match_patch import diff_match_patch


class Storage(StrEnum):
    """Where a member's text lives."""

    REPRESENTATIVE = "representative"  # it is the cluster's text
    SAME = "same"  # identical to the cluster's text
    DELTA = "delta"  # compressed delta against the cluster's text
    FULL = "full"  # its own text, compressed


@dataclass(frozen=True)
class EncodedText:
    """A text as stored: how, and the bytes (none for the representative or an exact copy)."""

    storage: Storage
    payload: bytes | None

    @property
    def stored_bytes(self) -> int:
        return len(self.payload) if self.payload else 0


def _differ(timeout_seconds: float) -> diff_match_patch:
    differ = diff_match_patch()
    differ.Diff_Timeout = timeout_seconds
    return differ


def encode(base: str, text: str, timeout_seconds: float = 1.0) -> EncodedText:
    """Encode ``text`` against ``base`` in the smallest form that rebuilds it exactly."""
    if text == base:
        return EncodedText(Storage.SAME, None)
    full = EncodedText(Storage.FULL, zlib.compress(text.encode("utf-8"), 9))
    differ = _differ(timeout_seconds)
    diffs = differ.diff_main(base, text)
    differ.diff_cleanupEfficiency(diffs)
    delta = EncodedText(Storage.DELTA, zlib.compress(differ.diff_toDelta(diffs).encode(), 9))
    if delta.stored_bytes >= full.stored_bytes or decode(base, delta) != text:
        return full
    return delta


def decode(base: str, encoded: EncodedText) -> str:
    """Rebuild a text from its cluster's text and its stored form."""
    if encoded.storage in (Storage.REPRESENTATIVE, Storage.SAME):
        return base
    if encoded.payload is None:
        raise ValueError(f"{encoded.storage} text has no payload")
    if encoded.storage is Storage.FULL:
        return zlib.decompress(encoded.payload).decode("utf-8")
    differ = diff_match_patch()
    diffs = differ.diff_fromDelta(base, zlib.decompress(encoded.payload).decode())
    return differ.diff_text2(diffs)

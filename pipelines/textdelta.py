"""A member's text stored as what it adds to its cluster's representative text.

An exact copy costs nothing; a rewrite is stored as a compressed diff-match-patch delta when that
is smaller than the compressed text itself, otherwise as that compressed text. The delta is
computed word by word: each distinct word, run of white space or of punctuation becomes one
character, and diff-match-patch's C++ implementation diffs those (milliseconds, where a
character diff of two rewrites in Python takes a second); the result is the same delta format.
Every encoding is verified to rebuild the text exactly before it is returned.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from enum import StrEnum

import fast_diff_match_patch
from diff_match_patch import diff_match_patch

_TOKEN = re.compile(r"\w+|\s+|[^\w\s]+")
_FIRST_CODE = 0x10000  # tokens are coded as characters from here up, past the surrogates
_OPERATIONS = {
    "=": diff_match_patch.DIFF_EQUAL,
    "-": diff_match_patch.DIFF_DELETE,
    "+": diff_match_patch.DIFF_INSERT,
}


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


def word_diffs(base: str, text: str, timeout_seconds: float) -> list[tuple[int, str]] | None:
    """diff-match-patch's diffs turning ``base`` into ``text``, found token by token; None when
    the two hold more distinct tokens than there are characters to code them."""
    codes: dict[str, str] = {}
    tokens = (_TOKEN.findall(base), _TOKEN.findall(text))
    try:
        coded = [
            "".join(
                [codes.get(t) or codes.setdefault(t, chr(_FIRST_CODE + len(codes))) for t in part]
            )
            for part in tokens
        ]
    except ValueError:  # chr() past U+10FFFF
        return None
    changes = fast_diff_match_patch.diff(
        *coded, timelimit=timeout_seconds, checklines=False, cleanup="Efficiency"
    )
    diffs: list[tuple[int, str]] = []
    position = [0, 0]  # next token of base, of text
    for operation, count in changes:
        side = 1 if operation == "+" else 0
        start = position[side]
        diffs.append((_OPERATIONS[operation], "".join(tokens[side][start : start + count])))
        position[side] += count
        if operation == "=":
            position[1] += count
    differ = diff_match_patch()
    differ.diff_cleanupSemanticLossless(diffs)
    return diffs


def encode(base: str, text: str, timeout_seconds: float = 1.0) -> EncodedText:
    """Encode ``text`` against ``base`` in the smallest form that rebuilds it exactly."""
    if text == base:
        return EncodedText(Storage.SAME, None)
    full = EncodedText(Storage.FULL, zlib.compress(text.encode("utf-8"), 9))
    diffs = word_diffs(base, text, timeout_seconds)
    if diffs is None:
        return full
    delta_text = diff_match_patch().diff_toDelta(diffs)
    delta = EncodedText(Storage.DELTA, zlib.compress(delta_text.encode(), 9))
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

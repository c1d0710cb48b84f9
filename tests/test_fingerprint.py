"""Fingerprints: normalised text, word shingles, MinHash signatures and their storage."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from datasketch import LeanMinHash, MinHash, MinHashLSH

from pipelines.fingerprint import (
    FingerprintConfig,
    fingerprint,
    normalize,
    signature_from_bytes,
    signature_to_bytes,
    text_sha256,
    word_shingles,
)

CONFIG = FingerprintConfig()

ARTICLE = (
    "Authorities in the Kursk region ordered the evacuation of three border villages on Monday "
    "after overnight shelling damaged a school and several homes, the regional governor said. "
    "Buses left the village square shortly after dawn, carrying around four hundred residents "
    "to temporary shelters in the regional capital, where volunteers handed out blankets and "
    "hot meals. Local officials said the shelling began shortly after midnight and lasted nearly "
    "two hours, cutting power to more than a thousand households across the district. Engineers "
    "were working to restore electricity by the evening, although the governor warned that "
    "repairs to the damaged substation could take several more days."
)

# the same story lightly rewritten by another outlet: a new lead-in and one changed detail
REWRITE = (
    "KURSK (Reuters) - Authorities in the Kursk region ordered the evacuation of three border "
    "villages on Monday after overnight shelling damaged a school and several homes, the regional "
    "governor said. Buses left the village square shortly after dawn, carrying around four "
    "hundred residents to temporary shelters in the regional capital, where volunteers handed out "
    "blankets and hot meals. Local officials said the shelling began shortly after midnight and "
    "lasted nearly three hours, cutting power to more than a thousand households across the "
    "district. Engineers were working to restore electricity by the evening, although the "
    "governor warned that repairs to the damaged substation could take several more days."
)

UNRELATED = (
    "The central bank left its main interest rate unchanged on Thursday, saying inflation had "
    "eased faster than expected over the winter but that wage growth remained strong. Markets had "
    "largely priced in the decision, and the currency barely moved after the announcement. "
    "Economists expect the first cut to come in the summer if energy prices stay low and the "
    "labour market continues to cool at its current pace."
)


@pytest.mark.parametrize(
    ("text", "normalized"),
    [
        ("Hello, World!", "hello world"),
        ("  many   spaces\n\tand\r\nlines  ", "many spaces and lines"),
        ("Ｋｕｒｓｋ", "kursk"),  # full-width → ASCII by NFKC
        ("ﬁnal", "final"),  # ligature → letters by NFKC
        ("x²", "x2"),  # superscript → digit by NFKC
        ("Straße", "strasse"),  # casefold, not just lower()
        ("«Курской» — области…", "курской области"),  # Cyrillic stays, punctuation goes
        ("don't stop-loss", "don t stop loss"),
        ("", ""),
        ("?!…", ""),
    ],
)
def test_normalize(text: str, normalized: str) -> None:
    assert normalize(text) == normalized


def test_shingles_of_a_long_text_overlap_by_size_words() -> None:
    assert word_shingles("One two, THREE four five.", 3) == {
        b"one two three",
        b"two three four",
        b"three four five",
    }


def test_shingles_are_utf8_bytes() -> None:
    assert word_shingles("Власти Курской области", 2) == {
        "власти курской".encode(),
        "курской области".encode(),
    }


@pytest.mark.parametrize(
    ("text", "size", "shingles"),
    [
        ("Kursk", 3, {b"kursk"}),
        ("Kursk shelling", 3, {b"kursk shelling"}),
        ("Kursk region shelling", 3, {b"kursk region shelling"}),  # exactly size words
    ],
)
def test_short_text_is_one_shingle(text: str, size: int, shingles: set[bytes]) -> None:
    assert word_shingles(text, size) == shingles


@pytest.mark.parametrize("text", ["", "   ", "— … !"])
def test_text_without_words_has_no_shingles(text: str) -> None:
    assert word_shingles(text, 3) == set()


def test_repeated_shingles_are_counted_once() -> None:
    assert word_shingles("a b a b a b", 2) == {b"a b", b"b a"}


def test_text_sha256_is_the_hash_of_the_normalised_text() -> None:
    assert text_sha256("Hello, World!") == hashlib.sha256(b"hello world").hexdigest()


@pytest.mark.parametrize(
    "variant",
    [
        ARTICLE.upper(),
        ARTICLE.replace(",", "").replace(".", "!"),
        ARTICLE.replace(" ", "\n  "),
        "«" + ARTICLE + "»",
    ],
)
def test_text_sha256_ignores_case_punctuation_and_spacing(variant: str) -> None:
    assert text_sha256(variant) == text_sha256(ARTICLE)


def test_text_sha256_differs_for_a_changed_word() -> None:
    assert text_sha256(ARTICLE.replace("three", "four", 1)) != text_sha256(ARTICLE)


def test_fingerprint_of_a_case_variant_is_identical() -> None:
    first = fingerprint(ARTICLE, CONFIG)
    second = fingerprint(ARTICLE.upper(), CONFIG)
    assert first.text_sha256 == second.text_sha256
    assert np.array_equal(first.minhash.hashvalues, second.minhash.hashvalues)


def test_signature_round_trips_through_bytes() -> None:
    minhash = fingerprint(ARTICLE, CONFIG).minhash
    data = signature_to_bytes(minhash)
    assert isinstance(data, bytes)
    assert len(data) == 512  # 128 permutations x 4 bytes
    restored = signature_from_bytes(data, CONFIG)
    assert np.array_equal(restored.hashvalues, minhash.hashvalues)
    assert restored.seed == CONFIG.seed
    assert restored.jaccard(minhash) == 1.0
    assert signature_to_bytes(restored) == data


def test_signature_size_follows_num_perm() -> None:
    config = FingerprintConfig(num_perm=64)
    data = signature_to_bytes(fingerprint(ARTICLE, config).minhash)
    assert len(data) == 256
    assert len(signature_from_bytes(data, config).hashvalues) == 64


@pytest.mark.parametrize("size", [0, 256, 1024])
def test_signature_of_another_size_raises(size: int) -> None:
    with pytest.raises(ValueError, match="settings ask for 128"):
        signature_from_bytes(b"\x00" * size, CONFIG)


def test_signature_of_a_truncated_buffer_raises() -> None:
    data = signature_to_bytes(fingerprint(ARTICLE, CONFIG).minhash)
    with pytest.raises(ValueError):
        signature_from_bytes(data[:-1], CONFIG)


def test_restored_signature_compares_with_fresh_ones() -> None:
    stored = signature_from_bytes(signature_to_bytes(fingerprint(ARTICLE, CONFIG).minhash), CONFIG)
    fresh = fingerprint(REWRITE, CONFIG).minhash
    assert fresh.jaccard(stored) == fingerprint(ARTICLE, CONFIG).minhash.jaccard(fresh)


def test_light_rewrite_has_high_jaccard() -> None:
    original = fingerprint(ARTICLE, CONFIG)
    rewrite = fingerprint(REWRITE, CONFIG)
    assert original.text_sha256 != rewrite.text_sha256
    exact = len(word_shingles(ARTICLE, 3) & word_shingles(REWRITE, 3)) / len(
        word_shingles(ARTICLE, 3) | word_shingles(REWRITE, 3)
    )
    assert exact > 0.8
    assert original.minhash.jaccard(rewrite.minhash) > 0.7


def test_unrelated_texts_have_low_jaccard() -> None:
    original = fingerprint(ARTICLE, CONFIG)
    unrelated = fingerprint(UNRELATED, CONFIG)
    assert original.minhash.jaccard(unrelated.minhash) < 0.1


def test_same_text_same_signature_across_calls() -> None:
    assert np.array_equal(
        fingerprint(ARTICLE, CONFIG).minhash.hashvalues,
        fingerprint(ARTICLE, CONFIG).minhash.hashvalues,
    )


def test_seed_changes_the_signature() -> None:
    one = fingerprint(ARTICLE, FingerprintConfig(seed=1)).minhash
    two = fingerprint(ARTICLE, FingerprintConfig(seed=2)).minhash
    assert not np.array_equal(one.hashvalues, two.hashvalues)


# Signatures of this text as newscrawl stored them before the permutations were cached.
STORED_TEXT = (
    "Authorities in the Kursk region ordered the evacuation of three border villages on Monday "
    "after overnight shelling damaged a school."
)
STORED_SIGNATURE_SHA256 = {
    FingerprintConfig(): "2388853bf6e06e4c787c4c871c3cb05b5b2c29f9f41bc023d8150fd3db08017e",
    FingerprintConfig(num_perm=64, seed=7): (
        "79609d2eca4bbdcaae9c1a3c89b60d72e099fc0ceeab077b79e883a0eea234b1"
    ),
}


@pytest.mark.parametrize("config", list(STORED_SIGNATURE_SHA256))
def test_signatures_are_the_bytes_stored_before(config: FingerprintConfig) -> None:
    data = signature_to_bytes(fingerprint(STORED_TEXT, config).minhash)
    assert hashlib.sha256(data).hexdigest() == STORED_SIGNATURE_SHA256[config]
    assert signature_from_bytes(data, config) == fingerprint(STORED_TEXT, config).minhash


@pytest.mark.parametrize("config", [FingerprintConfig(), FingerprintConfig(num_perm=64, seed=7)])
def test_fingerprint_equals_datasketchs_own_minhash(config: FingerprintConfig) -> None:
    text = STORED_TEXT + " Buses left the village square shortly after dawn."
    own = MinHash(num_perm=config.num_perm, seed=config.seed, scheme="affine32")
    own.update_batch(list(word_shingles(text, config.shingle_size)))
    assert fingerprint(text, config).minhash == LeanMinHash(own)
    lsh = MinHashLSH(threshold=0.5, num_perm=config.num_perm)
    lsh.insert("own", LeanMinHash(own))
    assert lsh.query(fingerprint(text, config).minhash) == ["own"]


@pytest.mark.parametrize("text", ["", "!!! ...", "one", "one two three"])
def test_fingerprint_of_few_or_no_words_equals_datasketchs(text: str) -> None:
    config = FingerprintConfig()
    own = MinHash(num_perm=config.num_perm, seed=config.seed, scheme="affine32")
    own.update_batch(list(word_shingles(text, config.shingle_size)))
    assert fingerprint(text, config).minhash == LeanMinHash(own)

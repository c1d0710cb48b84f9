"""Near-duplicate grouping: exact copies, rewrites, new stories and the closest cluster."""

from __future__ import annotations

import gc

import numpy as np
import pytest

from pipelines.fingerprint import FingerprintConfig
from pipelines.group import Document, GroupingConfig, GroupingIndex, Match, MatchKind, make_document

CONFIG = GroupingConfig()

# distinct sentences about one event; articles are built from overlapping subsets of them
S = [
    "Authorities in the Kursk region ordered the evacuation of three border villages on Monday "
    "after overnight shelling damaged a school and several homes.",
    "Buses left the village square shortly after dawn carrying around four hundred residents to "
    "temporary shelters in the regional capital.",
    "Volunteers at the shelters handed out blankets, bottled water and hot meals to families who "
    "had spent the night in cellars.",
    "Local officials said the shelling began shortly after midnight and lasted nearly two hours, "
    "cutting power to more than a thousand households.",
    "Engineers were working to restore electricity by the evening although repairs to the damaged "
    "substation could take several more days.",
    "The governor urged residents of neighbouring districts to stay close to shelters and follow "
    "official channels for further instructions.",
    "Schools across the district switched to remote lessons for the rest of the week, the "
    "education ministry announced in a short statement.",
    "Farmers in the area complained that the evacuation had left livestock unattended and asked "
    "for permission to return during daylight hours.",
]

ORIGINAL = " ".join(S[0:5])
REWRITE = "KURSK, April 28 - " + ORIGINAL.replace("two hours", "three hours").replace(
    "hot meals", "warm food"
)
UNRELATED = (
    "The central bank left its main interest rate unchanged on Thursday, saying inflation had "
    "eased faster than expected over the winter but that wage growth remained strong. Markets had "
    "largely priced in the decision, and the currency barely moved after the announcement. "
    "Economists expect the first cut to come in the summer if energy prices stay low."
)


def fp(text: str, config: GroupingConfig = CONFIG) -> Document:
    return make_document(text, None, "en", config)


@pytest.fixture
def index() -> GroupingIndex:
    index = GroupingIndex(CONFIG)
    index.add(1, 10, fp(ORIGINAL))
    return index


def test_exact_copy_matches_with_kind_exact(index: GroupingIndex) -> None:
    assert index.match(fp(ORIGINAL)) == Match(1, 10, 1.0, MatchKind.EXACT)


def test_copy_differing_in_case_and_punctuation_is_exact(index: GroupingIndex) -> None:
    copy = ORIGINAL.upper().replace(",", "").replace(".", " !")
    match = index.match(fp(copy))
    assert match == Match(1, 10, 1.0, MatchKind.EXACT)


def test_light_rewrite_is_a_near_duplicate_in_the_same_cluster(index: GroupingIndex) -> None:
    index.add(2, 20, fp(UNRELATED))
    match = index.match(fp(REWRITE))
    assert match is not None
    assert match.kind is MatchKind.NEAR_DUPLICATE
    assert (match.article_id, match.cluster_id) == (1, 10)
    assert CONFIG.match_threshold <= match.similarity < 1.0
    assert match.similarity > 0.7
    assert match.similarity == index.similarity(fp(REWRITE), 1)


def test_unrelated_text_starts_a_new_story(index: GroupingIndex) -> None:
    assert index.match(fp(UNRELATED)) is None
    assert index.similarity(fp(UNRELATED), 1) < CONFIG.match_threshold


def test_empty_index_matches_nothing() -> None:
    assert GroupingIndex(CONFIG).match(fp(ORIGINAL)) is None


def test_the_most_similar_cluster_wins() -> None:
    close = " ".join(S[0:5])  # shares 4 of 5 sentences with the new article
    far = " ".join(S[0:3] + S[5:7])  # shares 3 of 5
    new = " ".join(S[0:4] + S[7:8])
    index = GroupingIndex(CONFIG)
    index.add(1, 100, fp(far))  # the lower id, added first: neither may decide
    index.add(2, 200, fp(close))
    new_fp = fp(new)
    # both stored articles are candidates above the threshold, in different clusters
    assert index.similarity(new_fp, 1) >= CONFIG.match_threshold
    assert index.similarity(new_fp, 2) > index.similarity(new_fp, 1) + 0.1
    match = index.match(new_fp)
    assert match is not None
    assert (match.article_id, match.cluster_id) == (2, 200)
    assert match.kind is MatchKind.NEAR_DUPLICATE
    assert match.similarity == index.similarity(new_fp, 2)


def test_exact_copy_beats_a_near_duplicate_elsewhere() -> None:
    index = GroupingIndex(CONFIG)
    index.add(1, 100, fp(REWRITE))
    index.add(2, 200, fp(ORIGINAL))
    assert index.match(fp(ORIGINAL)) == Match(2, 200, 1.0, MatchKind.EXACT)


def test_exact_copy_points_at_the_first_article_with_that_text() -> None:
    index = GroupingIndex(CONFIG)
    index.add(1, 100, fp(ORIGINAL))
    index.add(2, 100, fp(ORIGINAL.upper()))
    assert index.match(fp(ORIGINAL)) == Match(1, 100, 1.0, MatchKind.EXACT)


def test_threshold_decides_near_duplicates() -> None:
    half = " ".join(S[0:3] + S[5:8])  # shares about half its shingles with ORIGINAL
    loose = GroupingIndex(CONFIG)
    loose.add(1, 10, fp(ORIGINAL))
    # the signature path is switched off here, so only word similarity can decide
    strict = GroupingIndex(GroupingConfig(match_threshold=0.9, signature_only_threshold=1.1))
    strict.add(1, 10, fp(ORIGINAL))
    similarity = loose.similarity(fp(half), 1)
    assert CONFIG.match_threshold < similarity < 0.9
    assert loose.match(fp(half)) is not None
    assert strict.match(fp(half)) is None


def test_an_id_below_the_largest_is_still_checked() -> None:
    index = GroupingIndex(CONFIG)
    index.add(5, 10, fp(ORIGINAL))
    index.add(3, 11, fp(UNRELATED))
    with pytest.raises(ValueError, match="article 3 is already indexed"):
        index.add(3, 12, fp(ORIGINAL.upper()))
    index.add(4, 12, fp(ORIGINAL.upper()))
    assert 4 in index and 5 in index and 6 not in index
    assert len(index) == 3


def test_clusters_judged_together_are_judged_as_one_by_one() -> None:
    german = "Die Behörden ordneten die Räumung von drei Dörfern an."
    index = GroupingIndex(CONFIG)
    index.add(1, 10, fp(ORIGINAL))  # the story: viable
    index.add(2, 11, fp(UNRELATED))  # another report in English: vetoed
    index.add(3, 12, make_document(german, None, "de", CONFIG))  # a translation far too short
    index.add(4, 13, make_document(" ".join([german] * 5), None, "de", CONFIG))  # long enough
    clusters = {10, 11, 12, 13}
    assert index._viable(fp(REWRITE), clusters) == {10, 13}
    assert {c for c in clusters if index._viable(fp(REWRITE), {c})} == {10, 13}


def test_adding_the_same_id_twice_raises(index: GroupingIndex) -> None:
    with pytest.raises(ValueError, match="article 1 is already indexed"):
        index.add(1, 99, fp(UNRELATED))
    # the failed add changed nothing
    assert len(index) == 1
    assert index.match(fp(UNRELATED)) is None
    assert index.match(fp(ORIGINAL)) == Match(1, 10, 1.0, MatchKind.EXACT)


def test_len_and_contains() -> None:
    index = GroupingIndex(CONFIG)
    assert len(index) == 0
    assert 1 not in index
    index.add(1, 10, fp(ORIGINAL))
    index.add(7, 70, fp(UNRELATED))
    assert len(index) == 2
    assert 1 in index and 7 in index
    assert 2 not in index


def test_similarity_of_the_same_signature_is_one(index: GroupingIndex) -> None:
    stored = fp(ORIGINAL)
    other = GroupingIndex(CONFIG)
    other.add(5, 50, stored)
    assert other.similarity(stored, 5) == 1.0
    assert index.similarity(fp(ORIGINAL), 1) == 1.0


def test_config_signature_size_is_used() -> None:
    config = GroupingConfig(fingerprint=FingerprintConfig(num_perm=64))
    index = GroupingIndex(config)
    index.add(1, 10, fp(ORIGINAL, config))
    match = index.match(fp(REWRITE, config))
    assert match is not None and match.cluster_id == 10


def test_stored_signature_minhash_is_datasketchs() -> None:
    """The signature LSH is fed and checked with MinHashes rebuilt from interned keys; they are
    the ones datasketch computes from the key strings."""
    from datasketch import MinHash

    from pipelines.key_table import KeyTable, key_digests
    from pipelines.row_keys import RowKeys

    table = KeyTable(FingerprintConfig())
    signatures = [sorted({f"k{i}", f"n{i * 7}", "y2024", f"d0{i % 9 + 1}-11"}) for i in range(40)]
    slot_lists = [
        np.sort(table.count(key_digests(keys), table.slots(key_digests(keys))))
        for keys in signatures
    ]
    rows = RowKeys()
    for slots in slot_lists:
        rows.append(slots)
    columns = np.tile(np.arange(128), (len(signatures), 1))
    rebuilt = table.minhash_columns(rows, np.arange(len(signatures)), columns)
    for keys, stored in zip(signatures, rebuilt, strict=True):
        expected = MinHash(num_perm=128, seed=2, scheme="affine32")
        expected.update_batch([key.encode() for key in keys])
        assert (table.minhash(key_digests(keys)) == expected.hashvalues).all()
        assert (stored == expected.hashvalues).all()
    assert table.counts(table.slots(key_digests(["y2024", "k3", "never"]))).tolist() == [40, 1, 0]


def test_key_table_gives_new_keys_slots_in_digest_order_once_each() -> None:
    from pipelines.key_table import KeyTable

    table = KeyTable(FingerprintConfig())
    first = table.count(np.array([30, 10], dtype=np.uint64), np.array([-1, -1]))
    assert first.tolist() == [1, 0]  # new slots by ascending digest
    digests = np.array([20, 10, 20, 40], dtype=np.uint64)  # 20 twice: one slot, counted twice
    slots = table.count(digests, table.slots(digests))
    assert slots.tolist() == [2, 0, 2, 3]
    counts = table.counts(table.slots(np.array([10, 20, 30, 40], dtype=np.uint64)))
    assert counts.tolist() == [2, 2, 1, 1]


def test_the_index_keeps_no_python_object_per_article() -> None:
    """Rows live in numpy columns: adding articles leaves the collector nothing more to walk."""
    index = GroupingIndex(CONFIG)
    words = UNRELATED.split()

    def add(i: int) -> None:
        text = " ".join(words[i % 30 :] + words[: i % 30]) + f" Item {i} of {i * 13} in Kyiv{i}"
        index.add(i, i % 50, fp(text))

    for i in range(600):  # every lookup table has closed and merged runs (and is compiled)
        add(i)
    gc.collect()
    tracked = len(gc.get_objects())
    for i in range(600, 1600):
        add(i)
    gc.collect()
    assert len(gc.get_objects()) - tracked < 100
    assert len(index) == 1600 and 1599 in index

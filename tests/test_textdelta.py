"""Member texts stored against their cluster's text: same, delta or full, always exact."""

from __future__ import annotations

import zlib

import pytest

from pipelines.textdelta import EncodedText, Storage, decode, encode, word_diffs

BASE = (
    "Authorities in the Kursk region ordered the evacuation of three border villages on Monday "
    "after overnight shelling damaged a school and several homes, the regional governor said.\n"
    "Buses left the village square shortly after dawn, carrying around four hundred residents "
    "to temporary shelters in the regional capital, where volunteers handed out blankets.\n"
    "Local officials said the shelling began shortly after midnight and lasted nearly two "
    "hours, cutting power to more than a thousand households across the district.\n"
)

UNRELATED = (
    "The central bank left its main interest rate unchanged on Thursday, saying inflation had "
    "eased faster than expected over the winter but that wage growth remained strong. Markets "
    "had largely priced in the decision, and the currency barely moved after the announcement."
)

# zlib's header and checksum: the most a tiny text stored in full can cost beyond itself.
ZLIB_FRAMING = 11

RU_BASE = (
    "Власти Курской области в понедельник объявили об эвакуации жителей трёх приграничных сёл "
    "после ночного обстрела, в результате которого пострадали школа и несколько жилых домов.\n"
    "Автобусы с жителями отправились в областной центр рано утром.\n"
)

CJK_BASE = "库尔斯克州当局周一下令疏散三个边境村庄。夜间炮击损坏了一所学校和几栋房屋。" * 4


def test_exact_copy_is_same_without_payload() -> None:
    encoded = encode(BASE, BASE)
    assert encoded == EncodedText(Storage.SAME, None)
    assert encoded.stored_bytes == 0
    assert decode(BASE, encoded) == BASE


def test_small_edit_is_a_compact_delta() -> None:
    text = BASE.replace("two hours", "three hours").replace("Monday", "Monday morning")
    encoded = encode(BASE, text)
    assert encoded.storage is Storage.DELTA
    assert encoded.payload is not None
    assert encoded.stored_bytes == len(encoded.payload)
    assert encoded.stored_bytes < len(text.encode("utf-8")) // 4
    assert decode(BASE, encoded) == text
    # the payload is a zlib-compressed diff-match-patch delta mentioning only the new words
    delta = zlib.decompress(encoded.payload).decode()
    assert "+morning" in delta
    assert "Kursk" not in delta and "shelling" not in delta


@pytest.mark.parametrize(
    "text",
    [
        "Oil prices slide in Asian trading.",
        UNRELATED[:120],
        "库尔斯克州当局周一下令疏散三个边境村庄。",
    ],
)
def test_short_unrelated_text_is_stored_in_full(text: str) -> None:
    encoded = encode(BASE, text)
    assert encoded.storage is Storage.FULL
    assert zlib.decompress(encoded.payload) == text.encode("utf-8")
    assert decode(BASE, encoded) == text
    assert decode("", encoded) == text  # a full text needs no base


def test_unrelated_article_is_stored_in_full() -> None:
    encoded = encode(BASE, UNRELATED)
    assert encoded.storage is Storage.FULL
    assert zlib.decompress(encoded.payload) == UNRELATED.encode("utf-8")
    assert encoded.stored_bytes < len(UNRELATED.encode("utf-8"))


def test_unrelated_article_still_round_trips() -> None:
    encoded = encode(BASE, UNRELATED)
    assert encoded.storage in (Storage.DELTA, Storage.FULL)
    assert encoded.stored_bytes <= len(UNRELATED.encode("utf-8"))
    assert decode(BASE, encoded) == UNRELATED


def test_empty_text_against_a_base() -> None:
    encoded = encode(BASE, "")
    assert encoded.storage is Storage.FULL
    assert encoded.stored_bytes <= ZLIB_FRAMING
    assert decode(BASE, encoded) == ""


def test_representative_decodes_to_the_base() -> None:
    assert decode(BASE, EncodedText(Storage.REPRESENTATIVE, None)) == BASE


@pytest.mark.parametrize("storage", [Storage.DELTA, Storage.FULL])
def test_missing_payload_raises(storage: Storage) -> None:
    with pytest.raises(ValueError, match="has no payload"):
        decode(BASE, EncodedText(storage, None))


def test_storage_values_are_the_stored_strings() -> None:
    assert [s.value for s in Storage] == ["representative", "same", "delta", "full"]
    assert Storage("delta") is Storage.DELTA


# (base, text): each text is a small edit of its base, so a delta is expected
TRICKY_EDITS = {
    "emoji": (
        "🇺🇦 " + BASE + " 👍🏽",
        "🇺🇦 " + BASE.replace("Monday", "Tuesday 🚌") + " 👍🏽",
    ),
    "emoji_zwj_family": (BASE + "👨‍👩‍👧", BASE + "👨‍👩‍👧‍👦"),
    "emoji_replaces_emoji": ("😀 " + BASE, "😃 " + BASE),
    "astral_letters": (BASE + "𐌰𐌱", BASE + "𐌰𝔅𐌱"),
    "cyrillic": (RU_BASE, RU_BASE.replace("трёх", "четырёх")),
    "cjk": (CJK_BASE, CJK_BASE.replace("周一", "周二", 1)),
    "combining": (
        "Cafe\u0301 na\u0308ive " + BASE,
        "Cafe\u0301 na\u0308i\u0308ve " + BASE,
    ),
    "combining_mark_only_change": ("e\u0301" + BASE, "e\u0300" + BASE),
    "crlf": (BASE.replace("\n", "\r\n"), BASE.replace("\n", "\r\n").replace("two", "2")),
    "crlf_to_lf": (BASE.replace("\n", "\r\n"), BASE),
    "trailing_whitespace": (BASE + "   \n\t", BASE + "  \n\n"),
    "percent_and_tab": (BASE + " 50% off", BASE + " 75% off %25 %zz\t+=-"),
    "delta_syntax_chars": (BASE, BASE.replace(",", "\t=+-\t", 2)),
    "nul_and_controls": (BASE, BASE + "\x00\x01\x7f"),
    "rtl": ("مرحبا بالعالم " + BASE, "مرحبا يا عالم " + BASE),
    "bom_and_nbsp": ("\ufeff" + BASE, "\ufeff" + BASE.replace(" ", "\u00a0", 3)),
}


@pytest.mark.parametrize(("base", "text"), TRICKY_EDITS.values(), ids=TRICKY_EDITS.keys())
def test_tricky_edits_round_trip_as_deltas(base: str, text: str) -> None:
    assert base != text
    encoded = encode(base, text)
    assert encoded.storage is Storage.DELTA
    assert encoded.stored_bytes < len(text.encode("utf-8"))
    assert decode(base, encoded) == text


TRICKY_TEXTS = [
    "",
    " ",
    "\r\n",
    "\n\n\n",
    "👍",
    "👍🏽👨‍👩‍👧‍👦🇺🇦",
    "Курской",
    "库尔斯克",
    "e\u0301",
    "\u0301 leading combining mark",
    "line\r\nline\rline\n",
    "trailing   \t \n",
    "%00%zz%",
    "a\tb\tc",
    "\x00",
    "\U0010ffff",
    RU_BASE,
    CJK_BASE,
]


@pytest.mark.parametrize("base", ["", "short", BASE, RU_BASE])
@pytest.mark.parametrize("text", TRICKY_TEXTS)
def test_any_text_round_trips_exactly(base: str, text: str) -> None:
    encoded = encode(base, text)
    assert decode(base, encoded) == text
    assert encoded.stored_bytes <= len(text.encode("utf-8")) + ZLIB_FRAMING
    if text == base:
        assert encoded.storage is Storage.SAME


@pytest.mark.parametrize("text", TRICKY_TEXTS)
def test_text_appended_to_the_base_round_trips(text: str) -> None:
    for candidate in (BASE + text, text + BASE, BASE[:100] + text + BASE[100:]):
        encoded = encode(BASE, candidate)
        assert decode(BASE, encoded) == candidate
        if candidate != BASE:
            assert encoded.storage is Storage.DELTA


def test_word_diffs_rebuild_both_texts_from_whole_words() -> None:
    text = BASE.replace("overnight shelling", "a drone strike").replace("Monday", "Sunday")
    diffs = word_diffs(BASE, text, timeout_seconds=1.0)
    assert diffs is not None
    assert "".join(part for op, part in diffs if op <= 0) == BASE
    assert "".join(part for op, part in diffs if op >= 0) == text
    deleted = " ".join(part for op, part in diffs if op < 0).split()
    inserted = " ".join(part for op, part in diffs if op > 0).split()
    assert "Monday" in deleted and "shelling" in deleted
    assert "Sunday" in inserted and "drone" in inserted
    assert set(deleted) <= set(BASE.split()) and set(inserted) <= set(text.split())

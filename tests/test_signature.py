"""The language-neutral signature: numbers, dates and names that survive translation."""

from __future__ import annotations

import random
import re
import unicodedata

import pytest
from anyascii import anyascii

from pipelines.signature import (
    _MONTH_STEMS,
    _NUMBER,
    date_keys,
    fold,
    month_of,
    name_keys,
    number_keys,
    numbers,
    signature_keys,
    skeleton,
)


@pytest.mark.parametrize(
    "text",
    [
        "some 11,000 soldiers",
        "some 11 000 soldiers",
        "some 11.000 Soldaten",
        "some 11 thousand soldiers",
        "около 11 тысяч военных",
        "unos 11 mil soldados",
        "около 11\u00a0000 военных",
    ],
)
def test_one_number_written_many_ways_is_one_key(text: str) -> None:
    assert "n11000" in set(number_keys(text))


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("1.5 million people", "n1.5e+06"),
        ("1,5 млн человек", "n1.5e+06"),
        ("3 млрд рублей", "n3e+09"),
        ("$2bn deal", "n2e+09"),
        ("in 1953 the war ended", "y1953"),
        ("3.7 per cent", None),  # below ten: too common to say anything
    ],
)
def test_scales_years_and_small_numbers(text: str, key: str | None) -> None:
    keys = set(number_keys(text))
    if key is None:
        assert keys == set()
    else:
        assert key in keys


def test_numbers_keep_how_the_text_wrote_them() -> None:
    assert numbers("between 11,000 and 50 000 soldiers in 2024") == {
        "n11000": "11,000",
        "n50000": "50 000",
        "y2024": "2024",
    }


@pytest.mark.parametrize(
    "text",
    ["on 28 April 2025", "on April 28, 2025", "28 апреля 2025 года", "le 28 avril", "am 28. April"],
)
def test_dates_in_several_languages_meet(text: str) -> None:
    assert {"m04", "d04-28"} <= set(date_keys(text))


def test_a_month_word_without_a_number_is_not_a_date() -> None:
    assert set(date_keys("You may go to the market in march")) == set()


@pytest.mark.parametrize("spelling", ["Klitschko", "Кличко", "Kliczko", "Klychko", "Klitchko"])
def test_spelling_variants_share_a_skeleton(spelling: str) -> None:
    assert skeleton(spelling) == skeleton("Klitschko")


def test_names_inside_sentences_count_and_sentence_starts_do_not() -> None:
    keys = set(name_keys("Yesterday the mayor met Vitali Klitschko. Officials said more."))
    assert f"k{skeleton('Klitschko')}" in keys
    assert f"k{skeleton('Vitali')}" in keys
    assert f"k{skeleton('Yesterday')}" not in keys and f"k{skeleton('Officials')}" not in keys


def test_a_translation_shares_most_keys_and_another_story_few() -> None:
    english = (
        "Kim Yen Un said that between 11,000 and 50,000 North Korean soldiers were sent to the "
        "Kursk region on 28 April 2025. The army had not fought since 1953."
    )
    russian = (
        "Ким Ен Ун заявил, что от 11 тысяч до 50 000 северокорейских военных были направлены в "
        "Курскую область 28 апреля 2025 года. Армия не воевала с 1953 года."
    )
    other = (
        "A drone hit the Kursk nuclear plant on 3 May, the operator Rosenergoatom said, and "
        "radiation stayed at 0.11 microsieverts per hour."
    )

    def jaccard(a: set[str], b: set[str]) -> float:
        return len(a & b) / len(a | b)

    en, ru, ot = signature_keys(english), signature_keys(russian), signature_keys(other)
    assert {"n11000", "n50000", "y1953", "y2025", "d04-28"} <= en & ru
    assert jaccard(en, ru) > 0.3
    assert jaccard(en, ot) < 0.1


def _month_tried_stem_by_stem(word: str) -> int | None:
    """``month_of`` as it was first written: each month's stems tried in order."""
    if not re.match(r"^[a-z]{3,12}$", word):
        return None
    for month, stems in _MONTH_STEMS.items():
        if any(word.startswith(stem) for stem in stems):
            return month
    return None


def test_month_lookup_by_prefix_equals_trying_every_stem() -> None:
    stems = [stem for stems in _MONTH_STEMS.values() for stem in stems]
    words = [*stems, "may", "mart", "marzo", "listopad", "lipiec", "sentyabrya", "setembro"]
    words += [stem + suffix for stem in stems for suffix in ("a", "ya", "ust", "rya", "xxxxxxxxx")]
    words += [stem[:-1] for stem in stems] + ["", "ma", "m4y", "Mai", "abcdefghijklm", "zzz"]
    rng = random.Random(5)
    words += ["".join(rng.choices("abcdeilmnorstuvyz", k=rng.randint(3, 8))) for _ in range(5000)]
    assert [month_of(w) for w in words] == [_month_tried_stem_by_stem(w) for w in words]
    assert sum(month_of(w) is not None for w in words) > 400  # many of the words name months


_AS_FIRST_WRITTEN_WORD = re.compile(r"[^\W\d_]+")
_AS_FIRST_WRITTEN_SENTENCE_END = re.compile(r"[.!?…:;\"«»“”\n]\s*$")


def _name_keys_word_by_word(text: str) -> list[str]:
    """``name_keys`` as it was first written: every word tested in turn."""
    keys = []
    for match in _AS_FIRST_WRITTEN_WORD.finditer(text):
        word, start = match.group(), match.start()
        if not word[0].isupper() or len(word) < 3 or (word.isupper() and len(word) > 5):
            continue
        if start == 0 or _AS_FIRST_WRITTEN_SENTENCE_END.search(text[max(0, start - 3) : start]):
            continue
        if len(key := skeleton(word)) >= 2:
            keys.append(f"k{key}")
    return keys


def _random_texts(alphabet: str, count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choices(alphabet, k=rng.randint(0, 40))) for _ in range(count)]


NAME_ALPHABET = 'aAbBzZ ÉéßẞǅǄǆⅫⅻİıΣσДд𝐀𝐚𐐀𐐨 \n\t.!?…:;"«»“”,-1२\u0301\u00a0\u2003'


@pytest.mark.parametrize(
    "text",
    [
        "Yesterday the mayor met Vitali Klitschko. Officials said more.",
        "NATO and UNICEF met the EUROPOL chief. «Kyiv» said: “Ivan Petrov” — Ⅻ Legion",
        "В Киеве Виталий Кличко встретился с мэром. Ǆemal Ǆurić and ǅemal saw Σωκράτης",
        "The 𝐀lpha team met Deseret 𐐀𐐨𐐨 and Klitschko; then Ⅻth Street.",
    ],
)
def test_name_keys_equal_testing_every_word(text: str) -> None:
    assert list(name_keys(text)) == _name_keys_word_by_word(text)


def test_name_keys_equal_testing_every_word_on_random_text() -> None:
    texts = _random_texts(NAME_ALPHABET, 20_000, seed=11)
    assert [list(name_keys(t)) for t in texts] == [_name_keys_word_by_word(t) for t in texts]
    assert sum(bool(_name_keys_word_by_word(t)) for t in texts) > 1000  # many of them hold names


def test_fold_equals_transliterating_every_character() -> None:
    texts = _random_texts(
        "abc XYZ 123 .,“”«»–—éßñДжю中文한국어\U0001d400\ud800\ufb01Ⅻ", 20_000, seed=12
    )
    texts += ["Ukraine’s “grain” deal – €5 million", "Київ і Харків", "北京 2025年"]
    expected = []
    for text in texts:
        normal = unicodedata.normalize("NFKC", text)
        expected.append("".join(anyascii(ch) for ch in normal))
    assert [fold(t) for t in texts] == expected


def _numbers_as_first_written(text: str) -> list[tuple[int, str]]:
    found = re.finditer(r"\d+(?:[ \u00a0\u202f.,'’]\d{3})+(?![\d])|\d+(?:[.,]\d+)?", text)
    return [(match.start(), match.group()) for match in found]


def test_numbers_are_found_where_the_first_pattern_found_them() -> None:
    texts = _random_texts("0123456789 \u00a0\u202f.,'’a٣𝟗", 20_000, seed=13)
    for text in texts:
        assert [(m.start(), m.group()) for m in _NUMBER.finditer(text)] == (
            _numbers_as_first_written(text)
        )
    assert numbers("3.5 million, 11 000 and 2,5 mld") == {
        "n3.5e+06": "3.5 million,",
        "n11000": "11 000",
        "n2.5e+09": "2,5 mld",
    }

"""Query matching across scripts: a Latin query finds Cyrillic, inflected coverage."""

from __future__ import annotations

import pytest

from newscrawl.querymatch import QueryMatcher, fold, words


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Курской", "kurskoy"),
        ("Курська", "kurska"),  # the soft sign's apostrophe is dropped
        ("KURSK", "kursk"),
        ("Ｋｕｒｓｋ", "kursk"),  # full-width letters are NFKC-normalised first
    ],
)
def test_fold_transliterates_and_lowercases(text: str, folded: str) -> None:
    assert fold(text) == folded


def test_words_splits_folded_text() -> None:
    assert words("Власти Курской области, 28 апреля") == [
        "vlasti",
        "kurskoy",
        "oblasti",
        "28",
        "aprelya",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Эвакуация в Курской области",  # Russian, genitive
        "Курська область: евакуація",  # Ukrainian
        "Обстрел Курска ночью",  # Russian, genitive of the city
        "Курск",  # nominative, the whole text
        "Kursk region evacuates villages",
        "KURSK: villages evacuated",
    ],
)
def test_latin_query_matches_cyrillic_and_inflected_forms(text: str) -> None:
    assert QueryMatcher("Kursk").matches(text)


@pytest.mark.parametrize(
    "text",
    [
        "Курган: погода на неделю",  # shares the first letters only
        "Kur",
        "Oil prices slide in Asian trading",
        "",
    ],
)
def test_query_does_not_match_unrelated_text(text: str) -> None:
    assert not QueryMatcher("Kursk").matches(text)


def test_cyrillic_query_matches_latin_text() -> None:
    matcher = QueryMatcher("Курск")
    assert matcher.terms == ["kursk"]
    assert matcher.matches("Shelling near Kursk overnight")


def test_multi_word_query_needs_every_term() -> None:
    matcher = QueryMatcher("Kursk evacuation")
    assert matcher.matches("Kursk region orders evacuation of villages")
    assert matcher.matches("The evacuation of Kursk's border villages")  # any order
    assert not matcher.matches("Kursk region orders a curfew")
    assert not matcher.matches("Evacuation of coastal towns")


def test_multi_word_latin_query_matches_cyrillic_text() -> None:
    matcher = QueryMatcher("Kursk oblast")
    assert matcher.matches("Курская область: эвакуация")
    assert matcher.matches("Евакуація: Курська область")
    assert not matcher.matches("Курская АЭС")


def test_terms_may_be_spread_over_title_and_summary() -> None:
    matcher = QueryMatcher("Kursk evacuation")
    assert matcher.matches("Evacuation ordered", "Villages of the Kursk region are emptied")
    assert not matcher.matches("Evacuation ordered", "Villages near the coast are emptied")


def test_short_terms_must_match_whole_words() -> None:
    matcher = QueryMatcher("UN Kursk")
    assert matcher.terms == ["un", "kursk"]
    assert matcher.matches("UN observers visit Kursk")
    assert not matcher.matches("ООН и Курск")  # folds to "oon", not the word "un"
    # "un" is only a prefix of these words, which is not enough for a short term
    assert not matcher.matches("Unrest in Kursk")
    assert not matcher.matches("United Nations in Kursk")


def test_prefix_matching_starts_at_four_letters() -> None:
    assert QueryMatcher("Kurs").matches("Курской области")
    assert not QueryMatcher("Kur").matches("Курской области")
    assert QueryMatcher("Kur").matches("Kur river")


def test_numbers_are_terms_too() -> None:
    matcher = QueryMatcher("Kursk 2024")
    assert matcher.matches("Kursk incursion, August 2024")
    assert not matcher.matches("Kursk incursion, August 2025")


@pytest.mark.parametrize("query", ["", "   ", "!!! --- ...", "«»"])
def test_query_without_words_raises(query: str) -> None:
    with pytest.raises(ValueError, match="no words"):
        QueryMatcher(query)


def test_none_and_empty_texts_are_ignored() -> None:
    matcher = QueryMatcher("Kursk")
    assert matcher.matches(None, "Курская АЭС", None)
    assert matcher.matches("", None, "Kursk")
    assert not matcher.matches(None, None)
    assert not matcher.matches()


def test_matcher_keeps_the_original_query() -> None:
    matcher = QueryMatcher("  Kursk  Oblast ")
    assert matcher.query == "  Kursk  Oblast "
    assert matcher.terms == ["kursk", "oblast"]

"""Property-based tests (hypothesis): hostile text never crashes the pure functions of the
pipeline, and their promises hold for any input.

Budget: the ``newscrawl-ci`` profile (default) runs a fixed number of examples per test with
``derandomize=True``, so every run tries the same inputs and a failure reproduces exactly; the
failing example and its ``@reproduce_failure`` blob are printed. For a longer random search:
``NEWSCRAWL_HYPOTHESIS_PROFILE=deep pytest tests/test_properties.py`` (hypothesis then prints the
seed to replay with ``--hypothesis-seed``).
"""

from __future__ import annotations

import gzip
import os
import re

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from pipelines.changes import Changes, compare
from pipelines.extract import ExtractConfig, NoArticle, extract_article
from pipelines.fingerprint import (
    FingerprintConfig,
    fingerprint,
    normalize,
    signature_from_bytes,
    signature_to_bytes,
    word_shingles,
)
from pipelines.group import GroupingConfig, GroupingIndex, Match, MatchKind, make_document
from pipelines.signature import numbers, signature_keys, skeleton
from pipelines.textdelta import Storage, decode, encode

settings.register_profile(
    "newscrawl-ci",
    max_examples=60,
    derandomize=True,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "deep", max_examples=2000, deadline=None, print_blob=True, derandomize=False
)
settings.load_profile(os.environ.get("NEWSCRAWL_HYPOTHESIS_PROFILE", "newscrawl-ci"))

# --- strategies --------------------------------------------------------------------------------

LATIN = "abcdefghijklmnopqrstuvwxyz"
CYRILLIC = "абвгдежзийклмнопрстуфхцчшщыэюя"
GREEK = "αβγδεζηθικλμνξοπρστυφχψω"
ARABIC = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"
CJK = "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年"
SEPARATORS = [" ", "  ", "\n", "\t", ", ", ". ", "! ", "?! ", " — ", " «", "» ", " (", ") ", "…"]

any_text = st.text(max_size=400)  # every code point hypothesis draws (no surrogates)
huge_number = st.builds(  # up to 6000 digits: past Python's 4300-digit int() limit
    lambda head, digit, length: head + digit * length,
    st.sampled_from("123456789"),
    st.sampled_from("0123456789"),
    st.integers(min_value=20, max_value=6000),
)
word = st.one_of(
    st.text(alphabet=LATIN, min_size=1, max_size=10),
    st.text(alphabet=CYRILLIC, min_size=1, max_size=10),
    st.text(alphabet=GREEK, min_size=1, max_size=10),
    st.text(alphabet=ARABIC, min_size=1, max_size=10),
    st.text(alphabet=CJK, min_size=1, max_size=4),
    st.integers(min_value=0, max_value=10**12).map(str),
)
tricky_token = st.one_of(
    word,
    huge_number,
    st.sampled_from(
        [
            "May",
            "мая",
            "11,000",
            "11 000",
            "11.000",
            "3.5 million",
            "2019",
            "Klitschko",
            "Кличко",
            "Ⅻ",
            "ﬁ",
            "İstanbul",
            "ß",
            "\u0301",
            "\u200b",
            "\x00",
            "\ufeff",
            "１２３",
            "٣٤٥",
            "𝟗𝟗",
            "%",
            "';--",
            "<b>",
        ]
    ),
)


@st.composite
def mixed_text(draw: st.DrawFn, max_tokens: int = 60) -> str:
    """Words of several scripts, numbers (some huge), names, dates, odd characters, punctuation."""
    tokens = draw(st.lists(tricky_token, max_size=max_tokens))
    seps = draw(st.lists(st.sampled_from(SEPARATORS), min_size=len(tokens), max_size=len(tokens)))
    capitalise = draw(st.lists(st.booleans(), min_size=len(tokens), max_size=len(tokens)))
    return "".join(
        (t.capitalize() if up else t) + s for t, s, up in zip(tokens, seps, capitalise, strict=True)
    )


texts = st.one_of(any_text, mixed_text())


# --- normalisation and fingerprints -------------------------------------------------------------


@given(texts)
def test_normalize_yields_single_spaced_word_characters(text: str) -> None:
    normal = normalize(text)
    assert normal == normal.strip()
    assert "  " not in normal
    assert all(re.fullmatch(r"\w+", token) for token in normal.split(" ") if normal)


@given(st.lists(word, min_size=1, max_size=30), st.data())
def test_normalize_ignores_case_and_punctuation_between_words(words: list[str], data) -> None:
    seps = data.draw(
        st.lists(st.sampled_from(SEPARATORS), min_size=len(words), max_size=len(words))
    )
    written = "".join(w.upper() + s for w, s in zip(words, seps, strict=True))
    assert normalize(written) == normalize(" ".join(words)) == " ".join(words).casefold()


@given(texts, st.integers(min_value=1, max_value=6))
def test_word_shingles_cover_the_text(text: str, size: int) -> None:
    words = normalize(text).split()
    shingles = word_shingles(text, size)
    assert bool(shingles) == bool(words)
    assert len(shingles) <= max(1, len(words) - size + 1)
    assert all(1 <= len(s.decode().split(" ")) <= size for s in shingles)
    if len(words) > size:  # appending words never loses a shingle
        assert shingles <= word_shingles(text + " tail words here", size)


@given(texts)
def test_fingerprint_is_deterministic_and_survives_storage(text: str) -> None:
    config = FingerprintConfig()
    first, again = fingerprint(text, config), fingerprint(text, config)
    assert first.text_sha256 == again.text_sha256 and len(first.text_sha256) == 64
    assert first.minhash.jaccard(again.minhash) == 1.0
    stored = signature_to_bytes(first.minhash)
    assert len(stored) == 4 * config.num_perm
    assert signature_from_bytes(stored, config).jaccard(first.minhash) == 1.0


@given(texts)
def test_fingerprint_ignores_case_and_punctuation(text: str) -> None:
    words = normalize(text)
    assume(words)
    config = FingerprintConfig()
    assert fingerprint(text, config).text_sha256 == fingerprint(words, config).text_sha256


# --- signature ----------------------------------------------------------------------------------


@given(texts)
def test_signature_keys_never_fail_and_are_well_formed(text: str) -> None:
    keys = signature_keys(text)
    assert keys == signature_keys(text)
    assert all(re.fullmatch(r"[nymdk][\x21-\x7e]+", key) for key in keys), keys


@given(st.sampled_from(["May", "мая", "Mai", "sierpnia", "Dec."]), huge_number)
def test_huge_numbers_next_to_month_names(month: str, number: str) -> None:
    for text in (f"{month} {number}", f"{number} {month}", f"on {number} {month} 2024"):
        keys = signature_keys(text)
        assert any(key.startswith("m") for key in keys)
        assert all(len(key) < 64 or key.startswith("n") for key in keys)


@given(texts)
def test_numbers_map_canonical_keys_to_how_the_text_wrote_them(text: str) -> None:
    for key, surface in numbers(text).items():
        assert key[0] in "ny" and surface and surface.strip() == surface


@given(st.text(max_size=40))
def test_skeleton_is_short_lower_case_ascii(word_: str) -> None:
    key = skeleton(word_)
    assert len(key) <= 4 and key == key.lower() and key.isascii()


@given(st.text(alphabet=LATIN + CYRILLIC, min_size=1, max_size=20))
def test_skeleton_ignores_case(word_: str) -> None:
    assert skeleton(word_.upper()) == skeleton(word_) == skeleton(word_.capitalize())


# --- what changed -------------------------------------------------------------------------------


@given(texts, texts, st.booleans())
def test_compare_never_fails_and_survives_json(representative: str, member: str, same: bool):
    changes = compare(representative, member, same_language=same)
    assert Changes.from_json(changes.to_json()) == changes
    assert len(changes.sentences_added) <= 10
    if not same:
        assert changes.sentences_added == []


@given(texts, st.booleans())
def test_a_text_compared_with_itself_changed_nothing(text: str, same: bool) -> None:
    assert not compare(text, text, same_language=same)


# --- text deltas --------------------------------------------------------------------------------


@given(texts, texts)
def test_textdelta_round_trips_exactly(base: str, text: str) -> None:
    encoded = encode(base, text, timeout_seconds=0.2)
    assert decode(base, encoded) == text
    if text == base:
        assert encoded.storage is Storage.SAME and encoded.stored_bytes == 0


@given(texts, st.lists(st.tuples(st.integers(0, 400), texts), max_size=5))
def test_textdelta_round_trips_edits_of_the_base(base: str, edits: list[tuple[int, str]]) -> None:
    text = base
    for at, inserted in edits:
        text = text[:at] + inserted + text[at + len(inserted) // 2 :]
    encoded = encode(base, text, timeout_seconds=0.2)
    assert decode(base, encoded) == text


@given(texts, texts)
def test_textdelta_round_trips_with_an_exhausted_time_budget(base: str, text: str) -> None:
    assert decode(base, encode(base, text, timeout_seconds=1e-9)) == text


# --- extraction ---------------------------------------------------------------------------------

TAGS = ["div", "p", "span", "article", "main", "section", "b", "i", "a", "li", "ul", "table", "td"]
FRAGMENTS = [
    "<html>",
    "</html>",
    "<head>",
    "<body>",
    '<meta charset="koi8-r">',
    '<meta http-equiv="Content-Type" content="text/html; charset=bogus-42">',
    '<html lang="xx-\u0000">',
    '<script type="application/ld+json">{"@type":"NewsArticle","articleBody":',
    '<script type="application/ld+json">{"datePublished": "99999-99-99"}</script>',
    '<meta property="article:published_time" content="0000-00-00T25:61">',
    "<![CDATA[",
    "]]>",
    "<!--",
    "-->",
    "<?xml version='1.0'?>",
    "<!DOCTYPE html>",
    "&#0;",
    "&#x110000;",
    "&bogus;",
    "<p>",
    "</p>",
    "<",
    ">",
    "\x00",
    "\ufffd",
    "<title>",
    "</title>",
    '<time datetime="2024-13-45">',
]


@st.composite
def html_soup(draw: st.DrawFn) -> str:
    parts = draw(
        st.lists(
            st.one_of(
                st.sampled_from(FRAGMENTS),
                st.sampled_from(TAGS).map(lambda t: f"<{t}>"),
                st.sampled_from(TAGS).map(lambda t: f"</{t}>"),
                mixed_text(max_tokens=30),
                any_text,
            ),
            max_size=40,
        )
    )
    return "".join(parts)


@st.composite
def nested_page(draw: st.DrawFn) -> str:
    depth = draw(st.integers(min_value=1, max_value=5000))
    tag = draw(st.sampled_from(TAGS))
    body = draw(mixed_text(max_tokens=80))
    close = draw(st.booleans())
    return f"<html><body>{f'<{tag}>' * depth}<p>{body}</p>{f'</{tag}>' * depth if close else ''}"


@st.composite
def plausible_article(draw: st.DrawFn) -> str:
    """Long enough to pass the length checks, so every later stage runs on hostile text."""
    title = draw(mixed_text(max_tokens=8))
    paragraphs = draw(st.lists(mixed_text(max_tokens=60), min_size=3, max_size=8))
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<html lang={draw(st.sampled_from(['en', 'ru', '', 'zz', 'en-US']))}><head><title>"
        f"{title}</title></head><body><article><h1>{title}</h1>{body}</article></body></html>"
    )


def _extract_or_refuse(html: str, config: ExtractConfig) -> None:
    try:
        article = extract_article(html, "http://127.0.0.1/page.html", config)
    except NoArticle as refusal:
        assert refusal.reason in {"empty", "too_large", "binary", "unparsable", "no_text"}
        return
    assert len(article.text) >= config.min_text_chars


@settings(max_examples=40)
@given(st.one_of(html_soup(), nested_page(), plausible_article(), any_text))
def test_extract_article_raises_nothing_but_no_article(html: str) -> None:
    _extract_or_refuse(html, ExtractConfig())


@settings(max_examples=20)
@given(st.binary(max_size=2000), st.sampled_from(["utf-8", "latin-1", "cp1251", "utf-16"]))
def test_extract_article_on_bytes_decoded_with_a_wrong_charset(body: bytes, charset: str) -> None:
    _extract_or_refuse(body.decode(charset, errors="replace"), ExtractConfig(min_text_chars=20))


def test_extract_article_refuses_a_page_over_the_size_limit_unread() -> None:
    ten_megabytes = "<html><body>" + "<p>Kursk news.</p>" * (10 * 1024 * 1024 // 18)
    with pytest.raises(NoArticle) as refused:
        extract_article(ten_megabytes, None, ExtractConfig())
    assert refused.value.reason == "too_large"


@pytest.mark.parametrize(
    "body",
    [
        "",
        "   \n\t ",
        gzip.compress(b"<p>" * 10000).decode("latin-1"),
        "\x00" * 100,
        "<html>" + "<div>" * 100_000,
    ],
    ids=["zero-byte", "blank", "gzip-bytes-as-text", "nul", "100k-unclosed-divs"],
)
def test_extract_article_refuses_degenerate_pages(body: str) -> None:
    with pytest.raises(NoArticle):
        extract_article(body, None, ExtractConfig())


# --- grouping -----------------------------------------------------------------------------------

VOCABULARY = re.findall(
    r"\S+",
    "kursk region shelling village evacuation school power governor said on monday the "
    "курск область обстрел село эвакуация школа губернатор заявил 2024 11,000 May "
    "Klitschko Кличко 17 мая",
)


@st.composite
def document_text(draw: st.DrawFn) -> str:
    """A small vocabulary, so random documents often overlap, copy or rewrite each other."""
    if draw(st.booleans()):
        return " ".join(draw(st.lists(st.sampled_from(VOCABULARY), max_size=60)))
    return draw(texts)


@settings(max_examples=30)
@given(
    st.lists(
        st.tuples(document_text(), st.sampled_from(["en", "ru", None, "uk"])),
        min_size=1,
        max_size=25,
    )
)
def test_grouping_index_match_and_add_on_random_documents(docs: list[tuple[str, str | None]]):
    config = GroupingConfig()
    index = GroupingIndex(config)  # no embedder: signature and words only
    clusters: dict[int, int] = {}  # article id -> cluster id
    for article_id, (text, language) in enumerate(docs, start=1):
        doc = make_document(text, None, language, config)
        match = index.match(doc)
        if match is None:
            cluster_id = 1000 + article_id
        else:
            assert isinstance(match, Match) and match.article_id in clusters
            assert match.cluster_id == clusters[match.article_id]
            assert match.similarity >= 0.0
            if match.kind is MatchKind.EXACT:
                assert match.similarity == 1.0
            cluster_id = match.cluster_id
        index.add(article_id, cluster_id, doc)
        clusters[article_id] = cluster_id
        # once added, the same text finds itself (or an earlier exact copy)
        again = index.match(make_document(text, None, language, config))
        assert again is not None and again.kind is MatchKind.EXACT
        assert again.cluster_id == clusters[again.article_id]
    assert len(index) == len(docs)
    with pytest.raises(ValueError):
        index.add(1, 1, make_document("x", None, "en", config))

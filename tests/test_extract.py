"""Article extraction: main text and metadata kept, boilerplate and non-articles refused."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta, timezone

import pytest
import trafilatura
from w3lib.encoding import html_to_unicode

from pipelines.extract import (
    ExtractConfig,
    NoArticle,
    choose_published,
    detect_language,
    extract_article,
    looks_binary,
    parse_date,
)

CONFIG = ExtractConfig()
URL = "https://ledger.example/world/kursk-evacuation?utm_source=feed"

PARAGRAPHS = [
    "Authorities in the Kursk region ordered the evacuation of three border villages on Monday "
    "after overnight shelling damaged a school and several homes, the regional governor said.",
    "Buses left the village square shortly after dawn, carrying around four hundred residents to "
    "temporary shelters in the regional capital, where volunteers handed out blankets and meals.",
    "Local officials said the shelling began shortly after midnight and lasted nearly two hours, "
    "cutting power to more than a thousand households across the district.",
    "Engineers were working to restore electricity by the evening, although the governor warned "
    "that repairs to the damaged substation could take several more days.",
    "Residents interviewed at the shelter described a sleepless night spent in cellars, and "
    "several said they did not know when they would be able to return home.",
]

BOILERPLATE = [
    "Subscribe now",
    "We use cookies to improve your experience",
    "Read also",
    "Markets close lower as oil prices slide",
    "Football club signs new striker for record fee",
    "All rights reserved",
]

ARTICLE_PAGE = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Border villages evacuated after Kursk shelling | Northern Ledger</title>
<meta property="og:title" content="Border villages evacuated after Kursk shelling">
<meta property="og:site_name" content="Northern Ledger">
<meta name="author" content="Anna Petrova">
<meta property="article:published_time" content="2025-04-28T08:15:00+03:00">
<link rel="canonical" href="https://ledger.example/world/kursk-evacuation">
</head>
<body>
<header><nav><ul>
  <li><a href="/">Home</a></li><li><a href="/world">World</a></li>
  <li><a href="/sport">Sport</a></li><li><a href="/subscribe">Subscribe now</a></li>
</ul></nav></header>
<div id="cookie-banner" class="cookie-consent">
  <p>We use cookies to improve your experience. Accept all cookies?</p><button>Accept</button>
</div>
<main><article>
<h1>Border villages evacuated after Kursk shelling</h1>
<p class="byline">By Anna Petrova</p>
{"".join(f"<p>{p}</p>" for p in PARAGRAPHS)}
<aside class="read-also"><h3>Read also</h3><ul>
  <li><a href="/a">Markets close lower as oil prices slide</a></li>
  <li><a href="/b">Football club signs new striker for record fee</a></li>
  <li><a href="/c">Weather service warns of spring storms</a></li>
</ul></aside>
</article></main>
<footer><p>Copyright 2025 Northern Ledger. All rights reserved.</p></footer>
</body>
</html>
"""

RUSSIAN_PAGE = """<!DOCTYPE html>
<html lang="ru"><head>
<meta http-equiv="Content-Type" content="text/html; charset=windows-1251">
<title>Эвакуация в Курской области</title>
</head><body>
<nav><a href="/">Главная</a> <a href="/news">Новости</a> <a href="/sport">Спорт</a></nav>
<article>
<h1>Эвакуация приграничных сёл в Курской области</h1>
<p>Власти Курской области в понедельник объявили об эвакуации жителей трёх приграничных сёл
после ночного обстрела, в результате которого пострадали школа и несколько жилых домов.</p>
<p>Автобусы с жителями отправились в областной центр рано утром, где волонтёры раздавали
одеяла и горячую еду всем эвакуированным семьям.</p>
<p>По словам губернатора, обстрел продолжался почти два часа, без электричества остались
более тысячи домохозяйств района.</p>
<p>Энергетики обещают восстановить подачу электроэнергии к вечеру, однако ремонт подстанции
может занять несколько дней.</p>
</article>
<footer>© 2025 Курские вести</footer>
</body></html>
"""

NAV_ONLY_PAGE = """<html><head><title>Northern Ledger</title></head><body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/world">World</a></li>
<li><a href="/business">Business</a></li><li><a href="/sport">Sport</a></li></ul></nav>
</body></html>"""


@pytest.fixture(scope="module")
def article():
    return extract_article(ARTICLE_PAGE, URL, CONFIG)


def test_main_text_is_kept_in_order(article) -> None:
    positions = [article.text.index(p) for p in PARAGRAPHS]
    assert positions == sorted(positions)


@pytest.mark.parametrize("boilerplate", BOILERPLATE)
def test_boilerplate_is_dropped(article, boilerplate: str) -> None:
    assert boilerplate not in article.text


def test_metadata(article) -> None:
    assert article.title == "Border villages evacuated after Kursk shelling"
    assert article.author == "Anna Petrova"
    assert article.outlet == "Northern Ledger"
    assert article.canonical_url == "https://ledger.example/world/kursk-evacuation"
    assert article.language == "en"


def test_page_time_with_zone_is_the_published_time(article) -> None:
    assert article.published == datetime(2025, 4, 28, 5, 15, tzinfo=UTC)
    assert article.published.utcoffset() == timedelta(hours=3)


def test_page_time_wins_over_the_lead() -> None:
    lead = datetime(2025, 4, 29, 10, 0, tzinfo=UTC)
    extracted = extract_article(ARTICLE_PAGE, URL, CONFIG, lead_published=lead)
    assert extracted.published == datetime(2025, 4, 28, 5, 15, tzinfo=UTC)


def test_day_only_page_date_yields_to_the_lead() -> None:
    page = ARTICLE_PAGE.replace(
        '<meta property="article:published_time" content="2025-04-28T08:15:00+03:00">',
        '<meta name="date" content="2025-04-28">',
    )
    lead = datetime(2025, 4, 28, 5, 15, tzinfo=UTC)
    assert extract_article(page, URL, CONFIG, lead_published=lead).published == lead
    alone = extract_article(page, URL, CONFIG).published
    assert alone == datetime(2025, 4, 28, tzinfo=UTC)
    assert alone is not None and alone.tzinfo is not None


def test_outlet_falls_back_to_the_host_name() -> None:
    page = ARTICLE_PAGE.replace('<meta property="og:site_name" content="Northern Ledger">', "")
    page = page.replace(" | Northern Ledger", "").replace("Northern Ledger.", "")
    extracted = extract_article(page, URL, CONFIG)
    assert extracted.outlet == "ledger.example"


def test_windows_1251_page_decoded_as_scrapy_would() -> None:
    body = RUSSIAN_PAGE.encode("cp1251")
    assert "Курской".encode() not in body  # really not UTF-8
    encoding, html = html_to_unicode(None, body)
    assert encoding == "cp1251"
    extracted = extract_article(html, "https://kursk.example/news/1", CONFIG)
    assert "Курской" in extracted.text
    assert "Автобусы с жителями" in extracted.text
    assert "Главная" not in extracted.text
    assert extracted.language == "ru"
    assert extracted.title == "Эвакуация приграничных сёл в Курской области"
    assert extracted.outlet == "kursk.example"


@pytest.mark.parametrize("html", ["", "   \n\t  ", "\n"])
def test_empty_page(html: str) -> None:
    with pytest.raises(NoArticle) as caught:
        extract_article(html, URL, CONFIG)
    assert caught.value.reason == "empty"
    assert str(caught.value).startswith("empty: ")


@pytest.mark.parametrize(
    "html",
    [
        "<html>\x00\x00\x00</html>" + ARTICLE_PAGE,
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00\x00\x00\x01\x00\x08\x06".decode(
            "latin-1"
        ),
        "".join(chr(i % 8 + 1) for i in range(500)),  # control characters, no NUL
    ],
    ids=["nul", "png", "controls"],
)
def test_binary_body(html: str) -> None:
    assert looks_binary(html)
    with pytest.raises(NoArticle) as caught:
        extract_article(html, URL, CONFIG)
    assert caught.value.reason == "binary"


@pytest.mark.parametrize("html", [ARTICLE_PAGE, RUSSIAN_PAGE, "tab\tand\r\nnewlines\f"])
def test_text_is_not_binary(html: str) -> None:
    assert not looks_binary(html)


def test_binary_means_one_control_character_in_twenty_of_the_first_4096() -> None:
    rng = random.Random(3)
    alphabet = [chr(code) for code in range(1, 32)] + ["a", "é", "中", "\x7f", "\x85", " "] * 100
    pages = ["".join(rng.choices(alphabet, k=rng.randint(0, 400))) for _ in range(3000)]
    pages += ["x" * 4096 + "\x01" * 300, "\x01" * 205 + "y" * 3891, "\x01" * 204 + "y" * 3892]

    def one_by_one(html: str) -> bool:
        sample = html[:4096]
        controls = sum(1 for ch in sample if ch < " " and ch not in "\t\n\r\f")
        return "\x00" in sample or controls > len(sample) // 20

    verdicts = [looks_binary(page) for page in pages]
    assert verdicts == [one_by_one(page) for page in pages]
    assert 300 < sum(verdicts) < len(pages) - 300  # both kinds tried


def test_too_large_page() -> None:
    config = ExtractConfig(max_html_chars=1000)
    with pytest.raises(NoArticle) as caught:
        extract_article(ARTICLE_PAGE, URL, config)
    assert caught.value.reason == "too_large"
    assert caught.value.detail == f"{len(ARTICLE_PAGE)} characters > 1000"


def test_page_with_only_a_nav_has_no_text() -> None:
    with pytest.raises(NoArticle) as caught:
        extract_article(NAV_ONLY_PAGE, URL, CONFIG)
    assert caught.value.reason == "no_text"
    assert caught.value.detail.endswith("< 250")


def test_min_text_chars_is_configurable() -> None:
    text_length = len(extract_article(ARTICLE_PAGE, URL, CONFIG).text)
    with pytest.raises(NoArticle) as caught:
        extract_article(ARTICLE_PAGE, URL, ExtractConfig(min_text_chars=text_length + 1))
    assert caught.value.reason == "no_text"
    assert caught.value.detail == f"{text_length} characters of main text < {text_length + 1}"
    kept = extract_article(ARTICLE_PAGE, URL, ExtractConfig(min_text_chars=text_length))
    assert len(kept.text) == text_length


@pytest.mark.parametrize(
    ("text", "language"),
    [
        (" ".join(PARAGRAPHS), "en"),
        ("Власти Курской области объявили об эвакуации жителей трёх приграничных сёл.", "ru"),
        ("Влада Курської області оголосила евакуацію мешканців трьох прикордонних сіл.", "uk"),
    ],
)
def test_detect_language(text: str, language: str) -> None:
    assert detect_language(text) == language


# --- dates ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-04-28T08:15:00+0300", datetime(2025, 4, 28, 5, 15, tzinfo=UTC)),
        ("2025-04-28T08:15:00+03:00", datetime(2025, 4, 28, 5, 15, tzinfo=UTC)),
        ("1990-01-01", datetime(1990, 1, 1)),
        ("2025-04-28", datetime(2025, 4, 28)),
    ],
)
def test_parse_date_accepts_plausible_dates(value: str, expected: datetime) -> None:
    parsed = parse_date(value)
    assert parsed == expected
    assert (parsed.tzinfo is None) == (expected.tzinfo is None)


def test_parse_date_keeps_the_page_offset() -> None:
    parsed = parse_date("2025-04-28T08:15:00+0300")
    assert parsed is not None and parsed.utcoffset() == timedelta(hours=3)


@pytest.mark.parametrize(
    "value",
    [
        "1989-12-31",
        "1970-01-01T00:00:00+00:00",
        "0001-01-01",
        "2999-01-01",
        (datetime.now(UTC) + timedelta(days=2)).isoformat(),
        "yesterday",
        "28/04/2025",
        "2025-02-30",
        "",
        None,
    ],
)
def test_parse_date_rejects_implausible_values(value: str | None) -> None:
    assert parse_date(value) is None


LEAD = datetime(2025, 4, 28, 5, 15, tzinfo=UTC)
PAGE_TIME = datetime(2025, 4, 28, 7, 30, tzinfo=timezone(timedelta(hours=2)))


@pytest.mark.parametrize(
    ("page", "lead", "expected"),
    [
        (PAGE_TIME, LEAD, PAGE_TIME),  # a page time wins
        (PAGE_TIME, None, PAGE_TIME),
        (datetime(2025, 4, 28, 9, 45), LEAD, datetime(2025, 4, 28, 9, 45, tzinfo=UTC)),
        (datetime(2025, 4, 28), LEAD, LEAD),  # a day-only page date yields to the lead
        (datetime(2025, 4, 28), None, datetime(2025, 4, 28, tzinfo=UTC)),
        (datetime(2025, 4, 28, tzinfo=UTC), LEAD, datetime(2025, 4, 28, tzinfo=UTC)),
        (None, LEAD, LEAD),
        (None, None, None),
    ],
    ids=[
        "page-time",
        "page-time-no-lead",
        "naive-page-time",
        "day-only-page",
        "day-only-page-no-lead",
        "midnight-with-zone",
        "no-page",
        "nothing",
    ],
)
def test_choose_published(
    page: datetime | None, lead: datetime | None, expected: datetime | None
) -> None:
    chosen = choose_published(page, lead)
    assert chosen == expected
    if chosen is not None:
        assert chosen.tzinfo is not None
        assert chosen.utcoffset() == expected.utcoffset()


def test_day_only_page_date_yields_to_a_lead_on_another_day() -> None:
    assert choose_published(datetime(2025, 4, 1), LEAD) == LEAD


@pytest.mark.parametrize("page", [None, datetime(2025, 4, 28)], ids=["no-page", "day-only-page"])
def test_naive_lead_becomes_aware(page: datetime | None) -> None:
    chosen = choose_published(page, datetime(2025, 4, 28, 5, 15))
    assert chosen == datetime(2025, 4, 28, 5, 15, tzinfo=UTC)
    assert chosen.tzinfo is not None


# --- strategies -------------------------------------------------------------------------------

JSON_LD_ONLY_PAGE = """<!DOCTYPE html><html lang="en"><head><title>Evacuation</title>
<script type="application/ld+json">{body}</script></head>
<body><div id="app"><p>Loading…</p></div></body></html>"""


def json_ld_only_page() -> str:
    data = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": "Evacuation"}
    data["articleBody"] = "\n".join(PARAGRAPHS)
    return JSON_LD_ONLY_PAGE.format(body=json.dumps(data))


def test_the_first_strategy_is_recorded(article) -> None:
    assert article.strategy == "trafilatura_precision"


def test_json_ld_article_body_when_the_page_shows_no_text() -> None:
    extracted = extract_article(json_ld_only_page(), URL, CONFIG)
    assert extracted.strategy == "json_ld"
    assert extracted.text == "\n".join(PARAGRAPHS)
    with pytest.raises(NoArticle) as caught:
        extract_article(
            json_ld_only_page(), URL, ExtractConfig(json_ld_fallback=False, fallback_favor="")
        )
    assert caught.value.reason == "no_text"


def test_a_failing_strategy_falls_back_to_the_next(monkeypatch: pytest.MonkeyPatch) -> None:
    real = trafilatura.bare_extraction

    def precision_breaks(*args, **kwargs):
        if kwargs.get("favor_precision"):
            raise RuntimeError("boom")
        return real(*args, **kwargs)

    monkeypatch.setattr(trafilatura, "bare_extraction", precision_breaks)
    extracted = extract_article(ARTICLE_PAGE, URL, CONFIG)
    assert extracted.strategy == "trafilatura_balanced"
    assert PARAGRAPHS[0] in extracted.text


def test_every_strategy_failing_is_no_article(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(trafilatura, "bare_extraction", lambda *a, **k: 1 / 0)
    with pytest.raises(NoArticle) as caught:
        extract_article(ARTICLE_PAGE, URL, CONFIG)
    assert caught.value.reason == "no_text"


def test_failing_metadata_does_not_lose_the_text(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("pipelines.extract.page_metadata", lambda *a, **k: 1 / 0)
    extracted = extract_article(ARTICLE_PAGE, URL, CONFIG)
    assert PARAGRAPHS[0] in extracted.text and extracted.title is None


def test_unparsable_page(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("pipelines.extract.load_html", lambda *a, **k: None)
    with pytest.raises(NoArticle) as caught:
        extract_article(ARTICLE_PAGE, URL, CONFIG)
    assert caught.value.reason == "unparsable"


def test_title_and_teasers_are_not_in_the_text(article) -> None:
    assert not article.text.startswith(article.title)
    assert "Read also" not in article.text


def test_config_rejects_unknown_modes() -> None:
    with pytest.raises(ValueError, match="favor"):
        ExtractConfig(favor="everything")
    assert ExtractConfig(fallback_favor="").fallback_favor == ""


def test_settings_defaults_are_the_config_defaults() -> None:
    from newscrawl.config import extract_config, project_settings

    assert extract_config(project_settings()) == ExtractConfig()


def test_authors_are_listed() -> None:
    page = ARTICLE_PAGE.replace("Anna Petrova", "Anna Petrova; Ivan Sidorov")
    extracted = extract_article(page, URL, CONFIG)
    assert extracted.authors == ("Anna Petrova", "Ivan Sidorov")


# --- language ---------------------------------------------------------------------------------


def test_declared_language_is_used(article) -> None:
    assert (article.language, article.language_source) == ("en", "page")


def test_language_is_detected_when_the_page_does_not_say() -> None:
    page = RUSSIAN_PAGE.replace('<html lang="ru">', "<html>")
    extracted = extract_article(page, "https://kursk.example/news/1", CONFIG)
    assert (extracted.language, extracted.language_source) == ("ru", "detected")


def test_a_wrong_declaration_is_overruled_by_a_sure_detection() -> None:
    page = RUSSIAN_PAGE.replace('<html lang="ru">', '<html lang="en-US">')
    extracted = extract_article(page, "https://kursk.example/news/1", CONFIG)
    assert (extracted.language, extracted.language_source) == ("ru", "detected")


# --- encodings, as Scrapy decodes responses ---------------------------------------------------

ISO_8859_5_PAGE = RUSSIAN_PAGE.replace("windows-1251", "iso-8859-5").replace("©", "(c)")
POLISH_PAGE = """<html><head><title>Ewakuacja w obwodzie kurskim</title></head><body>
<nav><a href="/">Strona główna</a></nav><article><h1>Ewakuacja w obwodzie kurskim</h1>
<p>Władze obwodu kurskiego zarządziły w poniedziałek ewakuację mieszkańców trzech przygranicznych
wsi po nocnym ostrzale, w którym uszkodzona została szkoła i kilka domów mieszkalnych.</p>
<p>Autobusy z mieszkańcami odjechały wczesnym rankiem do stolicy regionu, gdzie wolontariusze
rozdawali koce i gorące posiłki wszystkim ewakuowanym rodzinom. Żółć, źdźbło, łąka.</p>
</article></body></html>"""


@pytest.mark.parametrize(
    ("page", "encoding", "header", "words", "language"),
    [
        (RUSSIAN_PAGE.replace("windows-1251", "koi8-r"), "koi8-r", None, "Курской", "ru"),
        (RUSSIAN_PAGE.replace("windows-1251", "koi8-r"), "koi8-r", "koi8-r", "Автобусы", "ru"),
        (RUSSIAN_PAGE, "cp1251", "windows-1251", "Курской", "ru"),
        (POLISH_PAGE, "iso-8859-2", "iso-8859-2", "Żółć, źdźbło, łąka", "pl"),
        (ISO_8859_5_PAGE, "iso-8859-5", None, "сёл", "ru"),
    ],
    ids=["koi8-r-meta", "koi8-r-header", "cp1251-header", "iso-8859-2-header", "iso-8859-5-meta"],
)
def test_legacy_encodings_are_decoded(
    page: str, encoding: str, header: str | None, words: str, language: str
) -> None:
    from scrapy.http import HtmlResponse

    body = page.encode(encoding)
    assert words.encode() not in body
    headers = {"Content-Type": f"text/html; charset={header}"} if header else {}
    response = HtmlResponse("https://example.com/a", body=body, headers=headers)
    extracted = extract_article(response.text, response.url, CONFIG)
    assert words in extracted.text
    assert extracted.language == language


# --- page furniture ---------------------------------------------------------------------------

FURNITURE = {
    "skip link": '<a class="skip-link" href="#main">Skip to content</a>',
    "caption": '<figure><img src="/a.jpg" alt="Buses"><figcaption>Buses wait in the village '
    "square. Photo: Ivan Ivanov/Reuters</figcaption></figure>",
    "share bar": '<div class="share-bar"><a href="#">Share on Facebook</a> '
    '<a href="#">Share on Twitter</a></div>',
    "latest": '<section class="latest"><h2>Latest</h2><ul><li><a href="/x">Storm warning issued '
    'for the coast</a></li><li><a href="/y">Elections set for autumn</a></li></ul></section>',
    "read also line": "<p>Read also: Governor promises compensation to evacuated families</p>",
}
FURNITURE_TEXT = {
    "skip link": "Skip to content",
    "caption": "Photo: Ivan Ivanov",
    "share bar": "Share on",
    "latest": "Storm warning",
    "read also line": "compensation",
}


@pytest.mark.parametrize("name", list(FURNITURE))
def test_page_furniture_is_dropped(name: str) -> None:
    markup = FURNITURE[name]
    page = ARTICLE_PAGE.replace('<p class="byline">', f'{markup}<p class="byline">', 1)
    page = page.replace(f"<p>{PARAGRAPHS[2]}</p>", f"<p>{PARAGRAPHS[2]}</p>{markup}", 1)
    extracted = extract_article(page, URL, CONFIG)
    assert FURNITURE_TEXT[name] not in extracted.text
    assert all(p in extracted.text for p in PARAGRAPHS)


def _record_passes(monkeypatch: pytest.MonkeyPatch, fast_text: str) -> list[bool]:
    """Make trafilatura's fast pass find ``fast_text``; returns the ``fast`` flag of each call."""
    real = trafilatura.bare_extraction
    passes: list[bool] = []

    def bare_extraction(tree: object, **options: object) -> object:
        passes.append(bool(options["fast"]))
        document = real(tree, **options)
        if options["fast"]:
            document.text = fast_text
        return document

    monkeypatch.setattr(trafilatura, "bare_extraction", bare_extraction)
    return passes


def test_a_long_enough_fast_pass_skips_trafilaturas_fallback_extractors(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    passes = _record_passes(monkeypatch, "\n".join(PARAGRAPHS))
    extracted = extract_article(ARTICLE_PAGE, URL, CONFIG)
    assert passes == [True]
    assert extracted.text == "\n".join(PARAGRAPHS)


def test_a_short_fast_pass_runs_trafilatura_again_with_its_fallbacks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    passes = _record_passes(monkeypatch, PARAGRAPHS[0])  # under fast_pass_min_chars
    extracted = extract_article(ARTICLE_PAGE, URL, CONFIG)
    assert passes == [True, False]
    assert all(p in extracted.text for p in PARAGRAPHS)


@pytest.mark.parametrize(
    ("config", "expected"),
    [(ExtractConfig(fast_pass_min_chars=0), [False]), (ExtractConfig(fast=True), [True])],
)
def test_one_pass_when_configured(
    monkeypatch: pytest.MonkeyPatch, config: ExtractConfig, expected: list[bool]
) -> None:
    passes = _record_passes(monkeypatch, "\n".join(PARAGRAPHS))
    extract_article(ARTICLE_PAGE, URL, config)
    assert passes == expected

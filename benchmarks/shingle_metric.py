"""The article-extraction-benchmark's text metric (Zyte/Scrapinghub), re-implemented.

Tokens are ``\\w+`` matches (Unicode); each text becomes a multiset of 4-token shingles (a text
of fewer tokens is one shingle of all of them). Per page, true positives are the shingles in
both texts (with counts), false positives the extra predicted ones, false negatives the missed
ones; the three are normalised to sum to 1, so long pages weigh no more than short ones.
Precision is the mean over pages with tp + fp > 0, recall the mean over pages with tp + fn > 0
(a page with nothing expected and nothing predicted counts 1.0 in both), and F1 is the
harmonic mean of the two means.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

_TOKEN = re.compile(r"\w+", re.UNICODE)
SHINGLE_SIZE = 4


@dataclass(frozen=True)
class PageScore:
    """Normalised true positives, false positives and false negatives of one page."""

    tp: float
    fp: float
    fn: float
    empty: bool = False  # nothing expected and nothing predicted


@dataclass(frozen=True)
class Score:
    precision: float
    recall: float
    f1: float
    pages: int


def tokens(text: str | None) -> list[str]:
    return _TOKEN.findall(text or "")


def shingles(text: str | None, size: int = SHINGLE_SIZE) -> Counter[tuple[str, ...]]:
    """The multiset of ``size``-token shingles of a text."""
    words = tokens(text)
    if not words:
        return Counter()
    if len(words) < size:
        return Counter([tuple(words)])
    return Counter(tuple(words[i : i + size]) for i in range(len(words) - size + 1))


def score_page(expected: str | None, predicted: str | None) -> PageScore:
    """tp/fp/fn of one page, normalised to sum to 1."""
    truth, guess = shingles(expected), shingles(predicted)
    tp = sum((truth & guess).values())
    fp = sum((guess - truth).values())
    fn = sum((truth - guess).values())
    total = tp + fp + fn
    if total == 0:
        return PageScore(0.0, 0.0, 0.0, empty=True)
    return PageScore(tp / total, fp / total, fn / total)


def aggregate(pages: Iterable[PageScore]) -> Score:
    """Mean precision and recall over pages, and their F1."""
    precisions: list[float] = []
    recalls: list[float] = []
    count = 0
    for page in pages:
        count += 1
        if page.empty:
            precisions.append(1.0)
            recalls.append(1.0)
            continue
        if page.tp + page.fp > 0:
            precisions.append(page.tp / (page.tp + page.fp))
        if page.tp + page.fn > 0:
            recalls.append(page.tp / (page.tp + page.fn))
    precision = sum(precisions) / len(precisions) if precisions else 0.0
    recall = sum(recalls) / len(recalls) if recalls else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Score(precision, recall, f1, count)


def evaluate(truth: Mapping[str, str], predicted: Mapping[str, str | None]) -> Score:
    """Score predicted texts against expected ones, page by page (a missing page is empty)."""
    return aggregate(score_page(truth[key], predicted.get(key)) for key in truth)

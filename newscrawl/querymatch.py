"""Match a topic query against text in any script (``Kursk`` matches ``Курской``)."""

from __future__ import annotations

import re
import unicodedata

from anyascii import anyascii

_WORD = re.compile(r"\w+")
_MIN_PREFIX = 4  # shorter terms must match a whole word, not a word's beginning


def fold(text: str) -> str:
    """Fold text to lower-case ASCII: NFKC, transliteration, apostrophes dropped."""
    ascii_text = anyascii(unicodedata.normalize("NFKC", text))
    return ascii_text.replace("'", "").casefold()


def words(text: str) -> list[str]:
    """The folded words of ``text``."""
    return _WORD.findall(fold(text))


class QueryMatcher:
    """True for texts containing every query term, in any script or inflection.

    A term matches a word that begins with it (``kursk`` → ``kurskoy``), so
    inflected Russian or Ukrainian forms match the Latin query.
    """

    def __init__(self, query: str) -> None:
        self.query = query
        self.terms = words(query)
        if not self.terms:
            raise ValueError(f"query {query!r} has no words to match")

    def _term_matches(self, term: str, text_words: list[str]) -> bool:
        if len(term) < _MIN_PREFIX:
            return term in text_words
        return any(word.startswith(term) for word in text_words)

    def matches(self, *texts: str | None) -> bool:
        """True when the texts, taken together, contain every term of the query."""
        text_words = [w for text in texts if text for w in words(text)]
        return all(self._term_matches(term, text_words) for term in self.terms)

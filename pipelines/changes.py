"""What a member of a cluster changed against its representative, as an analyst reads it:
numbers that differ, names spelled differently, sentences added."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from difflib import SequenceMatcher

from pipelines.fingerprint import normalize
from pipelines.signature import fold, numbers

_PUNCTUATION = ",;:()[]\"«»“”'’.!?…"
_SENTENCE = re.compile(r"(?<=[.!?…])\s+|\n+")
_NAME_SIMILARITY = 0.8  # "Kim Yen Un" ~ "Kim Yeon-un" ~ "Kim Chen Un", not "Kim Jong Un"
_SENTENCE_OVERLAP = 0.5  # word overlap under which a sentence counts as new
_MAX_SENTENCES = 10
_MAX_SENTENCE_CHARS = 240


@dataclass(frozen=True)
class Changes:
    """A member's differences from its representative."""

    numbers_added: list[str] = field(default_factory=list)
    numbers_missing: list[str] = field(default_factory=list)
    names_respelled: list[tuple[str, str]] = field(default_factory=list)  # (representative, member)
    sentences_added: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return any(asdict(self).values())

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, data: str | None) -> Changes:
        if not data:
            return cls()
        raw = json.loads(data)
        raw["names_respelled"] = [tuple(pair) for pair in raw.get("names_respelled", [])]
        return cls(**raw)


def names(text: str) -> set[str]:
    """Runs of capitalised words (``Kim Yen Un``, ``Vladimir Putin``); a single capitalised word
    counts only inside a sentence, where capitals mark names rather than sentence starts."""
    found = set()
    for sentence in _SENTENCE.split(text):
        run: list[str] = []
        opens = True
        for position, word in enumerate([*sentence.split(), ""]):
            clean = word.strip(_PUNCTUATION)
            if clean[:1].isalpha() and clean[:1].isupper():
                if not run:
                    opens = position == 0
                run.append(clean)
                if word[-1:] in _PUNCTUATION:
                    _keep(found, run, opens)
                    run = []
                continue
            _keep(found, run, opens)
            run = []
    return found


def _keep(found: set[str], run: list[str], opens_sentence: bool) -> None:
    if len(run) > 1 or (run and not opens_sentence and len(run[0]) > 3):
        found.add(" ".join(run))
    if (
        opens_sentence and len(run) > 1
    ):  # "Yesterday Vladimir Putin": the capital may be the start's
        _keep(found, run[1:], opens_sentence=False)


def _folded(name: str) -> str:
    return re.sub(r"[^a-z ]", "", fold(name).lower().replace("-", " ")).strip()


def respelled_names(representative: str, member: str, same_language: bool) -> list[tuple[str, str]]:
    """Names the member spells otherwise than the representative, paired when each is the
    other's closest spelling (compared by transliteration). Across languages only names of two
    or more words count: single words are too often just inflected."""

    def spellings(text: str) -> dict[str, str]:
        found = {_folded(n): n for n in names(text)}
        return {k: v for k, v in found.items() if k and (same_language or " " in k)}

    ours, theirs = spellings(representative), spellings(member)
    only_ours = [o for o in ours if o not in theirs]
    only_theirs = [t for t in theirs if t not in ours]

    def closest(name: str, pool: list[str]) -> str | None:
        return max(pool, key=lambda other: SequenceMatcher(None, name, other).ratio(), default=None)

    pairs = []
    for folded in sorted(only_theirs):
        best = closest(folded, only_ours)
        if (
            best
            and best[0] == folded[0]
            and closest(best, only_theirs) == folded
            and SequenceMatcher(None, best, folded).ratio() >= _NAME_SIMILARITY
        ):
            pairs.append((ours[best], theirs[folded]))
    return pairs


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text) if len(s.split()) >= 4]


def added_sentences(representative: str, member: str) -> list[str]:
    """Member sentences whose words are mostly absent from every representative sentence."""
    known = [set(normalize(s).split()) for s in sentences(representative)]
    added = []
    for sentence in sentences(member):
        words = set(normalize(sentence).split())
        overlap = max((len(words & k) / len(words) for k in known), default=0.0)
        if overlap < _SENTENCE_OVERLAP:
            added.append(sentence[:_MAX_SENTENCE_CHARS])
    return added[:_MAX_SENTENCES]


def compare(representative: str, member: str, same_language: bool) -> Changes:
    """The changes of ``member`` against ``representative``; sentences only in one language."""
    ours, theirs = numbers(representative), numbers(member)
    return Changes(
        numbers_added=[theirs[k] for k in theirs if k not in ours],
        numbers_missing=[ours[k] for k in ours if k not in theirs],
        names_respelled=respelled_names(representative, member, same_language),
        sentences_added=added_sentences(representative, member) if same_language else [],
    )

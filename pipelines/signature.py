"""A language-neutral signature: the keys of a text that survive translation.

Numbers (``11,000`` = ``11 000`` = ``11.000`` = ``11 thousand`` = ``11 тысяч``), dates (month
names of many languages → month numbers), years, and names keyed by a consonant skeleton so that
spelling variants meet (``Klitschko`` / ``Кличко`` / ``Kliczko`` → ``klk``). Two translations of
one article share many of these keys; two different stories about the same place share few.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache

from anyascii import anyascii

# Month stems after transliteration to lower-case ASCII, by month number. A stem only counts
# next to a number (a day or a year), so "may" the verb or "mart" the market stay out.
_MONTH_STEMS: dict[int, tuple[str, ...]] = {
    1: ("jan", "gen", "ene", "yanv", "yanu", "styc", "ocak", "sichn", "studz", "ianu", "ocak"),
    2: ("feb", "fev", "fév", "lut", "subat", "lyut", "febbr", "fevr"),
    3: ("mar", "mär", "berez", "sakav"),
    4: ("apr", "avr", "abr", "kwie", "nisan", "kvit", "krasav"),
    5: ("may", "mai", "maj", "mag", "mayo", "mayis", "trav"),
    6: ("jun", "juin", "giu", "iyun", "yuni", "czer", "haziran", "cherv"),
    7: ("jul", "juil", "lug", "iyul", "yuli", "lip", "temmuz"),
    8: ("aug", "aou", "ago", "avg", "sierp", "agust", "serp", "zhni"),
    9: ("sep", "set", "sent", "wrze", "eylul", "veres", "veras"),
    10: ("oct", "okt", "ott", "out", "pazd", "ekim", "zhovt", "kastr"),
    11: ("nov", "noe", "noy", "list", "kasim"),
    12: ("dec", "dez", "dic", "dek", "dets", "grud", "aralik", "snezh"),
}
_MONTH_WORD = re.compile(r"^[a-z]{3,12}$")
# numbers and words of folded, lower-cased (ASCII) text
_DATE_TOKEN = re.compile(r"[0-9]+|[a-z]+", re.ASCII)
# Each stem's month (the earliest, were a stem listed twice); a word's month is the earliest
# among the stems it starts with, looked up by prefix rather than tried stem by stem.
_MONTH_BY_STEM = {
    stem: month for month, stems in sorted(_MONTH_STEMS.items(), reverse=True) for stem in stems
}
_STEM_LENGTHS = sorted({len(stem) for stem in _MONTH_BY_STEM})
# The first letters of every stem: a word starting otherwise names no month.
_STEM_HEADS = frozenset(stem[: _STEM_LENGTHS[0]] for stem in _MONTH_BY_STEM)

# Scale words after transliteration (prefixes), as powers of ten.
_SCALES_BY_WORD: tuple[tuple[str, int], ...] = (
    ("thousand", 3), ("tys", 3), ("tis", 3), ("mil", 3), ("tausend", 3), ("bin", 3),
    ("million", 6), ("mln", 6), ("mn", 6), ("millon", 6), ("mio", 6), ("milion", 6),
    ("billion", 9), ("bn", 9), ("mlrd", 9), ("milliard", 9), ("mld", 9), ("miliard", 9),
    ("trillion", 12), ("trln", 12),
)  # fmt: skip
_SCALES = tuple(sorted(_SCALES_BY_WORD, key=lambda entry: -len(entry[0])))  # longest prefix first
_SCALE = re.compile("|".join(prefix for prefix, _ in _SCALES))  # the first that matches wins
_POWERS = dict(_SCALES)
# A number with groups of three digits (then no digit), or with decimals: both alternatives
# start with the digits, so that the search skips to the next digit.
_NUMBER = re.compile(r"\d+(?:(?:[ \u00a0\u202f.,'’]\d{3})+(?!\d)|(?:[.,]\d+)?)")
_GROUPED = re.compile(r"\d+(?:[ .,'’]\d{3})+")
_YEAR = re.compile(r"(1[89]|20)\d\d")
_LETTER = r"[^\W\d_]"
_SENTENCE_END = '[.!?…:;"«»“”\n]'


def _upper_case_letters(last: int) -> str:
    """A regex class of the letters up to code point ``last`` that are upper case."""
    letter = re.compile(_LETTER)
    upper = [cp for cp in range(last + 1) if chr(cp).isupper() and letter.match(chr(cp))]
    runs = [[upper[0], upper[0]]]
    for cp in upper[1:]:
        if cp == runs[-1][1] + 1:
            runs[-1][1] = cp
        else:
            runs.append([cp, cp])
    return "".join(f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in runs)


def _name_pattern(first: str) -> re.Pattern[str]:
    """Words (maximal runs of letters) of three letters or more starting with ``first`` that do
    not follow sentence-ending punctuation and at most two white-space characters."""
    not_after = "".join(f"(?<!{_SENTENCE_END}{gap}.)" for gap in ("", r"\s", r"\s\s"))
    return re.compile(f"{first}(?<!{_LETTER}.){not_after}{_LETTER}{{2,}}")


# A name's candidates: its first letter upper case. Scanning for one class of the Basic
# Multilingual Plane's upper-case letters is several times faster than testing every word; a
# text with characters beyond that plane (rare) has every word's first letter tested instead.
_BMP_NAME = _name_pattern(f"[{_upper_case_letters(0xFFFF)}]")
_ANY_NAME = _name_pattern(_LETTER)
_BEYOND_BMP = re.compile("[\U00010000-\U0010ffff]")

# Digraphs that spell one consonant in some language, folded before vowels are dropped.
_DIGRAPHS = (
    ("tsch", "c"), ("sch", "s"), ("tch", "c"), ("ch", "c"), ("cz", "c"), ("ts", "c"),
    ("tz", "c"), ("sh", "s"), ("sz", "s"), ("zh", "z"), ("kh", "h"), ("ph", "f"), ("ck", "k"),
    ("w", "v"), ("q", "k"), ("x", "ks"), ("dj", "j"), ("gj", "j"),
)  # fmt: skip
_VOWELS = re.compile(r"[aeiouyjh']+")
_SKELETON_LENGTH = 4


class _Transliteration(dict[int, str]):
    """anyascii's transliteration of each code point, looked up once, for ``str.translate``
    (anyascii maps code points one by one, in a loop of Python)."""

    def __missing__(self, codepoint: int) -> str:
        ascii_text = anyascii(chr(codepoint))
        self[codepoint] = ascii_text
        return ascii_text


_TRANSLITERATION = _Transliteration()
# anyascii leaves ASCII as it is, so a text with few other characters is transliterated fastest
# by the ASCII codec, calling back for each run of them; ``str.translate`` looks up every
# character, which is faster once the runs are many (a text in another script)
_TRANSLITERATE_RUNS = "newscrawl.transliterate"
_FEW_NON_ASCII = 1 / 16  # UTF-8 bytes beyond one per character, against the length


def _transliterate_run(error: UnicodeError) -> tuple[str, int]:
    """Codec error handler: the run of characters the ASCII codec refused, transliterated."""
    assert isinstance(error, UnicodeEncodeError)
    return error.object[error.start : error.end].translate(_TRANSLITERATION), error.end


codecs.register_error(_TRANSLITERATE_RUNS, _transliterate_run)


def fold(text: str) -> str:
    """NFKC, transliterated to ASCII."""
    normalized = unicodedata.normalize("NFKC", text)
    if normalized.isascii():
        return normalized
    if (
        len(normalized.encode("utf-8", "surrogatepass")) - len(normalized)
        < len(normalized) * _FEW_NON_ASCII
    ):
        return normalized.encode("ascii", _TRANSLITERATE_RUNS).decode("ascii")
    return normalized.translate(_TRANSLITERATION)


@lru_cache(maxsize=1 << 16)  # names recur across a crawl's articles
def skeleton(word: str) -> str:
    """The consonant skeleton of a name: ``Klitschko``, ``Klychko``, ``Kliczko`` → ``klck``."""
    folded = fold(word).lower()
    for digraph, single in _DIGRAPHS:
        folded = folded.replace(digraph, single)
    folded = folded.replace("c", "k")
    consonants = _VOWELS.sub("", folded)
    collapsed = re.sub(r"(.)\1+", r"\1", consonants)
    return collapsed[:_SKELETON_LENGTH]


def _number_value(raw: str) -> float | None:
    digits = raw.replace("\u00a0", " ").replace("\u202f", " ")
    if _GROUPED.fullmatch(digits):
        return float(re.sub(r"\D", "", digits))
    try:
        return float(digits.replace(",", "."))
    except ValueError:
        return None


def _scale_after(text: str, end: int) -> int:
    following = fold(text[end : end + 16]).lower().lstrip(" .")
    scale = _SCALE.match(following)
    return _POWERS[scale.group()] if scale else 0


def numbers(text: str) -> dict[str, str]:
    """Each number's canonical key (``n11000``, years ``y2019``) and how the text wrote it;
    numbers below 10 are left out."""
    found: dict[str, str] = {}
    for match in _NUMBER.finditer(text):
        raw = match.group()
        value = _number_value(raw)
        if value is None:
            continue
        if _YEAR.fullmatch(raw):
            found.setdefault(f"y{raw}", raw)
            continue
        power = _scale_after(text, match.end())
        value *= 10**power
        if value >= 10:
            surface = raw if not power else f"{raw} {text[match.end() :].split(maxsplit=1)[0]}"
            found.setdefault(f"n{value:.6g}", surface.strip())
    return found


def number_keys(text: str) -> Iterator[str]:
    """Numbers as canonical values (``n11000``), years as ``y2019``."""
    yield from numbers(text)


def month_of(word: str) -> int | None:
    """The month a (transliterated, lower-case) word names, if it looks like one."""
    if not _MONTH_WORD.match(word):
        return None
    months = [_MONTH_BY_STEM.get(word[:length]) for length in _STEM_LENGTHS]
    return min((month for month in months if month is not None), default=None)


def date_keys(text: str) -> Iterator[str]:
    """``m09`` for a month next to a number, ``d09-30`` when the number is a day."""
    tokens = _DATE_TOKEN.findall(fold(text).lower())
    head = _STEM_LENGTHS[0]
    months = {  # words repeat: look each up once
        token: month
        for token in set(tokens)
        if token[:head] in _STEM_HEADS and (month := month_of(token)) is not None
    }
    if not months:
        return
    for i, token in enumerate(tokens):
        month = months.get(token)
        if month is None:
            continue
        neighbours = [t for t in tokens[max(0, i - 2) : i + 3] if t.isdigit()]
        if not neighbours:
            continue
        yield f"m{month:02d}"
        for number in neighbours:
            # a day has two digits at most: int() of a run of 4301 digits would raise
            if len(number.lstrip("0")) <= 2 and 1 <= int(number) <= 31:
                yield f"d{month:02d}-{int(number):02d}"


def name_keys(text: str) -> Iterator[str]:
    """Skeletons of capitalised words that do not open a sentence (names, in cased scripts)."""
    pattern = _ANY_NAME if _BEYOND_BMP.search(text) else _BMP_NAME
    for match in pattern.finditer(text):
        word = match.group()
        if not word[0].isupper() or (word.isupper() and len(word) > 5) or match.start() == 0:
            continue
        key = skeleton(word)
        if len(key) >= 2:
            yield f"k{key}"


def signature_keys(text: str) -> set[str]:
    """Every language-neutral key of ``text``."""
    return set(number_keys(text)) | set(date_keys(text)) | set(name_keys(text))

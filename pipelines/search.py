"""Full-text search over every stored article, answered as clusters.

The index (``article_search``: SQLite FTS5, PostgreSQL ``tsvector``; migration 0004) covers every
member's full text, rebuilt from its cluster's text and its delta, plus its title and — for text
not in ASCII — a transliteration (anyascii), so ``Kursk`` also finds ``Курской`` and ``Курск``
finds ``Kursk``.

The index is kept in step by :func:`refresh_search_index`, which indexes the articles not indexed
yet (``article_search_docs`` records each indexed article and the SHA-256 of its text). A stored
article's text never changes, so the refresh is incremental and needs no hook in the storage
layer; every search runs it first, which costs one query when nothing is new.

Query syntax (the same on SQLite and PostgreSQL): words, all of which must occur; a word of three
letters or more matches the words it begins (``Курск`` finds ``Курской``), a shorter one only
itself; ``"quoted words"`` match as a phrase.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from anyascii import anyascii
from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    delete,
    func,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from pipelines.clusters import member_texts
from pipelines.models import Article

logger = logging.getLogger(__name__)

BATCH = 100  # articles indexed per transaction
MAX_INDEXED_CHARS = 400_000  # PostgreSQL refuses a tsvector over 1 MB; longer texts are cut
SNIPPET_CHARS = 220
MIN_PREFIX = 3  # shorter words match whole words only ("un" is not "under")

_metadata = MetaData()
search_docs = Table(
    "article_search_docs",
    _metadata,
    Column("article_id", Integer, primary_key=True, autoincrement=False),
    Column("text_sha256", String(64), nullable=False),
    Column("indexed_at", DateTime(timezone=True), nullable=False),
)

_WORD = re.compile(r"[^\W_]+")
_TERM = re.compile(r'"([^"]*)"|([^\s"]+)')

Progress = Callable[[int, int], None]  # (done, total)


class SearchSyntaxError(ValueError):
    """The search text has no word to look for."""


# --- the query ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """A word (matched as a prefix) or a phrase (matched exactly), with its transliteration."""

    words: tuple[str, ...]
    phrase: bool

    @property
    def folded(self) -> tuple[str, ...]:
        return tuple(_WORD.findall(anyascii(" ".join(self.words)).lower()))


def parse_query(query: str) -> list[Term]:
    """``Kursk "nuclear plant"`` → a prefix word and a phrase; punctuation separates words."""
    terms = []
    for phrase, bare in _TERM.findall(query):
        if phrase:
            words = tuple(_WORD.findall(phrase.lower()))
            if words:
                terms.append(Term(words, phrase=len(words) > 1))
        else:
            terms.extend(Term((word,), phrase=False) for word in _WORD.findall(bare.lower()))
    if not terms:
        raise SearchSyntaxError(f"nothing to search for in {query!r}")
    return terms


def _fts5_alternative(words: tuple[str, ...], phrase: bool) -> str:
    quoted = '"' + " ".join(words) + '"'
    return quoted if phrase or len(words[-1]) < MIN_PREFIX else quoted + "*"


def _expression(
    terms: Sequence[Term], alternative: Callable[[tuple[str, ...], bool], str], any_: str, all_: str
) -> str:
    """Every term must match, each as written or as folded to ASCII."""
    parts = []
    for term in terms:
        options = {alternative(term.words, term.phrase)}
        if term.folded and term.folded != term.words:
            options.add(alternative(term.folded, term.phrase or len(term.folded) > 1))
        parts.append("(" + any_.join(sorted(options)) + ")")
    return all_.join(parts)


def fts5_expression(terms: Sequence[Term]) -> str:
    """The terms as an FTS5 MATCH expression (every term must match)."""
    return _expression(terms, _fts5_alternative, " OR ", " AND ")


def _tsquery_alternative(words: tuple[str, ...], phrase: bool) -> str:
    lexemes = ["'" + w.replace("'", "''") + "'" for w in words]
    if phrase or len(words[-1]) < MIN_PREFIX:
        return "(" + " <-> ".join(lexemes) + ")"
    return " <-> ".join([*lexemes[:-1], lexemes[-1] + ":*"])


def tsquery_expression(terms: Sequence[Term]) -> str:
    """The terms as a PostgreSQL ``to_tsquery('simple', …)`` expression."""
    return _expression(terms, _tsquery_alternative, " | ", " & ")


# --- keeping the index in step -----------------------------------------------------------------


def searchable_parts(title: str | None, body: str) -> tuple[str, str, str]:
    """What is indexed for one article: title, text, and the transliteration of both when they
    are not ASCII (empty otherwise: ASCII text would only be indexed twice)."""
    body = body[:MAX_INDEXED_CHARS]
    title = title or ""
    both = f"{title}\n{body}"
    return title, body, "" if both.isascii() else anyascii(both)


def _pending(connection: Connection) -> tuple[list[int], list[int]]:
    """(articles not indexed yet, index entries that no longer match their article)."""
    docs = search_docs
    missing = connection.scalars(
        select(Article.id)
        .outerjoin(docs, docs.c.article_id == Article.id)
        .where(docs.c.article_id.is_(None))
        .order_by(Article.id)
    ).all()
    stale = connection.scalars(
        select(docs.c.article_id)
        .outerjoin(Article, Article.id == docs.c.article_id)
        .where((Article.id.is_(None)) | (Article.text_sha256 != docs.c.text_sha256))
    ).all()
    return list(missing), list(stale)


def _texts(connection: Connection, ids: Sequence[int]) -> list[tuple[int, str, str | None, str]]:
    """(id, text SHA-256, title, full text) of the articles."""
    texts = member_texts(connection, ids)
    rows = connection.execute(
        select(Article.id, Article.text_sha256, Article.title).where(Article.id.in_(ids))
    ).all()
    return [(row.id, row.text_sha256, row.title, texts[row.id]) for row in rows]


def _insert_doc(connection: Connection, article_id: int, sha: str) -> bool:
    """Claim an article for indexing; False when another process indexed it meanwhile."""
    values = {"article_id": article_id, "text_sha256": sha, "indexed_at": datetime.now(UTC)}
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(search_docs)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["article_id"])
        .returning(search_docs.c.article_id)
    )
    return connection.execute(statement).first() is not None


_INSERT_SQLITE = text(
    "INSERT INTO article_search (rowid, title, body, folded) VALUES (:id, :title, :body, :folded)"
)
_INSERT_POSTGRES = text(
    "INSERT INTO article_search (article_id, document) VALUES (:id,"
    " setweight(to_tsvector('simple', :title), 'A') || to_tsvector('simple', :body)"
    " || setweight(to_tsvector('simple', :folded), 'D'))"
)


def _index(connection: Connection, article_id: int, title: str | None, body: str) -> None:
    title, body, folded = searchable_parts(title, body)
    statement = _INSERT_POSTGRES if connection.dialect.name == "postgresql" else _INSERT_SQLITE
    values = {"id": article_id, "title": title, "body": body, "folded": folded}
    connection.execute(statement, values)


def _clear(connection: Connection) -> None:
    """Empty the index."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("DELETE FROM article_search"))
    else:
        connection.execute(text("INSERT INTO article_search(article_search) VALUES('delete-all')"))
    connection.execute(delete(search_docs))


def _forget(engine: Engine, stale: list[int]) -> None:
    """Drop index entries whose article is gone or changed (they are indexed again afterwards).

    A contentless FTS5 table can only forget an entry given the text it indexed, which may be
    gone, so on SQLite the whole index is emptied; on PostgreSQL the entries are deleted."""
    with engine.begin() as connection:
        if connection.dialect.name != "postgresql":
            _clear(connection)
            return
        connection.execute(
            text("DELETE FROM article_search WHERE article_id = ANY(:ids)"), {"ids": stale}
        )
        connection.execute(delete(search_docs).where(search_docs.c.article_id.in_(stale)))


def refresh_search_index(engine: Engine, progress: Progress | None = None) -> int:
    """Index every stored article that is not indexed yet; returns how many were indexed.

    Safe to run while a crawl stores articles and while another refresh runs: each article is
    claimed in ``article_search_docs`` in the same transaction that indexes it.
    """
    with engine.connect() as connection:
        missing, stale = _pending(connection)
    if stale:
        logger.info("search index: %d entries out of date; re-indexing", len(stale))
        _forget(engine, stale)
        with engine.connect() as connection:
            missing, _ = _pending(connection)
    indexed = 0
    for start in range(0, len(missing), BATCH):
        batch = missing[start : start + BATCH]
        with engine.connect() as connection:
            texts = _texts(connection, batch)
        with engine.begin() as connection:
            for article_id, sha, title, body in texts:
                if _insert_doc(connection, article_id, sha):
                    _index(connection, article_id, title, body)
                    indexed += 1
        if progress:
            progress(start + len(batch), len(missing))
    if indexed:
        logger.info("search index: %d article(s) indexed", indexed)
    return indexed


def rebuild_search_index(engine: Engine, progress: Progress | None = None) -> int:
    """Forget the whole index and build it again."""
    with engine.begin() as connection:
        _clear(connection)
    return refresh_search_index(engine, progress)


# --- searching ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ArticleHit:
    article_id: int
    cluster_id: int
    score: float  # higher is better; comparable within one search only


def search_articles(engine: Engine, query: str, limit: int = 1000) -> list[ArticleHit]:
    """Articles matching ``query``, best first (the index must be refreshed first)."""
    terms = parse_query(query)
    if engine.dialect.name == "postgresql":
        statement = text(
            "SELECT a.id, a.cluster_id, ts_rank(s.document, q.q) AS score"
            " FROM article_search s JOIN articles a ON a.id = s.article_id,"
            " to_tsquery('simple', :q) AS q(q)"
            " WHERE s.document @@ q.q ORDER BY score DESC, a.id LIMIT :limit"
        )
        expression = tsquery_expression(terms)
    else:
        statement = text(
            "SELECT a.id, a.cluster_id, -bm25(article_search, 4.0, 1.0, 1.0) AS score"
            " FROM article_search JOIN articles a ON a.id = article_search.rowid"
            " WHERE article_search MATCH :q ORDER BY score DESC, a.id LIMIT :limit"
        )
        expression = fts5_expression(terms)
    with engine.connect() as connection:
        statement = statement.bindparams(bindparam("limit", type_=Integer))
        rows = connection.execute(statement, {"q": expression, "limit": limit}).all()
    return [ArticleHit(row.id, row.cluster_id, float(row.score)) for row in rows]


@dataclass(frozen=True)
class ClusterHit:
    """One cluster that matched: its matching members (best first) and its best score."""

    cluster_id: int
    article_ids: tuple[int, ...]
    score: float


def group_hits(hits: Iterable[ArticleHit]) -> list[ClusterHit]:
    """Article hits folded into one hit per cluster, the best cluster first."""
    by_cluster: dict[int, list[ArticleHit]] = defaultdict(list)
    for hit in hits:
        by_cluster[hit.cluster_id].append(hit)
    clusters = [
        ClusterHit(
            cluster_id,
            tuple(h.article_id for h in sorted(found, key=lambda h: (-h.score, h.article_id))),
            max(h.score for h in found),
        )
        for cluster_id, found in by_cluster.items()
    ]
    return sorted(clusters, key=lambda c: (-c.score, -len(c.article_ids), c.cluster_id))


def _begins(word: str, start: str) -> bool:
    return word.startswith(start) if len(start) >= MIN_PREFIX else word == start


def highlight_pattern(terms: Sequence[Term]) -> str:
    """A regular expression (case-insensitive) for the words the terms match directly."""
    words = sorted({w for t in terms for w in t.words}, key=len, reverse=True)
    alternatives = [re.escape(w) + (r"\w*" if len(w) >= MIN_PREFIX else "") for w in words]
    return r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)"


def _term_positions(text_: str, terms: Sequence[Term]) -> list[tuple[int, int]]:
    """(character offset, term number) of each place a term matches: a phrase where its words
    follow each other, a word where a text word begins with it, directly or transliterated."""
    found = []
    for number, term in enumerate(terms):
        if term.phrase:
            pattern = r"(?<!\w)" + r"[\W_]+".join(map(re.escape, term.words)) + r"(?!\w)"
            found += [(m.start(), number) for m in re.finditer(pattern, text_, re.IGNORECASE)]
    words = [t for t in enumerate(terms) if not t[1].phrase]
    for match in _WORD.finditer(text_) if words else ():
        word = match.group().lower()
        folded = anyascii(word).lower() if not word.isascii() else word
        for number, term in words:
            if _begins(word, term.words[0]) or (term.folded and _begins(folded, term.folded[0])):
                found.append((match.start(), number))
    return found


def snippet(text_: str, terms: Sequence[Term], width: int = SNIPPET_CHARS) -> str:
    """A passage of ``text_`` of about ``width`` characters where the most terms occur."""
    positions = _term_positions(text_, terms)
    start, best = 0, (0, 0)
    for offset, _ in positions:  # the window with the most terms, then the tightest
        inside = [(at, n) for at, n in positions if offset <= at < offset + width * 2 // 3]
        score = (len({n for _, n in inside}), offset - max(at for at, _ in inside))
        if score > best:
            start, best = offset, score
    left = max(0, start - width // 4)
    if left:
        space = text_.find(" ", left)
        left = space + 1 if 0 <= space < start else left
    passage = " ".join(text_[left : left + width].split())
    if left + width < len(text_):
        passage = passage.rsplit(" ", 1)[0] + " …"
    return ("… " if left else "") + passage


def indexed_count(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(search_docs)) or 0)

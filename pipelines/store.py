"""Storing articles once per story: cluster assignment, representative text, member deltas."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

import numpy as np
from sqlalchemy import (
    Connection,
    Engine,
    Insert,
    Row,
    Table,
    bindparam,
    delete,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pipelines.changes import compare
from pipelines.embed import Embedder, embedding_text
from pipelines.extract import ExtractedArticle
from pipelines.fingerprint import Fingerprint, signature_from_bytes, signature_to_bytes
from pipelines.group import Document, GroupingConfig, GroupingIndex, Match, MatchKind
from pipelines.models import Article, Cluster
from pipelines.textdelta import EncodedText, Storage, decode, encode

logger = logging.getLogger(__name__)

_GROUPING_LOCK = 0x6E657773  # PostgreSQL advisory lock key for cluster assignment ("news")
# a new story's statements, built once (SQLAlchemy Core on the mapped tables)
_CLUSTERS: Table = Cluster.__table__  # type: ignore[assignment]
_ARTICLES: Table = Article.__table__  # type: ignore[assignment]
_NEW_CLUSTER = insert(_CLUSTERS).returning(_CLUSTERS.c.id)
_DROP_CLUSTER = delete(_CLUSTERS).where(_CLUSTERS.c.id == bindparam("cluster"))
_SET_REPRESENTATIVE = (
    update(_CLUSTERS)
    .where(_CLUSTERS.c.id == bindparam("cluster"))
    .values(representative_id=bindparam("article"))
)
_STORED_ROW = select(_ARTICLES.c.id, _ARTICLES.c.cluster_id).where(
    _ARTICLES.c.url == bindparam("url")
)
_INDEXED_COLUMNS = (
    Article.id,
    Article.cluster_id,
    Article.text_sha256,
    Article.signature,
    Article.language_key,
    Article.signature_keys,
    Article.embedding,
    Article.sentences,
)


@dataclass(frozen=True)
class NewArticle:
    """An extracted article with its grouping document, ready to store."""

    url: str
    article: ExtractedArticle
    document: Document
    source: str | None = None
    query: str | None = None
    rendered: bool = False  # fetched through a browser


@dataclass(frozen=True)
class StoreResult:
    """What storing one article did."""

    article_id: int
    cluster_id: int
    created: bool  # False: the URL was stored already and nothing changed
    new_cluster: bool = False
    match_kind: MatchKind | None = None
    similarity: float | None = None


@dataclass(frozen=True)
class TextTotals:
    """Text bytes as extracted versus as stored, over the whole database."""

    extracted: int
    stored: int

    @property
    def ratio(self) -> float:
        return self.stored / self.extracted if self.extracted else 0.0


@cache
def _new_article(dialect: str) -> Insert:
    """Insert an article row unless its URL is stored (then it returns no id)."""
    insert_into = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        insert_into(_ARTICLES)
        .on_conflict_do_nothing(index_elements=[_ARTICLES.c.url])
        .returning(_ARTICLES.c.id)
    )


def stored_text(article: Article) -> EncodedText:
    """The stored form of a member's text."""
    return EncodedText(Storage(article.text_storage), article.text_payload)


def article_text(session: Session, article: Article) -> str:
    """Rebuild a member's full text from its cluster's text and its own stored form."""
    cluster_text = session.scalar(select(Cluster.text).where(Cluster.id == article.cluster_id))
    assert cluster_text is not None
    return decode(cluster_text, stored_text(article))


def _relation(representative: Article, text_sha256: str, language: str | None) -> MatchKind:
    """How a member (its text hash and language key) relates to its cluster's representative."""
    if text_sha256 == representative.text_sha256:
        return MatchKind.EXACT
    if language == representative.language_key:
        return MatchKind.NEAR_DUPLICATE
    return MatchKind.TRANSLATION


def _earlier(candidate: datetime | None, current: datetime | None) -> bool:
    """True when ``candidate`` should replace ``current`` as the earliest publication."""
    if candidate is None:
        return False
    return current is None or candidate < current


class ArticleStore:
    """The database plus the grouping index that mirrors every stored signature."""

    def __init__(
        self,
        engine: Engine,
        grouping: GroupingConfig,
        embedder: Embedder | None = None,
        delta_timeout: float = 1.0,
    ) -> None:
        self.engine = engine
        self.grouping = grouping
        self.delta_timeout = delta_timeout
        self.index = GroupingIndex(grouping, embedder, self._embedding_text)
        self._caught_up_to = 0
        self._index_stale = False  # it learned articles or vectors of a transaction that failed
        self._index_changed = False  # by the open transaction
        self._batch_session: Session | None = None

    def load_index(self) -> int:
        """Index every stored article, oldest first (so new ones group against earlier crawls)."""
        with self.engine.connect() as connection:
            self._catch_up(connection)
        return len(self.index)

    def _catch_up(self, connection: Connection | Session) -> None:
        """Index the articles committed since the last look (by this process or any other)."""
        rows = connection.execute(
            select(*_INDEXED_COLUMNS).where(Article.id > self._caught_up_to).order_by(Article.id)
        )
        for row in rows:
            if row.id not in self.index:
                self.index.add(row.id, row.cluster_id, self._stored_document(row))
            self._caught_up_to = max(self._caught_up_to, row.id)

    def _stored_document(self, row: Row[Any]) -> Document:
        minhash = signature_from_bytes(row.signature, self.grouping.fingerprint)
        vector = np.frombuffer(row.embedding, dtype=np.float32) if row.embedding else None
        return Document(
            fingerprint=Fingerprint(row.text_sha256, minhash),
            language=row.language_key or "und-NONE",
            signature=frozenset((row.signature_keys or "").split()),
            embedding_text="",
            vector=vector,
            sentences=row.sentences or 0,
        )

    def _embedding_text(self, article_id: int) -> str | None:
        """What is embedded of a stored article (its title and first words), rebuilt from the
        database for a member embedded only when a later article first needs it: read in the
        open batch's transaction, which sees the batch's own articles, else in a session."""
        if self._batch_session is not None:
            return self._embedding_text_in(self._batch_session, article_id)
        with Session(self.engine) as session:
            return self._embedding_text_in(session, article_id)

    def _embedding_text_in(self, session: Session, article_id: int) -> str | None:
        article = session.get(Article, article_id)
        if article is None:
            return None
        text = article_text(session, article)
        return embedding_text(
            article.title, text, self.grouping.embed_words, self.grouping.embed_chars
        )

    def _keep_new_vectors(self, session: Session) -> None:
        """Store the vectors grouping computed for stored articles, so none is embedded twice."""
        for article_id, vector in self.index.take_new_vectors().items():
            self._index_changed = True  # lost with the transaction if it fails
            session.execute(
                update(Article)
                .where(Article.id == article_id, Article.embedding.is_(None))
                .values(embedding=vector.astype(np.float32).tobytes())
            )

    def text_totals(self) -> TextTotals:
        """Bytes of text extracted versus bytes kept (cluster texts plus member payloads)."""
        with self.engine.connect() as connection:
            extracted = connection.scalar(select(func.coalesce(func.sum(Article.text_bytes), 0)))
            cluster_text = connection.scalar(
                select(func.coalesce(func.sum(Article.text_bytes), 0)).where(
                    Article.text_storage == Storage.REPRESENTATIVE
                )
            )
            payloads = connection.scalar(
                select(func.coalesce(func.sum(func.length(Article.text_payload)), 0))
            )
        return TextTotals(int(extracted or 0), int(cluster_text or 0) + int(payloads or 0))

    def add(self, new: NewArticle) -> StoreResult:
        """Store one article: a batch of one (see ``add_batch``)."""
        return self.add_batch([new])[0]

    def add_batch(self, batch: Sequence[NewArticle]) -> list[StoreResult]:
        """Store articles in one transaction, each in the cluster of its closest match (earlier
        articles of the batch included) or in a new cluster; one result per article, in order.

        A URL that is stored already, earlier in the batch or by another process meanwhile,
        changes nothing. Several processes may store into one PostgreSQL database at once:
        transactions are serialised by an advisory lock, and each first indexes what the others
        committed, so one story gets one cluster. The index learns each article as it is
        assigned; if the transaction fails, the index is rebuilt from the database before it is
        used again, so it never keeps an article that was not committed.
        """
        if self._index_stale:
            self._rebuild_index()
        self._prepare([new.document for new in batch])
        try:
            with Session(self.engine, expire_on_commit=False) as session, session.begin():
                self._batch_session = session
                self._serialise(session)
                self._catch_up(session)
                return [self._add_one(session, new) for new in batch]
        except BaseException:
            self._index_stale = self._index_stale or self._index_changed
            raise
        finally:
            self._batch_session = None
            self._index_changed = False

    def _prepare(self, documents: list[Document]) -> None:
        """Embed ahead, before taking the lock, what grouping will probably need: as when the
        articles come one by one, not those that copy an earlier article of the batch."""
        threshold = self.grouping.match_threshold
        for number, doc in enumerate(documents):
            copies = any(
                earlier.fingerprint.text_sha256 == doc.fingerprint.text_sha256
                or (
                    earlier.language == doc.language
                    and doc.fingerprint.minhash.jaccard(earlier.fingerprint.minhash) >= threshold
                )
                for earlier in documents[:number]
            )
            if not copies:
                self.index.prepare(doc)

    def _rebuild_index(self) -> None:
        """Index the database afresh (after a transaction whose articles the index learned
        failed); the index stays marked stale until the rebuild has read everything."""
        self.index = GroupingIndex(self.grouping, self.index.embedder, self._embedding_text)
        self._caught_up_to = 0
        self.load_index()
        self._index_stale = False

    def _add_one(self, session: Session, new: NewArticle) -> StoreResult:
        """Assign and store one article inside the batch's transaction: a URL that another writer
        stored meanwhile costs this article only, not the batch (a new story's rows are inserted
        unless the URL is there, a member's under a savepoint)."""
        existing = self._stored_row(session, new.url)
        if existing is not None:
            return StoreResult(existing.id, existing.cluster_id, created=False)
        match = self.index.match(new.document)
        self._keep_new_vectors(session)
        if match is None:
            return self._start_cluster(session, new)
        try:
            with session.begin_nested():
                article = self._join_cluster(session, new, match)
        except IntegrityError:
            stored = self._stored_concurrently(session, new.url)
            if stored is None:
                raise
            return stored
        kind = MatchKind(article.match_kind)
        return self._indexed(new, article.id, article.cluster_id, kind, article.similarity)

    def _indexed(
        self,
        new: NewArticle,
        article_id: int,
        cluster_id: int,
        kind: MatchKind,
        similarity: float | None,
        new_cluster: bool = False,
    ) -> StoreResult:
        """Teach the index a newly stored article; what storing it did."""
        self.index.add(article_id, cluster_id, new.document)
        self._index_changed = True
        return StoreResult(
            article_id,
            cluster_id,
            created=True,
            new_cluster=new_cluster,
            match_kind=kind,
            similarity=similarity,
        )

    def _stored_concurrently(self, session: Session, url: str) -> StoreResult | None:
        """What another writer stored under ``url`` meanwhile, if it did."""
        row = self._stored_row(session, url)
        if row is None:
            return None
        logger.info("%s was stored concurrently; keeping the stored copy", url)
        return StoreResult(row.id, row.cluster_id, created=False)

    @staticmethod
    def _stored_row(session: Session, url: str) -> Row[Any] | None:
        return session.connection().execute(_STORED_ROW, {"url": url}).first()

    def _serialise(self, session: Session) -> None:
        """On PostgreSQL, wait for the grouping lock (held until this transaction ends)."""
        if self.engine.dialect.name == "postgresql":
            session.execute(text("select pg_advisory_xact_lock(:key)"), {"key": _GROUPING_LOCK})

    @staticmethod
    def _row_values(new: NewArticle) -> dict[str, Any]:
        """The columns of a new article row that do not depend on its cluster."""
        meta = new.article
        vector = new.document.vector
        return {
            "url": new.url,
            "canonical_url": meta.canonical_url,
            "outlet": meta.outlet,
            "source": new.source,
            "query": new.query,
            "title": meta.title,
            "author": meta.author,
            "published": meta.published,
            "language": meta.language,
            "text_sha256": new.document.fingerprint.text_sha256,
            "text_bytes": len(meta.text.encode("utf-8")),
            "signature": signature_to_bytes(new.document.fingerprint.minhash),
            "language_key": new.document.language,
            "extraction_strategy": meta.strategy,
            "date_source": meta.date_source,
            "modified": meta.modified,
            "modified_source": meta.modified_source,
            "language_source": meta.language_source,
            "authors": json.dumps(list(meta.authors), ensure_ascii=False) if meta.authors else None,
            "rendered": new.rendered,
            "signature_keys": " ".join(sorted(new.document.signature)),
            "embedding": None if vector is None else vector.astype(np.float32).tobytes(),
            "sentences": new.document.sentences or None,
        }

    def _start_cluster(self, session: Session, new: NewArticle) -> StoreResult:
        """A new cluster with ``new`` as its representative, by three statements (cluster,
        article unless its URL is stored, representative); no savepoint, no ORM flush."""
        connection = session.connection()
        cluster_id = connection.execute(_NEW_CLUSTER, {"text": new.article.text}).scalar_one()
        values = self._row_values(new)
        values.update(
            cluster_id=cluster_id,
            match_kind=MatchKind.ORIGINAL.value,
            similarity=1.0,
            text_storage=Storage.REPRESENTATIVE.value,
        )
        article_id = connection.execute(_new_article(self.engine.dialect.name), values).scalar()
        if article_id is None:  # another writer stored the URL since it was looked up
            connection.execute(_DROP_CLUSTER, {"cluster": cluster_id})
            stored = self._stored_concurrently(session, new.url)
            assert stored is not None, "the insert met a stored URL"
            return stored
        connection.execute(_SET_REPRESENTATIVE, {"cluster": cluster_id, "article": article_id})
        return self._indexed(new, article_id, cluster_id, MatchKind.ORIGINAL, 1.0, new_cluster=True)

    def _join_cluster(self, session: Session, new: NewArticle, match: Match) -> Article:
        cluster = session.get_one(Cluster, match.cluster_id, with_for_update=True)
        members = list(cluster.members)  # loaded before the new row joins them
        representative = cluster.representative
        assert representative is not None
        article = Article(**self._row_values(new), cluster=cluster)
        article.matched_id = match.article_id
        article.match_kind = _relation(
            representative, new.document.fingerprint.text_sha256, new.document.language
        )
        if _earlier(new.article.published, representative.published):
            self._make_representative(cluster, members, article, new)
        else:
            encoded = encode(cluster.text, new.article.text, self.delta_timeout)
            article.text_storage, article.text_payload = encoded.storage, encoded.payload
            article.similarity = self.index.similarity(new.document, representative.id)
            same_language = new.document.language == representative.language_key
            changes = compare(cluster.text, new.article.text, same_language)
            article.changes = changes.to_json() if changes else None
        session.add(article)
        session.flush()
        return article

    def _make_representative(
        self, cluster: Cluster, members: list[Article], article: Article, new: NewArticle
    ) -> None:
        """Make ``article`` the cluster's representative; every member is re-encoded against it and
        its kind, similarity and changes are taken again relative to it."""
        texts = {m.id: decode(cluster.text, stored_text(m)) for m in members}
        cluster.text = new.article.text
        cluster.representative = article
        article.text_storage, article.text_payload = Storage.REPRESENTATIVE, None
        article.similarity = 1.0
        article.changes = None
        for member in members:
            encoded = encode(cluster.text, texts[member.id], self.delta_timeout)
            member.text_storage, member.text_payload = encoded.storage, encoded.payload
            member.similarity = self.index.similarity(new.document, member.id)
            same_language = member.language_key == new.document.language
            changes = compare(cluster.text, texts[member.id], same_language)
            member.changes = changes.to_json() if changes else None
            member.match_kind = _relation(article, member.text_sha256, member.language_key)
        article.match_kind = MatchKind.ORIGINAL

"""Grouping, article by article: copies and rewrites in one language, translations across languages.

The rule, for a new article (see docs/grouping.md for why):

1. the same normalised text as a stored article → that article's cluster (``exact``);
2. a word-shingle MinHash neighbour in the same language with estimated Jaccard ≥
   ``match_threshold`` → the closest one's cluster (``near_duplicate``);
3. otherwise candidate clusters come from the language-neutral signature index (numbers, dates,
   name skeletons). An average signature Jaccard of ``signature_only_threshold`` with a cluster's
   members is enough on its own. Else the article is embedded only for clusters it could join
   (ones not ruled out as below) that hold an article in another language or script (the
   embedding judges translations; a rewrite in the article's own language is found by its
   words or its signature): the signature candidates or, when none is left, clusters with a
   member whose signature similarity reaches ``signature_neighbour_threshold``; for a signature
   too thin to find any, every cluster sharing one of its keys. The article and one more member
   of each such cluster (up to ``embedded_members``) are embedded, each at most once, and the
   clusters in another language whose language-centred embedding centroid is nearest join the
   candidates. Each is
   scored by its average embedding similarity plus ``signature_weight`` × its average signature
   Jaccard (average link over members). A cluster is ruled out when it holds an article in the
   new one's language and script that shares almost no wording with it (Jaccard <
   ``same_language_veto``: another outlet's report of the same event), or, for a translation,
   when its articles are more than ``max_length_ratio`` times longer or shorter in sentences
   (translations keep the sentences; other reports of the event do not). The best score over
   ``translation_threshold`` wins (``translation``, or ``near_duplicate`` for a loose rewrite in
   a language the cluster already has). An article with no cluster it could join is not
   embedded, except one with a thin signature once another language is indexed (Chinese,
   Japanese, Arabic keep few names: the nearest centroids find their translations);
4. else the article starts a cluster. It never merges two clusters: when it links two, the
   closer one gets it.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache

import numpy as np

from pipelines.band_index import BandIndex
from pipelines.columns import Column, SortedMultimap
from pipelines.embed import Embedder, embedding_text
from pipelines.fingerprint import Fingerprint, FingerprintConfig, fingerprint
from pipelines.key_table import KeyTable, key_digests
from pipelines.row_keys import RowKeys
from pipelines.signature import signature_keys


class MatchKind(StrEnum):
    """How an article joined its cluster."""

    ORIGINAL = "original"  # it is the cluster's representative
    EXACT = "exact"  # same normalised text as a member
    NEAR_DUPLICATE = "near_duplicate"  # a rewrite in a language the cluster has
    TRANSLATION = "translation"  # the story in another language


@dataclass(frozen=True)
class GroupingConfig:
    """Every grouping threshold (set from ``GROUPING_*`` settings)."""

    fingerprint: FingerprintConfig = field(default_factory=FingerprintConfig)
    lsh_threshold: float = 0.3  # word-shingle LSH band layout
    match_threshold: float = 0.3  # word Jaccard that makes a same-language near-duplicate
    signature_lsh_threshold: float = 0.1  # signature LSH band layout
    signature_max_share: float = 0.05  # signature keys in more documents than this are dropped
    signature_common_floor: int = 10  # … but only once they are in more documents than this
    signature_max_articles: int = 500  # … and keys in more documents than this, whatever the share
    signature_min_keys: int = 6  # fewer keys: the signature says too little to weigh
    signature_neighbour_threshold: float = 0.15  # a member this close makes a cluster a candidate
    signature_weight: float = 1.0
    translation_threshold: float = 0.45  # embedding + weight × signature
    low_signature_threshold: float = 0.30  # embedding alone, for articles with few keys
    signature_only_threshold: float = 0.25  # signature alone, when there is no embedder
    same_language_veto: float = 0.1
    centring_prior: float = 5.0  # pseudo-count pulling a language's mean to the global mean
    candidate_clusters: int = 5  # clusters embedded for, and nearest centroids, per article
    embed_words: int = 64  # title plus this many words are embedded …
    embed_chars: int = 360  # … cut back to the last whole word within this many characters
    embedded_members: int = 3  # a candidate cluster's members embedded, one more per candidacy
    max_length_ratio: float = 2.0  # a translation's sentences against its cluster's (median)


@dataclass
class Document:
    """What grouping needs of one article; ``vector`` is filled lazily, at most once."""

    fingerprint: Fingerprint
    language: str  # language and script, see ``language_key``
    signature: frozenset[str]
    embedding_text: str
    vector: np.ndarray | None = None
    sentences: int = 0  # 0: unknown


@dataclass(frozen=True)
class Match:
    """The cluster a new article belongs to, the stored article that led there, and how."""

    article_id: int
    cluster_id: int
    similarity: float  # the score that decided: word Jaccard, or the translation score
    kind: MatchKind


@lru_cache(maxsize=8192)
def _letter_script(char: str) -> str:
    return unicodedata.name(char, "UNKNOWN").split(" ", 1)[0]


def script_of(text: str, sample: int = 400) -> str:
    """The dominant Unicode script of the text's first ``sample`` letters (``LATIN``,
    ``CYRILLIC``, ``CJK``…)."""
    scripts = Counter(map(_letter_script, itertools.islice(filter(str.isalpha, text), sample)))
    return scripts.most_common(1)[0][0] if scripts else "NONE"


_SENTENCE_END = re.compile(r"[.!?؟]+(?=[\s\"'”»)]|$)|[。！？]")


def count_sentences(text: str) -> int:
    """Sentences in ``text``, by their closing punctuation (Latin, CJK and Arabic), at least 1."""
    return max(1, len(_SENTENCE_END.findall(text)))


def language_key(language: str | None, text: str) -> str:
    """``ru-CYRILLIC``, ``sr-LATIN``: one language's two scripts share no words, so they count
    apart."""
    base = (language or "und").split("-", 1)[0].lower()
    return f"{base}-{script_of(text)}"


def make_document(
    text: str, title: str | None, language: str | None, config: GroupingConfig
) -> Document:
    """Everything grouping computes from an article before it meets the index."""
    return Document(
        fingerprint=fingerprint(text, config.fingerprint),
        language=language_key(language, text),
        signature=frozenset(signature_keys(text)),
        embedding_text=embedding_text(title, text, config.embed_words, config.embed_chars),
        sentences=count_sentences(text),
    )


def _base(language: str) -> str:
    return language.split("-", 1)[0]


@dataclass
class _KeyView:
    """A set of signature keys as the index knows them until its next ``add``: their digests (in
    the set's iteration order) and slots (``-1``: never counted); the rest is filled when first
    asked for."""

    digests: np.ndarray
    slots: np.ndarray
    known: np.ndarray | None = None  # the slots counted, sorted
    informative: frozenset[str] | None = None  # ``informative_keys`` of the set
    kept: np.ndarray | None = None  # which of the digests ``informative`` holds
    minhash: np.ndarray | None = None  # the set's signature MinHash


TextSource = Callable[[int], str | None]


class GroupingIndex:
    """Every stored article's fingerprints, searchable for the cluster a new one belongs to.

    ``text_source`` gives the text to embed of an indexed article (``embedding_text``), for the
    members embedded only when a later article first needs them; their raw vectors wait in
    ``take_new_vectors`` for the caller to keep.

    Stored compactly (docs/grouping.md, "Memory"): an article is a row number, and each row's
    data sits in typed numpy columns — its word MinHash, cluster, language, signature key slots,
    and its centred embedding in float16 — with both LSH indexes as ``BandIndex`` and the
    lookups by article id, text and cluster as ``SortedMultimap``. No Python object is kept per
    article, so the garbage collector never walks the index.
    """

    def __init__(
        self,
        config: GroupingConfig,
        embedder: Embedder | None = None,
        text_source: TextSource | None = None,
    ) -> None:
        self.config = config
        self.embedder = embedder
        self.text_source = text_source
        num_perm = config.fingerprint.num_perm
        self._words = BandIndex(config.lsh_threshold, num_perm)
        # 16-bit keys: the signature LSH has 64 bands, and its key matches are cheap to confirm
        self._signatures = BandIndex(config.signature_lsh_threshold, num_perm, np.uint16)
        self._keys = KeyTable(config.fingerprint)
        self._ids = Column(np.int64)
        self._largest_id = -(2**63)  # an id above every indexed one is not indexed
        self._clusters = Column(np.int64)
        self._languages = Column(np.uint16)
        self._minhashes = Column(np.uint32, (num_perm,))
        self._signature_keys = RowKeys()  # each row's informative signature keys
        self._vector_rows = Column(np.int32)  # row in _vectors, -1 without an embedding
        self._sentences = Column(np.int32)
        self._vectors: Column | None = None
        self._row_of_id = SortedMultimap(np.int64)
        self._row_of_text = SortedMultimap(np.uint64)
        self._rows_of_cluster = SortedMultimap(np.int64)
        self._rows_of_key = SortedMultimap(np.uint32)  # key slot → rows holding the key
        self._base_languages: Counter[str] = Counter()
        self._new_vectors: dict[int, np.ndarray] = {}
        self._language_codes: dict[str, int] = {}
        self._views: dict[int, tuple[frozenset[str], _KeyView]] = {}
        self._viability: tuple[Document, dict[int, bool]] | None = None  # until the next add
        self._documents = 0
        self._language_sums: dict[str, np.ndarray] = {}
        self._language_counts: Counter[str] = Counter()
        self._global_sum: np.ndarray | None = None
        self._centroid_row: dict[int, int] = {}
        self._centroid_cluster: list[int] = []
        self._centroid_sums: np.ndarray | None = None
        self._centroid_counts = np.zeros(0, dtype=np.float32)
        self.embedding_calls = 0

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, article_id: int) -> bool:
        return self._row(article_id) is not None

    def cluster_ids(self) -> Iterable[int]:
        """The clusters that have indexed members."""
        return np.unique(self._clusters.values).tolist()

    # --- rows --------------------------------------------------------------------------------

    def _row(self, article_id: int) -> int | None:
        rows = self._row_of_id.get(article_id)
        return int(rows[0]) if len(rows) else None

    def _members(self, cluster_id: int) -> np.ndarray:
        """The cluster's rows, in the order they were added."""
        return np.sort(self._rows_of_cluster.get(cluster_id)).astype(np.intp)

    def _language_code(self, language: str) -> int:
        return self._language_codes.setdefault(language, len(self._language_codes))

    def _signature_values(self, rows: np.ndarray, columns: np.ndarray) -> np.ndarray:
        return self._keys.minhash_columns(self._signature_keys, rows, columns)

    def _view(self, keys: frozenset[str]) -> _KeyView:
        """``keys`` looked up once until the next ``add``: ``prepare``, ``match`` and ``add`` of
        one document all ask for the same sets."""
        cached = self._views.get(id(keys))
        if cached is not None and cached[0] is keys:
            return cached[1]
        digests = key_digests(list(keys))
        return self._remember(keys, _KeyView(digests, self._keys.slots(digests)))

    def _remember(self, keys: frozenset[str], view: _KeyView) -> _KeyView:
        self._views[id(keys)] = (keys, view)  # the set is held, so its id is not reused
        return view

    def _known_slots(self, keys: frozenset[str]) -> np.ndarray:
        view = self._view(keys)
        if view.known is None:
            view.known = np.sort(view.slots[view.slots >= 0])  # a set's keys: distinct slots
        return view.known

    def _signature_minhash(self, keys: frozenset[str]) -> np.ndarray:
        view = self._view(keys)
        if view.minhash is None:
            view.minhash = self._keys.minhash(view.digests)
        return view.minhash

    def _word_values(self, rows: np.ndarray, columns: np.ndarray) -> np.ndarray:
        return self._minhashes.values[rows[:, None], columns]

    def _signature_similarities(self, keys: frozenset[str], rows: np.ndarray) -> np.ndarray:
        """``signature_similarity`` of ``keys`` with the stored signature of each row."""
        shared = self._signature_keys.shared(rows, self._known_slots(keys))
        lengths = self._signature_keys.lengths(rows)
        return signature_similarity(shared, len(keys), lengths, self.config.signature_min_keys)

    def _jaccards(self, doc: Document, rows: np.ndarray) -> np.ndarray:
        """MinHash Jaccard of the document's words with each row's (as datasketch computes it)."""
        query = doc.fingerprint.minhash.hashvalues
        equal = np.count_nonzero(self._minhashes.values[rows] == query, axis=1)
        return equal.astype(np.float64) / float(len(query))

    def _stored_vectors(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Which rows have an embedding, and those embeddings (float32)."""
        vector_rows = self._vector_rows.values[rows]
        has = vector_rows >= 0
        if self._vectors is None or not has.any():
            return has, np.zeros((0, 0), dtype=np.float32)
        return has, self._vectors.values[vector_rows[has]].astype(np.float32)

    # --- signatures and vectors ------------------------------------------------------------

    def informative_keys(self, keys: frozenset[str]) -> frozenset[str]:
        """The keys not shared by more than ``signature_max_share`` of the articles seen (and by
        more than ``signature_common_floor`` of them: in a small crawl about one event, a key in
        a handful of articles links versions of one story, not the event), nor by more than
        ``signature_max_articles`` (in a large archive a share is many articles, and each is a
        candidate to score)."""
        view = self._view(keys)
        if view.informative is None:
            ordered = list(keys)  # the order of the view's digests
            keep = self._informative(view.slots)
            position = {ordered[i]: i for i in np.flatnonzero(keep).tolist()}
            informative = frozenset(position)
            picked = np.array([position[key] for key in informative], dtype=np.intp)
            self._remember(informative, _KeyView(view.digests[picked], view.slots[picked]))
            view.informative, view.kept = informative, keep
        return view.informative

    def _informative(self, slots: np.ndarray) -> np.ndarray:
        """Which keys (by slot) ``informative_keys`` keeps."""
        config = self.config
        share = max(config.signature_max_share * self._documents, config.signature_common_floor)
        limit = min(share, config.signature_max_articles)
        return self._keys.counts(slots) <= limit

    def ensure_vector(self, doc: Document) -> np.ndarray | None:
        """The document's raw embedding, computed once (``None`` without an embedder)."""
        if doc.vector is None and self.embedder is not None:
            doc.vector = self.embedder.embed([doc.embedding_text])[0]
            self.embedding_calls += 1
        return doc.vector

    def _embed_with_members(self, doc: Document, clusters: Iterable[int]) -> None:
        """Embed the document (unless it has its vector) and one more member of each cluster
        (``_member_to_embed``), all in one call to the model."""
        if self.embedder is None:
            return
        chosen = [(c, *member) for c in clusters if (member := self._member_to_embed(c))]
        texts = [text for _, _, text in chosen]
        if doc.vector is None:
            texts.append(doc.embedding_text)
        if not texts:
            return
        vectors = self.embedder.embed(texts)
        self.embedding_calls += len(texts)
        names = list(self._language_codes)
        for (cluster_id, row, _), vector in zip(chosen, vectors, strict=False):
            language = names[self._languages.values[row]]
            centred = self._centred(vector, language).astype(np.float32)
            self._learn_language(vector, language)
            self._add_to_centroid(cluster_id, centred)
            self._vector_rows.values[row] = self._store_vector(centred)
            self._new_vectors[int(self._ids.values[row])] = vector
        if doc.vector is None:
            doc.vector = vectors[-1]

    def _member_to_embed(self, cluster_id: int) -> tuple[int, str] | None:
        """The member of the cluster (its row, and the text to embed) to embed next, if the
        cluster has fewer than ``embedded_members`` embedded: one per candidacy, so that a
        cluster met once (often by chance, sharing a number) costs one embedding, and one met
        again and again soon has its full centroid."""
        if self.text_source is None:
            return None
        members = self._members(cluster_id)
        without = members[self._vector_rows.values[members] < 0]
        if len(members) - len(without) >= self.config.embedded_members:
            return None
        for row in without.tolist():
            text = self.text_source(int(self._ids.values[row]))
            if text:
                return row, text
        return None

    def take_new_vectors(self) -> dict[int, np.ndarray]:
        """Raw vectors computed for indexed articles since the last call (for the caller to
        store, so that no article is embedded twice)."""
        vectors, self._new_vectors = self._new_vectors, {}
        return vectors

    def _store_vector(self, centred: np.ndarray) -> int:
        """Keep a centred embedding (float16); returns its row in ``_vectors``."""
        if self._vectors is None:
            self._vectors = Column(np.float16, centred.shape)
        return self._vectors.append(centred)

    def _centred(self, vector: np.ndarray, language: str) -> np.ndarray:
        """The vector minus its language's running mean (shrunk towards the global mean)."""
        prior = self.config.centring_prior
        if self._global_sum is None:
            mean = np.zeros_like(vector)
        else:
            global_mean = self._global_sum / max(sum(self._language_counts.values()), 1)
            total = self._language_sums.get(language, np.zeros_like(vector)) + prior * global_mean
            mean = total / (self._language_counts[language] + prior)
        centred = vector - mean
        norm = float(np.linalg.norm(centred))
        return centred / norm if norm else centred

    # --- adding ------------------------------------------------------------------------------

    def add(self, article_id: int, cluster_id: int, doc: Document) -> None:
        """Index a stored article as a member of ``cluster_id``."""
        if article_id <= self._largest_id and article_id in self:
            raise ValueError(f"article {article_id} is already indexed")
        view = self._view(doc.signature)
        keys = self.informative_keys(doc.signature)
        informative = view.kept
        if keys:
            minhash = self._signature_minhash(keys)
        slots = self._keys.count(view.digests, view.slots)
        self._views.clear()  # counts and slots change
        self._viability = None
        row = len(self._ids)
        vector_row = -1
        if doc.vector is not None:
            centred = self._centred(doc.vector, doc.language).astype(np.float32)
            self._learn_language(doc.vector, doc.language)
            self._add_to_centroid(cluster_id, centred)
            vector_row = self._store_vector(centred)
        self._signature_keys.append(slots[informative])
        self._ids.append(article_id)
        self._largest_id = max(self._largest_id, article_id)
        self._clusters.append(cluster_id)
        self._languages.append(self._language_code(doc.language))
        self._minhashes.append(doc.fingerprint.minhash.hashvalues)
        self._vector_rows.append(vector_row)
        self._sentences.append(doc.sentences)
        self._row_of_id.add([article_id], row)
        self._rows_of_cluster.add([cluster_id], row)
        self._row_of_text.add([_text_digest(doc.fingerprint.text_sha256)], row)
        self._words.add(row, doc.fingerprint.minhash.hashvalues)
        if keys:
            self._signatures.add(row, minhash)
        self._rows_of_key.add(slots, row)
        self._base_languages[_base(doc.language)] += 1
        self._documents += 1

    def _learn_language(self, vector: np.ndarray, language: str) -> None:
        if self._global_sum is None:
            self._global_sum = np.zeros_like(vector)
        self._global_sum += vector
        self._language_sums[language] = self._language_sums.get(language, 0) + vector
        self._language_counts[language] += 1

    def _add_to_centroid(self, cluster_id: int, centred: np.ndarray) -> None:
        row = self._centroid_row.get(cluster_id)
        if row is None:
            row = len(self._centroid_cluster)
            if self._centroid_sums is None or row >= len(self._centroid_sums):
                grown = max(64, 2 * row)
                sums = np.zeros((grown, len(centred)), dtype=np.float32)
                counts = np.zeros(grown, dtype=np.float32)
                if self._centroid_sums is not None:
                    sums[:row] = self._centroid_sums[:row]
                    counts[:row] = self._centroid_counts[:row]
                self._centroid_sums, self._centroid_counts = sums, counts
            self._centroid_row[cluster_id] = row
            self._centroid_cluster.append(cluster_id)
        self._centroid_sums[row] += centred
        self._centroid_counts[row] += 1

    # --- matching ----------------------------------------------------------------------------

    def prepare(self, doc: Document) -> None:
        """Compute ahead, outside any lock, the embedding that ``match`` will probably need."""
        if self.embedder is None or doc.vector is not None:
            return
        if self._exact(doc) is not None or self._near_duplicate(doc):
            return
        keys = self.informative_keys(doc.signature)
        clusters = self._signature_clusters(keys)
        if self._best(doc, keys, None, clusters) is not None:
            return
        if self._embedding_candidates(doc, keys, clusters) is not None:
            self.ensure_vector(doc)

    def match(self, doc: Document) -> Match | None:
        """The cluster ``doc`` belongs to, or ``None`` for a new story."""
        exact = self._exact(doc)
        if exact is not None:
            return Match(
                int(self._ids.values[exact]),
                int(self._clusters.values[exact]),
                1.0,
                MatchKind.EXACT,
            )
        return self._near_duplicate(doc) or self._translation(doc)

    def _exact(self, doc: Document) -> int | None:
        """The first row stored with the document's normalised text."""
        rows = self._row_of_text.get(_text_digest(doc.fingerprint.text_sha256))
        return int(rows.min()) if len(rows) else None

    def _near_duplicate(self, doc: Document) -> Match | None:
        rows = self._words.query(doc.fingerprint.minhash.hashvalues, self._word_values)
        language = self._language_codes.get(doc.language)
        rows = rows[self._languages.values[rows] == language] if language is not None else rows[:0]
        similarities = self._jaccards(doc, rows)
        close = similarities >= self.config.match_threshold
        if not close.any():
            return None
        rows, similarities = rows[close], similarities[close]
        ids = self._ids.values[rows]
        best = np.lexsort((ids, -similarities))[0]  # the closest; the lowest id among equals
        return Match(
            int(ids[best]),
            int(self._clusters.values[rows[best]]),
            float(similarities[best]),
            MatchKind.NEAR_DUPLICATE,
        )

    def _signature_clusters(self, keys: frozenset[str]) -> set[int]:
        if not keys:
            return set()
        rows = self._signatures.query(self._signature_minhash(keys), self._signature_values)
        return set(self._clusters.values[rows].tolist())

    def _embedding_candidates(
        self, doc: Document, keys: frozenset[str], signature_clusters: set[int]
    ) -> set[int] | None:
        """The clusters an embedding could put the article in — at most ``candidate_clusters``,
        the closest by signature — or ``None`` when no embedding is worth computing.

        Only clusters that ``_viable`` does not rule out count (another outlet's report in the
        article's language, a translation of very different length). With a signature of
        ``signature_min_keys`` or more: the signature LSH's clusters, or when none is left, those
        with a member whose signature similarity reaches ``signature_neighbour_threshold`` (the
        LSH misses a short member that holds a share of a long signature). With a thinner one
        (Chinese, Japanese, Arabic: few names survive transliteration; or a short text): every
        cluster sharing one of its keys, and once another language is indexed the article is
        embedded even with no candidate, for the nearest centroids to find."""
        config = self.config
        if len(keys) >= config.signature_min_keys:
            candidates = self._embeddable(doc, signature_clusters)
            if not candidates:
                neighbours = self._signature_neighbours(keys) - signature_clusters
                candidates = self._embeddable(doc, neighbours)
            return self._strongest(keys, candidates, config.candidate_clusters) or None
        sharing = signature_clusters | self._clusters_sharing(keys)
        candidates = self._embeddable(doc, sharing)
        language = _base(doc.language)
        if not candidates and all(other == language for other in self._base_languages):
            return None
        return self._strongest(keys, candidates, config.candidate_clusters)

    def _embeddable(self, doc: Document, clusters: set[int]) -> set[int]:
        """The clusters the embedding may judge for ``doc``: not ruled out (``_viable``) and
        holding an article in another language or script (a rewrite in the article's own
        language is found by its words or its signature)."""
        clusters = self._viable(doc, clusters)
        if not clusters:
            return clusters
        ids = np.array(sorted(clusters), dtype=np.int64)
        rows, lengths = self._cluster_rows(ids)
        other = self._languages.values[rows] != self._language_codes.get(doc.language, -1)
        foreign = np.zeros(len(ids), dtype=bool)
        foreign[np.repeat(np.arange(len(ids)), lengths)[other]] = True
        return set(ids[foreign].tolist())

    def _strongest(self, keys: frozenset[str], clusters: set[int], limit: int) -> set[int]:
        """The ``limit`` clusters whose members share most of the signature ``keys`` (on
        average), so that embedding costs stay bounded as the archive grows."""
        if len(clusters) <= limit:
            return clusters
        ranked = sorted(
            clusters,
            key=lambda c: (
                -float(np.mean(self._signature_similarities(keys, self._members(c)))),
                c,
            ),
        )
        return set(ranked[:limit])

    def _clusters_sharing(self, keys: frozenset[str]) -> set[int]:
        """The clusters with a member that holds one of ``keys``."""
        rows, _ = self._rows_sharing(keys)
        return set(self._clusters.values[rows].tolist())

    def _rows_sharing(self, keys: frozenset[str]) -> tuple[np.ndarray, np.ndarray]:
        """The rows holding one of ``keys``, and how many of them each holds."""
        _, rows = self._rows_of_key.lookup(self._known_slots(keys))
        rows, shared = np.unique(rows, return_counts=True)
        return rows.astype(np.intp), shared

    def _signature_neighbours(self, keys: frozenset[str]) -> set[int]:
        """The clusters with a member that shares two or more of ``keys`` and whose
        ``signature_similarity`` with them (counted from the key lookup, for every such member at
        once) reaches ``signature_neighbour_threshold``; ``keys`` has ``signature_min_keys``."""
        rows, shared = self._rows_sharing(keys)
        stored = self._signature_keys.lengths(rows)
        shared = np.minimum(shared, stored)  # a key may have turned informative since
        enough = shared >= 2
        rows, shared, stored = rows[enough], shared[enough], stored[enough]
        jaccard = shared / (len(keys) + stored - shared)
        smaller = np.minimum(stored, len(keys))
        contained = np.where(smaller >= self.config.signature_min_keys, 0.5 * shared / smaller, 0)
        close = np.maximum(jaccard, contained) >= self.config.signature_neighbour_threshold
        return set(self._clusters.values[rows[close]].tolist())

    def _nearest_clusters(self, centred: np.ndarray) -> set[int]:
        if self._centroid_sums is None:
            return set()
        rows = len(self._centroid_cluster)
        sims = self._centroid_sums[:rows] @ centred / self._centroid_counts[:rows]
        nearest = np.argsort(-sims)[: self.config.candidate_clusters]
        return {self._centroid_cluster[i] for i in nearest}

    def _translation(self, doc: Document) -> Match | None:
        """Candidates by signature, then by embedding (unless the signature decides alone)."""
        keys = self.informative_keys(doc.signature)
        signature_clusters = self._signature_clusters(keys)
        found = self._best(doc, keys, None, signature_clusters)
        if found is not None or self.embedder is None:
            return found
        candidates = self._embedding_candidates(doc, keys, signature_clusters)
        if candidates is None:
            return None
        self._embed_with_members(doc, sorted(candidates))
        assert doc.vector is not None
        centred = self._centred(doc.vector, doc.language)
        nearest = self._embeddable(doc, self._nearest_clusters(centred))
        return self._best(doc, keys, centred, candidates | nearest)

    def _best(
        self, doc: Document, keys: frozenset[str], centred: np.ndarray | None, clusters: set[int]
    ) -> Match | None:
        """The cluster with the best score (ties: the lowest id), and its closest member."""
        if not clusters:
            return None
        ids = np.array(sorted(clusters), dtype=np.int64)
        rows, lengths = self._cluster_rows(ids)
        similarities = self._signature_similarities(keys, rows)
        scores = self._scores(doc, keys, centred, ids, similarities, lengths)
        viable = self._viable_clusters(doc, rows, lengths)
        self._known_viability(doc).update(zip(ids.tolist(), viable.tolist(), strict=True))
        valid = np.flatnonzero(viable)
        valid = valid[scores[valid] >= self.config.translation_threshold]
        if not len(valid):
            return None
        best = valid[np.lexsort((ids[valid], -scores[valid]))[0]]
        start = int(lengths[:best].sum())
        members = rows[start : start + lengths[best]]
        names = list(self._language_codes)
        languages = {_base(names[code]) for code in self._languages.values[members].tolist()}
        kind = (
            MatchKind.NEAR_DUPLICATE if _base(doc.language) in languages else MatchKind.TRANSLATION
        )
        closest = members[int(np.argmax(self._pair_scores(keys, centred, members)))]
        return Match(
            int(self._ids.values[closest]), int(ids[best]), round(float(scores[best]), 4), kind
        )

    def _cluster_rows(self, clusters: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The rows of each cluster, one cluster's after another (ascending within each), and
        how many each has."""
        positions, rows = self._rows_of_cluster.lookup(clusters)
        order = np.lexsort((rows, positions))
        return rows[order].astype(np.intp), np.bincount(positions, minlength=len(clusters))

    def _scores(
        self,
        doc: Document,
        keys: frozenset[str],
        centred: np.ndarray | None,
        clusters: np.ndarray,
        similarities: np.ndarray,
        lengths: np.ndarray,
    ) -> np.ndarray:
        """Each cluster's average-link score for ``doc`` on the translation threshold's scale;
        ``similarities`` are the signature similarities of the clusters' rows, ``lengths`` rows
        each."""
        config = self.config
        signatures = _segment_means(similarities, lengths)
        scores = config.translation_threshold + signatures - config.signature_only_threshold
        if centred is None or self._centroid_sums is None:
            return scores
        for i, cluster_id in enumerate(clusters.tolist()):
            row = self._centroid_row.get(cluster_id)
            if row is None:
                continue
            embedding = float(self._centroid_sums[row] @ centred / self._centroid_counts[row])
            if len(keys) < config.signature_min_keys:
                combined = embedding - config.low_signature_threshold + config.translation_threshold
            else:
                combined = embedding + config.signature_weight * float(signatures[i])
            scores[i] = max(float(scores[i]), combined)
        return scores

    def _viable(self, doc: Document, clusters: set[int]) -> set[int]:
        """The clusters not ruled out whatever the embedding says (see ``_viable_clusters``);
        ``_best`` has judged some already, the rest are judged together."""
        known = self._known_viability(doc)
        unknown = [c for c in clusters if c not in known]
        if unknown:
            rows, lengths = self._cluster_rows(np.array(unknown, dtype=np.int64))
            viable = self._viable_clusters(doc, rows, lengths).tolist()
            known.update(zip(unknown, viable, strict=True))
        return {c for c in clusters if known[c]}

    def _known_viability(self, doc: Document) -> dict[int, bool]:
        """The clusters judged for ``doc`` since the last ``add``."""
        if self._viability is None or self._viability[0] is not doc:
            self._viability = (doc, {})
        return self._viability[1]

    def _viable_clusters(self, doc: Document, rows: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """Whether each cluster (``lengths`` of the ``rows``, one cluster's after another) may
        take ``doc``: not when it holds another report in the article's own language, nor when a
        translation would be far off its length."""
        clusters = len(lengths)
        owners = np.repeat(np.arange(clusters), lengths)
        codes = self._languages.values[rows]
        language = self._language_codes.get(doc.language)
        vetoed = np.zeros(clusters, dtype=bool)
        if language is not None:
            own = np.flatnonzero(codes == language)
            close = self._jaccards(doc, rows[own]) >= self.config.same_language_veto
            vetoed[owners[own]] = True
            vetoed[owners[own[close]]] = False
        base = _base(doc.language)
        same_base = np.array([_base(name) == base for name in self._language_codes], dtype=bool)
        ours = np.zeros(clusters, dtype=bool)
        ours[owners[same_base[codes]]] = True
        if ours.all():  # no translation among them: no length to check
            return ~vetoed
        return ~vetoed & (ours | self._similar_lengths(doc, rows, owners, clusters))

    def _similar_lengths(
        self, doc: Document, rows: np.ndarray, owners: np.ndarray, clusters: int
    ) -> np.ndarray:
        """Whether ``doc`` is within ``max_length_ratio`` of each cluster's median sentence count
        (the upper median; true when either is unknown)."""
        counts = self._sentences.values[rows]
        known = counts > 0
        if not doc.sentences or not known.any():
            return np.ones(clusters, dtype=bool)
        counts, owners = counts[known], owners[known]
        counts = counts[np.lexsort((counts, owners))]
        sizes = np.bincount(owners, minlength=clusters)
        middle = np.minimum(np.cumsum(sizes) - sizes + sizes // 2, len(counts) - 1)
        median = counts[middle]
        within = np.maximum(doc.sentences, median) <= self.config.max_length_ratio * np.minimum(
            doc.sentences, median
        )
        return (sizes == 0) | within

    def _pair_scores(
        self, keys: frozenset[str], centred: np.ndarray | None, rows: np.ndarray
    ) -> np.ndarray:
        scores = self._signature_similarities(keys, rows)
        if centred is not None:
            has, vectors = self._stored_vectors(rows)
            if has.any():  # a signature neighbour can win on its signature, none embedded
                scores[has] += vectors @ centred.astype(np.float32)
        return scores

    def similarity(self, doc: Document, article_id: int) -> float:
        """How close ``doc`` is to a stored article: word Jaccard in the same language and
        script, else embedding cosine (language-centred), else signature Jaccard."""
        row = self._row(article_id)
        if row is None:
            raise KeyError(article_id)
        rows = np.array([row])
        if self._language_codes.get(doc.language) == self._languages.values[row]:
            return float(self._jaccards(doc, rows)[0])
        has, vectors = self._stored_vectors(rows)
        if doc.vector is not None and has[0]:
            centred = self._centred(doc.vector, doc.language)
            return round(float(vectors[0] @ centred), 4)
        keys = self.informative_keys(doc.signature)
        return round(float(self._signature_similarities(keys, rows)[0]), 4)


def _text_digest(text_sha256: str) -> int:
    """The first 8 bytes of a text's SHA-256, as the exact-copy lookup key."""
    return int(text_sha256[:16], 16)


def signature_similarity(
    shared: np.ndarray, size: int, sizes: np.ndarray, min_keys: int
) -> np.ndarray:
    """Jaccard of a signature of ``size`` keys with each of several (``sizes`` keys, ``shared``
    of them in common), or half the share of the smaller one found in the larger when that is
    higher: a copy padded with other material (a content farm's page around a rewrite) keeps most
    of the original's keys but adds many of its own. Needs ``min_keys`` on both."""
    shared = np.asarray(shared, dtype=np.float64)
    sizes = np.asarray(sizes)
    union = size + sizes - shared
    jaccard = np.zeros(len(shared))
    np.divide(shared, union, out=jaccard, where=(sizes > 0) & (size > 0))
    smaller = np.minimum(size, sizes)
    padded = np.zeros(len(shared))
    np.divide(0.5 * shared, smaller, out=padded, where=(smaller >= min_keys) & (smaller > 0))
    return np.maximum(jaccard, padded)


def _segment_means(values: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """``np.mean`` of each run of ``values`` (``lengths`` long, one after another), bit for bit:
    numpy sums fewer than 8 values in order, and longer runs pairwise."""
    starts = np.cumsum(lengths) - lengths
    sums = np.zeros(len(lengths))
    short = lengths < 8
    for offset in range(int(lengths[short].max(initial=0))):
        take = short & (lengths > offset)
        sums[take] += values[starts[take] + offset]
    for i in np.flatnonzero(~short).tolist():
        sums[i] = values[starts[i] : starts[i] + lengths[i]].sum()
    return sums / lengths


def group_in_order(
    documents: Iterable[tuple[str, Document]], index: GroupingIndex
) -> Iterator[tuple[str, int, Match | None]]:
    """Group documents one after another, numbering clusters from 1: ``newscrawl group``'s loop.

    Yields each document's key, its cluster number and the match that put it there.
    """
    next_cluster = 1 + max(index.cluster_ids(), default=0)
    texts: dict[int, str] = {}
    if index.text_source is None:
        index.text_source = texts.get
    for article_id, (key, doc) in enumerate(documents, start=1 + len(index)):
        texts[article_id] = doc.embedding_text
        match = index.match(doc)
        if match is None:
            cluster_id, next_cluster = next_cluster, next_cluster + 1
        else:
            cluster_id = match.cluster_id
        index.add(article_id, cluster_id, doc)
        for embedded in index.take_new_vectors():  # nobody stores them here: drop their texts
            texts.pop(embedded, None)
        if doc.vector is not None:
            texts.pop(article_id, None)
        yield key, cluster_id, match

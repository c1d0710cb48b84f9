"""Grouping, article by article: copies and rewrites in one language, translations across languages.

The rule, for a new article (see docs/grouping.md for why):

1. the same normalised text as a stored article → that article's cluster (``exact``);
2. a word-shingle MinHash neighbour in the same language with estimated Jaccard ≥
   ``match_threshold`` → the closest one's cluster (``near_duplicate``);
3. otherwise candidate clusters come from the language-neutral signature index (numbers, dates,
   name skeletons). An average signature Jaccard of ``signature_only_threshold`` with a cluster's
   members is enough on its own. Else, when there are candidates (or the article's signature is
   too thin to find any: then every cluster sharing one of its keys is a candidate), the article
   and up to ``embedded_members`` members of each candidate cluster are embedded, each at most
   once, and the clusters whose language-centred embedding centroid is nearest join the
   candidates. Each is scored by its average embedding similarity plus ``signature_weight`` × its
   average signature Jaccard (average link over members). A cluster is ruled out when it holds an
   article in the new one's language and script that shares almost no wording with it (Jaccard <
   ``same_language_veto``: another outlet's report of the same event), or, for a translation,
   when its articles are more than ``max_length_ratio`` times longer or shorter in sentences
   (translations keep the sentences; other reports of the event do not). The best score over
   ``translation_threshold`` wins (``translation``, or ``near_duplicate`` for a loose rewrite in
   a language the cluster already has). An article with no candidate is not embedded, nor is
   one while every stored article is in its language, unless a candidate could take it as a
   loose rewrite;
4. else the article starts a cluster. It never merges two clusters: when it links two, the
   closer one gets it.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
from datasketch import LeanMinHash, MinHash, MinHashLSH

from pipelines.embed import Embedder, embedding_text
from pipelines.fingerprint import Fingerprint, FingerprintConfig, fingerprint
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
    signature_min_keys: int = 6  # fewer keys: the signature says too little to weigh
    signature_weight: float = 1.0
    translation_threshold: float = 0.45  # embedding + weight × signature
    low_signature_threshold: float = 0.30  # embedding alone, for articles with few keys
    signature_only_threshold: float = 0.25  # signature alone, when there is no embedder
    same_language_veto: float = 0.1
    centring_prior: float = 5.0  # pseudo-count pulling a language's mean to the global mean
    candidate_clusters: int = 10  # nearest centroids scored per article
    embed_words: int = 64  # title plus this many words are embedded
    embedded_members: int = 3  # members of a candidate cluster embedded when it is first needed
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


def script_of(text: str, sample: int = 400) -> str:
    """The dominant Unicode script of the text's letters (``LATIN``, ``CYRILLIC``, ``CJK``…)."""
    scripts: Counter[str] = Counter()
    for char in text:
        if char.isalpha():
            scripts[unicodedata.name(char, "UNKNOWN").split(" ", 1)[0]] += 1
            if sum(scripts.values()) >= sample:
                break
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
        embedding_text=embedding_text(title, text, config.embed_words),
        sentences=count_sentences(text),
    )


def _base(language: str) -> str:
    return language.split("-", 1)[0]


@dataclass
class _Stored:
    cluster_id: int
    language: str
    words: LeanMinHash
    signature: frozenset[str]
    vector: np.ndarray | None  # centred at the time it was embedded
    sentences: int


TextSource = Callable[[int], str | None]


class GroupingIndex:
    """Every stored article's fingerprints, searchable for the cluster a new one belongs to.

    ``text_source`` gives the text to embed of an indexed article (``embedding_text``), for the
    members embedded only when a later article first needs them; their raw vectors wait in
    ``take_new_vectors`` for the caller to keep.
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
        self._words = MinHashLSH(threshold=config.lsh_threshold, num_perm=num_perm)
        self._signatures = MinHashLSH(threshold=config.signature_lsh_threshold, num_perm=num_perm)
        self._articles: dict[int, _Stored] = {}
        self._by_text: dict[str, int] = {}
        self._members: dict[int, list[int]] = {}
        self._key_counts: Counter[str] = Counter()
        self._base_languages: Counter[str] = Counter()
        self._clusters_by_key: dict[str, set[int]] = {}
        self._new_vectors: dict[int, np.ndarray] = {}
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
        return len(self._articles)

    def __contains__(self, article_id: int) -> bool:
        return article_id in self._articles

    def cluster_ids(self) -> Iterable[int]:
        """The clusters that have indexed members."""
        return self._members.keys()

    # --- signatures and vectors ------------------------------------------------------------

    def informative_keys(self, keys: frozenset[str]) -> frozenset[str]:
        """The keys not shared by more than ``signature_max_share`` of the articles seen (and by
        more than ``signature_common_floor`` of them: in a small crawl about one event, a key in
        a handful of articles links versions of one story, not the event)."""
        config = self.config
        limit = max(config.signature_max_share * self._documents, config.signature_common_floor)
        return frozenset(k for k in keys if self._key_counts[k] <= limit)

    def _signature_minhash(self, keys: frozenset[str]) -> MinHash:
        config = self.config.fingerprint
        minhash = MinHash(num_perm=config.num_perm, seed=config.seed + 1, scheme="affine32")
        minhash.update_batch([key.encode() for key in sorted(keys)])
        return minhash

    def ensure_vector(self, doc: Document) -> np.ndarray | None:
        """The document's raw embedding, computed once (``None`` without an embedder)."""
        if doc.vector is None and self.embedder is not None:
            doc.vector = self.embedder.embed([doc.embedding_text])[0]
            self.embedding_calls += 1
        return doc.vector

    def _embed_members(self, cluster_id: int) -> None:
        """Embed members of the cluster until ``embedded_members`` of them have a vector."""
        if self.embedder is None or self.text_source is None:
            return
        members = self._members[cluster_id]
        missing = self.config.embedded_members - sum(
            1 for m in members if self._articles[m].vector is not None
        )
        chosen: list[tuple[int, str]] = []
        for article_id in members:
            if len(chosen) >= missing:
                break
            text = (
                None
                if self._articles[article_id].vector is not None
                else self.text_source(article_id)
            )
            if text:
                chosen.append((article_id, text))
        if not chosen:
            return
        vectors = self.embedder.embed([text for _, text in chosen])
        self.embedding_calls += len(chosen)
        for (article_id, _), vector in zip(chosen, vectors, strict=True):
            stored = self._articles[article_id]
            stored.vector = self._centred(vector, stored.language).astype(np.float32)
            self._learn_language(vector, stored.language)
            self._add_to_centroid(cluster_id, stored.vector)
            self._new_vectors[article_id] = vector

    def take_new_vectors(self) -> dict[int, np.ndarray]:
        """Raw vectors computed for indexed articles since the last call (for the caller to
        store, so that no article is embedded twice)."""
        vectors, self._new_vectors = self._new_vectors, {}
        return vectors

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
        if article_id in self._articles:
            raise ValueError(f"article {article_id} is already indexed")
        keys = self.informative_keys(doc.signature)
        centred = None
        if doc.vector is not None:
            centred = self._centred(doc.vector, doc.language).astype(np.float32)
            self._learn_language(doc.vector, doc.language)
            self._add_to_centroid(cluster_id, centred)
        self._articles[article_id] = _Stored(
            cluster_id, doc.language, doc.fingerprint.minhash, keys, centred, doc.sentences
        )
        self._members.setdefault(cluster_id, []).append(article_id)
        self._words.insert(article_id, doc.fingerprint.minhash, check_duplication=False)
        if keys:
            self._signatures.insert(
                article_id, self._signature_minhash(keys), check_duplication=False
            )
        self._by_text.setdefault(doc.fingerprint.text_sha256, article_id)
        self._key_counts.update(doc.signature)
        self._base_languages[_base(doc.language)] += 1
        for key in doc.signature:
            self._clusters_by_key.setdefault(key, set()).add(cluster_id)
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
        if doc.fingerprint.text_sha256 in self._by_text or self._near_duplicate(doc):
            return
        keys = self.informative_keys(doc.signature)
        clusters = self._signature_clusters(keys)
        if self._best(doc, keys, None, clusters) is not None:
            return
        if self._embedding_candidates(doc, keys, clusters) is not None:
            self.ensure_vector(doc)

    def match(self, doc: Document) -> Match | None:
        """The cluster ``doc`` belongs to, or ``None`` for a new story."""
        exact = self._by_text.get(doc.fingerprint.text_sha256)
        if exact is not None:
            return Match(exact, self._articles[exact].cluster_id, 1.0, MatchKind.EXACT)
        return self._near_duplicate(doc) or self._translation(doc)

    def _near_duplicate(self, doc: Document) -> Match | None:
        best: Match | None = None
        for article_id in self._words.query(doc.fingerprint.minhash):
            stored = self._articles[article_id]
            if stored.language != doc.language:
                continue
            similarity = float(doc.fingerprint.minhash.jaccard(stored.words))
            if similarity < self.config.match_threshold:
                continue
            if best is None or (similarity, -article_id) > (best.similarity, -best.article_id):
                best = Match(article_id, stored.cluster_id, similarity, MatchKind.NEAR_DUPLICATE)
        return best

    def _signature_clusters(self, keys: frozenset[str]) -> set[int]:
        if not keys:
            return set()
        neighbours = self._signatures.query(self._signature_minhash(keys))
        return {self._articles[article_id].cluster_id for article_id in neighbours}

    def _embedding_candidates(
        self, doc: Document, keys: frozenset[str], signature_clusters: set[int]
    ) -> set[int] | None:
        """The clusters worth embedding for — the signature's or, when the signature is too thin
        to find any, every cluster sharing one of its keys — or ``None`` when an embedding
        cannot change the outcome: nothing resembles the article, or every article so far is in
        its language and no candidate could take a loose rewrite."""
        weak = len(keys) < self.config.signature_min_keys
        candidates = set(signature_clusters)
        if weak:
            for key in keys:
                candidates |= self._clusters_by_key.get(key, set())
        language = _base(doc.language)
        translatable = any(other != language for other in self._base_languages)
        if not translatable:
            candidates = {c for c in candidates if self._viable(doc, c)}
        if not candidates and not (weak and translatable):
            return None
        return candidates

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
        for cluster_id in candidates:
            self._embed_members(cluster_id)
        vector = self.ensure_vector(doc)
        assert vector is not None
        centred = self._centred(vector, doc.language)
        return self._best(doc, keys, centred, candidates | self._nearest_clusters(centred))

    def _best(
        self, doc: Document, keys: frozenset[str], centred: np.ndarray | None, clusters: set[int]
    ) -> Match | None:
        best: tuple[float, int] | None = None
        for cluster_id in clusters:
            score = self._score(doc, keys, centred, cluster_id)
            if score is not None and (best is None or (score, -cluster_id) > (best[0], -best[1])):
                best = (score, cluster_id)
        if best is None:
            return None
        score, cluster_id = best
        members = self._members[cluster_id]
        languages = {_base(self._articles[m].language) for m in members}
        kind = (
            MatchKind.NEAR_DUPLICATE if _base(doc.language) in languages else MatchKind.TRANSLATION
        )
        closest = max(members, key=lambda m: self._pair_score(doc, keys, centred, m))
        return Match(closest, cluster_id, round(score, 4), kind)

    def _score(
        self, doc: Document, keys: frozenset[str], centred: np.ndarray | None, cluster_id: int
    ) -> float | None:
        """The cluster's average-link score for ``doc`` on the translation threshold's scale, or
        ``None`` when it is below the threshold or ruled out."""
        config = self.config
        members = [self._articles[m] for m in self._members[cluster_id]]
        if not self._viable(doc, cluster_id):
            return None
        signature = float(
            np.mean(
                [
                    signature_similarity(keys, m.signature, config.signature_min_keys)
                    for m in members
                ]
            )
        )
        score = config.translation_threshold + signature - config.signature_only_threshold
        row = self._centroid_row.get(cluster_id)
        if centred is not None and row is not None and self._centroid_sums is not None:
            embedding = float(self._centroid_sums[row] @ centred / self._centroid_counts[row])
            if len(keys) < config.signature_min_keys:
                combined = embedding - config.low_signature_threshold + config.translation_threshold
            else:
                combined = embedding + config.signature_weight * signature
            score = max(score, combined)
        return score if score >= config.translation_threshold else None

    def _viable(self, doc: Document, cluster_id: int) -> bool:
        """False when the cluster is ruled out whatever the embedding says: it holds another
        report in the article's own language, or a translation would be far off its length."""
        members = [self._articles[m] for m in self._members[cluster_id]]
        own_language = [m for m in members if m.language == doc.language]
        if own_language:
            wording = max(float(doc.fingerprint.minhash.jaccard(m.words)) for m in own_language)
            if wording < self.config.same_language_veto:
                return False
        base = _base(doc.language)
        return any(_base(m.language) == base for m in members) or self._similar_length(doc, members)

    def _similar_length(self, doc: Document, members: list[_Stored]) -> bool:
        """True when ``doc`` is within ``max_length_ratio`` of the members' median sentence
        count (or when either is unknown)."""
        known = sorted(m.sentences for m in members if m.sentences)
        if not known or not doc.sentences:
            return True
        median = known[len(known) // 2]
        return max(doc.sentences, median) <= self.config.max_length_ratio * min(
            doc.sentences, median
        )

    def _pair_score(
        self, doc: Document, keys: frozenset[str], centred: np.ndarray | None, article_id: int
    ) -> float:
        stored = self._articles[article_id]
        score = signature_similarity(keys, stored.signature, self.config.signature_min_keys)
        if centred is not None and stored.vector is not None:
            score += float(stored.vector @ centred)
        return score

    def similarity(self, doc: Document, article_id: int) -> float:
        """How close ``doc`` is to a stored article: word Jaccard in the same language and
        script, else embedding cosine (language-centred), else signature Jaccard."""
        stored = self._articles[article_id]
        if stored.language == doc.language:
            return float(doc.fingerprint.minhash.jaccard(stored.words))
        if doc.vector is not None and stored.vector is not None:
            centred = self._centred(doc.vector, doc.language)
            return round(float(stored.vector @ centred), 4)
        keys = self.informative_keys(doc.signature)
        return round(
            signature_similarity(keys, stored.signature, self.config.signature_min_keys), 4
        )


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def signature_similarity(a: frozenset[str], b: frozenset[str], min_keys: int) -> float:
    """Jaccard of two signatures, or half the share of the smaller one found in the larger when
    that is higher: a copy padded with other material (a content farm's page around a rewrite)
    keeps most of the original's keys but adds many of its own. Needs ``min_keys`` on both."""
    jaccard = _jaccard(a, b)
    smaller = min(len(a), len(b))
    if smaller < min_keys:
        return jaccard
    return max(jaccard, 0.5 * len(a & b) / smaller)


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
        yield key, cluster_id, match

"""Near-duplicate grouping: an LSH index over MinHash signatures and the cluster-assignment rule."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from datasketch import LeanMinHash, MinHashLSH

from pipelines.fingerprint import Fingerprint, FingerprintConfig


class MatchKind(StrEnum):
    """How an article joined its cluster."""

    ORIGINAL = "original"  # it started the cluster
    EXACT = "exact"  # same normalised text as a member
    NEAR_DUPLICATE = "near_duplicate"  # a rewrite in the same language


@dataclass(frozen=True)
class GroupingConfig:
    """Signature settings plus the two similarity thresholds."""

    fingerprint: FingerprintConfig = field(default_factory=FingerprintConfig)
    lsh_threshold: float = 0.3  # LSH band layout: candidates are found above about this Jaccard
    match_threshold: float = 0.3  # estimated Jaccard a candidate needs to count as the same story


@dataclass(frozen=True)
class Match:
    """The stored article a new one duplicates, and how closely."""

    article_id: int
    cluster_id: int
    similarity: float
    kind: MatchKind


class GroupingIndex:
    """Signatures of every stored article, searchable for near-duplicates.

    The rule: a new article joins the cluster of its most similar stored article when that
    similarity reaches ``match_threshold`` (an exact text copy always does); otherwise it starts
    a cluster. When its neighbours sit in several clusters, the closest one wins and the clusters
    stay apart.
    """

    def __init__(self, config: GroupingConfig) -> None:
        self.config = config
        self._lsh = MinHashLSH(threshold=config.lsh_threshold, num_perm=config.fingerprint.num_perm)
        self._signatures: dict[int, LeanMinHash] = {}
        self._clusters: dict[int, int] = {}
        self._by_text: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._signatures)

    def __contains__(self, article_id: int) -> bool:
        return article_id in self._signatures

    def add(self, article_id: int, cluster_id: int, fp: Fingerprint) -> None:
        """Index a stored article."""
        if article_id in self._signatures:
            raise ValueError(f"article {article_id} is already indexed")
        self._lsh.insert(article_id, fp.minhash, check_duplication=False)
        self._signatures[article_id] = fp.minhash
        self._clusters[article_id] = cluster_id
        self._by_text.setdefault(fp.text_sha256, article_id)

    def match(self, fp: Fingerprint) -> Match | None:
        """The best match for ``fp`` among indexed articles, or ``None`` for a new story."""
        exact = self._by_text.get(fp.text_sha256)
        if exact is not None:
            return Match(exact, self._clusters[exact], 1.0, MatchKind.EXACT)
        best: Match | None = None
        for article_id in self._lsh.query(fp.minhash):
            similarity = fp.minhash.jaccard(self._signatures[article_id])
            if similarity < self.config.match_threshold:
                continue
            if best is None or (similarity, -article_id) > (best.similarity, -best.article_id):
                best = Match(
                    article_id, self._clusters[article_id], similarity, MatchKind.NEAR_DUPLICATE
                )
        return best

    def similarity(self, fp: Fingerprint, article_id: int) -> float:
        """Estimated Jaccard similarity between ``fp`` and an indexed article."""
        if fp.minhash is self._signatures[article_id]:
            return 1.0
        return float(fp.minhash.jaccard(self._signatures[article_id]))

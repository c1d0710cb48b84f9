"""Clustering quality against gold labels: B-cubed and pairwise scores, pair recall by language."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from itertools import combinations


@dataclass(frozen=True)
class GroupingScores:
    """What the grouping evaluation prints."""

    bcubed_precision: float
    bcubed_recall: float
    pair_precision: float
    pair_recall: float
    same_language_recall: float
    cross_language_recall: float

    @property
    def bcubed_f1(self) -> float:
        p, r = self.bcubed_precision, self.bcubed_recall
        return 2 * p * r / (p + r) if p + r else 0.0


def bcubed(gold: Mapping[str, Hashable], predicted: Mapping[str, Hashable]) -> tuple[float, float]:
    """B-cubed precision and recall over items (the mean, per item, of its cluster's purity)."""
    gold_sizes = Counter(gold.values())
    predicted_sizes = Counter(predicted.values())
    both = Counter((gold[i], predicted[i]) for i in gold)
    precision = sum(both[gold[i], predicted[i]] / predicted_sizes[predicted[i]] for i in gold)
    recall = sum(both[gold[i], predicted[i]] / gold_sizes[gold[i]] for i in gold)
    return precision / len(gold), recall / len(gold)


def score(
    gold: Mapping[str, Hashable],
    predicted: Mapping[str, Hashable],
    language: Mapping[str, str],
) -> GroupingScores:
    """All figures for one run; every item of ``gold`` must be in ``predicted``."""
    missing = set(gold) - set(predicted)
    if missing:
        raise ValueError(f"{len(missing)} items have no predicted cluster")
    precision, recall = bcubed(gold, predicted)
    by_cluster: dict[Hashable, list[str]] = defaultdict(list)
    for item, cluster in predicted.items():
        by_cluster[cluster].append(item)
    predicted_pairs = sum(len(m) * (len(m) - 1) // 2 for m in by_cluster.values())
    correct_pairs = sum(
        1 for m in by_cluster.values() for a, b in combinations(m, 2) if gold[a] == gold[b]
    )
    found = {"same": 0, "cross": 0}
    total = {"same": 0, "cross": 0}
    by_gold: dict[Hashable, list[str]] = defaultdict(list)
    for item, cluster in gold.items():
        by_gold[cluster].append(item)
    for members in by_gold.values():
        for a, b in combinations(members, 2):
            kind = "same" if _base_language(language[a]) == _base_language(language[b]) else "cross"
            total[kind] += 1
            found[kind] += predicted[a] == predicted[b]
    gold_pairs = total["same"] + total["cross"]
    return GroupingScores(
        bcubed_precision=precision,
        bcubed_recall=recall,
        pair_precision=correct_pairs / predicted_pairs if predicted_pairs else 1.0,
        pair_recall=(found["same"] + found["cross"]) / gold_pairs if gold_pairs else 1.0,
        same_language_recall=found["same"] / total["same"] if total["same"] else 1.0,
        cross_language_recall=found["cross"] / total["cross"] if total["cross"] else 1.0,
    )


def _base_language(code: str) -> str:
    """``eng-GB`` and ``eng`` are one language; ``srp-Cyrl`` and ``srp-Latn`` too."""
    return code.split("-", 1)[0]

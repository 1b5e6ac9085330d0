"""Reciprocal rank fusion: several rankings of the same items into one.

An item's fused score is the sum over the rankings that hold it of weight / (k + rank), rank
counted from 1; an item absent from a ranking gets nothing from it. Only ranks count, so rankings
whose scores are on different scales (BM25, cosines) fuse without calibration; k (60, as in
Cormack, Clarke and Buettcher 2009) flattens the head so that one ranking's first place does not
outweigh agreement further down. Filters belong before fusion: fuse rankings that were each
filtered the same way, and the fused list is filtered the same way.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

DEFAULT_K = 60


def fuse(
    rankings: Sequence[Sequence[Hashable]],
    weights: Sequence[float] | None = None,
    k: float = DEFAULT_K,
    limit: int | None = None,
) -> list[tuple[Hashable, float]]:
    """[(item id, fused score)], best first.

    `rankings` are lists of item ids, best first (a repeated id counts at its first place only);
    `weights` one per ranking (default 1 each). Ties go to the item with the better best rank,
    then to the one that appeared first (in ranking order, then position), so the answer is
    deterministic without comparing ids.
    """
    if weights is None:
        weights = [1.0] * len(rankings)
    if len(weights) != len(rankings):
        raise ValueError(f"{len(weights)} weights for {len(rankings)} rankings")
    if any(weight < 0 for weight in weights):
        raise ValueError("weights are not negative")
    if k <= 0:
        raise ValueError("k is positive")
    scores: dict[Hashable, float] = {}
    best_rank: dict[Hashable, int] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        seen: set[Hashable] = set()
        for rank, item in enumerate(ranking, start=1):
            if item in seen:
                continue
            seen.add(item)
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
            if rank < best_rank.get(item, rank + 1):
                best_rank[item] = rank
    first_seen = {item: order for order, item in enumerate(scores)}
    fused = sorted(scores.items(), key=lambda pair: (-pair[1], best_rank[pair[0]],
                                                     first_seen[pair[0]]))
    return fused if limit is None else fused[:limit]

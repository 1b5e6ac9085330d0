"""Ranking metrics for the judged IMR query set (judged_queries.json).

Pure Python, no third-party imports. A *ranking* is a list of item keys
("<case number>#<ordinal>", e.g. "CM16-0219557#1"), best first. *Judgments*
map item keys to grades: 2 = same treatment, 1 = related, 0 = not relevant.
Keys missing from the judgments are grade 0, exactly as in the query file,
which lists only items graded 1 or 2.

Conventions (shared by every function below):
- A key repeated in a ranking counts only at its first position; later
  repeats are skipped (they neither gain nor take a rank).
- An item is *relevant* when its grade is >= 1.
- When a query has no relevant judged items, nDCG and recall are 0.0
  (undefined in theory; the judged set has no such query).
"""

import math

__all__ = [
    "grade_of", "ndcg_at", "precision_at", "recall_at",
    "reciprocal_rank", "evaluate_query", "summary",
]


def grade_of(key, judgments):
    """Grade of one item key (0 when the key is not in judgments)."""
    try:
        return int(judgments.get(key, 0))
    except (TypeError, ValueError):
        return 0


def _dedupe(ranked):
    """The ranking with repeated keys dropped after their first position."""
    seen = set()
    out = []
    for key in ranked:
        if key not in seen:
            seen.add(key)
            out.append(key)
    return out


def _dcg(grades):
    """Discounted cumulative gain: sum of (2**g - 1) / log2(rank + 1), rank from 1."""
    return sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(grades))


def ndcg_at(ranked_keys, judgments, k=10):
    """Normalized DCG at cut-off k with graded gains.

    Gain of the item at rank r (1-based) is (2**grade - 1) / log2(r + 1), so a
    grade-2 item is worth 3 and a grade-1 item 1 before discounting. The ideal
    DCG is computed from ALL judged grades of the query (sorted best first, cut
    at k), not only from the items the system returned, so missing a relevant
    item is penalised. Returns a float in [0, 1]; 0.0 when no judged item has
    grade >= 1.
    """
    if k <= 0:
        return 0.0
    ranked = _dedupe(ranked_keys)[:k]
    dcg = _dcg([grade_of(key, judgments) for key in ranked])
    ideal = sorted((g for g in (grade_of(key, judgments) for key in judgments) if g > 0),
                   reverse=True)[:k]
    idcg = _dcg(ideal)
    if idcg == 0:
        return 0.0
    return dcg / idcg


def precision_at(ranked, judgments, k=10):
    """Fraction of the top k positions holding a relevant item (grade >= 1).

    The denominator is always k, so a ranking shorter than k is penalised for
    the empty positions (the usual trec_eval P@k convention). 0.0 when k <= 0.
    """
    if k <= 0:
        return 0.0
    top = _dedupe(ranked)[:k]
    hits = sum(1 for key in top if grade_of(key, judgments) >= 1)
    return hits / k


def recall_at(ranked, judgments, k=20):
    """Fraction of all relevant judged items (grade >= 1) found in the top k.

    0.0 when the query has no relevant judged items or k <= 0.
    """
    relevant = {key for key in judgments if grade_of(key, judgments) >= 1}
    if not relevant or k <= 0:
        return 0.0
    top = _dedupe(ranked)[:k]
    return sum(1 for key in top if key in relevant) / len(relevant)


def reciprocal_rank(ranked, judgments):
    """1 / rank (1-based) of the first item with grade >= 1; 0.0 if none is ranked.

    The whole ranking is searched (no cut-off).
    """
    for i, key in enumerate(_dedupe(ranked)):
        if grade_of(key, judgments) >= 1:
            return 1.0 / (i + 1)
    return 0.0


def evaluate_query(ranked, judgments, ndcg_k=10, precision_k=10, recall_k=20):
    """All four metrics for one query as a dict.

    Keys: "ndcg@<ndcg_k>", "p@<precision_k>", "recall@<recall_k>", "rr".
    """
    return {
        f"ndcg@{ndcg_k}": ndcg_at(ranked, judgments, ndcg_k),
        f"p@{precision_k}": precision_at(ranked, judgments, precision_k),
        f"recall@{recall_k}": recall_at(ranked, judgments, recall_k),
        "rr": reciprocal_rank(ranked, judgments),
    }


def summary(runs, queries, ndcg_k=10, precision_k=10, recall_k=20):
    """Average the per-query metrics per query kind and over all queries.

    runs: mapping query id -> ranked list of item keys (a query missing from
        runs is scored as an empty ranking, i.e. all zeros).
    queries: the "queries" list of judged_queries.json (each a dict with "id",
        "kind" and "judgments"), or the whole loaded file (a dict with a
        "queries" key).
    Returns {kind: {"queries": n, "ndcg@10": mean, "p@10": mean,
    "recall@20": mean, "mrr": mean}, ..., "all": {...}} with one entry per kind
    present plus "all". The "mrr" entry is the mean of the per-query "rr".
    """
    if isinstance(queries, dict):
        queries = queries["queries"]
    buckets = {}
    for q in queries:
        scores = evaluate_query(runs.get(q["id"], []), q["judgments"],
                                ndcg_k, precision_k, recall_k)
        for bucket in (q.get("kind", "unknown"), "all"):
            buckets.setdefault(bucket, []).append(scores)
    result = {}
    for bucket, rows in buckets.items():
        n = len(rows)
        means = {name: sum(r[name] for r in rows) / n for name in rows[0]}
        means["mrr"] = means.pop("rr")
        means["queries"] = n
        result[bucket] = means
    return result

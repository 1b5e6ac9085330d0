"""Fusion weights tried on the judged queries: which (word weight, meaning weight, k) ranks best.

Runs in the relevance command's child (`manage.py relevance --tune`), over the sample letters
ingested there. For each setting it ranks every judged query through the site's own search and
finder (search.engine.semantic's constants set for the run) and prints nDCG@10 for keyword
queries, pasted texts and all. The constants in search/engine/semantic.py are chosen from this
table; BENCHMARKS.md records it.
"""

from __future__ import annotations

import itertools

from benchmarks.relevance import metrics, runner

WORD_WEIGHTS = (1.0,)
MEANING_WEIGHTS = (0.0, 0.5, 0.75, 1.0, 1.5, 2.0)
KS = (20, 60)


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def tune() -> list[dict]:
    from search.engine import semantic

    queries = runner.load_judged()["queries"]
    saved = (semantic.WORD_WEIGHT, semantic.MEANING_WEIGHT, semantic.FUSION_K)
    rows = []
    try:
        for word, meaning, k in itertools.product(WORD_WEIGHTS, MEANING_WEIGHTS, KS):
            semantic.WORD_WEIGHT, semantic.MEANING_WEIGHT, semantic.FUSION_K = word, meaning, k
            by_kind: dict[str, list[float]] = {"keyword": [], "pasted": []}
            for query in queries:
                ranked = runner.rank_ours(query["text"])
                by_kind[query["kind"]].append(metrics.ndcg_at(ranked, query["judgments"]))
            rows.append({
                "word_weight": word, "meaning_weight": meaning, "k": k,
                "keyword": _mean(by_kind["keyword"]), "pasted": _mean(by_kind["pasted"]),
                "all": _mean(by_kind["keyword"] + by_kind["pasted"]),
            })
    finally:
        semantic.WORD_WEIGHT, semantic.MEANING_WEIGHT, semantic.FUSION_K = saved
    return rows

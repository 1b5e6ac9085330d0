"""Search latency over the query set, for any engine with `search(BenchQuery) -> EngineAnswer`.

Used by our phases (ours, FTS5) and by the haystack peer's own process alike, so every engine is
timed the same way. Pure Python: no Django import.
"""

from __future__ import annotations

from collections.abc import Callable

from benchmarks.queries import BenchQuery
from benchmarks.stats import summarize_ms, timed_ms

COLD_QUERY = "common-pain"


def measure(open_engine: Callable[[], object], queries: list[BenchQuery], rounds: int,
            say: Callable[[str], None], name: str) -> dict:
    """One cold query (opening the engine included), then `rounds` warm passes over every query
    after an unmeasured warm-up pass; the answers of the warm-up pass are kept for comparison."""
    cold_query = next(q for q in queries if q.name == COLD_QUERY)
    cold_ms, _ = timed_ms(lambda: open_engine().search(cold_query))
    searcher = open_engine()
    answers = {query.name: searcher.search(query) for query in queries}
    samples: dict[str, list[float]] = {q.name: [] for q in queries}
    timed_out = 0
    for round_number in range(rounds):
        for query in queries:
            ms, answer = timed_ms(lambda q=query: searcher.search(q))
            samples[query.name].append(ms)
            timed_out += answer.timed_out
        say(f"{name}: round {round_number + 1}/{rounds} done")
    return {
        "engine": name,
        "cold_first_query_ms": cold_ms,
        "latency": summarize_ms([ms for values in samples.values() for ms in values]),
        "timed_out": timed_out,
        "per_query": {
            q.name: {
                "kind": q.kind,
                "median_ms": sorted(samples[q.name])[len(samples[q.name]) // 2],
                "total": answers[q.name].total,
                "timed_out": answers[q.name].timed_out,
                "hits": len(answers[q.name].hit_ids),
                "passages": sum(1 for p in answers[q.name].passages if p),
                "facets": {k: dict(v) for k, v in answers[q.name].facets.items()},
            }
            for q in queries
        },
    }

"""The load test's figures: each request's error class, and latency, throughput and errors per
kind of request, from the client's records."""

from __future__ import annotations

from collections import Counter

from benchmarks.loadtest.plan import KIND_TEXT, Target
from benchmarks.stats import summarize_ms

ERROR_CLASSES = (
    "timeout",
    "connection error",
    "HTTP 5xx",
    "unexpected HTTP 4xx",
    "unexpected status",
    "unsafe body",
    "broken body",
    "search unavailable",
    "not sent (backlog)",
)


def classify(record: dict, target: Target) -> str | None:
    """The error class of one answered (or failed) request, None when it is as expected."""
    if record["error"] == "timeout":
        return "timeout"
    if record["error"] or not record["status"]:
        return "connection error"
    status = record["status"]
    if status >= 500:
        return "HTTP 5xx"
    if status not in target.expect:
        return "unexpected HTTP 4xx" if 400 <= status < 500 else "unexpected status"
    if record.get("unsafe"):
        return "unsafe body"
    if record.get("broken"):
        return "broken body"
    if record.get("unavailable"):
        return "search unavailable"
    return None


def _errors(records: list[dict], targets: list[Target]) -> tuple[Counter, list[dict]]:
    counts: Counter = Counter()
    examples: dict[tuple, dict] = {}
    for record in records:
        target = targets[record["target"]]
        problem = classify(record, target)
        if problem is None:
            continue
        counts[problem] += 1
        key = (target.path, record["status"], problem)
        if key in examples:
            examples[key]["count"] += 1
        elif len(examples) < 30:
            examples[key] = {
                "error": problem,
                "kind": target.kind,
                "label": target.label,
                "url": target.path if len(target.path) <= 160 else target.path[:160] + "...",
                "status": record["status"],
                "detail": record["error"] or record.get("unsafe") or record.get("broken") or "",
                "expected": list(target.expect),
                "count": 1,
            }
    return counts, list(examples.values())


def summarize(client: dict, targets: list[Target], weights: dict[str, int],
              order: list[int]) -> dict:
    """The figures of one run from the client's records (`order`: the timed run's targets)."""
    load = client["records"]
    coverage = client["coverage"]
    coverage_errors, coverage_examples = _errors(coverage, targets)
    load_errors, load_examples = _errors(load, targets)
    skipped = sum(client["skipped"].values())
    if skipped:
        load_errors["not sent (backlog)"] = skipped
    kinds: dict[str, dict] = {}
    for kind in weights:
        answered = [r for r in load if targets[r["target"]].kind == kind and r["status"]]
        summary = summarize_ms([r["ms"] for r in answered])
        summary["service_p50"] = summarize_ms([r["service_ms"] for r in answered])["p50"]
        summary["scheduled"] = sum(1 for i in order if targets[i].kind == kind)
        summary["skipped"] = client["skipped"].get(kind, 0)
        summary["statuses"] = dict(sorted(Counter(str(r["status"]) for r in load
                                                  if targets[r["target"]].kind == kind).items()))
        summary["errors"] = sum(1 for r in load if targets[r["target"]].kind == kind
                                and classify(r, targets[r["target"]]))
        summary["degraded"] = sum(1 for r in answered if r["degraded"])
        kinds[kind] = summary
    answered = [r for r in load if r["status"]]
    overall = summarize_ms([r["ms"] for r in answered])
    seconds = client["seconds"]
    slowest: dict[str, float] = {}
    for record in answered:
        label = f"{targets[record['target']].kind}: {targets[record['target']].label}"
        slowest[label] = max(slowest.get(label, 0.0), record["ms"])
    total = sum(weights.values())
    return {
        "seconds": seconds,
        "scheduled": client["scheduled"],
        "sent": client["scheduled"] - skipped,
        "skipped": skipped,
        "completed": len(answered),
        "throughput": len(answered) / seconds if seconds else 0.0,
        "overall": overall,
        "kinds": kinds,
        "mix": {
            kind: {
                "share": weight / total,
                "urls": sum(1 for t in targets if t.kind == kind),
                "what": KIND_TEXT.get(kind, kind),
            }
            for kind, weight in weights.items()
        },
        "errors": dict(load_errors),
        "error_examples": load_examples,
        "coverage": {
            "requests": len(coverage),
            "seconds": client.get("coverage_seconds"),
            "errors": dict(coverage_errors),
            "error_examples": coverage_examples,
            "degraded": sum(1 for r in coverage if r["degraded"]),
        },
        "error_count": sum(load_errors.values()) + sum(coverage_errors.values()),
        "degraded": sum(1 for r in load if r["degraded"]),
        "slowest": sorted(slowest.items(), key=lambda kv: -kv[1])[:8],
    }

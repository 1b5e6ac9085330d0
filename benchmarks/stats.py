"""Small measuring helpers shared by the phases and the report."""

from __future__ import annotations

import math
import resource
import time
from collections.abc import Callable, Iterable
from pathlib import Path


def percentile(samples: Iterable[float], fraction: float) -> float:
    """Nearest-rank percentile: a value that was actually measured, never an interpolation."""
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def summarize_ms(samples_ms: list[float]) -> dict:
    return {
        "count": len(samples_ms),
        "p50": percentile(samples_ms, 0.50),
        "p95": percentile(samples_ms, 0.95),
        "p99": percentile(samples_ms, 0.99),
        "max": max(samples_ms) if samples_ms else float("nan"),
    }


def timed_ms(call: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    value = call()
    return (time.perf_counter() - start) * 1000.0, value


def peak_rss_mb() -> float:
    """This process's peak resident memory (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _proc_status_mb(pid: int, key: str) -> float | None:
    """A memory line (in kB) of another process's /proc status, in MB, while it is alive."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key):
                return int(line.split()[1]) / 1024.0
    except OSError:
        return None
    return None


def process_peak_rss_mb(pid: int) -> float | None:
    """Another process's peak resident memory (VmHWM)."""
    return _proc_status_mb(pid, "VmHWM:")


def process_rss_mb(pid: int) -> float | None:
    """Another process's current resident memory (VmRSS)."""
    return _proc_status_mb(pid, "VmRSS:")


def folder_size_mb(path: Path) -> float:
    path = Path(path)
    if path.is_file():
        return path.stat().st_size / 1_048_576
    total = sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return total / 1_048_576


def timed_build(build: Callable[[], int], target: Path) -> dict:
    """Run a peer's index build (returning how many items it indexed) and measure it."""
    start = time.perf_counter()
    count = build()
    seconds = time.perf_counter() - start
    return {
        "items": count,
        "seconds": seconds,
        "items_per_second": count / seconds if seconds else 0.0,
        "size_mb": folder_size_mb(target),
    }

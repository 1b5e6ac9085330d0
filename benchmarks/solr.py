"""`bench --backend solr`: the same corpus indexed into the SolrCloud of IMR_SOLR_URL and
searched through the same path as ours (SearchForm -> run_search), beside Whoosh in one run.

The measured children run with IMR_SEARCH_BACKEND=solr and a collection alias of the corpus's
own, and with Solr's query-result caching off for the searches (IMR_SOLR_CACHE_QUERIES=0), as
ours runs with its result cache emptied before each query. Node memory is each node's JVM
heap in use (Solr's metrics API) and, for the nodes of scripts/solr-cluster, their resident
and peak memory from /proc.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import requests

from benchmarks.stats import peak_rss_mb, process_peak_rss_mb, process_rss_mb


def environment(items: int, seed: int) -> dict[str, str]:
    """What a child's environment adds to search Solr (the cluster from IMR_SOLR_URL)."""
    return {
        "IMR_SEARCH_BACKEND": "solr",
        "IMR_SOLR_COLLECTION": f"imr_bench_{items}_{seed}",
        "IMR_SOLR_CACHE_QUERIES": "0",
    }


def build() -> dict:
    """rebuild_index into a new collection of the bench's alias, timed, with the nodes' memory
    and the collection's size on disk afterwards."""
    from search.backends import get_backend
    from search.indexing import rebuild_index

    start = time.perf_counter()
    count = rebuild_index()
    seconds = time.perf_counter() - start
    backend = get_backend()
    nodes = node_figures(backend)
    return {
        "items": count,
        "seconds": seconds,
        "items_per_second": count / seconds if seconds else 0.0,
        "size_mb": sum(n["index_mb"] for n in nodes.values()),
        "collection": backend.generation(),
        "peak_rss_mb": peak_rss_mb(),
        "nodes": nodes,
    }


def node_figures(backend) -> dict[str, dict]:
    """Per node: JVM heap in use, the collection's index size there, resident memory."""
    collection = backend.generation() or ""
    out = {}
    for number, url in enumerate(backend.client.urls, start=1):
        answer = requests.get(
            f"{url}/admin/metrics",
            params={"group": "jvm,core", "prefix": "memory.heap.used,INDEX.sizeInBytes"},
            auth=backend.client.auth, timeout=30,
        ).json()["metrics"]
        index_bytes = sum(
            values.get("INDEX.sizeInBytes", 0) for name, values in answer.items()
            if name.startswith(f"solr.core.{collection}.")
        )
        figures = {
            "heap_used_mb": answer.get("solr.jvm", {}).get("memory.heap.used", 0) / 1_048_576,
            "index_mb": index_bytes / 1_048_576,
        }
        pid = _node_pid(number)
        if pid:
            figures["rss_mb"] = process_rss_mb(pid)
            figures["peak_rss_mb"] = process_peak_rss_mb(pid)
        out[url] = figures
    return out


def _node_pid(number: int) -> int | None:
    # scripts/solr-cluster's folder of process ids (its default unless SOLR_CLUSTER_DIR moves it).
    folder = os.environ.get("SOLR_CLUSTER_DIR", "/tmp/imr-solr")  # noqa: S108
    pidfile = Path(folder) / f"node{number}.pid"
    try:
        return int(pidfile.read_text())
    except (OSError, ValueError):
        return None

"""A Solr node killed in the middle of searching: every search still answers, with the complete
results from the other node's replicas or with the partial-results notice, never an error page.

Needs the cluster of scripts/solr-cluster (it kills a node by the process id the script wrote,
then starts it again with the script). Slow: the killed node's replicas recover afterwards.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from search.backends import get_backend
from search.indexing import rebuild_index
from search.models import Determination
from search.searching import SearchRequest, run_search
from tests.engine.solr.support import drop_alias, fresh_alias, solr_settings
from tests.search_support import store_synthetic

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

ROOT = Path(__file__).resolve().parents[3]
CLUSTER_DIR = Path(os.environ.get("SOLR_CLUSTER_DIR", "/tmp/imr-solr"))
SEARCHES_AFTER_KILL = 40
PARTIAL_NOTICE = "Part of the search index did not answer"


def node_pid(name: str) -> int:
    pidfile = CLUSTER_DIR / f"{name}.pid"
    if not pidfile.exists():
        pytest.skip(f"no {pidfile}: this test kills a node of scripts/solr-cluster's cluster")
    return int(pidfile.read_text())


def replicas_by_shard(backend) -> dict[str, set[str]]:
    status = backend.client.collections("CLUSTERSTATUS", collection=backend.generation())
    shards = status["cluster"]["collections"][backend.generation()]["shards"]
    return {
        name: {r["node_name"] for r in shard["replicas"].values() if r["state"] == "active"}
        for name, shard in shards.items()
    }


def wait_until_active(backend, nodes: int, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if all(len(n) >= nodes for n in replicas_by_shard(backend).values()):
                return
        except Exception:  # noqa: S110 - a node is still starting; ask again
            pass
        time.sleep(1)
    raise AssertionError(f"replicas not active on {nodes} nodes within {seconds} s")


def test_a_node_killed_mid_search_gives_complete_or_flagged_results(settings, client):
    solr_settings(settings, fresh_alias())
    store_synthetic(30)
    rebuild_index()
    backend = get_backend()
    wait_until_active(backend, nodes=2)
    # Each shard has a replica on each node: the survivor holds the whole collection.
    assert all(len(nodes) == 2 for nodes in replicas_by_shard(backend).values())
    everything = Determination.objects.count()
    assert run_search(SearchRequest()).total == everything

    pid = node_pid("node2")
    try:
        os.kill(pid, signal.SIGKILL)
        answers = []
        for number in range(SEARCHES_AFTER_KILL):
            result = run_search(SearchRequest(q="" if number % 2 else "therapy"))
            answers.append(result)
            page = client.get("/", {"q": "treatment", "page": 1})
            assert page.status_code == 200
            assert client.get("/api/search", {"q": "request"}).status_code == 200
        for result in answers[1::2]:  # the searches for every item
            complete = result.total == everything
            flagged = any(PARTIAL_NOTICE in n or "unavailable" in n for n in result.notices)
            assert complete or flagged, (result.total, result.notices)
        # Once ZooKeeper knows the node is gone, searches are complete again.
        assert any(r.total == everything for r in answers[1::2])
    finally:
        subprocess.run([str(ROOT / "scripts" / "solr-cluster"), "start"], check=True,
                       timeout=300, env={**os.environ, "SOLR_CLUSTER_DIR": str(CLUSTER_DIR)})
        wait_until_active(backend, nodes=2)
        drop_alias(backend)

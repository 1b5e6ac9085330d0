"""The SolrCloud the Solr backend's tests run against: scripts/solr-cluster's, or the nodes
named by IMR_SOLR_URL (comma-separated base URLs). Without a reachable cluster the tests skip
with the reason, unless IMR_REQUIRE_SOLR=1 (set by .ci/run) makes them fail."""

from __future__ import annotations

import os
import uuid

import pytest
import requests

DEFAULT_URLS = "http://127.0.0.1:8983/solr,http://127.0.0.1:8984/solr"


def solr_urls() -> str:
    return os.environ.get("IMR_SOLR_URL", DEFAULT_URLS)


def require_cluster() -> str:
    """The cluster's URLs; skips (or fails under IMR_REQUIRE_SOLR=1) when no node answers."""
    urls = solr_urls()
    reasons = []
    for url in urls.split(","):
        try:
            answer = requests.get(
                f"{url}/admin/collections", params={"action": "CLUSTERSTATUS"}, timeout=5
            )
            if answer.ok:
                return urls
            reasons.append(f"{url}: HTTP {answer.status_code}")
        except requests.RequestException as exc:
            reasons.append(f"{url}: {type(exc).__name__}")
    reason = (
        "no SolrCloud reachable (start one with scripts/solr-cluster start, or set "
        f"IMR_SOLR_URL): {'; '.join(reasons)}"
    )
    if os.environ.get("IMR_REQUIRE_SOLR") == "1":
        pytest.fail(reason + " (IMR_REQUIRE_SOLR=1)")
    pytest.skip(reason)


def fresh_alias() -> str:
    """A collection alias of the test's own, so tests never share one."""
    return f"imr_test_{uuid.uuid4().hex[:10]}"


def drop_alias(backend) -> None:
    """Delete the alias and its collections (a test's clean-up)."""
    collection = backend.generation()
    client = backend.client
    client.collections("DELETEALIAS", name=backend.alias)
    if collection:
        client.collections("DELETE", name=collection)


def solr_settings(settings, alias: str) -> None:
    """Point the service's default backend at the cluster, on the alias `alias`."""
    settings.SEARCH_BACKENDS = {
        "default": {
            "BACKEND": "search.engine.solr.backend.SolrBackend",
            "URL": require_cluster(),
            "COLLECTION": alias,
            "TIME_LIMIT_SECONDS": 10,
        }
    }

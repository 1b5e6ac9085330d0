"""The Solr backend passes the backend contract (tests/engine/contract.py) on a real SolrCloud
(scripts/solr-cluster: two nodes, two shards, two replicas of each)."""

from __future__ import annotations

import pytest

from search.engine.solr.backend import SolrBackend
from tests.engine.contract import BackendContract, corpus_documents
from tests.engine.solr.support import drop_alias, fresh_alias, require_cluster


class TestSolrBackend(BackendContract):
    def make_backend(self, path):
        return SolrBackend(require_cluster(), collection=fresh_alias(), time_limit_seconds=10)

    @pytest.fixture
    def backend(self, tmp_path):
        # The contract's fixture, and the test's collection deleted after it.
        backend = self.make_backend(tmp_path / "backend")
        backend.rebuild(lambda writer: writer.add(corpus_documents()))
        yield backend
        drop_alias(backend)

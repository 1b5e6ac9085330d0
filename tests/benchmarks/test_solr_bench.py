"""`bench --backend solr`'s build step on the real cluster: the corpus indexed through
rebuild_index, and the nodes' memory and index size read back."""

from __future__ import annotations

import pytest

from benchmarks import report, solr
from search.backends import get_backend
from search.models import Determination
from tests.engine.solr.support import drop_alias, fresh_alias, solr_settings
from tests.search_support import store_synthetic

pytestmark = pytest.mark.django_db


def test_the_build_indexes_every_item_and_reads_the_nodes(settings):
    solr_settings(settings, fresh_alias())
    store_synthetic(6)
    try:
        built = solr.build()
        backend = get_backend()
        assert built["items"] == Determination.objects.count() == backend.document_count()
        assert built["collection"] == backend.generation()
        assert set(built["nodes"]) == set(backend.client.urls)
        assert all(node["heap_used_mb"] > 0 for node in built["nodes"].values())
        assert built["size_mb"] > 0
    finally:
        drop_alias(get_backend())

    lines = report.render({
        "machine": {"summary": "test"},
        "corpus": {"items": built["items"], "letters": 6, "seed": 0, "data_dir": "-"},
        "peers_build": {"solr": built},
    })
    assert f"Solr nodes after the build (collection {built['collection']})" in lines
    for url in built["nodes"]:
        assert url in lines


def test_the_search_phase_gives_solr_stand_in_vectors_once(settings):
    from benchmarks.phases import stand_in_vectors

    solr_settings(settings, fresh_alias())
    store_synthetic(3)
    try:
        solr.build()
        items = Determination.objects.count()
        assert stand_in_vectors() == {"items": items, "stand_ins": items}
        assert get_backend().vector_coverage() == (items, items)
        assert stand_in_vectors() == {"items": items, "stand_ins": 0}
    finally:
        drop_alias(get_backend())

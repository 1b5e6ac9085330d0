"""The item vectors in Solr's dense vector field: what the contract's meaning tests do not see
from outside (tests/engine/contract.py has those): an item's vector arrives by atomic update
and must leave every other field as it was, must never bring back an item deleted meanwhile,
and a rebuild carries only the vectors of items whose embedded text is unchanged."""

from __future__ import annotations

from datetime import date

import pytest

from search.engine.contract import SearchSpec
from search.engine.query import parse_user_query
from search.engine.solr import meaning
from search.engine.solr.analysis import analyze
from search.engine.solr.backend import SolrBackend
from tests.engine.contract import LETTERS, corpus_documents
from tests.engine.solr.support import drop_alias, fresh_alias, require_cluster

# Every kind of field a search reads: words, a field, a case number, a drug concept, a facet,
# a date range.
SEARCHES = [
    ("mri", {}),
    ("request:therapy", {}),
    ("CM17-0000003", {}),
    ("opioid", {}),
    ("", {"filters": {"specialty": ("Orthopedic Surgery",)}}),
    ("", {"date_ranges": {"decision_date": (date(2017, 1, 1), date(2017, 12, 31))}}),
]


@pytest.fixture
def backend():
    backend = SolrBackend(require_cluster(), collection=fresh_alias(), time_limit_seconds=10)
    backend.rebuild(lambda writer: writer.add(corpus_documents()))
    yield backend
    drop_alias(backend)


def embedded(backend):
    report = backend.embed_missing()
    if report.unavailable:
        pytest.skip(f"ranking by meaning is unavailable here: {report.unavailable}")
    return report


def answers(backend) -> list:
    out = []
    for text, spec in SEARCHES:
        result = backend.search(SearchSpec(query=parse_user_query(text, backend.analyze),
                                           ranking="words", **spec))
        out.append((result.total, sorted(h.item_id for h in result.hits), result.facets,
                    [h.item for h in result.hits]))
    return out


def test_setting_a_vector_keeps_every_other_field(backend):
    before = answers(backend)
    assert all(total for total, *_ in before)
    embedded(backend)
    assert answers(backend) == before


def test_a_vector_never_brings_back_an_item_deleted_after_it_was_read(backend):
    collection = backend.generation()
    read = backend.client.post_json(
        f"{collection}/select",
        {"query": "letter_id:l1", "fields": "id,_version_", "limit": 10}, timeout=30,
    )["response"]["docs"]
    with backend.writer() as writer:
        writer.delete_letters(["l1"])
    updates = [meaning.vector_update(doc["id"], [0.05] * 384, doc["_version_"]) for doc in read]
    assert meaning._send_updates(backend.client, collection, updates) == 0
    backend.client.post_json(f"{collection}/update", {"commit": {}}, timeout=30)
    assert backend.document_count() == 6
    assert backend.vector_coverage() == (0, 6)


def test_a_rebuild_carries_only_the_vectors_of_unchanged_items(backend):
    embedded(backend)
    changed = [(*letter[:6], [(f"Revised {row[0]}", *row[1:]) for row in letter[6]])
               if letter[0] == "l2" else letter for letter in LETTERS]
    backend.rebuild(lambda writer: writer.add(corpus_documents(changed)))
    assert backend.vector_coverage() == (6, 8)
    again = embedded(backend)
    assert again.embedded == 2


def test_the_analyzer_never_yields_an_empty_term():
    # Porter stems a lone "s" to nothing; an empty term was once a query Solr could not parse.
    assert analyze("Phalen's and Tinel's signs") == ["phalen", "tinel", "sign"]

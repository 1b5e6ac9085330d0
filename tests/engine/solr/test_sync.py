"""The service keeps Solr in step with the database as it keeps Whoosh: the index_pending
outbox, rebuild_index (a new collection, then the alias), check_index, and searches through the
pages and the API."""

from __future__ import annotations

import pytest
import requests
from django.core.management import call_command

from search import indexing
from search.backends import get_backend
from search.indexing import check_index, embed_pending, rebuild_index, sync_pending
from search.models import Determination, Letter
from search.searching import SearchRequest, run_search
from tests.engine.solr.support import drop_alias, fresh_alias, solr_settings
from tests.search_support import store_synthetic

pytestmark = pytest.mark.django_db


@pytest.fixture
def solr(settings):
    solr_settings(settings, fresh_alias())
    yield get_backend()
    backend = get_backend()
    if backend.generation():
        drop_alias(backend)


def test_the_outbox_feeds_solr_and_check_index_reads_it(solr):
    store_synthetic(4)
    rebuild_index()  # the first collection and its alias
    first = solr.generation()
    assert first and check_index().clean
    items = Determination.objects.count()
    assert run_search(SearchRequest()).total == items

    more = store_synthetic(3, start=4)
    assert all(letter.index_pending for letter in more)
    report = check_index()
    assert not report.clean and sorted(report.pending_letters) == sorted(
        letter.public_id for letter in more
    )
    assert sync_pending() == Determination.objects.count() - items
    assert not Letter.objects.filter(index_pending=True).exists()
    assert check_index().clean
    assert run_search(SearchRequest()).total == Determination.objects.count()
    assert solr.generation() == first  # the outbox writes into the live collection


def test_the_first_sync_creates_the_collection(solr):
    assert solr.generation() is None
    store_synthetic(2)
    assert sync_pending() == Determination.objects.count()
    assert solr.generation() is not None
    assert check_index().clean


def test_rebuild_index_swaps_the_alias_to_a_new_collection(solr, capsys):
    store_synthetic(2)
    rebuild_index()
    before = solr.generation()
    call_command("rebuild_index")
    after = solr.generation()
    assert after != before
    collections = solr.client.collections("LIST")["collections"]
    assert after in collections and before not in collections
    call_command("check_index")
    assert "matches" in capsys.readouterr().out


def test_pages_and_api_answer_from_solr(solr, client):
    store_synthetic(3)
    rebuild_index()
    request = Determination.objects.first().request.split()[0]
    page = client.get("/", {"q": request})
    assert page.status_code == 200
    api = client.get("/api/search", {"q": request, "outcome": "upheld"})
    assert api.status_code == 200
    body = api.json()
    upheld = SearchRequest(q=request, selections={"outcome": ("upheld",)})
    assert body["total"] == run_search(upheld).total


def test_a_missing_collection_is_a_notice_not_an_error(solr, client):
    result = run_search(SearchRequest(q="therapy"))
    assert result.total == 0
    assert any("rebuild_index" in notice or "unavailable" in notice for notice in result.notices)
    assert client.get("/", {"q": "therapy"}).status_code == 200


def test_the_embedding_step_fills_solr_and_check_index_counts_it(solr):
    store_synthetic(2)
    rebuild_index()
    items = Determination.objects.count()
    assert check_index().items_with_vector == 0
    report = embed_pending()
    if report.unavailable:
        pytest.skip(f"ranking by meaning is unavailable here: {report.unavailable}")
    assert report.embedded == items and report.remaining == 0
    assert check_index().items_with_vector == items
    call_command("rebuild_index", "--no-embed")  # a new collection, the vectors carried
    assert check_index().items_with_vector == items


def _segments_per_core(backend) -> list[int]:
    """How many segments each replica of the live collection holds, read from every node."""
    collection = backend.generation()
    counts = []
    for url in backend.client.urls:
        cores = requests.get(f"{url}/admin/cores", params={"action": "STATUS"}, timeout=30).json()
        for core in cores["status"]:
            if core.startswith(f"{collection}_"):
                answer = requests.get(f"{url}/{core}/admin/segments", timeout=30).json()
                counts.append(len(answer["segments"]))
    return counts


def test_a_rebuilt_collection_goes_live_merged_into_one_segment_a_core(solr):
    store_synthetic(6)
    letters = list(Letter.objects.order_by("pk").values(*indexing._LETTER_FIELDS))

    def fill_in_three_commits(writer) -> None:
        for start in (0, 2, 4):
            rows = letters[start : start + 2]
            writer.add(indexing.documents_for_letters(rows))
            writer.commit()  # a segment each, as a bulk build's automatic commits leave

    solr.rebuild(fill_in_three_commits)
    counts = _segments_per_core(solr)
    assert len(counts) == solr.shards * solr.replicas
    assert counts == [1] * len(counts)
    assert solr.document_count() == Determination.objects.count()

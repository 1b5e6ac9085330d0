"""The catch-up step that gives indexed items their vectors: new items are embedded, replaced
ones again, a rebuild keeps the old generation's. Each test has a fresh, empty index (apart from
the sample letters of test_meaning.py, whose rows stay for that module)."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from search.backends import get_backend
from search.engine import semantic
from search.indexing import check_index, embed_pending, rebuild_index, sync_pending
from search.models import Determination
from search.searching import SearchRequest, run_search
from tests.search_support import store_hand_letter, store_synthetic


@pytest.mark.django_db
class TestTheCatchUp:
    """Vectors follow the index: new items are embedded, replaced ones again, a rebuild keeps
    the old generation's."""

    def test_new_items_are_embedded_once(self):
        store_synthetic(3)
        sync_pending()
        assert get_backend().vector_coverage()[0] == 0  # findable by words already
        first = embed_pending()
        assert first.embedded == get_backend().vector_coverage()[1] > 0
        assert first.remaining == 0 and first.rate > 0
        assert embed_pending().embedded == 0

    def test_worker_processes_store_the_same_vectors(self):
        store_synthetic(2)
        sync_pending()
        report = embed_pending(workers=2)
        assert report.embedded == get_backend().vector_coverage()[1] > 0
        snap = get_backend().snapshot()
        store, _ = snap.meaning.rows()
        item = next(iter(snap.live_ids()[0]))
        hit = run_search(SearchRequest(q=item.split("#")[0])).hits
        mine = next(h for h in hit if h.item_id == item)
        expected = semantic.embed_texts(
            [semantic.item_text(mine.request, Determination.objects.get(
                letter__public_id=mine.letter_id, ordinal=mine.ordinal).rationale)]
        )[0]
        assert float(store.get(semantic.vector_key(item)) @ expected) > 0.999

    def test_a_replaced_letter_is_embedded_again(self):
        store_hand_letter("CM16-0000042", [("Knee brace", "upheld", "Not indicated.")])
        sync_pending()
        embed_pending()
        snap = get_backend().snapshot()
        store, _ = snap.meaning.rows()
        before = store.get(semantic.vector_key("CM16-0000042#1"))
        store_hand_letter("CM16-0000042", [("Lumbar MRI", "overturned", "Red flags shown.")])
        sync_pending()
        assert get_backend().vector_coverage()[0] == 0
        assert embed_pending().embedded == 1
        store.refresh()
        after = store.get(semantic.vector_key("CM16-0000042#1"))
        assert float(before @ after) < 0.9  # the new request's vector, not the old one

    def test_a_rebuild_keeps_the_vectors_and_embeds_only_what_is_new(self, capsys):
        store_synthetic(3)
        sync_pending()
        embed_pending()
        store_synthetic(1, start=3)
        rebuild_index()
        with_vector, items = get_backend().vector_coverage()
        assert 0 < with_vector < items  # the old letters' vectors came along, the new has none
        report = embed_pending()
        assert report.embedded == items - with_vector
        call_command("rebuild_index")
        out = capsys.readouterr().out
        assert "0 items embedded" in out

    def test_meaning_never_lifts_a_match_in_the_case_summary_alone(self, monkeypatch):
        store_hand_letter(
            "CM16-0000051", [("Knee brace", "upheld", "Not indicated.")],
            summary="The worker had acupuncture in 2015.",
        )
        store_hand_letter("CM16-0000052", [("Acupuncture 6 sessions", "upheld", "No benefit.")])
        store_hand_letter("CM16-0000053", [("Acupuncture 8 visits", "overturned", "Improved.")])
        sync_pending()
        embed_pending()
        store, _ = get_backend().snapshot().meaning.rows()
        # The query's vector made the summary-only item's own: by meaning alone it comes first.
        brace = store.get(semantic.vector_key("CM16-0000051#1"))
        monkeypatch.setattr(semantic.query_vectors, "get", lambda text: brace)
        hits = run_search(SearchRequest(q="acupuncture")).hits
        assert [h.case_number for h in hits][-1] == "CM16-0000051"
        assert len(hits) == 3

    def test_check_index_says_how_many_items_have_a_vector(self, capsys):
        store_synthetic(2)
        sync_pending()
        report = check_index()
        assert report.clean and report.items_with_vector == 0
        embed_pending()
        call_command("check_index")
        items = get_backend().vector_coverage()[1]
        assert f"(with a vector): {items} of {items}" in capsys.readouterr().out

    def test_embed_items_command_reports_and_is_idempotent(self, capsys):
        store_synthetic(2)
        sync_pending()
        call_command("embed_items")
        first = capsys.readouterr().out
        assert "items embedded for ranking by meaning" in first
        call_command("embed_items", "--json")
        assert '"embedded": 0' in capsys.readouterr().out

"""Ranking by meaning in the Whoosh backend: the generation's vectors, fusion with the word
ranking, and the catch-up step that embeds what is new."""

from __future__ import annotations

import numpy as np
import pytest
from django.core.management import call_command
from hypothesis import given
from hypothesis import strategies as st

from search.backends import get_backend
from search.engine import semantic
from search.engine.whoosh.bits import docnums_from_bits, mask_from_bits
from search.engine.whoosh.compiler import term
from search.indexing import check_index, embed_pending, rebuild_index, sync_pending
from search.models import Determination
from search.searching import SearchRequest, run_search, similar_to_text
from search.web.forms import SearchForm
from tests.search_support import store_hand_letter, store_synthetic


@given(st.sets(st.integers(min_value=0, max_value=2000)), st.integers(min_value=1, max_value=64))
def test_mask_from_bits_marks_exactly_the_set_bits(docnums, extra):
    size = (max(docnums) + 1 if docnums else 0) + extra
    bits = sum(1 << d for d in docnums)
    mask = mask_from_bits(bits, size)
    assert mask.shape == (size,)
    assert np.flatnonzero(mask).tolist() == sorted(docnums) == docnums_from_bits(bits)


class TestOverTheSampleLetters:
    """The sample letters, indexed and embedded as the ingest command does."""

    @pytest.fixture(autouse=True)
    def _corpus(self, corpus):
        return corpus

    def test_every_item_has_a_vector(self):
        with_vector, items = get_backend().vector_coverage()
        assert items > 200
        assert with_vector == items

    def test_the_meaning_ranking_ranks_only_the_match_set(self):
        snap = get_backend().snapshot()
        matches, _ = snap.evaluator.docs_bits(term("text", "knee"))
        vector = semantic.query_vectors.get("knee surgery")
        top = snap.meaning.top(vector, matches, 500)
        assert top and {d for d, _ in top} <= set(docnums_from_bits(matches))
        scores = [s for _, s in top]
        assert scores == sorted(scores, reverse=True)
        # The best of the set is the best of every document of the set, computed directly.
        store, rows = snap.meaning.rows()
        docnums = np.array(docnums_from_bits(matches))
        direct = store.cosines(vector, rows[docnums])
        assert top[0][1] == pytest.approx(float(direct.max()), abs=1e-6)

    @pytest.mark.parametrize("q", ["physical therapy", "norco", "mri lumbar", "knee"])
    def test_fusion_changes_the_order_never_the_matches_or_the_counts(self, q):
        hybrid = run_search(SearchRequest(q=q), per_page=1000, ranking="hybrid")
        words = run_search(SearchRequest(q=q), per_page=1000, ranking="words")
        assert hybrid.total == words.total > 0
        assert {h.item_id for h in hybrid.hits} == {h.item_id for h in words.hits}
        assert len(hybrid.hits) == len({h.item_id for h in hybrid.hits})
        assert hybrid.facets == words.facets
        assert hybrid.breakdown == words.breakdown

    def test_a_paste_is_ranked_differently_with_meaning(self):
        text = ("Request for twelve sessions of cognitive behavioral therapy for chronic pain and "
                "depression after a work injury, denied by utilization review as not medically "
                "necessary because prior psychotherapy showed no functional improvement.")
        hybrid = [h.item_id for h in run_search(SearchRequest(q=text), ranking="hybrid").hits]
        words = [h.item_id for h in run_search(SearchRequest(q=text), ranking="words").hits]
        assert hybrid and words
        assert hybrid != words  # the meaning ranking took part

    def test_paging_through_a_fused_ranking_shows_each_item_once(self):
        seen = []
        page = 1
        while True:
            result = run_search(SearchRequest(q="pain", page=page), per_page=20)
            seen.extend(h.item_id for h in result.hits)
            if page * 20 >= result.total:
                break
            page += 1
        assert len(seen) == len(set(seen)) == result.total > semantic.FUSION_DEPTH

    def test_filters_apply_to_the_fused_list(self):
        request = SearchForm({"q": "therapy", "outcome": ["overturned"]}).search_request()
        result = run_search(request, per_page=1000)
        assert result.total and all(h.outcome == "overturned" for h in result.hits)

    def test_the_finder_fuses_within_the_items_that_share_a_key_term(self):
        text = "Norco 10/325 #90 for chronic low back pain, weaning recommended by UR."
        hybrid = similar_to_text(text, limit=20)
        words = similar_to_text(text, limit=20, ranking="words")
        assert hybrid.hits and words.hits
        assert {h.item_id for h in hybrid.hits} != set() and hybrid.terms == words.terms

    def test_without_the_model_search_ranks_by_words_and_answers(self, monkeypatch):
        monkeypatch.setattr(semantic, "query_vectors", semantic.QueryVectors())
        monkeypatch.setattr(
            semantic.embedding, "embed_query",
            lambda text: (_ for _ in ()).throw(semantic.embedding.ModelNotInstalled("gone")),
        )
        q = "lumbar epidural steroid injection"
        broken = run_search(SearchRequest(q=q))
        words = run_search(SearchRequest(q=q), ranking="words")
        assert [h.item_id for h in broken.hits] == [h.item_id for h in words.hits]
        assert not any("unavailable" in n for n in broken.notices)


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

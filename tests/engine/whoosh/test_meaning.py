"""Ranking by meaning in the Whoosh backend: the generation's vectors, fusion with the word
ranking, and the catch-up step that embeds what is new."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from search.backends import get_backend
from search.engine import semantic
from search.engine.whoosh.bits import docnums_from_bits, mask_from_bits
from search.engine.whoosh.compiler import term
from search.searching import SearchRequest, run_search, similar_to_text
from search.web.forms import SearchForm


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

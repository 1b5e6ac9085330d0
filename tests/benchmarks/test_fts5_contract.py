"""The SQLite FTS5 benchmark peer passes the backend contract too: the seam is not Whoosh's."""

from __future__ import annotations

import pytest

from benchmarks.peers.fts5 import Fts5Backend
from tests.engine.contract import BackendContract


class TestFts5Backend(BackendContract):
    def make_backend(self, path):
        return Fts5Backend(path)

    def test_similar_items_leave_out_the_items_letter(self, backend):
        pytest.skip("the FTS5 peer has no key-term extraction, so no similar items")

    def test_similar_to_a_text(self, backend):
        pytest.skip("the FTS5 peer has no key-term extraction, so no similar items")

    def test_too_few_exact_matches_are_followed_by_items_matching_most_words(self, backend):
        pytest.skip("the FTS5 peer requires every word; it has no soft matching")

    def test_a_drug_class_word_finds_the_drugs_of_the_class(self, backend):
        pytest.skip("the FTS5 peer does not index the items' drug concepts")

"""Passages marked by Solr's unified highlighter: the query's words (and what they were widened
to) in <mark>, the letter text escaped, and the service's allow-list over them."""

from __future__ import annotations

from datetime import date

import pytest

from search.engine.contract import SearchSpec
from search.engine.query import parse_user_query
from search.engine.solr.backend import SolrBackend
from search.highlighting import sanitize
from search.searching import hit_from_item
from tests.engine.contract import corpus_documents
from tests.engine.solr.support import drop_alias, fresh_alias, require_cluster

HOSTILE = [("l9", "CM19-0000009", date(2019, 1, 1), None, None, "Psychiatry", [
    ("Massage therapy <script>alert(1)</script>", "upheld",
     'Massage <img src=x onerror="alert(2)"> is not indicated & not recommended.',
     "Physical Medicine", "MTUS", "Pain"),
])]


@pytest.fixture(scope="module")
def backend():
    backend = SolrBackend(require_cluster(), collection=fresh_alias(), time_limit_seconds=10)
    backend.rebuild(lambda writer: writer.add(corpus_documents() + corpus_documents(HOSTILE)))
    yield backend
    drop_alias(backend)


def hits(backend, text):
    return backend.search(SearchSpec(query=parse_user_query(text, backend.analyze))).hits


def test_the_words_searched_are_marked_in_the_rationale(backend):
    first = hits(backend, "mri")[0]
    assert first.item_id == "l1#1"
    # An abbreviation marks its spelled-out form too: the query searched both.
    assert first.passages == ("<mark>Magnetic resonance imaging</mark> is not indicated "
                              "without red flags.",)


def test_prefixes_and_phrases_are_marked(backend):
    assert "<mark>Epidural</mark>" in hits(backend, "epidur*")[0].passages[0]
    assert "<mark>Physical therapy</mark>" in hits(backend, '"physical therapy"')[0].passages[0]


def test_letter_text_is_escaped_and_passes_the_allow_list(backend):
    (hit,) = hits(backend, "massage")
    passage = hit.passages[0]
    assert "<img" not in passage and "&lt;img" in passage and "&amp;" in passage
    assert sanitize(passage) == passage
    shown = hit_from_item(hit.item, [], hit.score, marked=hit.passages)
    assert shown.snippet_html == passage
    assert "<mark>Massage</mark>" in shown.snippet_html


def test_no_words_no_passages(backend):
    assert all(not h.passages for h in backend.search(SearchSpec()).hits)

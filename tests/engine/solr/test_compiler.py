"""The parsed query's nodes -> Solr query strings: every user word is escaped, so no text is
read as Solr syntax (local parameters, ranges, wildcards, fields), on the real cluster too."""

from __future__ import annotations

from datetime import date

import pytest

from search.engine import nodes
from search.engine.contract import SearchSpec
from search.engine.query import parse_user_query
from search.engine.solr.backend import SolrBackend
from search.engine.solr.compiler import date_filter, escape, to_solr, values_filter
from tests.engine.contract import corpus_documents
from tests.engine.solr.support import drop_alias, fresh_alias, require_cluster

HOSTILE = [
    "{!xmlparser v='<x/>'}", "*:*", "text:[* TO *]", "id:l1#1 OR *:*", "a\\", '"unclosed',
    "local{!lucene}*", "case:CM99-0000009\" OR \"x", "((((", "-*:*", "zzq* OR {!func}1",
    "request:\\*", "field:value^100", "a~2", "/regex.*/",
]


def test_special_characters_are_escaped():
    assert escape('a:b*c"d\\e{!f} g') == 'a\\:b\\*c\\"d\\\\e\\{\\!f\\}\\ g'
    assert to_solr(nodes.Term("concepts", "class:opioid")) == "concepts:class\\:opioid"
    assert to_solr(nodes.Prefix("text", "{!x")) == "text:\\{\\!x*"
    assert to_solr(nodes.Phrase("text", ("a", 'b"'))) == 'text:"a b\\""'


def test_boolean_nodes_and_boosts():
    q = nodes.AndNot(nodes.And((nodes.Term("text", "a"), nodes.Term("request", "b", 2.0))),
                     nodes.Term("text", "c"))
    assert to_solr(q) == "(+(+text:a +request:b^2) -text:c)"
    assert to_solr(nodes.Not(nodes.Term("text", "a"))) == "(*:* -text:a)"


def test_filters_quote_their_values():
    assert values_filter("category", ('Say "no"', "A OR B")) == (
        '{!tag=category}category:("Say \\"no\\"" OR "A OR B")'
    )
    assert date_filter("decision_date", date(2017, 1, 1), None) == (
        "decision_date:[2017-01-01T00:00:00Z TO *]"
    )


@pytest.fixture(scope="module")
def backend():
    backend = SolrBackend(require_cluster(), collection=fresh_alias(), time_limit_seconds=10)
    backend.rebuild(lambda writer: writer.add(corpus_documents()))
    yield backend
    drop_alias(backend)


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_queries_search_words_only(backend, text):
    parsed = parse_user_query(text, backend.analyze)
    result = backend.search(SearchSpec(query=parsed, filters={"category": (text,)}))
    # No text widens the search to every item through Solr syntax: the corpus has no such
    # words, so nothing matches, and the hostile facet value is reported, not run.
    assert result.total == 0 or result.exact_total == 0 or parsed.matches_everything
    assert result.ignored_filters == {"category": (text,)}

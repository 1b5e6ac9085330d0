"""The precedent finder's query on Solr: the Whoosh backend's finder (search.engine.whoosh.
finder) with this backend's analyzer and collection statistics, the same weights.

Kept beside the Whoosh one rather than shared because that module analyses with Whoosh's
stemmer; both compose the same engine-neutral parts (search.engine.pasted, query_nodes).
"""

from __future__ import annotations

from search.engine import vocabulary
from search.engine.nodes import Or, Term
from search.engine.pasted import headline, treatment_text
from search.engine.query_nodes import any_words_query, key_terms_query
from search.engine.solr.analysis import analyze

KEY_TERMS = 15
HEADLINE_BOOST = 3.0
CONCEPT_BOOST = 6.0
COMMON_TERM_SHARE = 0.2  # a key term in more items than this counts only in the request


def common_terms(stats, terms: list[str]) -> frozenset:
    limit = COMMON_TERM_SHARE * max(1, stats.total)
    return frozenset(t for t in terms if stats.doc_frequency("text", t) > limit)


def finder_query(stats, text: str):
    """(query node or None, the key terms, the words to highlight) for a pasted text."""
    treatment = treatment_text(text) or text
    terms = [t for t, _ in stats.key_terms_from_text("text", treatment, KEY_TERMS)]
    parts = []
    head, highlight = any_words_query(headline(text), analyze, boost=HEADLINE_BOOST)
    if head is not None:
        parts.append(head)
    rest = key_terms_query(terms, request_only=common_terms(stats, terms))
    if rest is not None:
        parts.append(rest)
    concepts = vocabulary.drug_concepts(vocabulary.words_of(treatment))
    parts += [
        Term("concepts", vocabulary.concept_token(c), boost=CONCEPT_BOOST) for c in sorted(concepts)
    ]
    if not parts:
        return None, terms, terms
    return Or(tuple(parts)), terms, list(dict.fromkeys([*highlight, *terms]))

"""The precedent finder's query: what a pasted request or denial is about, as one query, for
any backend: `stats` is the backend's view of its index (total, doc_frequency,
key_terms_from_text) and `analyze` its analyzer.

Used for `similar` with a text and for a text pasted into the search box (ParsedQuery.pasted).
The words of the text's first sentence (its treatment, search.engine.pasted.headline) weigh
most, widened as a search widens them (abbreviations, drug names and classes, lay terms); then
the key terms of the rest of the treatment words (the backend's key-term extraction against
its index), request matches weighted higher; then the drugs the text names, as concepts. Weights
were tuned on the judged set (manage.py relevance).
"""

from __future__ import annotations

from collections.abc import Callable

from search.engine import vocabulary
from search.engine.nodes import Or, Term
from search.engine.pasted import headline, treatment_text
from search.engine.query_nodes import any_words_query, key_terms_query

KEY_TERMS = 15  # key terms of the text searched for
HEADLINE_BOOST = 3.0
CONCEPT_BOOST = 6.0
# A key term found in more than this share of items ranks little (a low idf) but its posting
# list is most of the cost of a similarity search: it counts only where it is in the request.
COMMON_TERM_SHARE = 0.2


def common_terms(stats, terms: list[str]) -> frozenset:
    limit = COMMON_TERM_SHARE * max(1, stats.total)
    return frozenset(t for t in terms if stats.doc_frequency("text", t) > limit)


def finder_query(stats, text: str, analyze: Callable[[str], list[str]]):
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

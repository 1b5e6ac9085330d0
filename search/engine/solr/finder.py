"""The precedent finder on Solr: search.engine.finder with this backend's analyzer and its
collection statistics, the same weights as on Whoosh."""

from __future__ import annotations

from search.engine import finder as shared
from search.engine.solr.analysis import analyze

KEY_TERMS = shared.KEY_TERMS
common_terms = shared.common_terms


def finder_query(stats, text: str):
    """(query node or None, the key terms, the words to highlight) for a pasted text."""
    return shared.finder_query(stats, text, analyze)

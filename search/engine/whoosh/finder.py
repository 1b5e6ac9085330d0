"""The precedent finder on Whoosh: search.engine.finder with this backend's analyzer and the
snapshot's statistics."""

from __future__ import annotations

from search.engine import finder as shared
from search.engine.whoosh.schema import analyze

KEY_TERMS = shared.KEY_TERMS
common_terms = shared.common_terms


def finder_query(snap, text: str):
    """(query node or None, the key terms, the words to highlight) for a pasted text."""
    return shared.finder_query(snap, text, analyze)

"""django-haystack with its Whoosh backend over the same items: what a Django developer reaches
for, measured as shipped.

Our engine patches Whoosh for the whole process it runs in (segment writer, codec, file
buffers). Haystack measured in one of our processes would run on those patches, not on the
Whoosh it ships with, so this peer runs in a process of its own, `python -m
benchmarks.peers.haystack_whoosh build|search ...` (__main__.py), with minimal settings of its
own (settings.py): haystack and this app, not our `search` app, so none of our code is imported
there; the process checks that and records it in its result. The items reach it as a file of
the very documents the other engines index, written by our process (phases.peer_documents).

Haystack is used as its documentation shows (engine.py): a `SearchIndex` with a document field,
faceted fields, and a `SearchQuerySet` with `raw_search`, `narrow`, `facet` and `highlight`. Two
choices are ours:

- The index is handed to haystack's unified index directly, not collected from the installed
  apps' search_indexes.py: its facet fields are those of the documents.
- `HAYSTACK_LIMIT_TO_REGISTERED_MODELS` is off: with one model, the default only adds a
  `django_ct` narrow query that scores every document on each search, which would flatter us.

Whoosh's KEYWORD fields (haystack's multi-valued facets) split on commas, so commas in facet
labels ("Forearm, Wrist, and Hand") become semicolons here; counts are otherwise the same.
"""

from __future__ import annotations

import importlib.util

# The folder of the haystack index, read by settings.py when the process starts.
INDEX_ENV = "HAYSTACK_PEER_INDEX"
SETTINGS_MODULE = "benchmarks.peers.haystack_whoosh.settings"


def available() -> bool:
    # find_spec, not import: haystack reads settings at import and must be configured first.
    return importlib.util.find_spec("haystack") is not None

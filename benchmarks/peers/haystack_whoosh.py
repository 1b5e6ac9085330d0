"""django-haystack with its Whoosh backend over the same items: what a Django developer reaches for.

Used as its documentation shows: a `SearchIndex` with a document field, faceted fields, and a
`SearchQuerySet` with `raw_search`, `narrow`, `facet` and `highlight`. Two choices are ours:

- Haystack reads `HAYSTACK_CONNECTIONS` from settings when it is first imported and collects
  indexes from installed apps. The project's settings do not name it (it is no dependency of the
  product), so `configure()` sets the two settings before the first import and hands the index
  to the unified index directly: a shim of a few lines, no change to haystack.
- `HAYSTACK_LIMIT_TO_REGISTERED_MODELS` is off: with one model, the default only adds a
  `django_ct` narrow query that scores every document on each search, which would flatter us.

Whoosh's KEYWORD fields (haystack's multi-valued facets) split on commas, so commas in facet
labels ("Forearm, Wrist, and Hand") become semicolons here; counts are otherwise the same.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings

from benchmarks.documents import PeerDocument
from benchmarks.queries import BenchQuery
from benchmarks.results import EngineAnswer

PAGE_SIZE = 20
BATCH_SIZE = 1000  # haystack's update_index default

_index_classes: dict[tuple[str, ...], type] = {}


def available() -> bool:
    # find_spec, not import: haystack reads settings at import and must be configured first.
    return importlib.util.find_spec("haystack") is not None


def haystack_value(value: str) -> str:
    return value.replace(",", ";")


def facets_of_built_index(path: Path) -> tuple[str, ...]:
    """The facets an existing haystack index was built with (its `<facet>_exact` fields)."""
    from whoosh import index as whoosh_index

    schema = whoosh_index.open_dir(str(path)).schema
    return tuple(name.removesuffix("_exact") for name in schema.names() if name.endswith("_exact"))


def _index_class(facets: tuple[str, ...]):
    """A SearchIndex class with one faceted field per facet of our index."""
    from haystack import indexes

    from search.models import Determination

    if facets in _index_classes:
        return _index_classes[facets]

    def get_model(self):
        return Determination

    def prepare(self, obj):
        data = indexes.SearchIndex.prepare(self, obj)
        doc: PeerDocument = obj.bench_document
        data["text"] = f"{doc.case_number}\n{doc.text}"
        data["request"] = doc.request
        data["item_id"] = doc.item_id
        for facet in facets:
            data[facet] = [haystack_value(v) for v in doc.facets.get(facet, [])]
        return data

    attributes = {
        "text": indexes.CharField(document=True),
        "request": indexes.CharField(),
        "item_id": indexes.CharField(indexed=False),
        **{facet: indexes.MultiValueField(faceted=True) for facet in facets},
        "get_model": get_model,
        "prepare": prepare,
        "__module__": __name__,
    }
    cls = type("ItemIndex", (indexes.SearchIndex, indexes.Indexable), attributes)
    _index_classes[facets] = cls
    return cls


def configure(path: Path, facets: tuple[str, ...] | None = None):
    """Point haystack at `path` and register the index; returns the index instance."""
    settings.HAYSTACK_CONNECTIONS = {
        "default": {
            "ENGINE": "haystack.backends.whoosh_backend.WhooshEngine",
            "PATH": str(path),
        }
    }
    settings.HAYSTACK_LIMIT_TO_REGISTERED_MODELS = False
    from haystack import connections

    from search.engine.facets import FACET_NAMES

    if facets is None:
        facets = FACET_NAMES
    item_index = _index_class(facets)()
    connections["default"].get_unified_index().build(indexes=[item_index])
    return item_index


def build(path: Path, batches: Iterable[list[PeerDocument]]) -> int:
    item_index = configure(path)
    from haystack import connections

    from search.models import Determination

    backend = connections["default"].get_backend()
    backend.clear()
    count = 0
    pending: list = []
    for batch in batches:
        for doc in batch:
            count += 1
            obj = Determination(pk=count)
            obj.bench_document = doc
            pending.append(obj)
            if len(pending) >= BATCH_SIZE:
                backend.update(item_index, pending)
                pending = []
    if pending:
        backend.update(item_index, pending)
    return count


def _narrow(facet: str, values: tuple[str, ...]) -> str:
    quoted = " OR ".join(f'"{haystack_value(v)}"' for v in values)
    return f"{facet}_exact:({quoted})"


class HaystackEngine:
    name = "haystack"

    def __init__(self, path: Path):
        # Search with the facets the index was built with, whatever our schema has since added.
        self.facets = facets_of_built_index(path)
        configure(path, self.facets)
        from haystack.query import SearchQuerySet

        self.base = SearchQuerySet().using("default")

    def _queryset(self, query: BenchQuery, filters: dict, facets: Iterable[str]):
        sqs = self.base.raw_search(query.whoosh)
        for facet, values in filters.items():
            sqs = sqs.narrow(_narrow(facet, values))
        for facet in facets:
            sqs = sqs.facet(facet)
        return sqs

    @staticmethod
    def _counts(sqs) -> dict[str, dict[str, int]]:
        fields = (sqs.facet_counts() or {}).get("fields", {})
        return {
            name.removesuffix("_exact"): {value: n for value, n in pairs if value is not None}
            for name, pairs in fields.items()
        }

    def search(self, query: BenchQuery) -> EngineAnswer:
        filters = dict(query.filters)
        sqs = self._queryset(query, filters, self.facets).highlight()
        hits = list(sqs[:PAGE_SIZE])
        total = sqs.count()
        facets = self._counts(sqs)
        # Each facet counted without its own selection, as ours and the FTS5 peer do.
        for facet in filters:
            others = {k: v for k, v in filters.items() if k != facet}
            other_sqs = self._queryset(query, others, [facet])
            list(other_sqs[:1])
            facets.update(self._counts(other_sqs))
        passages = []
        for hit in hits:
            highlighted = getattr(hit, "highlighted", None) or {}
            passages.append((highlighted.get("text") or [""])[0])
        return EngineAnswer(
            total=total,
            hit_ids=[getattr(hit, "item_id", "") for hit in hits],
            passages=passages,
            facets=facets,
        )
